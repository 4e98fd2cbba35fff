package urlrules

import (
	"slices"
	"strings"
	"testing"
)

func TestCandidates(t *testing.T) {
	tests := []struct {
		host string
		want []string
	}{
		{"toos.cisco.com", []string{"toos.cisco.com", "cisco.com"}},
		{"Tools.Cisco.COM.", []string{"tools.cisco.com", "cisco.com"}},
		{"cisco.com", []string{"cisco.com"}},
		{"a.b.example.co.uk", []string{"a.b.example.co.uk", "b.example.co.uk", "example.co.uk"}},
		{"x.user.github.io", []string{"x.user.github.io", "user.github.io"}}, // private suffix section
		{"bücher.example", []string{"xn--bcher-kva.example"}},
		{"10.1.2.3", []string{"10.1.2.3"}},
		{"co.uk", nil},
		{"com", nil},
		{"", nil},
		{"a b.com", nil},
	}
	for _, tc := range tests {
		if got := Candidates(tc.host); !slices.Equal(got, tc.want) {
			t.Errorf("Candidates(%q) = %q, want %q", tc.host, got, tc.want)
		}
	}
}

// texts lists each suggestion's changes as "text | where".
func texts(ss []Suggestion) [][]string {
	var out [][]string
	for _, s := range ss {
		var c []string
		for _, ch := range s.Changes {
			c = append(c, ch.Text+" | "+ch.Where)
		}
		out = append(out, c)
	}
	return out
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name             string
		p                *Policy
		logged, intended string
		want             [][]string // per suggestion: "text | where" prefixes
	}{
		{"field case", &Policy{Rules: mustRules(t, "allow tools.cisco.com")}, "toos.cisco.com", "tools.cisco.com",
			[][]string{{"allow toos.cisco.com | after the last rule"}, {"allow cisco.com | after the last rule"}}},
		{"verdicts agree", &Policy{Rules: mustRules(t, "allow cisco.com")}, "toos.cisco.com", "tools.cisco.com", nil},
		{"logged host slips through an allow", &Policy{Rules: mustRules(t, "block tools.cisco.com", "allow cisco.com")}, "toos.cisco.com", "tools.cisco.com",
			[][]string{{`block toos.cisco.com | before t.rules:2 "allow cisco.com"`}, {`block cisco.com | before t.rules:2`}}},
		{"logged verdict unspecified", &Policy{Rules: mustRules(t, "block toos.cisco.com/", "allow cisco.com")}, "toos.cisco.com", "tools.cisco.com",
			[][]string{{`allow toos.cisco.com | before t.rules:1 "block toos.cisco.com/"`}, {`allow cisco.com | before t.rules:1`}}},
		{"intended verdict unspecified", &Policy{Rules: mustRules(t, "block cisco.com/", "allow cisco.com")}, "toos.cisco.com", "tools.cisco.com", nil},
		{"SI block on the logged host", &Policy{
			SIBlock: mustList(t, LayerSI, Block, "cisco.com"),
			SIAllow: mustList(t, LayerSI, Allow, "tools.cisco.com/"),
			Rules:   mustRules(t, "allow cisco.com"),
		}, "toos.cisco.com", "tools.cisco.com",
			[][]string{{"toos.cisco.com/ | to an SI Do-Not-Block list (it is blocked by si-block.txt:1)"}, {"cisco.com | to an SI Do-Not-Block list"}}},
		{"SI block, then the rules", &Policy{
			SIBlock: mustList(t, LayerSI, Block, "cisco.com"),
			SIAllow: mustList(t, LayerSI, Allow, "tools.cisco.com/"),
			Rules:   mustRules(t, "allow tools.cisco.com"),
		}, "toos.cisco.com", "tools.cisco.com",
			[][]string{{"toos.cisco.com/ | to an SI Do-Not-Block list", "allow toos.cisco.com | after the last rule"}, {"cisco.com | to an SI Do-Not-Block list", "allow cisco.com | after the last rule"}}},
		{"intended host SI-blocked", &Policy{
			SIBlock: mustList(t, LayerSI, Block, "tools.cisco.com/"),
			Rules:   mustRules(t, "allow cisco.com"),
		}, "toos.cisco.com", "tools.cisco.com",
			[][]string{{"toos.cisco.com/ | to the SI Block list of si-block.txt:1"}, {"cisco.com | to the SI Block list of si-block.txt:1"}}},
		{"intended SI-blocked, logged exempt", &Policy{
			SIBlock: mustList(t, LayerSI, Block, "tools.cisco.com/"),
			SIAllow: mustList(t, LayerSI, Allow, "toos.cisco.com"),
			Rules:   mustRules(t, "allow cisco.com"),
		}, "toos.cisco.com", "tools.cisco.com",
			[][]string{{`block toos.cisco.com | before t.rules:1`}, {`block cisco.com | before t.rules:1`}}},
	}
	for _, tc := range tests {
		got := texts(tc.p.Suggest(tc.logged, tc.intended))
		ok := len(got) == len(tc.want)
		for i := 0; ok && i < len(got); i++ {
			ok = len(got[i]) == len(tc.want[i])
			for j := 0; ok && j < len(got[i]); j++ {
				ok = strings.HasPrefix(got[i][j], tc.want[i][j])
			}
		}
		if !ok {
			t.Errorf("%s: Suggest(%q, %q) = %q, want %q", tc.name, tc.logged, tc.intended, got, tc.want)
		}
	}
}

