package urlrules

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRules(t *testing.T) {
	const file = "\ufeff# licensing rules\r\n" +
		"allow tools.cisco.com   # Smart Licensing\r\n" +
		"\n" +
		"   monitor\tcisco.com\n" +
		"block example.com/ads\n" +
		"interactive-block social.example#frag\n" +
		"trust cdn.example:8443\n" +
		"ALLOW Bücher.example\n"
	rules, warns, err := ParseRules("p.rules", strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action Action
		entry  string
		source string
		text   string
	}{
		{Allow, "tools.cisco.com", "p.rules:2", "allow tools.cisco.com   # Smart Licensing"},
		{Monitor, "cisco.com", "p.rules:4", "monitor\tcisco.com"},
		{Block, "example.com/ads", "p.rules:5", "block example.com/ads"},
		{InteractiveBlock, "social.example#frag", "p.rules:6", "interactive-block social.example#frag"},
		{Trust, "cdn.example:8443", "p.rules:7", "trust cdn.example:8443"},
		{Allow, "Bücher.example", "p.rules:8", "ALLOW Bücher.example"},
	}
	if len(rules) != len(want) {
		t.Fatalf("got %d rules, want %d: %+v", len(rules), len(want), rules)
	}
	for i, w := range want {
		r := rules[i]
		if r.Action != w.action || len(r.Entries) != 1 || r.Entries[0] != w.entry || r.Source != w.source || r.Text != w.text || r.Layer != LayerAccess {
			t.Errorf("rule %d = %+v, want %+v", i, r, w)
		}
	}
	// One warning each for the path, the port, the Unicode name and its
	// upper case; none for the plain lines.
	wantWarn := map[string]string{
		"p.rules:5": "path",
		"p.rules:7": "port :8443",
		"p.rules:6": "'#' in \"social.example#frag\" is part of the entry",
		"p.rules:8": "xn--bcher-kva.example",
	}
	got := map[string][]string{}
	for _, w := range warns {
		got[w.Source] = append(got[w.Source], w.Msg)
	}
	for src, sub := range wantWarn {
		if !strings.Contains(strings.Join(got[src], "\n"), sub) {
			t.Errorf("warnings for %s = %q, want one with %q", src, got[src], sub)
		}
	}
	for src := range got {
		if _, ok := wantWarn[src]; !ok {
			t.Errorf("unexpected warning %s: %q", src, got[src])
		}
	}
	if r, _ := rules[5].MatchURL("https://xn--bcher-kva.example"); r != Match {
		t.Errorf("Unicode entry against its A-label host = %s", r)
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"allow\n", "f.rules:1: missing URL entry after allow"},
		{"allow # nothing\n", "f.rules:1: missing URL entry"},
		{"# c\npermit cisco.com\n", "f.rules:2: unknown action \"permit\""},
		{"cisco.com\n", "f.rules:1: unknown action \"cisco.com\""},
		{"allow a.com b.com\n", "f.rules:1: one entry a line: unexpected \"b.com\""},
		{"\n\nallow a\x01b.com\n", "f.rules:3: URL entry \"a\\x01b.com\" has blanks or control characters"},
		{"block http://\n", "f.rules:1: URL entry \"http://\" has no host after the protocol"},
		{"block http:///x\n", "f.rules:1: URL entry \"http:///x\" has no host"},
		{"allow \xff.com\n", "f.rules:1: URL entry \"\\xff.com\": \"\\xff.com\" is no valid internationalized domain name"},
		{"allow " + strings.Repeat("a", 2<<20) + "\n", "f.rules:1: line longer than 1 MiB"},
	}
	for _, tc := range tests {
		_, _, err := ParseRules("f.rules", strings.NewReader(tc.file))
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseRules(%.40q) = %v, want a one-line ParseError starting %q", tc.file, err, tc.want)
		}
	}
}

