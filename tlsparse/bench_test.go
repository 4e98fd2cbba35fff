package tlsparse

import (
	"crypto/sha256"
	"testing"
)

func BenchmarkClientHello(b *testing.B) {
	msg := handshakeMessages(b, stream(realHandshakes(b).tls13, 0))[0]
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := ParseClientHello(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCertificate(b *testing.B) {
	var der []byte
	for _, m := range handshakeMessages(b, stream(realHandshakes(b).tls12SNI, 1)) {
		if cm, err := ParseCertificateMsg(m, false); err == nil {
			der = cm.Certs[0]
		}
	}
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		sum := sha256.Sum256(der)
		for b.Loop() {
			if _, err := parseCertificate(der, sum); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseCertificate(der); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkObserver feeds a whole TLS 1.2 handshake, packet-sized writes
// as crypto/tls made them; the certificates come from the cache.
func BenchmarkObserver(b *testing.B) {
	chunks := realHandshakes(b).tls12SNI
	o := NewObserver()
	n := 0
	for _, c := range chunks {
		n += len(c.data)
	}
	b.ReportAllocs()
	b.SetBytes(int64(n))
	for b.Loop() {
		o.Reset()
		feedChunks(o, chunks, false)
		if o.Handshake().Status != CertPresent {
			b.Fatal("no certificate")
		}
	}
}

// BenchmarkObserverRecords measures the per-packet path once a connection
// is decided (here: not TLS), which is what most packets of a long
// connection cost.
func BenchmarkObserverRecords(b *testing.B) {
	o := NewObserver()
	o.Data(0, []byte("GET / HTTP/1.1\r\n"))
	rec := make([]byte, 1400)
	b.ReportAllocs()
	for b.Loop() {
		o.Data(0, rec)
	}
}
