package tlsparse_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/tsid-project/tsid/tlsparse"
	"golang.org/x/crypto/cryptobyte"
)

func ExampleParseCertificate() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tools.example.com", OrganizationalUnit: []string{"Ops"}},
		DNSNames:     []string{"toos.example.com", "tools.example.com"},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	c, err := tlsparse.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Subject)
	fmt.Println(c.CN, c.OUs, c.SANs)
	fmt.Println(c.SelfSigned, c.NotAfter.Format(time.DateOnly))
	// Output:
	// CN=tools.example.com,OU=Ops
	// tools.example.com [Ops] [{dns toos.example.com} {dns tools.example.com}]
	// true 2025-01-01
}

func ExampleObserver() {
	// A ClientHello with SNI, sent by direction 1 (the observer works out
	// which side is the client), and a TLS 1.3 ServerHello from direction 0.
	var ch cryptobyte.Builder
	ch.AddUint8(1) // client_hello
	ch.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(0x0303)
		b.AddBytes(make([]byte, 32)) // random
		b.AddUint8(0)                // session_id
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0x1301) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(0) // server_name
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint8(0) // host_name
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("Example.COM.")) })
				})
			})
		})
	})
	var sh cryptobyte.Builder
	sh.AddUint8(2) // server_hello
	sh.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(0x0303)
		b.AddBytes(make([]byte, 32))
		b.AddUint8(0)
		b.AddUint16(0x1301)
		b.AddUint8(0)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(43) // supported_versions: TLS 1.3
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0x0304) })
		})
	})
	record := func(msg []byte) []byte {
		return append([]byte{22, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
	}

	var o tlsparse.Observer
	o.Data(1, record(ch.BytesOrPanic()))
	done := o.Data(0, record(sh.BytesOrPanic()))
	h := o.Handshake()
	fmt.Println(done, h.ClientDir, h.ClientHello.SNI, h.Version, h.Status)
	// Output:
	// true 1 Example.COM. TLS 1.3 encrypted
}
