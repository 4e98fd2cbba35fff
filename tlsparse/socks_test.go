package tlsparse

import "testing"

func TestSOCKSTarget(t *testing.T) {
	v5 := func(req ...byte) []byte { return append([]byte{5, 1, 0}, req...) }
	domain := v5(5, 1, 0, 3, 15, 't', 'o', 'o', 'l', 's', '.', 'c', 'i', 's', 'c', 'o', '.', 'c', 'o', 'm', 1, 187)
	for _, c := range []struct {
		name                   string
		in                     []byte
		host                   string
		port                   uint16
		domain, complete, isOK bool
	}{
		{"socks5 domain", domain, "tools.cisco.com", 443, true, true, true},
		{"socks5 ipv4", v5(5, 1, 0, 1, 72, 163, 4, 38, 1, 187), "72.163.4.38", 443, false, true, true},
		{"socks5 ipv6", v5(append([]byte{5, 1, 0, 4}, append(make([]byte, 15), 1, 1, 187)...)...), "::1", 443, false, true, true},
		{"socks5 greeting only", []byte{5, 1, 0}, "", 0, false, false, true},
		{"socks5 bind, not connect", v5(5, 2, 0, 1, 1, 2, 3, 4, 0, 80), "", 0, false, false, false},
		{"socks4", []byte{4, 1, 1, 187, 72, 163, 4, 38, 'u', 0}, "72.163.4.38", 443, false, true, true},
		{"socks4a", []byte{4, 1, 1, 187, 0, 0, 0, 1, 0, 'w', 'w', 'w', '.', 'x', 0}, "www.x", 443, true, true, true},
		{"socks4a without its end", []byte{4, 1, 1, 187, 0, 0, 0, 1, 0, 'w'}, "", 0, false, false, true},
		{"tls", []byte{0x16, 3, 1, 0, 5}, "", 0, false, false, false},
		{"http", []byte("CONNECT x:443"), "", 0, false, false, false},
	} {
		host, port, dom, complete, ok := SOCKSTarget(c.in)
		if host != c.host || port != c.port || dom != c.domain || complete != c.complete || ok != c.isOK {
			t.Errorf("%s: got %q %d %v %v %v; want %q %d %v %v %v", c.name, host, port, dom, complete, ok, c.host, c.port, c.domain, c.complete, c.isOK)
		}
	}
	for i := range domain { // every prefix: more needed, never a wrong answer
		if _, _, _, complete, ok := SOCKSTarget(domain[:i]); complete || !ok {
			t.Errorf("prefix %d: complete %v ok %v", i, complete, ok)
		}
	}
}

func FuzzSOCKSTarget(f *testing.F) {
	f.Add([]byte{5, 1, 0, 5, 1, 0, 3, 1, 'x', 1, 187})
	f.Add([]byte{4, 1, 1, 187, 0, 0, 0, 1, 0, 'w', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		host, _, _, complete, _ := SOCKSTarget(b)
		if !complete && host != "" || len(host) > len(b) {
			t.Fatalf("SOCKSTarget(%x) = %q complete %v", b, host, complete)
		}
	})
}
