package report

import (
	"bytes"
	"fmt"
	"regexp"
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

// At 80 columns a very long SNI is cut in the middle, TLS, From and the
// ports move below the row, and no line is wider, the lines under the row
// included; the JSON keeps the name whole.
func TestTableWidth80(t *testing.T) {
	sni := "login-" + strings.Repeat("abcdefghij", 20) + ".tools.example.com"
	ok := true
	rec := &analysis.Record{File: "/captures/site-a/branch-office-uplink.pcap",
		Time:   analysis.Time(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)),
		Client: "10.0.0.1:50000", Server: "10.0.0.2:443", TLSVersion: "TLS 1.2",
		SNI: sni, SNIStatus: analysis.SNIPresent, Host: sni, HostSource: "sni", URL: "https://" + sni,
		Flags:       []string{"near-miss:" + sni, "host-differs", "profiles-disagree", "sni-mismatch", "wildcard"},
		ServerNames: []string{sni, "b." + sni},
		Profiles: map[string]analysis.HostPick{
			"ftd": {Host: sni, HostSource: "sni", Agrees: &ok}, "snort3": {Host: "cn.example", HostSource: "cn"},
		},
		Chain: []string{"subject=CN=" + sni + ",O=Example issuer=CN=Test CA valid=2026-06-01..2027-06-01"},
		Explain: &analysis.Explained{
			Candidates: []analysis.Candidate{{Field: "sni", Value: sni}, {Field: "leaf cn", Value: "cn.example"}},
		},
		Logged:  &analysis.Logged{Host: "toos.example.com", URL: "https://toos.example.com", Event: "connection", Action: "Allow"},
		Verdict: &analysis.Verdict{Name: sni, Action: "interactive-block", Rule: &analysis.RuleRef{Source: "/etc/tsid/rules/branch-offices.txt:12", Text: "interactive-block *.tools.example.com"}, Why: strings.Repeat("the rule matches the host ", 8)},
		IntendedVerdict: &analysis.Verdict{Name: "tools.example.com", From: "dns", Action: "allow",
			Rule: &analysis.RuleRef{Source: "/etc/tsid/rules/branch-offices.txt:3", Text: "allow tools.example.com"}},
	}
	rec.Flags = append(rec.Flags, analysis.FlagLoggedDiffers)
	for _, tc := range []struct {
		o    Options
		fits bool
	}{
		{Options{Width: 80}, true},
		{Options{Width: 80, AllProfiles: true, Explain: true}, true},
		// Time, File, the addresses, SNI, URL, Action and Rule need some
		// 96 columns with names cut to 9 runes.
		{Options{Width: 100, AllProfiles: true, Explain: true, Rules: true, Files: true}, true},
		{Options{Width: 60, Rules: true, Files: true}, false}, // as narrow as it gets
	} {
		o := tc.o
		t.Run(fmt.Sprintf("width=%d/rules=%v/files=%v/explain=%v", o.Width, o.Rules, o.Files, o.Explain), func(t *testing.T) {
			var b bytes.Buffer
			w := New("table", &b, o)
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(&analysis.Summary{Files: 1}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			lines := strings.Split(out, "\n")
			head, row := lines[0], lines[1]
			for i, l := range lines {
				if n := width(l); n > o.Width && (tc.fits || i > 1) {
					t.Errorf("line %d is %d runes wide, more than %d: %q", i+1, n, o.Width, l)
				}
			}
			for _, h := range []string{"First Packet (UTC)", "Initiator", "Responder"} {
				if !strings.Contains(head, h) {
					t.Errorf("header %q lacks %q", head, h)
				}
			}
			if o.Rules && (!strings.Contains(head, "Action") || !strings.HasSuffix(head, "Rule")) {
				t.Errorf("header %q lacks Action and Rule", head)
			}
			if o.Files && !strings.HasPrefix(row, "bran") {
				t.Errorf("row %q does not start with the capture's base name", row)
			}
			if !strings.Contains(row, "10.0.0.1 ") || !strings.Contains(row, "10.0.0.2 ") {
				t.Errorf("row %q: want both addresses", row)
			}
			// The SNI and the URL are either columns, cut in the middle (both
			// ends stay), or below the row, cut only to its width.
			below := strings.Join(lines[2:], "\n")
			for _, n := range []struct{ head, short, sub, start string }{
				{"SSL Server Name", "SNI", "sni ", "logi"},
				{"URL", "", "url ", "http"},
			} {
				inRow := strings.Contains(head, n.head) || n.short != "" && strings.Contains(head, n.short)
				switch {
				case inRow && !regexp.MustCompile(`  `+n.start+`\S*…\S*\.example\.com( |$)`).MatchString(row):
					t.Errorf("row %q: want the %s cut in the middle", row, n.head)
				case !inRow && !strings.Contains(below, "    "+n.sub+n.start):
					t.Errorf("%s neither a column nor below the row:\n%s", n.head, out)
				}
			}
			if !strings.Contains(below, "tls 1.2, from sni,") || !strings.Contains(below, "ports 50000 -> 443") {
				t.Errorf("no line below the row with what moved:\n%s", out)
			}
			if t.Failed() {
				t.Logf("the table:\n%s", out)
			}
		})
	}
}

// With no width the table is as it always was: lists wrap at 120.
func TestWrapListAt(t *testing.T) {
	items := []string{strings.Repeat("a", 50), strings.Repeat("b", 50), strings.Repeat("c", 14), "d"}
	for _, tc := range []struct {
		width int
		want  string
	}{
		{0, "    flags: " + items[0] + ", " + items[1] + ",\n           " + items[2] + ", d"},
		// 120 with the comma: "…b, ccc…c," would be 121 wide
		{120, "    flags: " + items[0] + ", " + items[1] + ",\n           " + items[2] + ", d"},
		{40, "    flags: aaaaaaaaaaaaa…aaaaaaaaaaaaaa,\n           bbbbbbbbbbbbb…bbbbbbbbbbbbbb,\n           cccccccccccccc, d"},
	} {
		if got := wrapListAt("    flags: ", items, tc.width); got != tc.want {
			t.Errorf("width %d:\n%s\nwant\n%s", tc.width, got, tc.want)
		}
	}
	if got, want := wrapList("x: ", []string{"a", "b"}), "x: a, b"; got != want {
		t.Errorf("wrapList = %q, want %q", got, want)
	}
}

func TestFoldLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		w    int
		want string
	}{
		{"    logged: one two three four", 22, "    logged: one two\n            three four"},
		{"      [0] subject=CN=a issuer=CN=b", 24, "      [0] subject=CN=a\n          issuer=CN=b"},
		{"    x: " + strings.Repeat("z", 30), 20, "    x: zzzzzzzzzzzzz\n       zzzzzzzzzzzzz\n       zzzz"},
		{"short", 20, "short"},
	} {
		if got := foldLine(tc.line, tc.w); got != tc.want {
			t.Errorf("foldLine(%q, %d) =\n%s\nwant\n%s", tc.line, tc.w, got, tc.want)
		}
	}
}