func TestSuggestionReach(t *testing.T) {
	p := &Policy{Rules: mustRules(t, "allow tools.cisco.com", "block www.cisco.com")}
	ss := p.Suggest("toos.cisco.com", "tools.cisco.com")
	if len(ss) != 2 {
		t.Fatalf("got %d suggestions", len(ss))
	}
	hosts := []string{"tools.cisco.com", "toos.cisco.com", "www.cisco.com", "x.toos.cisco.com", "cisco.com.evil.example", "example.com", "www.cisco.com"}
	exact, parent := ss[0], ss[1]
	if exact.Domain != "toos.cisco.com" || !strings.Contains(exact.Note, "names ending in .toos.cisco.com") {
		t.Errorf("exact: %+v", exact)
	}
	if parent.Domain != "cisco.com" || !strings.Contains(parent.Note, "every name ending in .cisco.com") {
		t.Errorf("parent: %+v", parent)
	}
	if got := exact.Matches(hosts); !slices.Equal(got, []string{"x.toos.cisco.com"}) {
		t.Errorf("exact matches %q", got)
	}
	if got := exact.Changed(hosts); !slices.Equal(got, []string{"x.toos.cisco.com"}) {
		t.Errorf("exact changes %q", got)
	}
	// The parent rule goes after the last rule: it matches www.cisco.com
	// but does not change its verdict; it may match the look-alike.
	if got := parent.Matches(hosts); !slices.Equal(got, []string{"tools.cisco.com", "www.cisco.com", "x.toos.cisco.com", "cisco.com.evil.example"}) {
		t.Errorf("parent matches %q", got)
	}
	if got := parent.Changed(hosts); !slices.Equal(got, []string{"x.toos.cisco.com", "cisco.com.evil.example"}) {
		t.Errorf("parent changes %q", got)
	}
	if s := parent.String(); !strings.Contains(s, `add "allow cisco.com" after the last rule`) {
		t.Errorf("String() = %q", s)
	}
	// A fix that mirrors an FMC rule with conditions tsid cannot check
	// says to copy them.
	cond, _, _ := NewRule(LayerAccess, Allow, "acp.json:7", "tools.cisco.com")
	cond.Conditions = []string{"sourceNetworks"}
	q := &Policy{Rules: []Rule{cond}, AssumeOtherConditions: true}
	if ss := q.Suggest("toos.cisco.com", "tools.cisco.com"); len(ss) == 0 || !strings.Contains(ss[0].Note, "other conditions of acp.json:7 (sourceNetworks)") {
		t.Errorf("suggestions %v", ss)
	}
	// The policy suggested on is left alone.
	if len(p.Rules) != 2 {
		t.Errorf("Suggest changed the policy: %d rules", len(p.Rules))
	}
}
