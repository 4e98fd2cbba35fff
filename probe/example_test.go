package probe_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/internal/samplepki"
	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/probe"
)

// A server presents the field case's certificate (first SAN
// toos.cisco.com, CN tools.cisco.com). Probed without SNI, as a client
// that sends none, FTD's TSID logs the first SAN.
func Example() {
	id, err := samplepki.FieldCase()
	if err != nil {
		panic(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{id.TLSCertificate()}})
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()

	t, err := probe.ParseTarget(ln.Addr().String())
	if err != nil {
		panic(err)
	}
	clock := func() time.Time { return time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC) }
	res, err := probe.Probe(context.Background(), t, probe.Options{Timeout: 5 * time.Second, Time: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	hs := res.Handshake()
	fmt.Println(res.Version, hs.Status, hs.Chain[0].DNSNames[0], hs.Chain[0].CN)
	fmt.Println("verified:", res.Verified, res.VerifyError)

	// The record tsid analyze would print for that connection, had the
	// client resolved tools.cisco.com.
	an := analysis.New(analysis.Options{})
	info := pcaps.ConnInfo{ID: 1, A: res.Local, B: res.Server, SYN: true, First: res.Start}
	r := an.Record("", info, hs, []string{"tools.cisco.com"})
	fmt.Println(r.URL, r.HostSource, r.Flags)
	// Output:
	// TLS 1.3 probed toos.cisco.com tools.cisco.com
	// verified: false x509: certificate signed by unknown authority
	// https://toos.cisco.com san [no-sni near-miss:tools.cisco.com host-differs profiles-disagree probed]
}
