package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/report"
	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/urlrules"
)

// URL rules: the flags that give a URL-filter policy, loading it, and
// judging each connection's names with it (see urlrules/doc.go).

// ruleFlags are the flags only URL rules raise; --fail-on with one of
// them needs rules.
var ruleFlags = []string{analysis.FlagVerdictDiffers, analysis.FlagProfilesVerdictDiffers, analysis.FlagRuleUnspecified}

// failOnFlags maps the values of --fail-on to the flag each checks: any
// flag a record can carry (the README's flags table).
var failOnFlags = func() map[string]string {
	m := map[string]string{}
	for _, f := range append(append([]string{}, sniid.FlagOrder...), analysis.FlagOddName, analysis.FlagOverlapConflict,
		analysis.FlagCertDiffers, analysis.FlagSNIDiffers) {
		m[f] = f
	}
	for k, v := range ruleFailOn {
		m[k] = v
	}
	return m
}()

// ruleFailOn are the --fail-on values of the rule and log flags.
var ruleFailOn = map[string]string{
	"verdict-differs":          analysis.FlagVerdictDiffers,
	"profiles-verdict-differs": analysis.FlagProfilesVerdictDiffers,
	"unspecified":              analysis.FlagRuleUnspecified,
	"rule-unspecified":         analysis.FlagRuleUnspecified,
	"logged-differs":           analysis.FlagLoggedDiffers,
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
	fs.StringSliceVar(&o.failOn, "fail-on", nil, "exit 1 when a connection has `FLAG`: any flag (no-sni, near-miss, …; verdict-differs, profiles-verdict-differs, unspecified with rules; logged-differs with --events); comma list")
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
			return usageErrorf("%s: --fail-on %q is not a flag (want one of the flags table: no-sni, near-miss, verdict-differs, logged-differs, …)", cmd, f)
		}
		if !slices.Contains(o.fail, flag) {
			o.fail = append(o.fail, flag)
		}
	}
	if !o.given() {
		for _, name := range []string{"fail-on", "default-action", "assume-other-conditions"} {
			if name == "fail-on" && !slices.ContainsFunc(o.fail, func(f string) bool { return slices.Contains(ruleFlags, f) }) {
				continue // none of them is a rule flag
			}
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
	p, warns, err := urlrules.LoadPolicy(urlrules.Sources{Rules: o.rules, SIBlock: o.siBlock, SIAllow: o.siAllow,
		DNSBlock: o.dnsBlock, Default: def, AssumeOtherConditions: o.assumeConditions})
	var re *urlrules.ReadError
	switch {
	case errors.As(err, &re):
		return &exitError{code: 2, msg: fmt.Sprintf("--%s %s: %v", re.List, re.File, re.Err)}
	case err != nil:
		return &exitError{code: 2, msg: err.Error()}
	}
	if !quiet {
		for _, w := range warns {
			fmt.Fprintf(stderr, "tsid: warning: %s\n", report.Printable(w.String()))
		}
	}
	o.policy = p
	return nil
}

// failed is the exit status error of --fail-on: status 1 when a
// connection carries a flag it names.
func (o *ruleOptions) failed(s *analysis.Summary, counts map[string]int, quiet bool) error {
	var found []string
	for _, f := range o.fail {
		n := counts[f]
		if slices.Contains(ruleFlags, f) || f == analysis.FlagLoggedDiffers {
			n = s.Count(f) // counted once per connection however the records were joined
		}
		if n > 0 {
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
