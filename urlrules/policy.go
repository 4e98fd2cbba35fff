package urlrules

import (
	"fmt"
	"strings"
)

// Policy is what the firewall evaluates for a connection, in this order:
// SI DNS Block lists (on the DNS names), SI URL lists (the Do-Not-Block
// lists exempt from the Block lists), the access rules (first match wins;
// a matching monitor rule is recorded and evaluation goes on), then the
// default action.
type Policy struct {
	DNSBlock []Rule // SI DNS Block list entries (LayerDNS)
	SIAllow  []Rule // SI URL Do-Not-Block list entries (LayerSI, Allow)
	SIBlock  []Rule // SI URL Block list entries (LayerSI, Block)
	Rules    []Rule // access rules in order (LayerAccess)
	Default  Action // when no rule decides; "" means Block
	// AssumeOtherConditions takes an FMC rule's conditions other than URLs
	// (networks, zones, ports, applications, users, ...) as met. Without
	// it such a rule is Unspecified whenever its URL condition may match.
	AssumeOtherConditions bool
}

// Conn is one connection as the firewall sees it.
type Conn struct {
	// Host is the host the firewall logs; its URL is "https://"+Host, as
	// FMC logs undecrypted HTTPS. "" means nothing was logged.
	Host string
	// URL, when set, is the full URL instead (HTTP, decrypted HTTPS).
	URL string
	// DNSNames are the names the client resolved to reach the server;
	// DNS lists act on these only, never on Host.
	DNSNames []string
}

func (c Conn) url() string {
	switch {
	case c.URL != "":
		return c.URL
	case c.Host != "":
		return "https://" + c.Host
	}
	return ""
}

// Verdict is what a policy does with one connection.
type Verdict struct {
	// Action and Rule are those of the first rule that matches or may
	// match (Unspecified); Rule nil means the default action.
	Action Action
	Rule   *Rule
	// Actions are the actions the connection may get, distinct, in
	// evaluation order: one, unless a rule reached first is Unspecified
	// and acts differently from the rules after it.
	Actions []Action
	// Unspecified is set when Actions has more than one action: the
	// verdict depends on something the vendor does not document.
	Unspecified bool
	// Uncertain are the rules reached whose match is Unspecified, in
	// order, before the rule (or default) that certainly applies.
	Uncertain []*Rule
	// Monitors are the monitor rules that certainly matched before the
	// deciding rule (no uncertain rule before them): logged, evaluation
	// went on.
	Monitors []*Rule
	// Why explains the verdict in one line.
	Why string
}

func (p *Policy) defaultAction() Action {
	if p.Default == "" {
		return Block
	}
	return p.Default
}

// Evaluate is EvaluateConn for a connection logged with host and no DNS
// names.
func (p *Policy) Evaluate(host string) Verdict { return p.EvaluateConn(Conn{Host: host}) }

// EvaluateConn returns the verdict of the policy for c.
func (p *Policy) EvaluateConn(c Conn) Verdict {
	var e evaluation
	var names []target
	if len(p.DNSBlock) > 0 {
		for _, n := range c.DNSNames {
			names = append(names, dnsTarget(n))
		}
	}
	for i := range p.DNSBlock {
		r := &p.DNSBlock[i]
		res, why := NoMatch, ""
		for j, n := range c.DNSNames {
			x, w := r.match(n, names[j])
			if better(res, x) != res {
				res, why = x, "DNS name "+n+": "+w
			}
		}
		if e.step(r, res, why) {
			return e.verdict(p, c)
		}
	}
	url := c.url()
	t := parseTarget(url)
	allow, allowWhy := NoMatch, ""
	var allowRule *Rule
	for i := range p.SIAllow {
		r := &p.SIAllow[i]
		if x, w := r.match(url, t); better(allow, x) != allow {
			allow, allowWhy, allowRule = x, w, r
		}
	}
	for i := range p.SIBlock {
		r := &p.SIBlock[i]
		res, why := r.match(url, t)
		switch {
		case res == NoMatch:
		case allow == Match:
			e.notes = append(e.notes, fmt.Sprintf("SI block %s exempted by Do-Not-Block %s", r.Source, allowRule.Source))
			res = NoMatch
		case allow == Unspecified:
			res = Unspecified
			why += fmt.Sprintf("; Do-Not-Block %s %q may exempt it: %s", allowRule.Source, allowRule.Text, allowWhy)
		}
		if e.step(r, res, why) {
			return e.verdict(p, c)
		}
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		res, why := p.ruleResult(r, url, t)
		if e.step(r, res, why) {
			return e.verdict(p, c)
		}
	}
	return e.verdict(p, c)
}

