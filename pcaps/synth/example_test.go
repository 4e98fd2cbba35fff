package synth_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/tsid-project/tsid/pcaps/synth"
)

func ExampleHandshake() {
	now := time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)
	ca, err := synth.NewIdentity(synth.CertSpec{
		KeySeed: "example ca", Serial: 1, CA: true, Subject: pkix.Name{CommonName: "Test Issuing CA"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0),
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	leaf, err := synth.NewIdentity(synth.CertSpec{
		KeySeed: "www.example.com", Serial: 2, Subject: pkix.Name{CommonName: "www.example.com"},
		DNSNames: []string{"www.example.com"}, NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(1, 0, 0),
	}, ca)
	if err != nil {
		log.Fatal(err)
	}
	conv, err := synth.Handshake(synth.Config{
		Client: netip.MustParseAddrPort("192.0.2.10:50000"), Server: netip.MustParseAddrPort("198.51.100.1:443"),
		ServerName: "www.example.com", MaxVersion: tls.VersionTLS12,
		Cert: leaf, Verify: true, Time: now, Seed: "example",
	})
	if err != nil {
		log.Fatal(err)
	}

	var file bytes.Buffer
	w, err := synth.NewWriter(&file, synth.Options{Link: synth.Ethernet, Start: now})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.WriteConversation(&conv, synth.TCP{ClientISN: 1000, ServerISN: 5000}); err != nil {
		log.Fatal(err)
	}

	flows, _, err := synth.Decode(&file)
	if err != nil {
		log.Fatal(err)
	}
	f := flows[0]
	fmt.Println(tls.VersionName(conv.Version), f.Client, "->", f.Server)
	fmt.Println("server stream as recorded:", bytes.Equal(f.Streams[synth.Server], conv.Stream(synth.Server)))
	// Output:
	// TLS 1.2 192.0.2.10:50000 -> 198.51.100.1:443
	// server stream as recorded: true
}
