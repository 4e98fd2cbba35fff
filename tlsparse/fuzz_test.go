package tlsparse

import (
	"reflect"
	"strings"
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
		for _, ch := range []*ClientHello{ch1, v1} {
			if ch != nil {
				checkFingerprints(t, ch)
			}
		}
	})
}

// md5HexLen is the length of a JA3 or JA3S hash; ja4Len (fingerprint.go)
// that of a JA4, as in "t13d1516h2_8daaf6152771_e5627efa2ab1".
const md5HexLen = 32

// checkFingerprints computes every fingerprint of a parsed hello (no
// panic) and checks their shape.
func checkFingerprints(t *testing.T, ch *ClientHello) {
	full, hash := ch.JA3()
	if ch.SSLv2 != (hash == "") || hash != "" && (len(hash) != md5HexLen || strings.Count(full, ",") != 4) {
		t.Fatalf("JA3 %q %q of %v", full, hash, ch)
	}
	if h := ch.JA3Hash(); h != hash {
		t.Fatalf("JA3Hash %q, JA3 %q", h, hash)
	}
	for _, tr := range []byte{JA4TCP, JA4QUIC, JA4DTLS} {
		if ja4 := ch.JA4(tr); len(ja4) != ja4Len || ja4[0] != tr {
			t.Fatalf("JA4 %q", ja4)
		}
	}
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
		if e1 == nil {
			if _, hash := s1.JA3S(); len(hash) != md5HexLen || s1.JA3SHash() != hash {
				t.Fatalf("JA3S hash %q, JA3SHash %q", hash, s1.JA3SHash())
			}
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

// observed is a Handshake's comparable facts.
type observed struct {
	summary
	Alerts         []Alert
	Connect        *Connect
	ServerDone     bool
	Encrypted      [2]bool
	ClientFinished bool
}

func observe(h *Handshake) observed {
	return observed{summarize(h), h.Alerts, h.Connect, h.ServerDone, h.Encrypted, h.ClientFinished}
}

// fuzzFollow is the bit of a conversation's first head byte that runs it
// with Follow as well (bit 0 is the direction, bit 7 a gap before the data).
const fuzzFollow = 0x40

func FuzzObserver(f *testing.F) {
	c, fl := realHandshakes(f), failingHandshakes(f)
	convs := [][]chunk{c.tls12SNI, c.tls12NoSNI, c.tls13, c.resumed12, c.hrr, fl.untrusted12, fl.untrusted13, fl.version,
		{{0, []byte("CONNECT tools.example.com:443 HTTP/1.1\r\n\r\n")}, {1, []byte("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")}},
		append([]chunk{{0, []byte("CONNECT tools.example.com:443 HTTP/1.1\r\n\r\n")}, {1, []byte("HTTP/1.1 200 OK\r\n\r\n")}}, c.tls12SNI...),
	}
	for _, sc := range sampleConns(f) {
		convs = append(convs, sc.chunks)
	}
	for _, ch := range convs {
		b := encodeConversation(ch)
		f.Add(b)
		followed := append([]byte(nil), b...)
		followed[0] |= fuzzFollow
		f.Add(followed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		run := func(split int, follow bool) *Handshake {
			o := NewObserver()
			if follow {
				o.Follow()
			}
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
			return o.Handshake()
		}
		check := func(h *Handshake) {
			if len(h.Alerts) > maxAlerts {
				t.Fatalf("%d alerts kept", len(h.Alerts))
			}
			if c := h.Connect; c != nil && (c.Authority == "" || len(c.Authority) > maxAuthority || len(c.Reason) > maxReason) {
				t.Fatalf("bad Connect %+v", c)
			}
		}
		whole, small := run(1<<30, false), run(3, false)
		check(whole)
		if w, s := observe(whole), observe(small); !reflect.DeepEqual(w, s) {
			t.Fatalf("chunking changed the answer:\n%+v\n%+v", w, s)
		}
		if len(b) == 0 || b[0]&fuzzFollow == 0 {
			return
		}
		fw, fs := run(1<<30, true), run(3, true)
		check(fw)
		if w, s := observe(fw), observe(fs); !reflect.DeepEqual(w, s) {
			t.Fatalf("Follow: chunking changed the answer:\n%+v\n%+v", w, s)
		}
		// Follow reads on without changing the fields decided before.
		plain, followed := observe(whole), observe(fw)
		plain.Anomalies, followed.Anomalies = nil, nil
		plain.Alerts, followed.Alerts = nil, nil
		followed.ServerDone = followed.ServerDone && plain.ServerDone
		followed.ClientFinished = followed.ClientFinished && plain.ClientFinished
		followed.Encrypted[0] = followed.Encrypted[0] && plain.Encrypted[0]
		followed.Encrypted[1] = followed.Encrypted[1] && plain.Encrypted[1]
		if !reflect.DeepEqual(plain, followed) {
			t.Fatalf("Follow changed the fields:\n%+v\n%+v", plain, followed)
		}
		// What Follow adds is bounded: per direction, the capped late
		// anomalies, and one for the failure or gap that stopped it.
		if len(fw.Anomalies) > len(whole.Anomalies)+2*(maxLateAnomalies+1) {
			t.Fatalf("Follow added %d anomalies", len(fw.Anomalies)-len(whole.Anomalies))
		}
		if !isSubsequence(whole.Anomalies, fw.Anomalies) || !isPrefix(whole.Alerts, fw.Alerts) {
			t.Fatalf("Follow lost anomalies or alerts: %q %v, then %q %v", whole.Anomalies, whole.Alerts, fw.Anomalies, fw.Alerts)
		}
	})
}
