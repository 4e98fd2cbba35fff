package report_test

import (
	"context"
	"log"
	"os"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/report"
)

// The field case as tsid analyze shows it.
func Example() {
	f, err := os.Open("../testdata/samples/field-case.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	w := report.New("table", os.Stdout, report.Options{})
	sum, err := analysis.New(analysis.Options{}).Analyze(context.Background(), "field-case.pcap", f,
		func(r *analysis.Record) { w.Write(r) })
	if err != nil {
		log.Fatal(err)
	}
	w.Close(&sum)
	// Output:
	// First Packet (UTC)   Initiator IP:Port  Responder IP:Port  TLS  SSL Server Name  URL                     From
	// 2026-11-02 09:15:00  10.12.1.8:51514    72.163.4.38:443    1.2  -                https://toos.cisco.com  san
	//     flags: no-sni, near-miss:tools.cisco.com, host-differs, profiles-disagree
	//
	// files 1, packets 18, TCP connections 1, TLS connections 1, without SNI 1, flagged 1, evicted 0
}
