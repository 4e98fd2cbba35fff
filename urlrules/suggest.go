package urlrules

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Change is one addition to a policy.
type Change struct {
	Layer  Layer  // LayerAccess: a new access rule; LayerSI: an SI list entry
	Action Action // the rule's action; for LayerSI, Block or Allow (the Do-Not-Block list)
	Entry  string // the URL object value or list entry
	Text   string // the line to add: "allow toos.cisco.com", or the list entry
	Where  string // where it goes
}

func (c Change) String() string { return fmt.Sprintf("add %q %s", c.Text, c.Where) }

// Suggestion is a change to a policy that gives a logged host the verdict
// of the host the client meant.
type Suggestion struct {
	Host    string   // the logged host, normalized (lower-case A-labels, no trailing dot)
	Domain  string   // the name the changes cover: Host itself or a parent domain
	Changes []Change // applied together
	Note    string   // what the changes cover beyond Host

	before, after *Policy
}

func (s Suggestion) String() string {
	var parts []string
	for _, c := range s.Changes {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, " and ") + " (" + s.Note + ")"
}

// Candidates returns the names a fix for host may name, narrowest first:
// the host itself, then each parent domain up to its registrable domain
// (golang.org/x/net/publicsuffix), never a public suffix. An IP literal
// gives only itself.
func Candidates(host string) []string {
	h, ok := aLabels(trimDot(host))
	if !ok || h == "" || hasCtlOrSpace(h) {
		return nil
	}
	if isIP(h) {
		return []string{h}
	}
	if ps, _ := publicsuffix.PublicSuffix(h); ps == h {
		return nil
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(h)
	if err != nil {
		return []string{h}
	}
	out := []string{h}
	for d := h; d != reg; {
		_, d, _ = strings.Cut(d, ".")
		out = append(out, d)
	}
	return out
}

// Suggest returns the smallest changes that give the connection logged as
// logged the action the policy gives intended, narrowest first: one per
// name of Candidates(logged) that fixes it, each checked by evaluating the
// changed policy. None when the verdicts already agree, or when the
// intended verdict is itself unspecified.
//
// The fix goes in the layer that decides: a host blocked by an SI Block
// list gets a Do-Not-Block entry (then an access rule if the rules would
// still act differently); a host the intended name's SI Block entry does
// not reach gets an SI Block entry; otherwise a new access rule goes right
// before the rule that decides (or may decide) the logged host, or after
// the last rule when the default action decides it. Matches and Changed
// say what else a suggestion would catch.
func (p *Policy) Suggest(logged, intended string) []Suggestion {
	vi, vl := p.Evaluate(intended), p.Evaluate(logged)
	if vi.Unspecified || (!vl.Unspecified && vl.Action == vi.Action) {
		return nil
	}
	host, _ := aLabels(trimDot(logged))
	var out []Suggestion
	for _, d := range Candidates(logged) {
		if s, ok := p.fix(host, d, vi); ok {
			out = append(out, s)
		}
	}
	return out
}

// fix builds and checks the changes that cover domain d.
func (p *Policy) fix(host, d string, vi Verdict) (Suggestion, bool) {
	exact := d == host
	q := p.clone()
	s := Suggestion{Host: host, Domain: d, before: p, after: q}
	siEntry := d
	if exact {
		siEntry += "/"
	}
	// addSI adds the SI entry unless it changes nothing for the host (an
	// SI Block entry that a Do-Not-Block entry exempts).
	addSI := func(list *[]Rule, action Action, where string) bool {
		r, _, err := NewRule(LayerSI, action, "suggested", siEntry)
		if err != nil {
			return false
		}
		r.Text = siEntry
		was := outcome(q.Evaluate(host))
		*list = append(*list, r)
		if outcome(q.Evaluate(host)) == was {
			*list = (*list)[:len(*list)-1]
			return true
		}
		s.Changes = append(s.Changes, Change{LayerSI, action, siEntry, siEntry, where})
		return true
	}
	if vi.Rule != nil && vi.Rule.Layer == LayerSI && vi.Action == Block {
		if !addSI(&q.SIBlock, Block, "to the SI Block list of "+vi.Rule.Source) {
			return Suggestion{}, false
		}
	} else if v := q.Evaluate(host); v.Rule != nil && v.Rule.Layer == LayerSI && v.Rule.Action == Block && vi.Action != Block {
		if !addSI(&q.SIAllow, Allow, "to an SI Do-Not-Block list (it is blocked by "+v.Rule.Source+")") {
			return Suggestion{}, false
		}
	}
	if v := q.Evaluate(host); v.Unspecified || v.Action != vi.Action {
		if v.Rule != nil && v.Rule.Layer != LayerAccess {
			return Suggestion{}, false
		}
		at, where := len(q.Rules), "after the last rule"
		if v.Rule != nil {
			at = -1
			for i := range q.Rules {
				if &q.Rules[i] == v.Rule {
					at = i
				}
			}
			where = "before " + describe(v.Rule)
		}
		text := string(vi.Action) + " " + d
		r, _, err := NewRule(LayerAccess, vi.Action, "suggested", d)
		if err != nil || at < 0 {
			return Suggestion{}, false
		}
		r.Text = text
		q.Rules = slices.Insert(q.Rules, at, r)
		s.Changes = append(s.Changes, Change{LayerAccess, vi.Action, d, text, where})
	}
	if v := q.Evaluate(host); v.Unspecified || v.Action != vi.Action {
		return Suggestion{}, false
	}
	var notes []string
	for _, c := range s.Changes {
		switch {
		case c.Layer == LayerSI && exact:
			notes = append(notes, "the SI entry covers "+host+" only")
		case c.Layer == LayerSI:
			notes = append(notes, "the SI entry covers "+d+" and every name under it")
		case exact:
			notes = append(notes, "the rule also matches names ending in ."+d)
		default:
			notes = append(notes, "the rule matches "+d+" and every name ending in ."+d)
		}
	}
	if r := vi.Rule; r != nil && len(r.Conditions) > 0 && s.Changes[len(s.Changes)-1].Layer == LayerAccess {
		notes = append(notes, "give the rule the other conditions of "+r.Source+" ("+strings.Join(r.Conditions, ", ")+"), which tsid does not check")
	}
	s.Note = strings.Join(notes, "; ")
	return s, true
}

// outcome sums up a verdict for comparison: possible actions and the
// deciding rule.
func outcome(v Verdict) string {
	src := "default"
	if v.Rule != nil {
		src = string(v.Rule.Layer) + " " + v.Rule.Source
	}
	return fmt.Sprint(v.Actions, src)
}

// clone copies the policy's rule lists so that changes leave p alone.
func (p *Policy) clone() *Policy {
	q := *p
	q.DNSBlock = slices.Clone(p.DNSBlock)
	q.SIAllow = slices.Clone(p.SIAllow)
	q.SIBlock = slices.Clone(p.SIBlock)
	q.Rules = slices.Clone(p.Rules)
	return &q
}

// Matches returns the hosts other than s.Host that an entry the suggestion
// adds matches or may match (Unspecified), in the order given, once each.
func (s Suggestion) Matches(hosts []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[h] || sameHost(h, s.Host) {
			continue
		}
		seen[h] = true
		url := "https://" + h
		for _, c := range s.Changes {
			r, _, err := NewRule(c.Layer, c.Action, "", c.Entry)
			if err != nil {
				continue
			}
			if res, _ := r.MatchURL(url); res != NoMatch {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// Changed returns the hosts other than s.Host whose possible actions the
// suggestion changes, in the order given, once each.
func (s Suggestion) Changed(hosts []string) []string {
	if s.before == nil || s.after == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[h] || sameHost(h, s.Host) {
			continue
		}
		seen[h] = true
		if !slices.Equal(s.before.Evaluate(h).Actions, s.after.Evaluate(h).Actions) {
			out = append(out, h)
		}
	}
	return out
}

func sameHost(a, b string) bool {
	x, _ := aLabels(trimDot(a))
	y, _ := aLabels(trimDot(b))
	return x == y
}
