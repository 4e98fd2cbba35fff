package urlrules

import (
	"strings"
	"testing"
)

// TestEdgeCases covers what url-matching.md §7 leaves to tsid: IDN, ports,
// trailing dots, path case, boundaries, wildcards in objects, IP hosts.
func TestEdgeCases(t *testing.T) {
	tests := []struct {
		kind, entry, target string
		want                Result
		why                 string // the reason contains this
	}{
		// IDN: A-labels on both sides.
		{"obj", "bücher.example", "xn--bcher-kva.example", Match, ""},
		{"obj", "xn--bcher-kva.example", "www.bücher.example", Match, ""},
		{"obj", "bücher.example", "https://www.BÜCHER.example/", Match, ""},
		{"obj", "example", "\xff.example", Match, "no valid IDN"},
		{"si", "xn--bcher-kva.example", "bücher.example", Match, ""},
		{"dns", "xn--bcher-kva.example", "www.bücher.example.", Match, ""},
		// Ports.
		{"obj", "cisco.com", "http://tools.cisco.com:8080/x", Match, "port :8080 of the host ignored"},
		{"obj", "cisco.com:8080", "http://tools.cisco.com:8080/x", Unspecified, "without it: match"},
		// A port cannot make an entry match another host (issue 10).
		{"obj", "cisco.com:8080", "http://example.com:8080/x", NoMatch, "whatever the undocumented port :8080"},
		{"obj", "tools.cisco.com:443", "toos.cisco.com", NoMatch, "port :443"},
		{"si", "tools.cisco.com:443", "toos.cisco.com", NoMatch, "port :443"},
		{"si", "tools.cisco.com:443", "tools.cisco.com", Unspecified, "without it: match"},
		{"obj", "[2001:db8::1]", "http://[2001:db8::1]:8080/", Match, "port :8080"},
		{"si", "cisco.com", "http://cisco.com:8080/", Match, "port :8080"},
		// Trailing dots.
		{"obj", "tools.cisco.com.", "tools.cisco.com", Unspecified, "without the dot: match"},
		{"obj", "tools.cisco.com.", "tools.cisco.com.", Match, ""},
		{"obj", "cisco.com", "example.com.", NoMatch, ""},
		{"si", "cisco.com.", "cisco.com.", Match, ""},
		{"si", "cisco.com.", "cisco.com", Unspecified, "trailing dot"},
		{"dns", "cisco.com", "tools.cisco.com.", Match, ""}, // fully qualified query names are normal
		// Case.
		{"obj", "cisco.com", "HTTPS://TOOLS.CISCO.COM", Match, ""},
		{"obj", "cisco.com/Docs", "http://cisco.com/docs", Unspecified, "case of the path"},
		{"obj", "cisco.com/Docs", "http://cisco.com/Docs/x", Match, ""},
		// Substring boundaries, protocols, path-only entries.
		{"obj", "isco.com/c", "http://www.cisco.com/c", Unspecified, "not at its start"},
		{"obj", "/c/en", "https://cisco.com", Unspecified, "no path"},
		{"obj", "/c/en", "http://cisco.com/c/en", Unspecified, "not at its start"},
		{"obj", "/c/en", "http://cisco.com/x", NoMatch, ""},
		{"obj", "https://tools.cisco.com", "https://tools.cisco.com", Match, ""},
		{"obj", "https://tools.cisco.com", "http://tools.cisco.com/x", Unspecified, "protocol"},
		{"obj", "https://tools.cisco.com", "http://example.com/x", NoMatch, ""},
		{"obj", "example.com/x", "https://cisco.com", NoMatch, ""},
		{"obj", ".cisco.com", "cisco.com", NoMatch, ""},
		{"obj", "cisco.com", "", NoMatch, "no URL"},
		{"obj", "/", "", NoMatch, "no URL"},
		{"obj", "cisco.com", "http:///x", NoMatch, "no host"},
		// '*' is a plain character in objects.
		{"obj", "*.cisco.com", "*.cisco.com", Match, ""},
		// SI wildcards, exact entries, paths, addresses.
		{"si", "example.*/", "example.de", Match, "exact"},
		{"si", "example.*/", "www.example.de", NoMatch, ""},
		{"si", "*.cisco.com/", "cisco.com", Unspecified, "likely no"},
		{"si", "*.*.cisco.com", "a.cisco.com", Unspecified, "likely no"},
		{"si", "cisco.com/docs", "https://www.cisco.com/docs/a", Match, "prefix match assumed"},
		{"si", "cisco.com/docs", "https://cisco.com/docs", Match, "same name"},
		{"si", "cisco.com/docs", "cisco.com", Unspecified, "no path known"},
		{"si", "example.com", "10.0.0.1", NoMatch, "IP address host"},
		{"si", "10.0.0.*", "10.0.0.1.example", NoMatch, "IPv4 entry"},
		{"si", "10.0.0.*", "http://10.0.0.7:8080/", Match, "same address"},
		{"si", "cisco.com", "", NoMatch, "no host"},
		// Invalid entries never match, and say so.
		{"si", "cisc*.com", "cisco.com", NoMatch, "invalid entry"},
		{"obj", "", "cisco.com", NoMatch, "invalid entry"},
	}
	for _, tc := range tests {
		var got Result
		var why string
		switch tc.kind {
		case "obj":
			got, why = MatchObject(tc.entry, tc.target)
		case "si":
			got, why = MatchSI(tc.entry, tc.target)
		case "dns":
			got, why = MatchDNS(tc.entry, tc.target)
		}
		if got != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("%s %q against %q = %s (%s), want %s with %q", tc.kind, tc.entry, tc.target, got, why, tc.want, tc.why)
		}
	}
}

func TestObjectWarnings(t *testing.T) {
	tests := []struct {
		entry string
		want  []string // each is in some warning; nil means no warning
	}{
		{"cisco.com", nil},
		{".cisco.com", nil},
		{"cisco.com:443", []string{"port :443"}},
		{"tools.cisco.com.", []string{"trailing dot"}},
		{"*.cisco.com", []string{"no wildcards"}},
		{"http://cisco.com", []string{"protocol http://"}},
		{"cisco.com/c/en", []string{"path in"}},
		{"Cisco.com", []string{"upper case"}},
		{"bücher.example", []string{"A-label xn--bcher-kva.example"}},
		{"example.com/ü", []string{"path in", "non-ASCII path"}},
	}
	for _, tc := range tests {
		_, warns, err := ParseObject(tc.entry)
		if err != nil {
			t.Errorf("%q: %v", tc.entry, err)
			continue
		}
		all := strings.Join(warns, "\n")
		if (tc.want == nil) != (len(warns) == 0) {
			t.Errorf("%q: warnings %q, want %q", tc.entry, warns, tc.want)
		}
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%q: warnings %q lack %q", tc.entry, warns, w)
			}
		}
	}
}
