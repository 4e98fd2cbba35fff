package urlrules

import (
	"strings"
	"testing"
)

// plainHost reports a non-empty name of lower-case letters, digits, dots
// and hyphens without a trailing dot: an entry that must match itself.
func plainHost(s string) bool {
	if s == "" || hasDot(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func FuzzMatchObject(f *testing.F) {
	for _, s := range [][2]string{
		{"cisco.com", "tools.cisco.com"}, {"ign.com", "verisign.com"}, {".cisco.com", "https://a.cisco.com:8443"},
		{"http://tools.cisco.com", "https://tools.cisco.com"}, {"cisco.com/c/en", "http://evil.example/r?u=www.cisco.com/c/en"},
		{"cisco.com/", "https://cisco.com"}, {"cisco.com:443", "tools.cisco.com."}, {"Bücher.example/Pfad", "http://xn--bcher-kva.example/pfad"},
		{"[::1]:80/x", "http://[::1]:80/x"}, {"/", "://"}, {"*.x", "*.x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, entry, url string) {
		r, why := MatchObject(entry, url)
		if r > Unspecified || why == "" {
			t.Fatalf("MatchObject(%q, %q) = %d %q", entry, url, r, why)
		}
		if o, _, err := ParseObject(entry); err == nil {
			if r2, why2 := o.Match(url); r2 != r || why2 != why {
				t.Fatalf("Object.Match differs from MatchObject: %s %q / %s %q", r2, why2, r, why)
			}
		}
		if plainHost(entry) {
			if r, why := MatchObject(entry, "https://"+entry); r != Match {
				t.Fatalf("%q does not match itself: %s (%s)", entry, r, why)
			}
		}
	})
}

func FuzzMatchSI(f *testing.F) {
	for _, s := range [][2]string{
		{"cisco.com", "tools.cisco.com"}, {"*.cisco.com", "cisco.com"}, {"example.*/", "example.de."},
		{"10.10.*.*", "http://10.10.3.4/x"}, {"cisco.com/Docs", "https://cisco.com/Docs/a"}, {"org:80", "[::1]"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, entry, url string) {
		for _, m := range []func(string, string) (Result, string){MatchSI, MatchDNS} {
			if r, why := m(entry, url); r > Unspecified || why == "" {
				t.Fatalf("(%q, %q) = %d %q", entry, url, r, why)
			}
		}
		if p, _, err := ParseSIEntry(entry); err == nil && p.path == "" && !p.exact && p.port == "" && !p.dot && !p.ipv4 {
			// A wildcard-free domain entry matches itself and its subdomains.
			if !strings.Contains(entry, "*") && !strings.Contains(entry, "://") {
				for _, h := range []string{entry, "sub." + entry} {
					if r, why := p.Match(h); r != Match {
						t.Fatalf("%q against %q: %s (%s)", entry, h, r, why)
					}
				}
			}
		}
	})
}

func FuzzParseRules(f *testing.F) {
	f.Add("allow tools.cisco.com # licensing\nblock cisco.com/\n")
	f.Add("\ufeff# c\r\nmonitor x\r\ninteractive-block a b\n")
	f.Add("trust \xff\n")
	f.Fuzz(func(t *testing.T, data string) {
		rules, warns, err := ParseRules("f.rules", strings.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.rules:") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line naming f.rules:N", err)
			}
			return
		}
		for _, w := range warns {
			if !strings.HasPrefix(w.Source, "f.rules:") {
				t.Fatalf("warning %v", w)
			}
		}
		p := &Policy{Rules: rules}
		for _, r := range rules {
			if len(r.Entries) != 1 || !strings.HasPrefix(r.Source, "f.rules:") {
				t.Fatalf("rule %+v", r)
			}
			v := p.Evaluate(r.Entries[0])
			if len(v.Actions) == 0 || v.Why == "" {
				t.Fatalf("verdict %+v", v)
			}
			p.Suggest(r.Entries[0], "x.example")
		}
		for _, list := range []func() ([]Rule, []Warning, error){
			func() ([]Rule, []Warning, error) { return ParseSIList("f.rules", strings.NewReader(data), Block) },
			func() ([]Rule, []Warning, error) { return ParseDNSList("f.rules", strings.NewReader(data)) },
		} {
			if _, _, err := list(); err != nil && (!strings.HasPrefix(err.Error(), "f.rules:") || strings.Contains(err.Error(), "\n")) {
				t.Fatalf("list error %q", err)
			}
		}
	})
}

func FuzzParseFMC(f *testing.F) {
	f.Add(`{"items": [{"type": "AccessRule", "name": "R", "action": "ALLOW", "urls": {"literals": [{"type": "Url", "url": "cisco.com"}], "objects": [{"type": "UrlGroup", "name": "G"}]}}], "paging": {"count": 1}}`)
	f.Add(`{"items": [{"type": "UrlGroup", "name": "G", "objects": [{"type": "UrlGroup", "name": "G"}], "literals": [{"url": "x"}]}]}`)
	f.Add(`{"type": "AccessPolicy", "defaultAction": {"action": "TRUST"}}`)
	f.Fuzz(func(t *testing.T, data string) {
		exp, _, err := ParseFMC(Doc{"a.json", []byte(data)}, Doc{"b.json", []byte(`{"items": [{"type": "UrlGroup", "name": "G", "objects": [{"type": "Url", "name": "U", "url": "cisco.com"}]}]}`)})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "a.json") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		p := &Policy{Rules: exp.Rules, Default: exp.Default}
		p.Evaluate("tools.cisco.com")
	})
}
