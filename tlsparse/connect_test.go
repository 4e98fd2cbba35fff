package tlsparse

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// connectFacts is what a test checks of a connection through a proxy.
type connectFacts struct {
	IsTLS     bool
	SNI       string
	Status    CertStatus
	Connect   *Connect
	Anomalies []string
}

func TestObserverConnect(t *testing.T) {
	hs := realHandshakes(t).tls12SNI
	const (
		request = "CONNECT tools.example.com:443 HTTP/1.1\r\nHost: tools.example.com:443\r\nUser-Agent: curl/8.5.0\r\n\r\n"
		ok      = "HTTP/1.1 200 Connection established\r\n\r\n"
		auth    = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n"
	)
	plain := func(dir Dir, s string) chunk { return chunk{dir, []byte(s)} }
	through := func(req, answer string) []chunk {
		return append([]chunk{plain(0, req), plain(1, answer)}, hs...)
	}
	long := strings.Repeat("a", 300) + ".example.com:443"
	// tlsVia is TLS after plain text; skipped are the plain-text streams
	// before the hellos, which the "tls-after-plaintext" anomalies count.
	tlsVia := func(c *Connect, skipped ...string) connectFacts {
		var anomalies []string
		for _, s := range skipped {
			anomalies = append(anomalies, "tls-after-plaintext:"+strconv.Itoa(len(s)))
		}
		return connectFacts{IsTLS: true, SNI: "tools.example.com", Status: CertPresent, Connect: c, Anomalies: anomalies}
	}
	established := &Connect{Authority: "tools.example.com:443", Status: 200, Reason: "Connection established"}
	for _, tt := range []struct {
		name   string
		chunks []chunk
		want   connectFacts
	}{
		{"200 then TLS", through(request, ok), tlsVia(established, request, ok)},
		{"407 without TLS", []chunk{plain(0, request), plain(1, auth)}, connectFacts{
			Connect: &Connect{Authority: "tools.example.com:443", Status: 407, Reason: "Proxy Authentication Required"}}},
		{"403 from an HTTP/1.0 proxy", []chunk{plain(0, "CONNECT 72.163.4.38:443 HTTP/1.0\r\n\r\n"), plain(1, "HTTP/1.0 403 Forbidden\r\n\r\n")}, connectFacts{
			Connect: &Connect{Authority: "72.163.4.38:443", Status: 403, Reason: "Forbidden"}}},
		{"no answer captured", []chunk{plain(0, request)}, connectFacts{Connect: &Connect{Authority: "tools.example.com:443"}}},
		{"answer first", []chunk{plain(1, auth), plain(0, request)}, connectFacts{
			Connect: &Connect{Authority: "tools.example.com:443", Status: 407, Reason: "Proxy Authentication Required"}}},
		{"bare LF, no reason phrase", through("CONNECT [2001:db8::1]:443 HTTP/1.1\n\n", "HTTP/1.1 200\n\n"),
			tlsVia(&Connect{Authority: "[2001:db8::1]:443", Status: 200}, "CONNECT [2001:db8::1]:443 HTTP/1.1\n\n", "HTTP/1.1 200\n\n")},
		{"long authority and reason cut", []chunk{plain(0, "CONNECT "+long+" HTTP/1.1\r\n\r\n"),
			plain(1, "HTTP/1.1 502 "+strings.Repeat("Bad Gateway ", 10)+"\xff\r\n\r\n")}, connectFacts{
			Connect: &Connect{Authority: long[:maxAuthority], Status: 502, Reason: strings.Repeat("Bad Gateway ", 10)[:maxReason]}}},
		{"odd bytes in the reason", []chunk{plain(0, request), plain(1, "HTTP/1.1 407 Auth\trequired \xe2\x80\x94 here\r\n")}, connectFacts{
			Connect: &Connect{Authority: "tools.example.com:443", Status: 407, Reason: "Auth required ??? here"}}},
		// Not a CONNECT: no Connect, and TLS after it as before.
		{"garbage preamble", append([]chunk{plain(0, "\x00\x01CONNECT x:1 HTTP/1.1\r\n")}, hs...), tlsVia(nil, "\x00\x01CONNECT x:1 HTTP/1.1\r\n")},
		{"lower-case method", []chunk{plain(0, "connect tools.example.com:443 HTTP/1.1\r\n\r\n"), plain(1, ok)}, connectFacts{}},
		{"no version", []chunk{plain(0, "CONNECT tools.example.com:443\r\n\r\n"), plain(1, ok)}, connectFacts{}},
		{"HTTP/2 version", []chunk{plain(0, "CONNECT tools.example.com:443 HTTP/2.0\r\n\r\n"), plain(1, ok)}, connectFacts{}},
		{"empty authority", []chunk{plain(0, "CONNECT  HTTP/1.1\r\n\r\n"), plain(1, ok)}, connectFacts{}},
		{"control byte in the authority", []chunk{plain(0, "CONNECT tools\x01example.com:443 HTTP/1.1\r\n\r\n"), plain(1, ok)}, connectFacts{}},
		{"request line over the cap", []chunk{plain(0, "CONNECT "+strings.Repeat("a", maxLine)+":443 HTTP/1.1\r\n\r\n"), plain(1, ok)}, connectFacts{}},
		{"a GET and its answer", []chunk{plain(0, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), plain(1, "HTTP/1.1 200 OK\r\n\r\n")}, connectFacts{}},
		{"an answer alone", []chunk{plain(1, auth)}, connectFacts{}},
		{"control byte in the reason", []chunk{plain(0, request), plain(1, "HTTP/1.1 200 OK\x16\x03\r\n")}, connectFacts{Connect: &Connect{Authority: "tools.example.com:443"}}},
		{"status code 600", []chunk{plain(0, request), plain(1, "HTTP/1.1 600 Nope\r\n\r\n")}, connectFacts{Connect: &Connect{Authority: "tools.example.com:443"}}},
		{"hello before the line's end", append([]chunk{plain(0, "CONNECT tools.example.com:443 HTTP/1.1")}, hs...), tlsVia(nil, "CONNECT tools.example.com:443 HTTP/1.1")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Whole, byte by byte and in random pieces: a line split across
			// Data calls reads the same.
			for _, maxChunk := range []int{0, 1, 2, 7, 100} {
				chunks := tt.chunks
				if maxChunk > 0 {
					chunks = splitChunks(chunks, maxChunk)
				}
				o := NewObserver()
				feedChunks(o, chunks, false)
				h := o.Handshake()
				got := connectFacts{IsTLS: h.IsTLS, Status: h.Status, Connect: h.Connect, Anomalies: h.Anomalies}
				if h.ClientHello != nil {
					got.SNI = h.ClientHello.SNI
				}
				if diff := cmp.Diff(tt.want, got, ignoreEmpty); diff != "" {
					t.Fatalf("pieces up to %d bytes: (-want +got)\n%s", maxChunk, diff)
				}
			}
		})
	}
}