func TestParseSIList(t *testing.T) {
	const file = "# Cisco feed\n" +
		"cisco.com\n" +
		"\n" +
		"  tools.cisco.com/  \n" +
		"example.* # all TLDs\n" +
		"10.10.*.*\n" +
		"https://Example.org/Docs\n" +
		"host.example:8080\n" +
		"dot.example.\n"
	rules, warns, err := ParseSIList("block.txt", strings.NewReader(file), Block)
	if err != nil {
		t.Fatal(err)
	}
	wantEntries := []string{"cisco.com", "tools.cisco.com/", "example.*", "10.10.*.*", "https://Example.org/Docs", "host.example:8080", "dot.example."}
	if len(rules) != len(wantEntries) {
		t.Fatalf("got %d entries, want %d", len(rules), len(wantEntries))
	}
	for i, e := range wantEntries {
		if rules[i].Entries[0] != e || rules[i].Layer != LayerSI || rules[i].Action != Block {
			t.Errorf("entry %d = %+v, want %q", i, rules[i], e)
		}
	}
	if rules[1].Source != "block.txt:4" {
		t.Errorf("source = %q", rules[1].Source)
	}
	var msgs []string
	for _, w := range warns {
		msgs = append(msgs, w.String())
	}
	all := strings.Join(msgs, "\n")
	for _, sub := range []string{
		"block.txt:4: blanks around the entry removed",
		"block.txt:5: inline comment removed",
		"block.txt:8: port :8080",
		"block.txt:9: trailing dot",
	} {
		if !strings.Contains(all, sub) {
			t.Errorf("warnings lack %q:\n%s", sub, all)
		}
	}
	if len(warns) != 4 {
		t.Errorf("got %d warnings, want 4:\n%s", len(warns), all)
	}
	for _, tc := range []struct {
		i    int
		url  string
		want Result
	}{
		{6 - 2, "https://example.org/Docs/a", Match}, // scheme of the entry ignored, path prefix
		{4, "https://example.org/docs", NoMatch},
		{4, "https://example.org", Unspecified},
		{3, "10.10.3.4", Match},
		{3, "x.10.10.3.4", NoMatch},
		{0, "http://10.10.3.4", NoMatch},
	} {
		if got, why := rules[tc.i].MatchURL(tc.url); got != tc.want {
			t.Errorf("%q against %q = %s (%s), want %s", rules[tc.i].Entries[0], tc.url, got, why, tc.want)
		}
	}
	if _, _, err := ParseSIList("x.txt", strings.NewReader(""), Monitor); err == nil {
		t.Error("an SI list with action monitor was accepted")
	}
}

func TestListErrors(t *testing.T) {
	tests := []struct {
		dns        bool
		line, want string
	}{
		{false, "cisc*.com", "partial-label wildcard"},
		{false, "*cisco.com", "partial-label wildcard"},
		{false, "example.com/*", "not appear in the path"},
		{false, "bücher.example", "must be Punycode: write xn--bcher-kva.example"},
		{false, "::1", "IPv6"},
		{false, "[2001:db8::1]", "IPv6"},
		{false, "a..b", "empty label"},
		{false, ".cisco.com", "empty label"},
		{false, "10.10", "not an IPv4 address"},
		{false, "300.1.1.1", "octet 300 out of range"},
		{false, "*.*", "only wildcards"},
		{false, "cisco com", "blanks"},
		{false, "ci$co.com", "no character of a host name"},
		{false, "/path", "no host"},
		{true, "example.com/x", "take no path"},
		{true, "http://example.com", "not URLs"},
		{true, "10.1.1.1", "an address never matches"},
		{true, "*.bücher.example", "must be Punycode: write *.xn--bcher-kva.example"},
	}
	for _, tc := range tests {
		file := "# list\n\n" + tc.line + "\n"
		var err error
		if tc.dns {
			_, _, err = ParseDNSList("l.txt", strings.NewReader(file))
		} else {
			_, _, err = ParseSIList("l.txt", strings.NewReader(file), Allow)
		}
		if err == nil || !strings.HasPrefix(err.Error(), "l.txt:3: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("list line %q (dns %v): error %v, want l.txt:3: ... %q", tc.line, tc.dns, err, tc.want)
		}
	}
}
