package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tsid-project/tsid/analysis"
)

// Versions wider than "1.2" and rows after the sizing sample that are
// wider than their column must not break the table.
func TestTableOddWidths(t *testing.T) {
	rec := func(ver, src string) *analysis.Record {
		return &analysis.Record{Time: analysis.Time(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)),
			Client: "10.0.0.1:50000", Server: "10.0.0.2:443", TLSVersion: ver,
			SNI: "a.example", URL: "https://a.example", HostSource: src}
	}
	for _, tc := range []struct {
		name  string
		first []*analysis.Record // the sizing rows
		later *analysis.Record
		want  string
	}{
		{"ssl3 sized", []*analysis.Record{rec("SSL 3.0", "sni")}, nil, "SSL 3.0"},
		{"unknown version sized", []*analysis.Record{rec("0x7f1c", "sni")}, nil, "0x7f1c"},
		{"ssl3 after the sample", []*analysis.Record{rec("TLS 1.2", "sni")}, rec("SSL 3.0", "sni"), "SSL"},
		{"long source after the sample", []*analysis.Record{rec("TLS 1.2", "cn")}, rec("TLS 1.2", "sni-and-more"), "sni-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w := New("table", &b, Options{Quiet: true})
			for _, r := range tc.first {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if tc.later != nil {
				for range tableSample {
					if err := w.Write(tc.first[0]); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Write(tc.later); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(&analysis.Summary{}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, tc.want) || !strings.Contains(last, "https://a.example") {
				t.Errorf("last row %q, want %q in it\n%s", last, tc.want, b.String())
			}
		})
	}
}
