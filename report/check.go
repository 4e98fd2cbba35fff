package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/urlrules"
)

// Check gathers what 'tsid rules check' reports as the records come
// (it is the run's recordWriter), keeping counts and one group per
// distinct finding rather than the records.
type Check struct {
	policy   *urlrules.Policy
	chosen   string
	profiles []string // columns: the chosen profile, then the others

	rules    []*ruleHits // in evaluation order
	bySource map[string]*ruleHits
	def      ruleHits // the default action
	reached  int      // verdicts where an undocumented rule came first
	unjudged groups   // connections whose logged host or meant name is unknown, by why
	compared int      // connections whose two verdicts are known

	hosts []string // every name in the captures, once, in order
	seen  map[string]bool

	differs, profDiffers, unspecified groups

	// With the firewall's log: connections joined to a logged host, and
	// those where the log contradicts the prediction.
	logged        int
	loggedDiffers groups
}

// ruleHits counts the connections a rule decides or logs (monitor), per
// column (the profiles, then the name meant), and those it may decide.
type ruleHits struct {
	source, text string
	label        string // the rule as listed: source, list, text
	hits, may    []int
}

// NewCheck returns the report of 'tsid rules check' on policy p, with
// verdict-differs compared under the profile named chosen; every built-in
// profile is counted. Feed it records with every profile's verdicts
// (analysis.Options AllProfiles and Policy), then Write the report.
func NewCheck(p *urlrules.Policy, chosen string) *Check {
	c := &Check{policy: p, chosen: chosen, bySource: map[string]*ruleHits{}, seen: map[string]bool{}}
	c.profiles = append(c.profiles, chosen)
	for _, q := range sniid.Profiles() {
		if q.Name != chosen {
			c.profiles = append(c.profiles, q.Name)
		}
	}
	n := len(c.profiles) + 1
	for _, list := range [][]urlrules.Rule{p.DNSBlock, p.SIAllow, p.SIBlock, p.Rules} {
		for i := range list {
			ref := analysis.RuleRefOf(&list[i])
			h := &ruleHits{source: ref.Source, text: ref.Text, hits: make([]int, n), may: make([]int, n)}
			h.label = Printable(ref.Source) + " " + listName(&list[i]) + Printable(ref.Text)
			c.rules = append(c.rules, h)
			if _, dup := c.bySource[h.source]; !dup {
				c.bySource[h.source] = h
			}
		}
	}
	c.def = ruleHits{label: "default action " + string(p.Default), hits: make([]int, n), may: make([]int, n)}
	return c
}

func (c *Check) addHost(h string) {
	if h != "" && !c.seen[h] {
		c.seen[h] = true
		c.hosts = append(c.hosts, h)
	}
}

// count adds one verdict to column col.
func (c *Check) count(v *analysis.Verdict, col int) {
	if v == nil {
		return
	}
	if v.Rule == nil {
		c.def.hits[col]++
	}
	if len(v.Uncertain) > 0 {
		c.reached++
	}
	for _, u := range v.Uncertain {
		if h := c.bySource[u.Source]; h != nil {
			h.may[col]++
		}
	}
	if v.Rule != nil && len(v.Uncertain) == 0 {
		if h := c.bySource[v.Rule.Source]; h != nil {
			h.hits[col]++
		}
	}
	for _, m := range v.Monitors {
		if h := c.bySource[m.Source]; h != nil {
			h.hits[col]++
		}
	}
}

