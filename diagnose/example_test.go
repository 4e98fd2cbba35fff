package diagnose_test

import (
	"context"
	"fmt"

	"github.com/tsid-project/tsid/diagnose"
)

func ExampleNew() {
	d := diagnose.New(diagnose.Options{})
	if err := d.Add(context.Background(), "../testdata/diagnose/tcp-syn-unanswered.pcap", nil); err != nil {
		fmt.Println(err)
		return
	}
	for _, dst := range d.Destinations() {
		fmt.Printf("%s (from %s): %d connections, %d failed\n", dst.Name, dst.NameFrom, dst.Connections, dst.Failed)
		for _, f := range dst.Findings {
			fmt.Printf("  %s: %s\n", f.Code, f.Evidence)
		}
	}
	// Output:
	// tools.cisco.com (from dns): 1 connections, 1 failed
	//   tcp-no-answer: 3 SYNs to 72.163.4.38:443 over 3s, no answer
}
