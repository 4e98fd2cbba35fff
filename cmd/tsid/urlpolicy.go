package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/urlrules"
)

// URL rules: the flags that give a URL-filter policy, loading it, and
// judging each connection's names with it (see urlrules/doc.go).

// The flags tsid adds when URL rules are given, after sniid's.
const (
	flagVerdictDiffers         = "verdict-differs"          // the logged host gets another action than the name meant
	flagProfilesVerdictDiffers = "profiles-verdict-differs" // the action depends on the firewall behaviour
	flagRuleUnspecified        = "rule-unspecified"         // the action depends on what the vendor does not document
)

// failOnFlags maps the values of --fail-on to the flag each checks.
var failOnFlags = map[string]string{
	"verdict-differs":          flagVerdictDiffers,
	"profiles-verdict-differs": flagProfilesVerdictDiffers,
	"unspecified":              flagRuleUnspecified,
	"rule-unspecified":         flagRuleUnspecified,
}

// ruleOptions are the flags of a URL policy, shared by 'tsid analyze' and
// 'tsid rules check'.
type ruleOptions struct {
	rules, siBlock, siAllow, dnsBlock []string
	defaultAction                     string
	assumeConditions                  bool
	failOn                            []string

	policy *urlrules.Policy // nil: no rules given
	fail   []string         // the flags --fail-on checks
}

func addRuleFlags(fs *pflag.FlagSet, o *ruleOptions) {
	fs.StringArrayVar(&o.rules, "rules", nil, "URL rules `FILE` to judge each connection with: a rules file or FMC REST API JSON (repeatable)")
	fs.StringArrayVar(&o.siBlock, "si-block", nil, "Security Intelligence URL Block list `FILE` (repeatable)")
	fs.StringArrayVar(&o.siAllow, "si-allow", nil, "Security Intelligence URL Do-Not-Block list `FILE` (repeatable)")
	fs.StringArrayVar(&o.dnsBlock, "dns-block", nil, "Security Intelligence DNS Block list `FILE` (repeatable)")
	fs.StringVar(&o.defaultAction, "default-action", "", "`ACTION` when no rule decides: allow, trust, block or interactive-block (default: an FMC export's, else block)")
	fs.BoolVar(&o.assumeConditions, "assume-other-conditions", false, "take an FMC rule's conditions other than URLs (zones, networks, ports, users, ...) as met")
	fs.StringSliceVar(&o.failOn, "fail-on", nil, "exit 1 when a connection has `FLAG`: verdict-differs, profiles-verdict-differs or unspecified (comma list)")
}

// given reports whether any rules were given.
func (o *ruleOptions) given() bool {
	return len(o.rules)+len(o.siBlock)+len(o.siAllow)+len(o.dnsBlock) > 0
}

