package tlsparse

import "testing"

// printHellos returns hellos that differ from a base one in one field
// each that JA3 or JA4 reads, and the base itself twice.
func printHellos(t *testing.T) []*ClientHello {
	base := func() *ClientHello {
		return &ClientHello{
			Version:             0x0303,
			CipherSuites:        []uint16{0x1301, 0x1302, 0xc02f, 0x0a0a},
			Extensions:          []uint16{0, 10, 11, 13, 16, 43, 0x1a1a},
			SupportedGroups:     []uint16{29, 23},
			PointFormats:        []uint8{0},
			SupportedVersions:   []Version{0x0304, 0x0303},
			SignatureAlgorithms: []uint16{0x0403, 0x0804},
			ALPN:                []string{"h2", "http/1.1"},
		}
	}
	var hs []*ClientHello
	for _, change := range []func(*ClientHello){
		func(*ClientHello) {},
		func(*ClientHello) {},
		func(ch *ClientHello) { ch.Version = 0x0301 },
		func(ch *ClientHello) { ch.SSLv2 = true },
		func(ch *ClientHello) { ch.CipherSuites = ch.CipherSuites[1:] },
		func(ch *ClientHello) { ch.CipherSuites = []uint16{0x1302, 0x1301, 0xc02f} }, // JA3 only: JA4 sorts
		func(ch *ClientHello) { ch.Extensions = ch.Extensions[1:] },                  // no SNI
		func(ch *ClientHello) { ch.SupportedGroups = []uint16{23, 29} },
		func(ch *ClientHello) { ch.PointFormats = []uint8{0, 1} },
		func(ch *ClientHello) { ch.SupportedVersions = []Version{0x0303} },
		func(ch *ClientHello) { ch.SignatureAlgorithms = nil },
		func(ch *ClientHello) { ch.ALPN = []string{"http/1.1"} },
		func(ch *ClientHello) { ch.SNI = "other.example.com" }, // in no fingerprint
	} {
		ch := base()
		change(ch)
		hs = append(hs, ch)
	}
	r := realHandshakes(t)
	for _, s := range [][]chunk{r.tls12SNI, r.tls12NoSNI, r.tls13, r.tls12SNI} {
		ch, err := ParseClientHello(handshakeMessages(t, stream(s, 0))[0])
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, ch)
	}
	return hs
}

// TestFingerprintCache: the cache gives what the hellos' own methods give,
// for repeated hellos, hellos that differ in one input, every transport,
// and when every hash collides.
func TestFingerprintCache(t *testing.T) {
	hellos := printHellos(t)
	collide := NewFingerprintCache()
	collide.collide = true
	for name, c := range map[string]*FingerprintCache{"nil": nil, "cache": NewFingerprintCache(), "collisions": collide} {
		for round := range 2 { // the second round finds everything cached
			for i, ch := range hellos {
				for _, tr := range []byte{JA4TCP, JA4QUIC} {
					ja3, ja4 := c.Client(ch, tr)
					if want := ch.JA3Hash(); ja3 != want {
						t.Errorf("%s, round %d, hello %d: JA3 %s, want %s", name, round, i, ja3, want)
					}
					if want := ch.JA4(tr); ja4 != want {
						t.Errorf("%s, round %d, hello %d: JA4(%c) %s, want %s", name, round, i, tr, ja4, want)
					}
				}
			}
		}
		servers := []*ServerHello{
			{Version: 0x0303, CipherSuite: 0x1301, Extensions: []uint16{43, 51}},
			{Version: 0x0303, CipherSuite: 0x1301, Extensions: []uint16{43, 51}},
			{Version: 0x0303, CipherSuite: 0x1302, Extensions: []uint16{43, 51}},
			{Version: 0x0303, CipherSuite: 0x1301, Extensions: []uint16{51, 43}},
			{Version: 0x0301, CipherSuite: 0x1301, Extensions: []uint16{43, 51}},
			{Version: 0x0303, CipherSuite: 0x1301},
		}
		for round := range 2 {
			for i, sh := range servers {
				if got, want := c.Server(sh), sh.JA3SHash(); got != want {
					t.Errorf("%s, round %d, server hello %d: JA3S %s, want %s", name, round, i, got, want)
				}
			}
		}
	}
}

// TestFingerprintCacheBound: the cache holds at most
// fingerprintCacheMax hellos of each kind.
func TestFingerprintCacheBound(t *testing.T) {
	c := NewFingerprintCache()
	for i := range fingerprintCacheMax + 10 {
		ch := &ClientHello{Version: 0x0303, CipherSuites: []uint16{uint16(i)}}
		c.Client(ch, JA4TCP)
		c.Server(&ServerHello{Version: 0x0303, CipherSuite: uint16(i)})
	}
	if n := len(c.client); n > fingerprintCacheMax {
		t.Errorf("%d client hellos cached, want at most %d", n, fingerprintCacheMax)
	}
	if n := len(c.server); n > fingerprintCacheMax {
		t.Errorf("%d server hellos cached, want at most %d", n, fingerprintCacheMax)
	}
}

func BenchmarkFingerprintCache(b *testing.B) {
	ch, err := ParseClientHello(handshakeMessages(b, stream(realHandshakes(b).tls13, 0))[0])
	if err != nil {
		b.Fatal(err)
	}
	c := NewFingerprintCache()
	b.ReportAllocs()
	for b.Loop() {
		c.Client(ch, JA4TCP)
	}
}
