package urlrules

import (
	"strings"
	"testing"
)

// TestWorkedExamples is url-matching.md §8, rows 1–37. Rows about a
// profile (15–19, 24) give the host that profile logs for the flow, per
// tsid-model.md §3: the field case (no SNI, CN tools.cisco.com, first SAN
// toos.cisco.com) is logged as toos.cisco.com by ftd and as tools.cisco.com
// by snort3, snort-open and cisco-doc.
func TestWorkedExamples(t *testing.T) {
	const (
		obj = "obj"
		si  = "si"
		dns = "dns"
	)
	tests := []struct {
		row     int
		kind    string
		entry   string
		target  string
		want    Result
		invalid string // ParseX error contains this (row is "invalid")
		warn    string // ParseX warns with this
	}{
		{1, obj, "cisco.com", "tools.cisco.com", Match, "", ""},
		{2, obj, "cisco.com", "toos.cisco.com", Match, "", ""},
		{3, obj, "tools.cisco.com", "tools.cisco.com", Match, "", ""},
		{4, obj, "tools.cisco.com", "toos.cisco.com", NoMatch, "", ""},
		{5, obj, "toos.cisco.com", "tools.cisco.com", NoMatch, "", ""},
		{6, obj, "ign.com", "verisign.com", NoMatch, "", ""},
		{7, obj, "cisco.com", "cisco.com.evil.example", Unspecified, "", ""},
		{8, obj, ".cisco.com", "tools.cisco.com", Match, "", ""},
		{9, obj, "Tools.Cisco.com", "tools.cisco.com", Match, "", "assumed"},
		{10, obj, "*.cisco.com", "tools.cisco.com", NoMatch, "", "no wildcards"},
		{11, obj, "http://tools.cisco.com", "https://tools.cisco.com", Unspecified, "", "protocol"},
		{12, obj, "cisco.com/c/en", "http://www.cisco.com/c/en/us/index.html", Match, "", ""},
		{13, obj, "cisco.com/c/en", "http://evil.example/r?u=www.cisco.com/c/en", Match, "", ""},
		{14, obj, "cisco.com/", "https://cisco.com", Unspecified, "", "path"},
		// 15: field case, profile ftd logs the first SAN.
		{15, obj, "tools.cisco.com", "toos.cisco.com", NoMatch, "", ""},
		// 16: snort3, snort-open and cisco-doc log the CN.
		{16, obj, "tools.cisco.com", "tools.cisco.com", Match, "", ""},
		// 17: ftd logs toos.cisco.com; Cisco's workaround entry.
		{17, obj, "toos.cisco.com", "toos.cisco.com", Match, "", ""},
		// 18: every profile's host ends in .cisco.com.
		{18, obj, "cisco.com", "toos.cisco.com", Match, "", ""},
		{18, obj, "cisco.com", "tools.cisco.com", Match, "", ""},
		// 19: SNI toos.cisco.com, certificate *.cisco.com: SNI-first
		// profiles log the SNI; cisco-doc logs the CN *.cisco.com;
		// snort-open's CN fallback strips it to cisco.com.
		{19, obj, "tools.cisco.com", "toos.cisco.com", NoMatch, "", ""},
		{19, obj, "tools.cisco.com", "*.cisco.com", NoMatch, "", ""},
		{19, obj, "tools.cisco.com", "cisco.com", NoMatch, "", ""},
		{20, si, "cisco.com", "tools.cisco.com", Match, "", ""},
		{21, si, "cisco.com", "cisco.com.evil.example", NoMatch, "", ""},
		{22, si, "cisco.com", "mycisco.com", NoMatch, "", ""},
		{23, si, "cisco.com/", "cisco.com", Match, "", ""},
		{23, si, "cisco.com/", "tools.cisco.com", NoMatch, "", ""},
		// 24: field case, ftd logs toos.cisco.com.
		{24, si, "toos.cisco.com/", "toos.cisco.com", Match, "", ""},
		{25, si, "*.cisco.com", "tools.cisco.com", Match, "", ""},
		{25, si, "*.cisco.com", "a.b.cisco.com", Match, "", ""},
		{26, si, "*.cisco.com", "cisco.com", Unspecified, "", ""},
		{27, si, "example.*", "example.de", Match, "", ""},
		{27, si, "example.*", "example.co.uk", NoMatch, "", ""},
		{28, si, "cisc*.com", "cisco.com", NoMatch, "partial-label wildcard", ""},
		{29, si, "org", "www.edu.org", Match, "", ""},
		{30, si, "10.10.*.*", "10.10.3.4", Match, "", ""},
		{31, si, "Tools.CISCO.com", "tools.cisco.com", Match, "", ""},
		{32, si, "cisco.com/Docs", "https://cisco.com/docs", NoMatch, "", ""},
		{33, si, "bücher.example", "xn--bcher-kva.example", NoMatch, "write xn--bcher-kva.example", ""},
		{34, dns, "cisco.com", "tools.cisco.com", Match, "", ""},
		{35, dns, "www.example.*", "www.example.co", Match, "", ""},
		{36, obj, "cisco.com:443", "tools.cisco.com", Unspecified, "", "port"},
		{36, si, "cisco.com:443", "tools.cisco.com", Unspecified, "", "port"},
		{36, dns, "cisco.com:443", "tools.cisco.com", Unspecified, "", "port"},
		{37, obj, "cisco.com", "tools.cisco.com.", Unspecified, "", ""},
		{37, si, "cisco.com", "tools.cisco.com.", Unspecified, "", ""},
	}
	for _, tc := range tests {
		var (
			warns []string
			err   error
			got   Result
			why   string
		)
		switch tc.kind {
		case obj:
			var o Object
			o, warns, err = ParseObject(tc.entry)
			if err == nil {
				got, why = o.Match(tc.target)
			}
			if r, _ := MatchObject(tc.entry, tc.target); err == nil && r != got {
				t.Errorf("row %d: MatchObject = %s, Object.Match = %s", tc.row, r, got)
			}
		case si:
			var p Pattern
			p, warns, err = ParseSIEntry(tc.entry)
			if err == nil {
				got, why = p.Match(tc.target)
			}
			if r, _ := MatchSI(tc.entry, tc.target); r != got {
				t.Errorf("row %d: MatchSI = %s, Pattern.Match = %s", tc.row, r, got)
			}
		case dns:
			var p Pattern
			p, warns, err = ParseDNSEntry(tc.entry)
			if err == nil {
				got, why = p.Match(tc.target)
			}
			if r, _ := MatchDNS(tc.entry, tc.target); r != got {
				t.Errorf("row %d: MatchDNS = %s, Pattern.Match = %s", tc.row, r, got)
			}
		}
		if tc.invalid != "" {
			if err == nil || !strings.Contains(err.Error(), tc.invalid) {
				t.Errorf("row %d: %s %q: error %v, want one containing %q", tc.row, tc.kind, tc.entry, err, tc.invalid)
			}
			continue
		}
		if err != nil {
			t.Errorf("row %d: %s %q: %v", tc.row, tc.kind, tc.entry, err)
			continue
		}
		if got != tc.want {
			t.Errorf("row %d: %s %q against %q = %s (%s), want %s", tc.row, tc.kind, tc.entry, tc.target, got, why, tc.want)
		}
		t.Logf("row %d: %s %q against %q: %s (%s)", tc.row, tc.kind, tc.entry, tc.target, got, why)
		if why == "" {
			t.Errorf("row %d: no reason given", tc.row)
		}
		if tc.warn != "" && !strings.Contains(strings.Join(warns, "\n"), tc.warn) {
			t.Errorf("row %d: warnings %q lack %q", tc.row, warns, tc.warn)
		}
	}
}