// load reads the files of the flags into o.policy and checks --fail-on.
// Warnings go to stderr unless quiet; a bad line is an exit status 2 error
// "file:line: why".
func (o *ruleOptions) load(cmd string, fs *pflag.FlagSet, stderr io.Writer, quiet bool) error {
	for _, f := range o.failOn {
		flag, ok := failOnFlags[f]
		if !ok {
			return usageErrorf("%s: --fail-on %q: want verdict-differs, profiles-verdict-differs or unspecified", cmd, f)
		}
		if !slices.Contains(o.fail, flag) {
			o.fail = append(o.fail, flag)
		}
	}
	if !o.given() {
		for _, name := range []string{"fail-on", "default-action", "assume-other-conditions"} {
			if fs.Changed(name) {
				return usageErrorf("%s: --%s needs URL rules (--rules, --si-block, --si-allow or --dns-block)", cmd, name)
			}
		}
		return nil
	}
	var def urlrules.Action
	if fs.Changed("default-action") {
		a, err := urlrules.ParseAction(o.defaultAction)
		if err == nil && a == urlrules.Monitor {
			err = fmt.Errorf("monitor is no default action")
		}
		if err != nil {
			return usageErrorf("%s: --default-action: %v", cmd, trimPkg(err))
		}
		def = a
	}
	p := &urlrules.Policy{AssumeOtherConditions: o.assumeConditions}
	var warns []urlrules.Warning
	add := func(w []urlrules.Warning, err error) error {
		if err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		warns = append(warns, w...)
		return nil
	}

	// Plain rules files are read in order; the JSON files together are one
	// FMC export, whose rules go where the first of them was given.
	var docs []urlrules.Doc
	fmcAt := -1
	for _, name := range o.rules {
		data, err := readRulesFile("rules", name)
		if err != nil {
			return err
		}
		if urlrules.IsJSON(data) {
			if fmcAt < 0 {
				fmcAt = len(p.Rules)
			}
			docs = append(docs, urlrules.Doc{Name: name, Data: data})
			continue
		}
		rules, w, err := urlrules.ParseRules(name, strings.NewReader(string(data)))
		if err := add(w, err); err != nil {
			return err
		}
		p.Rules = append(p.Rules, rules...)
	}
	if len(docs) > 0 {
		exp, w, err := urlrules.ParseFMC(docs...)
		if err := add(w, err); err != nil {
			return err
		}
		p.Rules = slices.Insert(p.Rules, fmcAt, exp.Rules...)
		switch {
		case def == "":
			def = exp.Default
		case exp.Default != "" && exp.Default != def:
			warns = append(warns, urlrules.Warning{Source: docs[0].Name, Msg: fmt.Sprintf("--default-action %s replaces the export's default action %s", def, exp.Default)})
		}
	}
	lists := []struct {
		flag  string
		files []string
		into  *[]urlrules.Rule
		parse func(string, io.Reader) ([]urlrules.Rule, []urlrules.Warning, error)
	}{
		{"dns-block", o.dnsBlock, &p.DNSBlock, urlrules.ParseDNSList},
		{"si-allow", o.siAllow, &p.SIAllow, func(n string, r io.Reader) ([]urlrules.Rule, []urlrules.Warning, error) {
			return urlrules.ParseSIList(n, r, urlrules.Allow)
		}},
		{"si-block", o.siBlock, &p.SIBlock, func(n string, r io.Reader) ([]urlrules.Rule, []urlrules.Warning, error) {
			return urlrules.ParseSIList(n, r, urlrules.Block)
		}},
	}
	for _, l := range lists {
		for _, name := range l.files {
			data, err := readRulesFile(l.flag, name)
			if err != nil {
				return err
			}
			rules, w, err := l.parse(name, strings.NewReader(string(data)))
			if err := add(w, err); err != nil {
				return err
			}
			*l.into = append(*l.into, rules...)
		}
	}
	if def == "" {
		def = urlrules.Block
	}
	p.Default = def
	if !quiet {
		for _, w := range warns {
			fmt.Fprintf(stderr, "tsid: warning: %s\n", printable(w.String()))
		}
	}
	o.policy = p
	return nil
}

// readRulesFile reads a file named by a rules flag.
func readRulesFile(flag, name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return nil, &exitError{code: 2, msg: fmt.Sprintf("--%s %s: %v", flag, name, err)}
	}
	return data, nil
}