// Add counts one record.
func (c *Check) Add(r *analysis.Record) {
	for i, p := range c.profiles {
		hp := r.Profiles[p]
		v := hp.Verdict
		if i == 0 && r.Verdict != nil && r.Verdict.From == analysis.VerdictFromLog {
			v = r.Verdict // what the firewall logged, not what it was predicted to
		}
		c.count(v, i)
		c.addHost(hp.Host)
	}
	c.count(r.IntendedVerdict, len(c.profiles))
	c.addHost(r.SNI)
	for _, n := range r.DNSNames {
		c.addHost(n)
	}
	where := fmt.Sprintf("%s %s %s -> %s", r.File, time.Time(r.Time).UTC().Format("2006-01-02 15:04:05"), r.Client, r.Server)
	v, iv := r.Verdict, r.IntendedVerdict
	if v == nil || iv == nil {
		c.unjudged.add(c.notCompared(r), where, nil)
	} else {
		c.compared++
	}
	if lg := r.Logged; lg != nil && lg.Host != "" {
		c.logged++
		c.addHost(lg.Host)
		if slices.Contains(r.Flags, analysis.FlagLoggedDiffers) {
			c.loggedDiffers.add(fmt.Sprintf("logged %s, %s predicts %s", lg.Host, c.chosen, hostText(r.Host)), where+" ("+lg.Event+")", nil)
		}
	}
	if slices.Contains(r.Flags, analysis.FlagVerdictDiffers) {
		host, source := r.Host, r.HostSource
		if v.From == analysis.VerdictFromLog { // the host the firewall logged
			host, source = v.Name, "logged"
		}
		key := strings.Join([]string{host, source, actionText(v), iv.Name, iv.From, actionText(iv)}, "\x00")
		c.differs.add(key, where, func() any {
			return &differ{host: host, source: source, v: v, iv: iv, valid: !r.NamesEscaped}
		})
	}
	if slices.Contains(r.Flags, analysis.FlagProfilesVerdictDiffers) {
		// "toos.cisco.com: block (ftd); tools.cisco.com: allow (snort3, …)"
		var keys []string
		by := map[string][]string{}
		for _, p := range c.profiles {
			hp := r.Profiles[p]
			if hp.Verdict != nil {
				k := hostText(hp.Host) + ": " + actionText(hp.Verdict)
				if by[k] == nil {
					keys = append(keys, k)
				}
				by[k] = append(by[k], p)
			}
		}
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+" ("+strings.Join(by[k], ", ")+")")
		}
		c.profDiffers.add(strings.Join(parts, "; "), where, nil)
	}
	if slices.Contains(r.Flags, analysis.FlagRuleUnspecified) {
		for _, w := range []*analysis.Verdict{v, iv} {
			if w != nil && len(w.Actions) > 1 {
				c.unspecified.add(fmt.Sprintf("%s: %s: %s", hostText(w.Name), actionText(w), w.Why), where, nil)
			}
		}
	}

}

// notCompared says why r's verdicts cannot be compared: the logged host
// is unknown (host_unknown says why: the certificate, or an SNI the
// capture did not show whole), or nothing tells what the client meant.
func (c *Check) notCompared(r *analysis.Record) string {
	var why []string
	if r.Verdict == nil {
		u := r.HostUnknown
		if u == "" {
			u = "unknown"
		}
		why = append(why, "the host "+c.chosen+" logs "+u)
	}
	if r.IntendedVerdict == nil {
		if r.SNIStatus == analysis.SNIUnknown {
			why = append(why, "the SNI is unknown (the ClientHello was not read whole) and no DNS name tells what the client meant")
		} else {
			why = append(why, "no SNI and no DNS name tell what the client meant")
		}
	}
	return strings.Join(why, "; ")
}

func hostText(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}

// differ is one kind of verdict-differs: a logged host, its verdict and the
// name meant with its verdict.
type differ struct {
	host, source string
	v, iv        *analysis.Verdict
	valid        bool
}

// groups are findings counted by a key, in order of first appearance.
type groups struct {
	list []*group
	by   map[string]*group
}

type group struct {
	key   string
	n     int
	first string // where the first connection was
	data  any
}

func (g *groups) add(key, where string, data func() any) {
	if x := g.by[key]; x != nil {
		x.n++
		return
	}
	if g.by == nil {
		g.by = map[string]*group{}
	}
	x := &group{key: key, n: 1, first: where}
	if data != nil {
		x.data = data()
	}
	g.by[key] = x
	g.list = append(g.list, x)
}

// sorted lists the groups, most connections first.
func (g *groups) sorted() []*group {
	l := slices.Clone(g.list)
	slices.SortStableFunc(l, func(a, b *group) int { return cmp.Compare(b.n, a.n) })
	return l
}

// Bounds of the report: the JSON of 'tsid analyze --rules' has everything.
const (
	reportGroups = 100 // verdict-differs kinds with fixes
	reportOthers = 20  // profiles-verdict-differs and rule-unspecified kinds
	reportNames  = 10  // names listed for what a fix also matches
)