// TestTableKeepsNames: at any width the logged URL and the SNI of an
// ordinary connection are shown whole, in the row or below it, never cut
// to "http…o.com": the table exists to show "toos" against "tools".
func TestTableKeepsNames(t *testing.T) {
	rec := func(file, sni, url string) *analysis.Record {
		return &analysis.Record{File: file, Time: analysis.Time(time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)),
			Client: "10.12.1.8:51514", Server: "72.163.4.38:443", TLSVersion: "TLS 1.2",
			SNI: sni, SNIStatus: analysis.SNIPresent, URL: url, HostSource: "san"}
	}
	recs := []*analysis.Record{
		rec("/captures/field-case.pcap", "", "https://toos.cisco.com"),
		rec("/captures/field-case-sni.pcap", "tools.cisco.com", "https://tools.cisco.com"),
	}
	for w := 60; w <= 140; w += 5 {
		for _, o := range []Options{{Width: w}, {Width: w, Files: true}, {Width: w, Files: true, Rules: true}} {
			var b bytes.Buffer
			tw := New("table", &b, o)
			for _, r := range recs {
				if err := tw.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := tw.Close(&analysis.Summary{Files: 2}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, name := range []string{"https://toos.cisco.com", "https://tools.cisco.com", " tools.cisco.com"} {
				if !strings.Contains(out, name) {
					t.Errorf("width %d, files %v, rules %v: %q not shown whole:\n%s", w, o.Files, o.Rules, name, out)
				}
			}
		}
	}
}
