package analysis_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/tsid-project/tsid/analysis"
)

// The field case: no SNI, and the certificate's first SAN is
// toos.cisco.com, which FTD logs instead of tools.cisco.com.
func Example() {
	f, err := os.Open("../testdata/samples/field-case.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	an := analysis.New(analysis.Options{}) // the ftd profile
	sum, err := an.Analyze(context.Background(), "field-case.pcap", f, func(r *analysis.Record) {
		fmt.Printf("%s -> %s sni=%q (%s)\n", r.Client, r.Server, r.SNI, r.SNIStatus)
		fmt.Printf("logged: %s from the %s\n", r.URL, r.HostSource)
		fmt.Printf("flags: %v\n", r.Flags)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d TLS connection, %d without SNI\n", sum.TLS, sum.NoSNI)
	// Output:
	// 10.12.1.8:51514 -> 72.163.4.38:443 sni="" (absent)
	// logged: https://toos.cisco.com from the san
	// flags: [no-sni near-miss:tools.cisco.com host-differs profiles-disagree]
	// 1 TLS connection, 1 without SNI
}