// Report writes the report of the records seen.
func (c *Check) Report(w io.Writer) {
	p := c.policy
	fmt.Fprintf(w, "Policy: %s, %s, %s, %s; default action %s\n",
		count(len(p.Rules), "access rule"), count(len(p.SIBlock), "SI Block entry"),
		count(len(p.SIAllow), "SI Do-Not-Block entry"), count(len(p.DNSBlock), "DNS Block entry"), p.Default)
	if c.logged > 0 {
		fmt.Fprintf(w, "With the firewall's log: %s joined to a logged host; their %s column counts the logged host.\n",
			count(c.logged, "connection"), c.chosen)
	}
	c.writeHits(w)
	c.writeGroups(w, &c.loggedDiffers, analysis.FlagLoggedDiffers, "the firewall logged another host than "+c.chosen+" predicts")
	c.writeDiffers(w)
	c.writeGroups(w, &c.profDiffers, "profiles-verdict-differs", "the action depends on the firewall behaviour")
	c.writeGroups(w, &c.unspecified, "rule-unspecified", "the action depends on what the vendor does not document")
}

func count(n int, what string) string {
	s := strconv.Itoa(n) + " " + what
	if n != 1 {
		if strings.HasSuffix(what, "y") {
			return s[:len(s)-1] + "ies"
		}
		return s + "s"
	}
	return s
}

