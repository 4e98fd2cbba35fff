package tlsparse

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// testKey returns an Ed25519 key from a fixed seed so certificates are
// byte-for-byte reproducible.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

var (
	testNotBefore = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	testNotAfter  = time.Date(2034, 1, 2, 3, 4, 5, 0, time.UTC)
)

// makeCert signs tmpl with parentKey (self-signed when parent is nil).
func makeCert(t testing.TB, tmpl, parent *x509.Certificate, key, parentKey ed25519.PrivateKey) []byte {
	t.Helper()
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(42)
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = testNotBefore, testNotAfter
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(nil, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// testCA returns a CA certificate and its key.
func testCA(t testing.TB) (*x509.Certificate, ed25519.PrivateKey) {
	t.Helper()
	key := testKey(1)
	der := makeCert(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Test Root CA", Organization: []string{"Test Org"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}, nil, key, nil)
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// testServerCert returns a CA-signed server certificate chain (leaf, CA).
func testServerCert(t testing.TB) tls.Certificate {
	t.Helper()
	ca, caKey := testCA(t)
	key := testKey(2)
	leaf := makeCert(t, &x509.Certificate{
		Subject:  pkix.Name{CommonName: "tools.example.com", OrganizationalUnit: []string{"Ops"}},
		DNSNames: []string{"toos.example.com", "tools.example.com"},
	}, ca, key, caKey)
	return tls.Certificate{Certificate: [][]byte{leaf, ca.Raw}, PrivateKey: key}
}

// chunk is what one side wrote in one Write call.
type chunk struct {
	dir  Dir // 0 = client, 1 = server
	data []byte
}

// recorder logs the writes of both sides in order.
type recorder struct {
	mu     sync.Mutex
	chunks []chunk
}

type recConn struct {
	net.Conn
	dir Dir
	r   *recorder
}

func (c recConn) Write(b []byte) (int, error) {
	c.r.mu.Lock()
	c.r.chunks = append(c.r.chunks, chunk{c.dir, bytes.Clone(b)})
	c.r.mu.Unlock()
	return c.Conn.Write(b)
}

// capture runs a crypto/tls handshake over net.Pipe and returns the bytes
// each side wrote, in order.
func capture(t testing.TB, client, server *tls.Config) []chunk {
	t.Helper()
	cp, sp := connPair(t)
	rec := new(recorder)
	cli := tls.Client(recConn{cp, 0, rec}, client)
	srv := tls.Server(recConn{sp, 1, rec}, server)
	deadline := time.Now().Add(10 * time.Second)
	cp.SetDeadline(deadline)
	sp.SetDeadline(deadline)
	errc := make(chan error, 1)
	go func() {
		err := srv.Handshake()
		if err == nil {
			_, err = srv.Write([]byte("ok"))
		} else {
			cp.Close() // unblock the client
		}
		errc <- err
	}()
	err := cli.Handshake()
	if err == nil {
		_, err = io.ReadFull(cli, make([]byte, 2))
	}
	cp.Close()
	sp.Close()
	if serr := <-errc; err != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", err, serr)
	}
	return rec.chunks
}

// connPair returns two ends of a loopback TCP connection. Unlike net.Pipe
// it buffers, which the simultaneous dummy ChangeCipherSpec writes around a
// HelloRetryRequest need.
func connPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return c, r.c
}

// stream concatenates one side's chunks.
func stream(chunks []chunk, dir Dir) []byte {
	var b []byte
	for _, c := range chunks {
		if c.dir == dir {
			b = append(b, c.data...)
		}
	}
	return b
}

// handshakeMessages splits the leading plaintext handshake records of a
// stream into messages (test helper, independent of the Observer).
func handshakeMessages(t testing.TB, s []byte) [][]byte {
	t.Helper()
	var hs []byte
	for len(s) >= 5 && s[0] == RecordHandshake {
		n := int(s[3])<<8 | int(s[4])
		hs = append(hs, s[5:5+n]...)
		s = s[5+n:]
	}
	var msgs [][]byte
	for len(hs) >= 4 {
		n := 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
		if n > len(hs) {
			break
		}
		msgs = append(msgs, hs[:n])
		hs = hs[n:]
	}
	return msgs
}

// captures holds the real handshakes the tests use, made once.
type captures struct {
	tls12SNI, tls12NoSNI, tls13, resumed12, hrr []chunk
}

var (
	capOnce sync.Once
	caps    captures
)

func realHandshakes(t testing.TB) *captures {
	t.Helper()
	capOnce.Do(func() {
		cert := testServerCert(t)
		srv := func(min, max uint16) *tls.Config {
			return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: min, MaxVersion: max}
		}
		cli := func(name string, max uint16) *tls.Config {
			return &tls.Config{ServerName: name, InsecureSkipVerify: true, MaxVersion: max, NextProtos: []string{"h2", "http/1.1"}}
		}
		caps.tls12SNI = capture(t, cli("tools.example.com", tls.VersionTLS12), srv(tls.VersionTLS12, tls.VersionTLS12))
		caps.tls12NoSNI = capture(t, cli("", tls.VersionTLS12), srv(tls.VersionTLS12, tls.VersionTLS12))
		caps.tls13 = capture(t, cli("tools.example.com", tls.VersionTLS13), srv(tls.VersionTLS12, tls.VersionTLS13))

		c := cli("tools.example.com", tls.VersionTLS12)
		c.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		s := srv(tls.VersionTLS12, tls.VersionTLS12)
		capture(t, c, s)
		caps.resumed12 = capture(t, c, s)

		c = cli("tools.example.com", tls.VersionTLS13)
		c.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
		s = srv(tls.VersionTLS13, tls.VersionTLS13)
		s.CurvePreferences = []tls.CurveID{tls.CurveP256}
		caps.hrr = capture(t, c, s)
	})
	if caps.tls12SNI == nil {
		t.Fatal("capturing handshakes failed")
	}
	return &caps
}

// ext is one extension for buildClientHello.
type ext struct {
	typ  uint16
	data []byte
}

// buildHello builds a ClientHello (typ 1) or ServerHello-like message
// body with cryptobyte.
func buildClientHello(vers uint16, sid []byte, suites []uint16, exts []ext, trailing []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(TypeClientHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(vers)
		b.AddBytes(make([]byte, 32))
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sid) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range suites {
				b.AddUint16(s)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
		if exts != nil {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, e := range exts {
					b.AddUint16(e.typ)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
				}
			})
		}
		b.AddBytes(trailing)
	})
	return b.BytesOrPanic()
}

// sniExt encodes a server_name extension body (RFC 6066, Section 3).
func sniExt(names ...ServerName) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, n := range names {
			b.AddUint8(n.Type)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(n.Name)) })
		}
	})
	return b.BytesOrPanic()
}

// record wraps a payload in one record header.
func record(typ uint8, vers uint16, payload []byte) []byte {
	return append([]byte{typ, byte(vers >> 8), byte(vers), byte(len(payload) >> 8), byte(len(payload))}, payload...)
}