// TestObserverConnectNotTLS: a proxy's refusal with a long body ends the
// preamble scan (not TLS), and the Connect is still there.
func TestObserverConnectNotTLS(t *testing.T) {
	o := NewObserver()
	o.Data(0, []byte("CONNECT tools.example.com:443 HTTP/1.1\r\n\r\n"))
	o.Data(1, []byte("HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n\r\n"))
	done := false
	body := []byte(strings.Repeat("<p>blocked by policy</p>\n", 40))
	for n := 0; n <= maxPreamble && !done; n += len(body) {
		done = o.Data(1, body)
	}
	h := o.Handshake()
	want := &Connect{Authority: "tools.example.com:443", Status: 403, Reason: "Forbidden"}
	if !done || h.IsTLS || h.Status != "" || !cmp.Equal(h.Connect, want) {
		t.Errorf("done %v, IsTLS %v, Status %q, Connect %+v", done, h.IsTLS, h.Status, h.Connect)
	}
}

// TestObserverConnectShared: a Handshake taken before the proxy answered
// keeps what it said.
func TestObserverConnectShared(t *testing.T) {
	o := NewObserver()
	o.Data(0, []byte("CONNECT tools.example.com:443 HTTP/1.1\r\n\r\n"))
	before := o.Handshake().Connect
	o.Data(1, []byte("HTTP/1.1 200 OK\r\n\r\n"))
	after := o.Handshake().Connect
	if before.Status != 0 || after.Status != 200 {
		t.Errorf("before the answer %+v, after %+v", before, after)
	}
}

func TestConnectHost(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"tools.cisco.com:443", "tools.cisco.com"},
		{"tools.cisco.com", "tools.cisco.com"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"72.163.4.38:443", "72.163.4.38"},
		{"", ""},
	} {
		if got := (&Connect{Authority: c.in}).Host(); got != c.want {
			t.Errorf("Host(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
