package tlsparse

import (
	"reflect"
	"testing"
)

// seedMessages adds the real handshake messages of both sides, from
// in-test handshakes and from the shipped sample captures.
func seedMessages(f *testing.F, typ uint8) {
	c := realHandshakes(f)
	all := [][]chunk{c.tls12SNI, c.tls12NoSNI, c.tls13, c.resumed12, c.hrr}
	for _, sc := range sampleConns(f) {
		all = append(all, sc.chunks)
	}
	for _, ch := range all {
		for dir := range Dir(2) {
			for _, m := range handshakeMessages(f, stream(ch, dir)) {
				if m[0] == typ {
					f.Add(m)
				}
			}
		}
	}
}

func FuzzClientHello(f *testing.F) {
	seedMessages(f, TypeClientHello)
	f.Add(buildClientHello(0x0303, nil, []uint16{1}, []ext{{0, sniExt(ServerName{0, "a\x00b"}, ServerName{0, "c"})}, {0, nil}}, []byte{1}))
	f.Add(sslv2Hello(0x0301, []uint32{0x2f, 0x010080}, nil, make([]byte, 16)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ch1, err1 := ParseClientHello(b)
		ch2, err2 := ParseClientHello(b)
		if err1 != err2 && (err1 == nil || err2 == nil || err1.Error() != err2.Error()) || !reflect.DeepEqual(ch1, ch2) {
			t.Fatal("different answers on re-parse")
		}
		if err1 == nil && ch1.SNI != "" && (len(ch1.ServerNames) == 0 || len(ch1.SNI) > len(ch1.ServerNames[0].Name)+65535) {
			t.Fatal("SNI without server names")
		}
		v1, e1 := ParseSSLv2ClientHello(b)
		v2, e2 := ParseSSLv2ClientHello(b)
		if (e1 == nil) != (e2 == nil) || !reflect.DeepEqual(v1, v2) {
			t.Fatal("SSLv2: different answers on re-parse")
		}
	})
}

func FuzzServerHello(f *testing.F) {
	seedMessages(f, TypeServerHello)
	f.Add(buildServerHello(0x7f12, make([]byte, 32), nil, 0x1301, []ext{{43, []byte{3, 4}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s1, e1 := ParseServerHello(b)
		s2, e2 := ParseServerHello(b)
		if (e1 == nil) != (e2 == nil) || !reflect.DeepEqual(s1, s2) {
			t.Fatal("different answers on re-parse")
		}
		if e1 == nil && s1.HelloRetry && len(s1.Random) != 32 {
			t.Fatal("bad random")
		}
	})
}

func FuzzCertificateMsg(f *testing.F) {
	seedMessages(f, TypeCertificate)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tls13 := range []bool{false, true} {
			m1, e1 := ParseCertificateMsg(b, tls13)
			m2, e2 := ParseCertificateMsg(b, tls13)
			if (e1 == nil) != (e2 == nil) || !reflect.DeepEqual(m1, m2) {
				t.Fatal("different answers on re-parse")
			}
			if e1 == nil && (len(m1.Certs) > MaxChainCerts || m1.Total < len(m1.Certs)) {
				t.Fatal("chain cap not kept")
			}
		}
	})
}

func FuzzCertificate(f *testing.F) {
	streams := [][]byte{stream(realHandshakes(f).tls12SNI, 1)}
	for _, sc := range sampleConns(f) {
		streams = append(streams, stream(sc.chunks, 0), stream(sc.chunks, 1))
	}
	for _, s := range streams {
		for _, m := range handshakeMessages(f, s) {
			if m[0] != TypeCertificate {
				continue
			}
			if cm, err := ParseCertificateMsg(m, false); err == nil {
				for _, c := range cm.Certs {
					f.Add(c)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		c1, e1 := parseCertificate(der, [32]byte{})
		c2, e2 := parseCertificate(der, [32]byte{})
		if (e1 == nil) != (e2 == nil) || !reflect.DeepEqual(c1, c2) {
			t.Fatal("different answers on re-parse")
		}
		if e1 == nil && (len(c1.SANs) > MaxSANs || c1.CN != "" && c1.CN != c1.CNs[0]) {
			t.Fatal("bad SAN cap or CN")
		}
	})
}

func FuzzObserver(f *testing.F) {
	c := realHandshakes(f)
	for _, ch := range [][]chunk{c.tls12SNI, c.tls12NoSNI, c.tls13, c.resumed12, c.hrr} {
		f.Add(encodeConversation(ch))
	}
	for _, sc := range sampleConns(f) {
		f.Add(encodeConversation(sc.chunks))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		run := func(split int) summary {
			o := NewObserver()
			for rest := b; len(rest) >= 3; {
				dir := Dir(rest[0] & 1)
				gap := rest[0]&0x80 != 0
				n := min(int(rest[1])<<8|int(rest[2]), len(rest)-3)
				data := rest[3 : 3+n]
				rest = rest[3+n:]
				if gap {
					o.Gap(dir)
				}
				for len(data) > 0 {
					k := min(len(data), split)
					o.Data(dir, data[:k])
					data = data[k:]
				}
			}
			return summarize(o.Handshake())
		}
		whole, small := run(1<<30), run(3)
		if !reflect.DeepEqual(whole, small) {
			t.Fatalf("chunking changed the answer:\n%+v\n%+v", whole, small)
		}
	})
}
