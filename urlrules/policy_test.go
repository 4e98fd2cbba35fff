package urlrules

import (
	"slices"
	"strings"
	"testing"
)

// mustRules parses a rules file given as lines, failing the test on error.
func mustRules(t *testing.T, lines ...string) []Rule {
	t.Helper()
	r, _, err := ParseRules("t.rules", strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustList(t *testing.T, layer Layer, action Action, lines ...string) []Rule {
	t.Helper()
	var r []Rule
	var err error
	in := strings.NewReader(strings.Join(lines, "\n"))
	if layer == LayerDNS {
		r, _, err = ParseDNSList("dns.txt", in)
	} else {
		r, _, err = ParseSIList("si-"+string(action)+".txt", in, action)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// source names the deciding rule of v, "default" for the default action.
func source(v Verdict) string {
	if v.Rule == nil {
		return "default"
	}
	return v.Rule.Source
}

func TestEvaluate(t *testing.T) {
	fieldCase := &Policy{Rules: mustRules(t, "allow tools.cisco.com")}
	monitor := &Policy{
		Rules:   mustRules(t, "monitor cisco.com", "block tools.cisco.com", "monitor toos.cisco.com", "allow cisco.com"),
		Default: Trust,
	}
	uncertain := &Policy{Rules: mustRules(t, "block cisco.com/", "allow cisco.com")}
	sameAction := &Policy{Rules: mustRules(t, "allow cisco.com/", "allow cisco.com")}
	si := &Policy{
		SIBlock: mustList(t, LayerSI, Block, "cisco.com"),
		SIAllow: mustList(t, LayerSI, Allow, "tools.cisco.com/"),
		Rules:   mustRules(t, "allow cisco.com"),
	}
	siMaybe := &Policy{
		SIBlock: mustList(t, LayerSI, Block, "cisco.com"),
		SIAllow: mustList(t, LayerSI, Allow, "*.cisco.com"),
		Rules:   mustRules(t, "allow cisco.com"),
		Default: Allow,
	}
	dns := &Policy{
		DNSBlock: mustList(t, LayerDNS, Block, "# ads", "example.org"),
		Rules:    mustRules(t, "allow cdn.example.net"),
	}
	tests := []struct {
		name    string
		p       *Policy
		c       Conn
		action  Action
		source  string
		actions []Action
		monit   []string
		why     string
	}{
		{"field case: ftd's host falls to the default", fieldCase, Conn{Host: "toos.cisco.com"}, Block, "default", nil, nil, "no rule matches: default action block"},
		{"field case: the CN host is allowed", fieldCase, Conn{Host: "tools.cisco.com"}, Allow, "t.rules:1", nil, nil, "tools.cisco.com: host match"},
		{"no host: default", fieldCase, Conn{}, Block, "default", nil, nil, "no host logged"},
		{"monitor logs and goes on", monitor, Conn{Host: "tools.cisco.com"}, Block, "t.rules:2", nil, []string{"t.rules:1"}, "monitor t.rules:1"},
		{"two monitors", monitor, Conn{Host: "toos.cisco.com"}, Allow, "t.rules:4", nil, []string{"t.rules:1", "t.rules:3"}, ""},
		{"monitor alone: default", monitor, Conn{Host: "example.com"}, Trust, "default", nil, nil, "default action trust"},
		{"uncertain first rule, other action", uncertain, Conn{Host: "cisco.com"}, Block, "t.rules:1", []Action{Block, Allow}, nil, "may match"},
		{"decrypted URL settles it", uncertain, Conn{URL: "https://cisco.com/"}, Block, "t.rules:1", nil, nil, ""},
		{"uncertain first rule, same action", sameAction, Conn{Host: "cisco.com"}, Allow, "t.rules:1", nil, nil, "may match"},
		{"SI block", si, Conn{Host: "toos.cisco.com"}, Block, "si-block.txt:1", nil, nil, "SI block si-block.txt:1"},
		{"SI do-not-block exempts, rules decide", si, Conn{Host: "tools.cisco.com"}, Allow, "t.rules:1", nil, nil, "exempted by Do-Not-Block si-allow.txt:1"},
		{"SI do-not-block unspecified", siMaybe, Conn{Host: "cisco.com"}, Block, "si-block.txt:1", []Action{Block, Allow}, nil, "may exempt it"},
		{"SI do-not-block matches", siMaybe, Conn{Host: "a.cisco.com"}, Allow, "t.rules:1", nil, nil, ""},
		{"DNS block on the resolved name", dns, Conn{Host: "cdn.example.net", DNSNames: []string{"www.example.org."}}, Block, "dns.txt:2", nil, nil, "DNS name www.example.org."},
		{"DNS lists ignore the host", dns, Conn{Host: "www.example.org"}, Block, "default", nil, nil, ""},
		{"DNS name not listed", dns, Conn{Host: "cdn.example.net", DNSNames: []string{"cdn.example.net"}}, Allow, "t.rules:1", nil, nil, ""},
	}
	for _, tc := range tests {
		v := tc.p.EvaluateConn(tc.c)
		if tc.actions == nil {
			tc.actions = []Action{tc.action}
		}
		var mon []string
		for _, m := range v.Monitors {
			mon = append(mon, m.Source)
		}
		if v.Action != tc.action || source(v) != tc.source || !slices.Equal(v.Actions, tc.actions) ||
			v.Unspecified != (len(tc.actions) > 1) || !slices.Equal(mon, tc.monit) || !strings.Contains(v.Why, tc.why) {
			t.Errorf("%s: got %s by %s, actions %v, unspecified %v, monitors %v, why %q; want %s by %s, actions %v, monitors %v, why with %q",
				tc.name, v.Action, source(v), v.Actions, v.Unspecified, mon, v.Why, tc.action, tc.source, tc.actions, tc.monit, tc.why)
		}
	}
	if v := uncertain.Evaluate("cisco.com"); len(v.Uncertain) != 1 || v.Uncertain[0].Source != "t.rules:1" {
		t.Errorf("Uncertain = %v", v.Uncertain)
	}
}

func TestFMCConditions(t *testing.T) {
	withNet, _, err := NewRule(LayerAccess, Block, "x.json:10", "cisco.com")
	if err != nil {
		t.Fatal(err)
	}
	withNet.Conditions = []string{"sourceNetworks"}
	category := Rule{Layer: LayerAccess, Action: Block, Source: "x.json:20", Categories: []string{"Social Networking (any reputation)"}}
	catAndURL, _, _ := NewRule(LayerAccess, Allow, "x.json:30", "example.com")
	catAndURL.Categories = []string{"News"}
	noCondition := Rule{Layer: LayerAccess, Action: Trust, Source: "x.json:40"}

	p := &Policy{Rules: []Rule{withNet, category, catAndURL, noCondition}}
	tests := []struct {
		host    string
		assume  bool
		actions []Action
		source  string
	}{
		{"tools.cisco.com", false, []Action{Block, Allow, Trust}, "x.json:10"},
		{"tools.cisco.com", true, []Action{Block}, "x.json:10"},
		{"example.com", false, []Action{Block, Allow}, "x.json:20"},
		{"www.example.com", true, []Action{Block, Allow}, "x.json:20"},
		{"", false, []Action{Trust}, "x.json:40"},
	}
	for _, tc := range tests {
		p.AssumeOtherConditions = tc.assume
		v := p.Evaluate(tc.host)
		if !slices.Equal(v.Actions, tc.actions) || source(v) != tc.source {
			t.Errorf("%q (assume %v): actions %v by %s (%s), want %v by %s", tc.host, tc.assume, v.Actions, source(v), v.Why, tc.actions, tc.source)
		}
	}
	// A category rule is not reached by a URL an earlier rule decides.
	p.Rules = []Rule{catAndURL, category}
	if v := p.Evaluate("example.com"); v.Unspecified || v.Action != Allow {
		t.Errorf("URL entry before category: %+v", v)
	}
}
