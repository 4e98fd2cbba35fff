package analysis

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/urlrules"
)

// judge adds the policy's verdicts to r: for the host each profile logs
// (r.Verdict for the chosen one; r.Profiles with --profile all) and for the
// name the client meant, and the flags they call for. It runs on the record
// stage, before the record's names are escaped.
func (an *Analyzer) judge(fr *fileRun, r *Record, f *sniid.Facts, as *sniid.Assessment) {
	p := an.opts.Policy
	dns := r.DNSNames
	var verdicts []*Verdict // known ones, one per profile
	for i, d := range as.Profiles {
		v := fr.hostVerdict(p, d, dns)
		if i == 0 {
			r.Verdict = v
		}
		if hp, ok := r.Profiles[d.Profile]; ok {
			hp.Verdict = v
			r.Profiles[d.Profile] = hp
		}
		if v != nil {
			verdicts = append(verdicts, v)
		}
	}
	// What the firewall logged is what its policy saw: the verdict is the
	// logged host's when the log names one (Verdict.From "log").
	if lg := r.Logged; lg != nil && lg.Host != "" {
		v := *fr.verdict(p, lg.Host, dns) // a copy: verdicts are shared
		v.From = VerdictFromLog
		r.Verdict = &v
	}
	r.IntendedVerdict = fr.intendedVerdict(p, f)

	v, iv := r.Verdict, r.IntendedVerdict
	// A flag that says two verdicts differ is raised only when they differ
	// under every reading of what the vendor leaves undocumented; where the
	// answer depends on it, rule-unspecified says so.
	if v != nil && iv != nil && !mayAgree(v.Actions, v.Action, iv.Actions, iv.Action) {
		differs := true
		for _, o := range iv.Others { // the client may have meant another of its names
			differs = differs && !mayAgree(v.Actions, v.Action, o.Actions, o.Action)
		}
		if differs {
			r.Flags = append(r.Flags, FlagVerdictDiffers)
		}
	}
	for _, w := range verdicts[min(1, len(verdicts)):] {
		if !mayAgree(verdicts[0].Actions, verdicts[0].Action, w.Actions, w.Action) {
			r.Flags = append(r.Flags, FlagProfilesVerdictDiffers)
			break
		}
	}
	if v != nil && len(v.Actions) > 1 || iv != nil && len(iv.Actions) > 1 {
		r.Flags = append(r.Flags, FlagRuleUnspecified)
	}
}

// hostVerdict is the verdict for the host profile decision d logs; nil
// when the capture does not show what it logs, unless the client's DNS
// names are blocked whatever TLS would log.
func (fr *fileRun) hostVerdict(p *urlrules.Policy, d sniid.Decision, dns []string) *Verdict {
	if d.Unknown == "" {
		return fr.verdict(p, d.Host, dns)
	}
	if len(p.DNSBlock) == 0 || len(dns) == 0 {
		return nil
	}
	if v := fr.verdict(p, "", dns); v.Rule != nil && v.Rule.Layer == string(urlrules.LayerDNS) && len(v.Actions) == 0 {
		return v
	}
	return nil
}

// intendedVerdict is the verdict for the name the client meant
// (sniid.Facts.Meant): its SNI, else the names it resolved. When those get
// different actions the first name's verdict carries the others (Others);
// nil when there is no name.
func (fr *fileRun) intendedVerdict(p *urlrules.Policy, f *sniid.Facts) *Verdict {
	meant := f.Meant()
	if len(meant) == 0 {
		return nil
	}
	from := "dns"
	switch {
	case f.SNIStatus != sniid.SNIUnknown && f.SNI != "":
		from, meant = "sni", meant[:1] // the SNI is what it meant
	case f.ConnectName != "":
		from, meant = "connect", meant[:1] // so is the host it asked its proxy for
	}
	v := *fr.verdict(p, meant[0], f.DNSNames)
	v.From = from
	for _, n := range meant[1:] {
		o := fr.verdict(p, n, f.DNSNames)
		if !sameActions(v.Actions, v.Action, o.Actions, o.Action) {
			v.Others = append(v.Others, NameVerdict{Name: o.Name, Action: o.Action, Actions: o.Actions, Rule: o.Rule})
		}
	}
	return &v
}

// verdict evaluates name with the connection's DNS names, once per file
// for each distinct question: a capture shows the same hosts again and
// again. The result is shared and must not be changed.
func (fr *fileRun) verdict(p *urlrules.Policy, name string, dns []string) *Verdict {
	key := strconv.Itoa(len(name)) + ":" + name
	if len(p.DNSBlock) > 0 { // only DNS lists look at the DNS names
		for _, n := range dns {
			key += strconv.Itoa(len(n)) + ":" + n
		}
	}
	if v := fr.verdicts[key]; v != nil {
		return v
	}
	if len(fr.verdicts) >= 4096 || fr.verdicts == nil {
		fr.verdicts = make(map[string]*Verdict)
	}
	v := newVerdict(name, p.EvaluateConn(urlrules.Conn{Host: name, DNSNames: dns}))
	fr.verdicts[key] = v
	return v
}

// newVerdict is the record's form of uv, its strings escaped.
func newVerdict(name string, uv urlrules.Verdict) *Verdict {
	v := &Verdict{Name: esc(name), Action: string(uv.Action), Rule: RuleRefOf(uv.Rule), Why: esc(uv.Why)}
	if len(uv.Actions) > 1 {
		for _, a := range uv.Actions {
			v.Actions = append(v.Actions, string(a))
		}
	}
	for _, r := range uv.Uncertain {
		v.Uncertain = append(v.Uncertain, *RuleRefOf(r))
	}
	for _, r := range uv.Monitors {
		v.Monitors = append(v.Monitors, *RuleRefOf(r))
	}
	return v
}

// RuleRefOf names rule r as a Record does; nil for nil.
func RuleRefOf(r *urlrules.Rule) *RuleRef {
	if r == nil {
		return nil
	}
	text := r.Text
	if text == "" {
		text = strings.TrimSpace(string(r.Action) + " " + strings.Join(r.Entries, " "))
	}
	return &RuleRef{Layer: string(r.Layer), Source: esc(r.Source), Text: esc(text), Name: esc(r.Name)}
}

func esc(s string) string {
	s, _ = escapeNonUTF8(s)
	return s
}

// SameActions reports whether verdicts v and w allow the same actions,
// as sets.
func SameActions(v, w *Verdict) bool {
	return sameActions(v.Actions, v.Action, w.Actions, w.Action)
}

// sameActions reports whether two verdicts allow the same actions, as
// sets: Actions when there are several, else Action.
func sameActions(as []string, a string, bs []string, b string) bool {
	if len(as) == 0 {
		as = []string{a}
	}
	if len(bs) == 0 {
		bs = []string{b}
	}
	if len(as) != len(bs) {
		return false
	}
	for _, x := range as {
		if !slices.Contains(bs, x) {
			return false
		}
	}
	return true
}

// mayAgree reports whether two verdicts can give the same action: one of
// the actions each may take is the same.
func mayAgree(as []string, a string, bs []string, b string) bool {
	if len(as) == 0 {
		as = []string{a}
	}
	if len(bs) == 0 {
		bs = []string{b}
	}
	for _, x := range as {
		if slices.Contains(bs, x) {
			return true
		}
	}
	return false
}
