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

func ExampleObserver_Follow() {
	// A TLS 1.2 server's flight (ServerHello, Certificate, ServerHelloDone),
	// then the client's fatal unknown_ca alert: it did not trust the chain.
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tools.example.com"},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	message := func(typ uint8, body func(*cryptobyte.Builder)) []byte {
		var b cryptobyte.Builder
		b.AddUint8(typ)
		b.AddUint24LengthPrefixed(body)
		return b.BytesOrPanic()
	}
	hello := func(b *cryptobyte.Builder) {
		b.AddUint16(0x0303)
		b.AddBytes(make([]byte, 32)) // random
		b.AddUint8(0)                // session_id
	}
	record := func(typ uint8, payload ...[]byte) []byte {
		var b cryptobyte.Builder
		b.AddUint8(typ)
		b.AddUint16(0x0303)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, p := range payload {
				b.AddBytes(p)
			}
		})
		return b.BytesOrPanic()
	}
	clientHello := message(tlsparse.TypeClientHello, func(b *cryptobyte.Builder) {
		hello(b)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0xc02f) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	})
	serverHello := message(tlsparse.TypeServerHello, func(b *cryptobyte.Builder) {
		hello(b)
		b.AddUint16(0xc02f)
		b.AddUint8(0)
	})
	certificate := message(tlsparse.TypeCertificate, func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(der) })
		})
	})
	done := message(tlsparse.TypeServerHelloDone, func(*cryptobyte.Builder) {})

	var o tlsparse.Observer
	o.Follow()
	o.Data(0, record(tlsparse.RecordHandshake, clientHello))
	o.Data(1, record(tlsparse.RecordHandshake, serverHello, certificate, done))
	o.Data(0, record(tlsparse.RecordAlert, []byte{tlsparse.AlertLevelFatal, 48}))
	h := o.Handshake()
	a := h.Alerts[0]
	fmt.Println(h.Status, h.Chain[0].CN, h.ServerDone)
	fmt.Println(a.FromClient, a.Level == tlsparse.AlertLevelFatal, a.Name(), a.After == tlsparse.TypeServerHelloDone)
	// Output:
	// present tools.example.com true
	// true true unknown_ca true
}

func ExampleConnect() {
	// A client asks an explicit proxy for a tunnel; the proxy wants
	// credentials, and no TLS follows.
	var o tlsparse.Observer
	o.Data(0, []byte("CONNECT tools.cisco.com:443 HTTP/1.1\r\nHost: tools.cisco.com:443\r\n\r\n"))
	o.Data(1, []byte("HTTP/1.1 407 Proxy Authentication Required\r\n"))
	o.Data(1, []byte("Proxy-Authenticate: Basic realm=\"proxy\"\r\n\r\n"))
	h := o.Handshake()
	fmt.Println(h.IsTLS, h.Connect.Authority, h.Connect.Status, h.Connect.Reason)
	// Output:
	// false tools.cisco.com:443 407 Proxy Authentication Required
}
