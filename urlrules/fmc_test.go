package urlrules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func readDocs(t *testing.T, names ...string) []Doc {
	t.Helper()
	var docs []Doc
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", "fmc", n))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, Doc{n, b})
	}
	return docs
}

// TestFMCExportEquivalence loads testdata/fmc (two pages of access rules,
// given out of order, URL objects, URL groups, the access policy) and the
// plain rules file written to mean the same, and evaluates both.
func TestFMCExportEquivalence(t *testing.T) {
	docs := readDocs(t, "accessrules-page2.json", "urls.json", "accessrules-page1.json", "urlgroups.json", "accesspolicy.json")
	exp, warns, err := ParseFMC(docs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warns {
		if !strings.Contains(w.Msg, "path in") { // rule 7's path is the only construct to warn about
			t.Errorf("unexpected warning %s", w)
		}
	}
	if exp.Default != Block || exp.Policy != "Branch-ACP" {
		t.Errorf("default %q, policy %q", exp.Default, exp.Policy)
	}
	var names []string
	for _, r := range exp.Rules {
		names = append(names, r.Name)
	}
	wantNames := []string{"Block-Ads", "Monitor-Cisco", "Allow-Licensing", "Social-Interactive", "Trust-Updates", "Block-Malware-Path", "Allow-Example"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("rules %q, want %q", names, wantNames)
	}
	if got := exp.Rules[2].Entries; !slices.Equal(got, []string{"tools.cisco.com", "smartreceiver.cisco.com", "api.cisco.com"}) {
		t.Errorf("Allow-Licensing entries %q", got)
	}
	if exp.Rules[0].Action != Block || exp.Rules[3].Action != InteractiveBlock || exp.Rules[4].Action != Trust {
		t.Errorf("actions %s %s %s", exp.Rules[0].Action, exp.Rules[3].Action, exp.Rules[4].Action)
	}
	// Sources point at the line opening the rule's item.
	for _, r := range exp.Rules {
		file, line, _ := strings.Cut(r.Source, ":")
		n, err := strconv.Atoi(line)
		b, _ := os.ReadFile(filepath.Join("testdata", "fmc", file))
		lines := strings.Split(string(b), "\n")
		if err != nil || n < 1 || n+10 > len(lines) || strings.TrimSpace(lines[n-1]) != "{" ||
			!strings.Contains(strings.Join(lines[n:n+10], "\n"), fmt.Sprintf("%q", r.Name)) {
			t.Errorf("rule %q: source %s is not its item", r.Name, r.Source)
		}
	}

	f, err := os.Open(filepath.Join("testdata", "fmc", "equivalent.rules"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plain, _, err := ParseRules("equivalent.rules", f)
	if err != nil {
		t.Fatal(err)
	}
	pf := &Policy{Rules: exp.Rules, Default: exp.Default}
	pp := &Policy{Rules: plain, Default: Block}
	tests := []struct {
		conn        Conn
		want        Action
		monitor     bool
		unspecified bool
	}{
		{Conn{Host: "tools.cisco.com"}, Allow, true, false},
		{Conn{Host: "toos.cisco.com"}, Block, true, false}, // the field case: only the monitor rule
		{Conn{Host: "cisco.com"}, Block, true, false},
		{Conn{Host: "smartreceiver.cisco.com"}, Allow, true, false},
		{Conn{Host: "api.cisco.com"}, Allow, true, false},
		{Conn{Host: "ads.example.net"}, Block, false, false},
		{Conn{Host: "x.doubleclick.net"}, Block, false, false},
		{Conn{Host: "adservice.example.com"}, Block, false, false},
		{Conn{Host: "www.facebook.com"}, InteractiveBlock, false, false},
		{Conn{Host: "twitter.com"}, InteractiveBlock, false, false},
		{Conn{Host: "update.microsoft.com"}, Trust, false, false},
		{Conn{Host: "example.org"}, Block, false, false}, // the disabled rule is skipped
		{Conn{Host: "www.example.com"}, Allow, false, false},
		{Conn{Host: "example.com.evil.example"}, Block, false, true}, // or allow: end boundary undocumented
		{Conn{Host: "evil.example"}, Block, false, false},
		{Conn{URL: "http://evil.example/malware/x.exe"}, Block, false, false},
		{Conn{URL: "http://www.example.com/?u=evil.example/malware"}, Block, false, true}, // or allow: not after a dot
		{Conn{URL: "http://www.example.com/ok"}, Allow, false, false},
		{Conn{Host: "unknown.test"}, Block, false, false},
		{Conn{}, Block, false, false},
	}
	for _, tc := range tests {
		vf, vp := pf.EvaluateConn(tc.conn), pp.EvaluateConn(tc.conn)
		if vf.Action != tc.want || vf.Unspecified != tc.unspecified || (len(vf.Monitors) > 0) != tc.monitor {
			t.Errorf("%+v: FMC export gives %s (monitors %d): %s; want %s", tc.conn, vf.Action, len(vf.Monitors), vf.Why, tc.want)
		}
		if vf.Action != vp.Action || !slices.Equal(vf.Actions, vp.Actions) || vf.Unspecified != vp.Unspecified ||
			len(vf.Monitors) != len(vp.Monitors) || (vf.Rule == nil) != (vp.Rule == nil) {
			t.Errorf("%+v: FMC export gives %v (%s), rules file %v (%s)", tc.conn, vf.Actions, vf.Why, vp.Actions, vp.Why)
		}
	}
}

func TestParseFMCErrors(t *testing.T) {
	const urls = `{"items": [{"type": "Url", "id": "u1", "name": "Cisco", "url": "cisco.com"}]}`
	rule := func(fields string) string {
		return `{"items": [
  {"type": "AccessRule", "id": "r1", "name": "R1", "action": "ALLOW", "enabled": true` + fields + `}
]}`
	}
	tests := []struct {
		name string
		docs []string
		want string
	}{
		{"unknown action", []string{rule(`, "action": "PERMIT"`)}, `a.json:2: rule "R1": unknown action "PERMIT"`},
		{"missing object", []string{rule(`, "urls": {"objects": [{"type": "Url", "name": "Gone", "id": "x9"}]}`), urls}, `a.json:2: rule "R1": URL object "Gone" (id x9) is not in the URL objects given`},
		{"missing group", []string{rule(`, "urls": {"objects": [{"type": "UrlGroup", "name": "G", "id": "g1"}]}`)}, `a.json:2: rule "R1": URL group "G" (id g1) is not in the URL groups given`},
		{"object type", []string{rule(`, "urls": {"objects": [{"type": "Network", "name": "N", "id": "n1"}]}`)}, `a.json:2: rule "R1": URL condition object of type "Network" is not supported`},
		{"literal type", []string{rule(`, "urls": {"literals": [{"type": "Host", "value": "1.2.3.4"}]}`)}, `a.json:2: rule "R1": URL literal of type "Host"`},
		{"bad literal", []string{rule(`, "urls": {"literals": [{"type": "Url", "url": "a b"}]}`)}, `a.json:2: rule "R1": URL entry "a b" has blanks`},
		{"unknown url field", []string{rule(`, "urls": {"urlReputation": ["x"]}`)}, `a.json:2: rule "R1": unsupported URL condition "urlReputation"`},
		{"bad json", []string{"{\"items\": [\n{\"type\": \"AccessRule\",,}\n]}"}, `a.json:2: not valid JSON`},
		{"not an object", []string{`[1, 2]`}, `a.json:1: not an FMC API response`},
		{"no type", []string{`{"items": [{"name": "x"}]}`}, `a.json:1: item without a type`},
		{"twice", []string{rule(""), rule("")}, `b.json:2: access rule "R1" given twice (also at a.json:2)`},
		{"missing page", []string{`{"items": [{"type": "AccessRule", "id": "r1", "name": "R1", "action": "ALLOW"}], "paging": {"offset": 0, "limit": 1, "count": 2, "pages": 2}}`}, `a.json: 1 of 2 access rules: give every page`},
		{"group cycle", []string{rule(`, "urls": {"objects": [{"type": "UrlGroup", "name": "G", "id": "g1"}]}`),
			`{"items": [{"type": "UrlGroup", "id": "g1", "name": "G", "objects": [{"type": "UrlGroup", "id": "g2"}]}, {"type": "UrlGroup", "id": "g2", "name": "H", "objects": [{"type": "UrlGroup", "name": "G"}]}]}`},
			`a.json:2: rule "R1": URL group "G" contains itself`},
	}
	for _, tc := range tests {
		var docs []Doc
		for i, d := range tc.docs {
			docs = append(docs, Doc{string(rune('a'+i)) + ".json", []byte(d)})
		}
		_, _, err := ParseFMC(docs...)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line starting %q", tc.name, err, tc.want)
		}
	}
}

func TestParseFMCConditions(t *testing.T) {
	const doc = `{"items": [
  {"type": "AccessRule", "name": "Cat", "action": "BLOCK",
   "urls": {"urlCategoriesWithReputation": [{"type": "UrlCategoryAndReputation", "reputation": "QUESTIONABLE_AND_UNKNOWN",
            "category": {"type": "URLCategory", "name": "Social Networking", "id": "c1"}}]}},
  {"type": "AccessRule", "name": "Net", "action": "ALLOW",
   "sourceNetworks": {"objects": [{"type": "Network", "name": "Inside", "id": "n1"}]},
   "destinationPorts": {"literals": [{"type": "PortLiteral", "port": "443", "protocol": "6"}]},
   "sourceZones": {"objects": []},
   "urls": {"objects": [{"type": "Url", "name": "Cisco", "id": "u1", "url": "cisco.com"}]}},
  {"type": "AccessRule", "name": "Odd", "action": "TRUST", "futureCondition": {"x": 1}},
  {"type": "AccessRule", "name": "Off", "action": "ALLOW", "enabled": false, "urls": {"literals": [{"type": "Url", "url": "x.example"}]}},
  {"type": "FQDN", "name": "f", "value": "x.example"}
]}`
	exp, warns, err := ParseFMC(Doc{"c.json", []byte(doc)}, Doc{"p.json", []byte(`{"type": "AccessPolicy", "name": "Child", "defaultAction": {"action": "INHERIT_FROM_PARENT"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Rules) != 3 {
		t.Fatalf("got %d rules, want 3 (the disabled one skipped)", len(exp.Rules))
	}
	if c := exp.Rules[0].Categories; !slices.Equal(c, []string{"Social Networking (QUESTIONABLE_AND_UNKNOWN)"}) {
		t.Errorf("categories %q", c)
	}
	if c := exp.Rules[1].Conditions; !slices.Equal(c, []string{"destinationPorts", "sourceNetworks"}) {
		t.Errorf("conditions %q (an empty sourceZones is no condition)", c)
	}
	if e := exp.Rules[1].Entries; !slices.Equal(e, []string{"cisco.com"}) {
		t.Errorf("a reference carrying its url: entries %q", e)
	}
	if exp.Default != "" {
		t.Errorf("inherited default action read as %q", exp.Default)
	}
	var msgs []string
	for _, w := range warns {
		msgs = append(msgs, w.String())
	}
	all := strings.Join(msgs, "\n")
	for _, sub := range []string{`c.json:10: rule "Odd": unknown field "futureCondition"`, "c.json:12: item of type FQDN ignored", "p.json:1: default action INHERIT_FROM_PARENT"} {
		if !strings.Contains(all, sub) {
			t.Errorf("warnings lack %q:\n%s", sub, all)
		}
	}
	p := &Policy{Rules: exp.Rules, Default: Allow}
	if v := p.Evaluate("tools.cisco.com"); !slices.Equal(v.Actions, []Action{Block, Allow, Trust}) {
		t.Errorf("actions %v: %s", v.Actions, v.Why)
	}
	if IsJSON([]byte("allow x.com")) || !IsJSON([]byte("\ufeff \n{}")) {
		t.Error("IsJSON")
	}
}