// ruleResult matches an access rule: its URL condition, and the other
// conditions, which tsid cannot evaluate.
func (p *Policy) ruleResult(r *Rule, url string, t target) (Result, string) {
	res, why := r.match(url, t)
	if res == NoMatch || len(r.Conditions) == 0 {
		return res, why
	}
	c := strings.Join(r.Conditions, ", ")
	if p.AssumeOtherConditions {
		return res, why + "; conditions on " + c + " assumed met"
	}
	return Unspecified, why + "; the rule also has conditions on " + c + ", which tsid cannot evaluate"
}

type candidate struct {
	rule *Rule
	why  string
}

// evaluation walks rules in order, first match wins.
type evaluation struct {
	uncertain []candidate
	final     *candidate // nil: default action
	monitors  []*Rule
	notes     []string
}

// step records rule r's result; it reports whether r decides.
func (e *evaluation) step(r *Rule, res Result, why string) bool {
	switch res {
	case Match:
		if r.Action == Monitor {
			if len(e.uncertain) == 0 {
				e.monitors = append(e.monitors, r)
			}
			return false
		}
		e.final = &candidate{r, why}
		return true
	case Unspecified:
		if r.Action == Monitor {
			e.notes = append(e.notes, fmt.Sprintf("monitor %s may match (%s)", r.Source, why))
			return false
		}
		e.uncertain = append(e.uncertain, candidate{r, why})
	}
	return false
}

func (e *evaluation) verdict(p *Policy, c Conn) Verdict {
	v := Verdict{Monitors: e.monitors}
	add := func(a Action) {
		for _, b := range v.Actions {
			if a == b {
				return
			}
		}
		v.Actions = append(v.Actions, a)
	}
	var parts []string
	for _, u := range e.uncertain {
		v.Uncertain = append(v.Uncertain, u.rule)
		add(u.rule.Action)
		parts = append(parts, fmt.Sprintf("%s may match: %s", describe(u.rule), u.why))
	}
	if e.final != nil {
		add(e.final.rule.Action)
		parts = append(parts, fmt.Sprintf("%s matches: %s", describe(e.final.rule), e.final.why))
	} else {
		add(p.defaultAction())
		d := "no rule matches: default action " + string(p.defaultAction())
		if c.url() == "" {
			d = "no host logged, so no URL rule matches: default action " + string(p.defaultAction())
		}
		if len(e.uncertain) > 0 {
			d = "otherwise " + d
		}
		parts = append(parts, d)
	}
	for _, m := range e.monitors {
		parts = append(parts, "monitor "+describe(m)+" logged it")
	}
	parts = append(parts, e.notes...)
	switch {
	case len(e.uncertain) > 0:
		v.Rule = e.uncertain[0].rule
	case e.final != nil:
		v.Rule = e.final.rule
	}
	v.Action = v.Actions[0]
	v.Unspecified = len(v.Actions) > 1
	v.Why = strings.Join(parts, "; ")
	return v
}

// describe names a rule for a verdict: where it is and what it says.
func describe(r *Rule) string {
	var kind string
	switch {
	case r.Layer == LayerDNS:
		kind = "DNS block "
	case r.Layer == LayerSI && r.Action == Allow:
		kind = "SI do-not-block "
	case r.Layer == LayerSI:
		kind = "SI block "
	}
	text := r.Text
	if text == "" {
		text = strings.TrimSpace(string(r.Action) + " " + strings.Join(r.Entries, " "))
	}
	return fmt.Sprintf("%s%s %q", kind, r.Source, text)
}