// judge adds the policy's verdicts to r: for the host each profile logs
// (r.Verdict for the chosen one; r.Profiles with --profile all) and for the
// name the client meant, and the flags they call for. It runs on the record
// stage, before the record's names are escaped.
func (an *analysis) judge(fr *fileRun, r *Record, as *sniid.Assessment) {
	p := an.opts.rules.policy
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
	r.IntendedVerdict = fr.intendedVerdict(p, r.SNI, dns)

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
			r.Flags = append(r.Flags, flagVerdictDiffers)
		}
	}
	for _, w := range verdicts[min(1, len(verdicts)):] {
		if !mayAgree(verdicts[0].Actions, verdicts[0].Action, w.Actions, w.Action) {
			r.Flags = append(r.Flags, flagProfilesVerdictDiffers)
			break
		}
	}
	if v != nil && len(v.Actions) > 1 || iv != nil && len(iv.Actions) > 1 {
		r.Flags = append(r.Flags, flagRuleUnspecified)
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

// intendedVerdict is the verdict for the name the client meant: its SNI,
// else the names it resolved. When those get different actions the first
// name's verdict carries the others (Others); nil when there is no name.
func (fr *fileRun) intendedVerdict(p *urlrules.Policy, sni string, dns []string) *Verdict {
	if sni != "" {
		v := *fr.verdict(p, sni, dns)
		v.From = "sni"
		return &v
	}
	if len(dns) == 0 {
		return nil
	}
	v := *fr.verdict(p, dns[0], dns)
	v.From = "dns"
	for _, n := range dns[1:] {
		o := fr.verdict(p, n, dns)
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
	v := &Verdict{Name: esc(name), Action: string(uv.Action), Rule: ruleRef(uv.Rule), Why: esc(uv.Why)}
	if len(uv.Actions) > 1 {
		for _, a := range uv.Actions {
			v.Actions = append(v.Actions, string(a))
		}
	}
	for _, r := range uv.Uncertain {
		v.Uncertain = append(v.Uncertain, *ruleRef(r))
	}
	for _, r := range uv.Monitors {
		v.Monitors = append(v.Monitors, *ruleRef(r))
	}
	return v
}

func ruleRef(r *urlrules.Rule) *RuleRef {
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

// actionText shows a verdict's action for the table and CSV: "?" when
// unknown, every possible action joined with "|" when undocumented.
func actionText(v *Verdict) string {
	switch {
	case v == nil:
		return "?"
	case len(v.Actions) > 1:
		return strings.Join(v.Actions, "|")
	}
	return v.Action
}

// ruleText names the deciding rule for the table: "(default)" for the
// default action.
func ruleText(v *Verdict) string {
	switch {
	case v == nil:
		return ""
	case v.Rule == nil:
		return "(default)"
	}
	return v.Rule.Source + " " + v.Rule.Text
}

// failed is the exit status error of --fail-on: status 1 when a
// connection carries a flag it names.
func (o *ruleOptions) failed(s *summary, quiet bool) error {
	var found []string
	for _, f := range o.fail {
		if n := s.count(f); n > 0 {
			found = append(found, fmt.Sprintf("%d %s with %s", n, plural(n, "connection"), f))
		}
	}
	if len(found) == 0 {
		return nil
	}
	e := &exitError{code: 1}
	if !quiet {
		e.msg = "--fail-on: " + strings.Join(found, ", ")
	}
	return e
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// writeIntended adds the table's line for the name the client meant, when
// it is another name than the logged host or gets another action.
func writeIntended(b *strings.Builder, r *Record) {
	iv, v := r.IntendedVerdict, r.Verdict
	if iv == nil || v != nil && iv.Name == v.Name && sameActions(iv.Actions, iv.Action, v.Actions, v.Action) {
		return
	}
	items := []string{fmt.Sprintf("%s (%s): %s", iv.Name, iv.From, verdictPhrase(iv))}
	for _, o := range iv.Others {
		ov := &Verdict{Action: o.Action, Actions: o.Actions, Rule: o.Rule}
		items = append(items, fmt.Sprintf("%s (dns): %s", o.Name, verdictPhrase(ov)))
	}
	b.WriteString(wrapList("    intended: ", items))
	b.WriteByte('\n')
}

// verdictPhrase says a verdict in words: "allow by rules.txt:1 allow
// tools.cisco.com", "block by the default action".
func verdictPhrase(v *Verdict) string {
	if v.Rule == nil {
		return actionText(v) + " by the default action"
	}
	return actionText(v) + " by " + ruleText(v)
}

// writeWhy adds the --explain lines that say why each verdict is what it is.
func writeWhy(b *strings.Builder, r *Record) {
	if v := r.Verdict; v != nil {
		fmt.Fprintf(b, "    verdict: %s\n", cut(printable(v.Why), explainWidth))
	}
	if iv := r.IntendedVerdict; iv != nil {
		fmt.Fprintf(b, "    intended verdict (%s): %s\n", printable(iv.Name), cut(printable(iv.Why), explainWidth))
	}
}