func (c *Check) writeHits(w io.Writer) {
	fmt.Fprintf(w, "\nConnections each rule decides, under each profile and for the name the client meant\n")
	fmt.Fprintf(w, "(SNI, else DNS name); N+M? means M more where the rule's match is undocumented.\n")
	fmt.Fprintf(w, "verdict-differs compares %s with intended.\n\n", c.chosen)
	head := append(slices.Clone(c.profiles), "intended")
	widths := make([]int, len(head))
	cell := func(h *ruleHits, i int) string {
		s := strconv.Itoa(h.hits[i])
		if h.may[i] > 0 {
			s += "+" + strconv.Itoa(h.may[i]) + "?"
		}
		return s
	}
	all := append(slices.Clone(c.rules), &c.def)
	for i, h := range head {
		widths[i] = len(h)
		for _, r := range all {
			widths[i] = max(widths[i], len(cell(r, i)))
		}
	}
	var b strings.Builder
	line := func(cells []string, rule string) {
		b.Reset()
		for i, s := range cells {
			b.WriteString(strings.Repeat(" ", widths[i]-len(s)+2))
			b.WriteString(s)
		}
		b.WriteString("  ")
		b.WriteString(rule)
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(head, "rule")
	var never []*ruleHits
	for _, r := range all {
		cells := make([]string, len(head))
		used := false
		for i := range head {
			cells[i] = cell(r, i)
			used = used || r.hits[i] > 0 || r.may[i] > 0
		}
		if r != &c.def && !used {
			never = append(never, r)
		}
		line(cells, r.label)
	}
	if c.reached > 0 {
		fmt.Fprintf(w, "\n%s reached a rule whose match is undocumented first; the rule or default that\n"+
			"decides them otherwise is not counted.\n", count(c.reached, "verdict"))
	}
	if len(never) == 0 {
		fmt.Fprintf(w, "\nEvery rule matched at least one connection.\n")
		return
	}
	fmt.Fprintf(w, "\nNever matched (%d):\n", len(never))
	for _, r := range never {
		fmt.Fprintf(w, "  %s\n", r.label)
	}
}

// listName says which list an entry is in; access rules say their action.
func listName(r *urlrules.Rule) string {
	switch {
	case r.Layer == urlrules.LayerDNS:
		return "DNS block: "
	case r.Layer == urlrules.LayerSI && r.Action == urlrules.Allow:
		return "SI do-not-block: "
	case r.Layer == urlrules.LayerSI:
		return "SI block: "
	}
	return ""
}

func (c *Check) writeDiffers(w io.Writer) {
	l := c.differs.sorted()
	total := 0
	for _, g := range l {
		total += g.n
	}
	if l := c.unjudged.sorted(); len(l) > 0 {
		defer func() {
			n := 0
			for _, g := range l {
				n += g.n
			}
			fmt.Fprintf(w, "\n%s not compared:\n", count(n, "connection"))
			for i, g := range l {
				if i == reportOthers {
					fmt.Fprintf(w, "  … %d more reasons\n", len(l)-i)
					break
				}
				fmt.Fprintf(w, "  %d  %s\n     first: %s\n", g.n, Printable(g.key), Printable(g.first))
			}
		}()
	}
	if total == 0 {
		if len(c.unspecified.list) > 0 {
			fmt.Fprintf(w, "\nverdict-differs: none for certain; where a verdict depends on what the vendor does not\n"+
				"document (rule-unspecified, below), the logged host and the name meant may still differ.\n")
			return
		}
		switch {
		case c.compared == 0 && len(c.unjudged.list) > 0:
			// Nothing was compared: "none" would claim what the captures
			// did not show.
			fmt.Fprintf(w, "\nverdict-differs: none found, but no connection could be compared (below).\n")
		case len(c.unjudged.list) > 0:
			fmt.Fprintf(w, "\nverdict-differs: none; in the %s compared, each logged host gets the action of the\n"+
				"name the client meant.\n", count(c.compared, "connection"))
		default:
			fmt.Fprintf(w, "\nverdict-differs: none; each logged host gets the action of the name the client meant.\n")
		}
		return
	}
	fmt.Fprintf(w, "\nverdict-differs: %s where the logged host (%s) gets another action than the name\n"+
		"the client meant; fixes narrowest first, each with what else it matches in the captures.\n",
		count(total, "connection"), c.chosen)
	for i, g := range l {
		if i == reportGroups {
			fmt.Fprintf(w, "\n… %d more kinds; 'tsid analyze --rules … -f json' lists every connection.\n", len(l)-i)
			break
		}
		d := g.data.(*differ)
		src := ""
		if d.source != "" {
			src = ", " + d.source
		}
		fmt.Fprintf(w, "\n%s (%s%s): %s\n", Printable(hostText(d.host)), c.chosen, src, Printable(verdictPhrase(d.v)))
		fmt.Fprintf(w, "  meant %s (%s): %s\n", Printable(d.iv.Name), d.iv.From, Printable(verdictPhrase(d.iv)))
		for _, o := range d.iv.Others {
			ov := &analysis.Verdict{Action: o.Action, Actions: o.Actions, Rule: o.Rule}
			fmt.Fprintf(w, "  or %s (dns): %s\n", Printable(o.Name), Printable(verdictPhrase(ov)))
		}
		fmt.Fprintf(w, "  %s, first %s\n", count(g.n, "connection"), Printable(g.first))
		c.writeFixes(w, d)
	}
}

// writeFixes prints the suggestions for one kind of verdict-differs.
func (c *Check) writeFixes(w io.Writer, d *differ) {
	switch {
	case d.host == "":
		fmt.Fprintf(w, "  no fix: no host is logged, so only a rule without URL condition or the default action applies\n")
		return
	case !d.valid:
		fmt.Fprintf(w, "  no fix: a name holds bytes that are not UTF-8\n")
		return
	case len(d.iv.Actions) > 1:
		fmt.Fprintf(w, "  no fix: the verdict of %s is itself undocumented\n", Printable(d.iv.Name))
		return
	}
	sugg := c.policy.Suggest(d.host, d.iv.Name)
	if len(sugg) == 0 {
		fmt.Fprintf(w, "  no fix found: no entry for %s or a parent domain up to its registrable domain gives it %s\n",
			Printable(d.host), d.iv.Action)
		return
	}
	for i, s := range sugg {
		var adds []string
		for _, ch := range s.Changes {
			adds = append(adds, ch.String())
		}
		fmt.Fprintf(w, "  fix %d: %s\n", i+1, Printable(strings.Join(adds, ", and ")))
		fmt.Fprintf(w, "    covers: %s\n", Printable(s.Note))
		also := s.Matches(c.hosts)
		// Only a host an added entry matches can change its verdict.
		changed := s.Changed(also)
		fmt.Fprintf(w, "    also matches in the captures: %s\n", nameList(also))
		if len(also) > 0 {
			fmt.Fprintf(w, "    changes the verdict of: %s\n", nameList(changed))
		}
	}
}

func nameList(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	var l []string
	for i, n := range names {
		if i == reportNames {
			l = append(l, fmt.Sprintf("… (%d in all)", len(names)))
			break
		}
		l = append(l, Printable(n))
	}
	return strings.Join(l, ", ")
}

// writeGroups lists the kinds of connections with flag, most first.
func (c *Check) writeGroups(w io.Writer, g *groups, flag, what string) {
	l := g.sorted()
	if len(l) == 0 {
		return
	}
	total := 0
	for _, x := range l {
		total += x.n
	}
	fmt.Fprintf(w, "\n%s: %s where %s:\n", flag, count(total, "connection"), what)
	for i, x := range l {
		if i == reportOthers {
			fmt.Fprintf(w, "  … %d more kinds\n", len(l)-i)
			break
		}
		fmt.Fprintf(w, "  %s\n    %s, first %s\n", cut(Printable(x.key), explainWidth), count(x.n, "connection"), Printable(x.first))
	}
}
