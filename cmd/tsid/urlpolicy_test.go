package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/urlrules"
)

// writeRules writes a rules file into a temporary directory.
func writeRules(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// jsonRecord is what the tests read of a record.
type jsonRecord struct {
	Host            string                       `json:"host"`
	SNI             string                       `json:"sni"`
	Flags           []string                     `json:"flags"`
	Verdict         *analysis.Verdict            `json:"verdict"`
	IntendedVerdict *analysis.Verdict            `json:"intended_verdict"`
	Profiles        map[string]analysis.HostPick `json:"profiles"`
}

func decodeRecords(t *testing.T, out string) []jsonRecord {
	t.Helper()
	var recs []jsonRecord
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r jsonRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("not JSON Lines: %v\n%s", err, out)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestRulesFieldCase: a rule for tools.cisco.com, default block, misses
// the connection FTD logs as toos.cisco.com; one for cisco.com does not.
func TestRulesFieldCase(t *testing.T) {
	repoRoot(t)
	tools := writeRules(t, "tools.rules", "# licensing\nallow tools.cisco.com\n")
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--rules", tools, "--profile", "all", fieldCase)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs := decodeRecords(t, out)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	want := &analysis.Verdict{Name: "toos.cisco.com", Action: "block", Why: "no rule matches: default action block"}
	if diff := cmp.Diff(want, r.Verdict); diff != "" {
		t.Errorf("verdict (-want +got):\n%s", diff)
	}
	iv := r.IntendedVerdict
	if iv == nil || iv.Name != "tools.cisco.com" || iv.From != "dns" || iv.Action != "allow" ||
		iv.Rule == nil || *iv.Rule != (analysis.RuleRef{Layer: "access", Source: tools + ":2", Text: "allow tools.cisco.com"}) {
		t.Errorf("intended verdict %+v", iv)
	}
	for _, f := range []string{analysis.FlagVerdictDiffers, analysis.FlagProfilesVerdictDiffers} {
		if !slices.Contains(r.Flags, f) {
			t.Errorf("flags %v lack %s", r.Flags, f)
		}
	}
	if slices.Contains(r.Flags, analysis.FlagRuleUnspecified) {
		t.Errorf("flags %v: nothing is unspecified here", r.Flags)
	}
	// sniid's flags come first, tsid's after them.
	if i := slices.Index(r.Flags, analysis.FlagVerdictDiffers); i < slices.Index(r.Flags, "profiles-disagree") {
		t.Errorf("flags %v: verdict-differs before sniid's", r.Flags)
	}
	if v := r.Profiles["ftd"].Verdict; v == nil || v.Action != "block" {
		t.Errorf("ftd verdict %+v", v)
	}
	if v := r.Profiles["snort3"].Verdict; v == nil || v.Action != "allow" || v.Name != "tools.cisco.com" {
		t.Errorf("snort3 verdict %+v", v)
	}
	if !strings.Contains(errs, "verdict-differs 1, profiles-verdict-differs 1, rule-unspecified 0") {
		t.Errorf("summary: %s", errs)
	}

	_, errs, code = runCLI(t, nil, "analyze", "-q", "--rules", tools, "--fail-on", "verdict-differs", fieldCase)
	if code != 1 || errs != "" {
		t.Errorf("--fail-on verdict-differs -q: exit %d, stderr %q; want 1 and nothing", code, errs)
	}
	_, errs, code = runCLI(t, nil, "analyze", "--rules", tools, "--fail-on", "profiles-verdict-differs", "-f", "json", fieldCase)
	if code != 1 || !strings.Contains(errs, "--fail-on: 1 connection with profiles-verdict-differs") {
		t.Errorf("--fail-on profiles-verdict-differs: exit %d, stderr %q", code, errs)
	}

	cisco := writeRules(t, "cisco.rules", "allow cisco.com\n")
	out, errs, code = runCLI(t, nil, "analyze", "-f", "json", "--rules", cisco, "--fail-on", "verdict-differs,profiles-verdict-differs,unspecified", fieldCase)
	if code != 0 {
		t.Fatalf("allow cisco.com: exit %d: %s", code, errs)
	}
	r = decodeRecords(t, out)[0]
	if r.Verdict.Action != "allow" || r.IntendedVerdict.Action != "allow" || slices.Contains(r.Flags, analysis.FlagVerdictDiffers) || slices.Contains(r.Flags, analysis.FlagProfilesVerdictDiffers) {
		t.Errorf("allow cisco.com: verdict %+v, intended %+v, flags %v", r.Verdict, r.IntendedVerdict, r.Flags)
	}
}

// TestRulesTable: the Action and Rule columns and the intended line come
// with rules only.
func TestRulesTable(t *testing.T) {
	repoRoot(t)
	tools := writeRules(t, "tools.rules", "allow tools.cisco.com\n")
	plain, _, _ := runCLI(t, nil, "analyze", fieldCase)
	if strings.Contains(plain, "Action") || strings.Contains(plain, "intended") || strings.Contains(plain, "verdict-differs") {
		t.Errorf("table without rules shows rule columns:\n%s", plain)
	}
	out, _, code := runCLI(t, nil, "analyze", "--rules", tools, "--profile", "all", "--explain", fieldCase)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasSuffix(lines[0], "From  Action  Rule") {
		t.Errorf("header %q", lines[0])
	}
	if !strings.HasSuffix(lines[1], "san   block   (default)") {
		t.Errorf("row %q", lines[1])
	}
	for _, want := range []string{
		"    intended: tools.cisco.com (dns): allow by " + tools + ":1 allow tools.cisco.com\n",
		"ftd=toos.cisco.com (san): block, snort3=tools.cisco.com (cn): allow",
		"    verdict: no rule matches: default action block\n",
		"    intended verdict (tools.cisco.com): " + tools + `:1 "allow tools.cisco.com" matches`,
		"verdict-differs 1, profiles-verdict-differs 1, rule-unspecified 0\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	csv, _, _ := runCLI(t, nil, "analyze", "-f", "csv", "--rules", tools, fieldCase)
	head, row, _ := strings.Cut(csv, "\n")
	if !strings.HasSuffix(head, ",action,rule_source,rule_text,intended_name,intended_from,intended_action,intended_rule_source,intended_rule_text") ||
		!strings.HasSuffix(strings.TrimSpace(row), ",block,(default),,tools.cisco.com,dns,allow,"+tools+":1,allow tools.cisco.com") {
		t.Errorf("csv:\n%s", csv)
	}
}

// TestRulesCheckFieldCase: the report suggests toos.cisco.com and
// cisco.com with what else they match, and --fail-on fails the run.
func TestRulesCheckFieldCase(t *testing.T) {
	repoRoot(t)
	tools := writeRules(t, "tools.rules", "allow tools.cisco.com\nblock ads.example.net\n")
	out, errs, code := runCLI(t, nil, "rules", "check", "--rules", tools, "--fail-on", "verdict-differs", fieldCase, "testdata/samples/cn-only.pcap")
	if code != 1 || !strings.Contains(errs, "--fail-on: 1 connection with verdict-differs") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		"Policy: 2 access rules, 0 SI Block entries, 0 SI Do-Not-Block entries, 0 DNS Block entries; default action block\n",
		"  ftd  snort3  snort-open  cisco-doc  paloalto  fortinet  checkpoint  intended  rule\n",
		"    0       1           1          1         1         1           1         1  " + tools + ":1 allow tools.cisco.com\n",
		"    0       0           0          0         0         0           0         0  " + tools + ":2 block ads.example.net\n",
		"    2       1           1          1         1         1           1         0  default action block\n",
		"Never matched (1):\n  " + tools + ":2 block ads.example.net\n",
		"toos.cisco.com (ftd, san): block by the default action\n",
		"  meant tools.cisco.com (dns): allow by " + tools + ":1 allow tools.cisco.com\n",
		"  1 connection, first " + fieldCase + " 2026-11-02 09:15:00 10.12.1.8:",
		`  fix 1: add "allow toos.cisco.com" after the last rule` + "\n" +
			"    covers: the rule also matches names ending in .toos.cisco.com\n" +
			"    also matches in the captures: nothing\n",
		`  fix 2: add "allow cisco.com" after the last rule` + "\n" +
			"    covers: the rule matches cisco.com and every name ending in .cisco.com\n" +
			"    also matches in the captures: tools.cisco.com\n" +
			"    changes the verdict of: nothing\n",
		"profiles-verdict-differs: 1 connection where the action depends on the firewall behaviour:\n" +
			"  toos.cisco.com: block (ftd); tools.cisco.com: allow (snort3, snort-open, cisco-doc, paloalto, fortinet, checkpoint)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "fix 1") > strings.Index(out, "fix 2") {
		t.Errorf("fixes not narrowest first:\n%s", out)
	}

	// A spoofed SNI: the client meant www.example.org, FTD logs
	// toos.cisco.com. Allowing cisco.com would also allow tools.cisco.com,
	// which another capture shows blocked: the report says so.
	org := writeRules(t, "org.rules", "allow www.example.org\n")
	out, _, _ = runCLI(t, nil, "rules", "check", "--rules", org, "testdata/samples/spoofed-sni.pcap", "testdata/samples/field-case-sni.pcap")
	for _, want := range []string{
		"toos.cisco.com (ftd, san): block by the default action\n  meant www.example.org (sni): allow by " + org + ":1 allow www.example.org\n",
		`  fix 2: add "allow cisco.com" after the last rule` + "\n" +
			"    covers: the rule matches cisco.com and every name ending in .cisco.com\n" +
			"    also matches in the captures: tools.cisco.com\n" +
			"    changes the verdict of: tools.cisco.com\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	cisco := writeRules(t, "cisco.rules", "allow cisco.com\n")
	out, errs, code = runCLI(t, nil, "rules", "check", "--rules", cisco, "--fail-on", "verdict-differs", fieldCase)
	if code != 0 || !strings.Contains(out, "verdict-differs: none;") || !strings.Contains(out, "Every rule matched") {
		t.Errorf("allow cisco.com: exit %d, stderr %q:\n%s", code, errs, out)
	}
}

// fmcExport is the example FMC REST API export, as --rules flags.
func fmcExport(t *testing.T, reverse bool) []string {
	t.Helper()
	files, err := filepath.Glob("urlrules/testdata/fmc/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("FMC export: %v %v", files, err)
	}
	if reverse {
		slices.Reverse(files)
	}
	var args []string
	for _, f := range files {
		args = append(args, "--rules", f)
	}
	return args
}

// TestRulesFMCExport: the FMC export and its equivalent rules file give
// every sample connection the same verdicts under every profile, in
// analyze and in rules check; the order of the JSON files does not matter.
func TestRulesFMCExport(t *testing.T) {
	repoRoot(t)
	files := samples(t)
	analyze := func(rules []string) []jsonRecord {
		args := append([]string{"analyze", "-q", "-f", "json", "--profile", "all"}, rules...)
		out, errs, code := runCLI(t, nil, append(args, files...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", rules, code, errs)
		}
		return decodeRecords(t, out)
	}
	plain := analyze([]string{"--rules", "urlrules/testdata/fmc/equivalent.rules"})
	type outcome struct {
		Action   string
		Actions  []string
		Default  bool
		Monitors int
	}
	sum := func(v *analysis.Verdict) *outcome {
		if v == nil {
			return nil
		}
		return &outcome{v.Action, v.Actions, v.Rule == nil, len(v.Monitors)}
	}
	var allowed, monitored int
	for _, reverse := range []bool{false, true} {
		fmc := analyze(fmcExport(t, reverse))
		if len(fmc) != len(plain) || len(plain) < 10 {
			t.Fatalf("%d records from the export, %d from the rules file", len(fmc), len(plain))
		}
		for i := range plain {
			p, f := plain[i], fmc[i]
			if diff := cmp.Diff(sum(p.Verdict), sum(f.Verdict)); diff != "" {
				t.Errorf("record %d (%s): verdict (-rules +fmc):\n%s", i, p.Host, diff)
			}
			if diff := cmp.Diff(sum(p.IntendedVerdict), sum(f.IntendedVerdict)); diff != "" {
				t.Errorf("record %d (%s): intended verdict (-rules +fmc):\n%s", i, p.Host, diff)
			}
			for name, hp := range p.Profiles {
				if diff := cmp.Diff(sum(hp.Verdict), sum(f.Profiles[name].Verdict)); diff != "" {
					t.Errorf("record %d: profile %s (-rules +fmc):\n%s", i, name, diff)
				}
			}
			if !slices.Equal(p.Flags, f.Flags) {
				t.Errorf("record %d: flags %v from the rules file, %v from the export", i, p.Flags, f.Flags)
			}
			if f.Verdict != nil && f.Verdict.Action == "allow" {
				allowed++
				if f.Verdict.Rule == nil || f.Verdict.Rule.Name == "" || !strings.Contains(f.Verdict.Rule.Source, ".json:") {
					t.Errorf("record %d: the export's rule is %+v", i, f.Verdict.Rule)
				}
			}
			if f.Verdict != nil && len(f.Verdict.Monitors) > 0 {
				monitored++
			}
		}
	}
	if allowed == 0 || monitored == 0 {
		t.Errorf("the samples exercise too little: %d allowed, %d monitored", allowed, monitored)
	}

	// rules check: the same fixes and the same counts, rule for rule.
	check := func(rules []string) string {
		args := append([]string{"rules", "check", "-q"}, rules...)
		out, errs, code := runCLI(t, nil, append(args, files...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", rules, code, errs)
		}
		return out
	}
	fixes := func(report string) string {
		_, after, _ := strings.Cut(report, "\nverdict-differs:")
		return after
	}
	pr, fr := check([]string{"--rules", "urlrules/testdata/fmc/equivalent.rules"}), check(fmcExport(t, false))
	if !strings.Contains(fixes(pr), `add "allow toos.cisco.com"`) || fixes(pr) != strings.ReplaceAll(fixes(fr), fmcRuleText, plainRuleText) {
		t.Errorf("fixes differ:\nrules file:%s\nexport:%s", fixes(pr), fixes(fr))
	}
	if !strings.Contains(fr, "    1       3           2          3         2         3           3         2  urlrules/testdata/fmc/accessrules-page1.json:104 rule Allow-Licensing (ALLOW): urls Cisco-Tools, Licensing-Servers\n") {
		t.Errorf("export counts:\n%s", fr)
	}
}

// How the intended rule reads in the two reports of TestRulesFMCExport.
const (
	fmcRuleText   = "urlrules/testdata/fmc/accessrules-page1.json:104 rule Allow-Licensing (ALLOW): urls Cisco-Tools, Licensing-Servers"
	plainRuleText = "urlrules/testdata/fmc/equivalent.rules:12 allow tools.cisco.com"
)

// TestRulesLists: SI and DNS lists and the default action.
func TestRulesLists(t *testing.T) {
	repoRoot(t)
	tools := writeRules(t, "tools.rules", "allow tools.cisco.com\n")
	dns := writeRules(t, "dns.txt", "tools.cisco.com\n")
	si := writeRules(t, "si.txt", "cisco.com\n")
	one := func(args ...string) jsonRecord {
		t.Helper()
		out, errs, code := runCLI(t, nil, append(append([]string{"analyze", "-q", "-f", "json"}, args...), fieldCase)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return decodeRecords(t, out)[0]
	}
	// A DNS block stops the query, whatever TLS would log: no difference.
	r := one("--rules", tools, "--dns-block", dns)
	if r.Verdict.Action != "block" || r.Verdict.Rule.Layer != "dns" || r.IntendedVerdict.Rule.Layer != "dns" || slices.Contains(r.Flags, analysis.FlagVerdictDiffers) {
		t.Errorf("dns block: %+v %+v %v", r.Verdict, r.IntendedVerdict, r.Flags)
	}
	r = one("--si-block", si, "--default-action", "allow")
	if r.Verdict.Action != "block" || *r.Verdict.Rule != (analysis.RuleRef{Layer: "si", Source: si + ":1", Text: "cisco.com"}) {
		t.Errorf("si block: %+v", r.Verdict)
	}
	r = one("--si-block", si, "--si-allow", writeRules(t, "dnb.txt", "toos.cisco.com\n"), "--default-action", "allow")
	if r.Verdict.Action != "allow" || r.IntendedVerdict.Action != "block" || !slices.Contains(r.Flags, analysis.FlagVerdictDiffers) {
		t.Errorf("si do-not-block: %+v %+v %v", r.Verdict, r.IntendedVerdict, r.Flags)
	}
	r = one("--rules", tools, "--default-action", "allow")
	if r.Verdict.Action != "allow" || slices.Contains(r.Flags, analysis.FlagVerdictDiffers) {
		t.Errorf("default allow: %+v %v", r.Verdict, r.Flags)
	}
	// An entry with a port is undocumented: the name meant may be allowed
	// or blocked, which is unspecified; toos.cisco.com is blocked whatever
	// the port does (issue 10). Blocked both ways is possible, so the
	// verdicts do not certainly differ.
	port := writeRules(t, "port.rules", "allow tools.cisco.com:443\n")
	r = one("--rules", port)
	if r.Verdict.Action != "block" || len(r.Verdict.Actions) != 0 || !slices.Equal(r.IntendedVerdict.Actions, []string{"allow", "block"}) ||
		!slices.Contains(r.Flags, analysis.FlagRuleUnspecified) || slices.Contains(r.Flags, analysis.FlagVerdictDiffers) {
		t.Errorf("port: %+v %+v %v", r.Verdict, r.IntendedVerdict, r.Flags)
	}
	_, _, code := runCLI(t, nil, "analyze", "-q", "--rules", port, "--fail-on", "unspecified", fieldCase)
	if code != 1 {
		t.Errorf("--fail-on unspecified: exit %d", code)
	}
	out, _, _ := runCLI(t, nil, "rules", "check", "--rules", port, fieldCase)
	if !strings.Contains(out, "    0+1?  ") || !strings.Contains(out, "rule-unspecified: 1 connection where the action depends on what the vendor does not document:\n") {
		t.Errorf("rules check with a port:\n%s", out)
	}
}

// TestRulesErrors: bad rules lines and usage errors exit 2 with one line.
func TestRulesErrors(t *testing.T) {
	repoRoot(t)
	bad := writeRules(t, "bad.rules", "allow tools.cisco.com\nallw cisco.com\n")
	good := writeRules(t, "good.rules", "allow cisco.com # fine\n")
	badJSON := writeRules(t, "bad.json", "{\"items\": [{\"name\": \"x\"}]}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", "--rules", bad, fieldCase}, bad + `:2: unknown action "allw"`},
		{[]string{"rules", "check", "--rules", bad, fieldCase}, bad + `:2: unknown action "allw"`},
		{[]string{"analyze", "--rules", badJSON, fieldCase}, badJSON + ":1: item without a type"},
		{[]string{"analyze", "--si-block", writeRules(t, "si.txt", "*.c*.com\n"), fieldCase}, "si.txt:1: "},
		{[]string{"analyze", "--rules", "no-such.rules", fieldCase}, "--rules no-such.rules: no such file or directory"},
		{[]string{"analyze", "--fail-on", "verdict-differs", fieldCase}, "--fail-on needs URL rules"},
		{[]string{"analyze", "--default-action", "allow", fieldCase}, "--default-action needs URL rules"},
		{[]string{"analyze", "--rules", good, "--fail-on", "sometimes", fieldCase}, `--fail-on "sometimes"`},
		{[]string{"analyze", "--rules", good, "--default-action", "monitor", fieldCase}, "--default-action: monitor is no default action"},
		{[]string{"analyze", "--rules", good, "--default-action", "drop", fieldCase}, `--default-action: unknown action "drop"`},
		{[]string{"rules", "check", fieldCase}, "rules check: no rules given"},
		{[]string{"rules", "check", "--rules", good}, "rules check: no capture file given"},
		{[]string{"rules", "check", "--rules", good, "--profile", "nope", fieldCase}, `--profile "nope" is not a profile`},
		{[]string{"rules"}, "rules: no subcommand"},
		{[]string{"rules", "lint"}, `rules: unknown subcommand "lint"`},
	} {
		out, errs, code := runCLI(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
	// An unreadable capture is exit 2 even when --fail-on would say 1.
	tools := writeRules(t, "tools.rules", "allow tools.cisco.com\n")
	_, _, code := runCLI(t, nil, "analyze", "-q", "--rules", tools, "--fail-on", "verdict-differs", fieldCase, "testdata/samples/no-such.pcap")
	if code != 2 {
		t.Errorf("missing capture with findings: exit %d, want 2", code)
	}
	// Warnings go to stderr, not with -q.
	path := writeRules(t, "path.rules", "block evil.example/malware\n")
	_, errs, code := runCLI(t, nil, "analyze", "--rules", path, fieldCase)
	if code != 0 || !strings.Contains(errs, "tsid: warning: "+path+":1: path in") {
		t.Errorf("warning: exit %d, stderr %q", code, errs)
	}
	_, errs, _ = runCLI(t, nil, "analyze", "-q", "--rules", path, fieldCase)
	if errs != "" {
		t.Errorf("-q: stderr %q", errs)
	}
	out, _, code := runCLI(t, nil, "rules", "check", "--help")
	if code != 0 || !strings.Contains(out, "--fail-on") || !strings.Contains(out, "Usage: tsid rules check") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}

// TestRulesMixedFiles: plain rules files are read in order, and the JSON
// files' rules go where the first of them is given; --default-action
// replaces the export's, with a warning.
func TestRulesMixedFiles(t *testing.T) {
	repoRoot(t)
	first := writeRules(t, "first.rules", "block toos.cisco.com\n")
	last := writeRules(t, "last.rules", "allow toos.cisco.com\n")
	args := append([]string{"--rules", first}, fmcExport(t, false)...)
	args = append(args, "--rules", last)
	var o analyzeOptions
	fs := analyzeFlags(&o)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := o.rules.load("analyze", fs, os.Stderr, true); err != nil {
		t.Fatal(err)
	}
	p := o.rules.policy
	if len(p.Rules) != 9 || p.Rules[0].Source != first+":1" || p.Rules[8].Source != last+":1" || p.Rules[1].Name != "Block-Ads" {
		var srcs []string
		for _, r := range p.Rules {
			srcs = append(srcs, r.Source)
		}
		t.Fatalf("rules in order %v", srcs)
	}
	if p.Default != urlrules.Block {
		t.Errorf("default %q, want the export's block", p.Default)
	}

	_, errs, code := runCLI(t, nil, append(append([]string{"analyze", "--default-action", "allow"}, args...), fieldCase)...)
	if code != 0 || !strings.Contains(errs, "--default-action allow replaces the export's default action block") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestRulesJobs: with rules, parallel runs whose records spill to
// temporary files print what one after another prints.
func TestRulesJobs(t *testing.T) {
	repoRoot(t)
	smallSpools(t)
	files := append(samples(t), samples(t)...)
	rules := []string{"--rules", "urlrules/testdata/fmc/equivalent.rules", "--dns-block", writeRules(t, "dns.txt", "www.example.org\n")}
	for _, args := range [][]string{
		{"analyze", "-f", "json", "--profile", "all", "--explain"},
		{"analyze", "--profile", "all"},
		{"analyze", "-f", "csv", "--profile", "all"},
		{"rules", "check"},
	} {
		run := func(jobs string) (string, string, int) {
			a := append(append(slices.Clone(args), "-j", jobs), rules...)
			return runCLI(t, nil, append(a, files...)...)
		}
		out1, err1, code1 := run("1")
		if code1 != 0 || !strings.Contains(out1, "www.example.org") {
			t.Fatalf("%v: exit %d: %s\n%s", args, code1, err1, out1)
		}
		out, errs, code := run("4")
		if code != code1 || out != out1 || errs != err1 {
			t.Errorf("%v: -j4 differs from -j1:\n%s", args, cmp.Diff(out1, out))
		}
	}
}

// TestREADMERulesExample: the outputs in the README's "Check your URL
// rules" are what tsid prints.
func TestREADMERulesExample(t *testing.T) {
	repoRoot(t)
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	pcap, err := os.ReadFile(fieldCase)
	if err != nil {
		t.Fatal(err)
	}
	// Run where the README's relative names exist.
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll(filepath.Dir(fieldCase), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fieldCase, pcap, 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readme, "$ echo 'allow tools.cisco.com' > licensing.rules\n") {
		t.Fatal("README lacks the rules file")
	}
	if err := os.WriteFile("licensing.rules", []byte("allow tools.cisco.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	shown := func(cmd string) string {
		t.Helper()
		_, after, ok := strings.Cut(readme, "$ "+cmd+"\n")
		if !ok {
			t.Fatalf("README lacks %q", cmd)
		}
		out, _, _ := strings.Cut(after, "```")
		return out
	}

	cmd := "tsid analyze --rules licensing.rules testdata/samples/field-case.pcap"
	out, _, _ := runCLI(t, nil, strings.Fields(cmd)[1:]...)
	if diff := cmp.Diff(shown(cmd), out); diff != "" {
		t.Errorf("%s (-README +tsid):\n%s", cmd, diff)
	}

	cmd = "tsid analyze --rules licensing.rules -f json testdata/samples/field-case.pcap | jq -c '{host, verdict, intended_verdict}'"
	out, _, _ = runCLI(t, nil, "analyze", "--rules", "licensing.rules", "-f", "json", fieldCase)
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	jq := `{"host":` + string(m["host"]) + `,"verdict":` + string(m["verdict"]) + `,"intended_verdict":` + string(m["intended_verdict"]) + "}\n"
	if diff := cmp.Diff(shown(cmd), jq); diff != "" {
		t.Errorf("%s (-README +tsid):\n%s", cmd, diff)
	}

	cmd = "tsid rules check --rules licensing.rules --fail-on verdict-differs testdata/samples/field-case.pcap"
	out, errs, code := runCLI(t, nil, strings.Fields(cmd)[1:]...)
	want := out + errs + "$ echo $?\n" + strconv.Itoa(code) + "\n"
	got, _, _ := strings.Cut(shown(cmd), "$ echo 'allow cisco.com'")
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("%s (-README +tsid):\n%s", cmd, diff)
	}

	if err := os.WriteFile("licensing.rules", []byte("allow cisco.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = "tsid analyze -q --rules licensing.rules --fail-on verdict-differs testdata/samples/field-case.pcap > /dev/null; echo $?"
	_, _, code = runCLI(t, nil, strings.Fields(strings.TrimSuffix(cmd, " > /dev/null; echo $?"))[1:]...)
	if s := shown(cmd); !strings.HasPrefix(s, strconv.Itoa(code)+"\n") {
		t.Errorf("%s: README says %q, tsid exits %d", cmd, s, code)
	}
}

// TestRulesPortCannotMatchAnotherHost: "allow tools.cisco.com:443" leaves
// the verdict for tools.cisco.com uncertain (the port is undocumented),
// but not the one for toos.cisco.com, which no reading of the port can
// make the entry match (issue 10).
func TestRulesPortCannotMatchAnotherHost(t *testing.T) {
	repoRoot(t)
	rules := filepath.Join(t.TempDir(), "port.rules")
	if err := os.WriteFile(rules, []byte("allow tools.cisco.com:443\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--rules", rules, fieldCase)
	recs := decodeLines(t, out)
	if code != 0 || len(recs) != 1 {
		t.Fatalf("exit %d, %d records: %s", code, len(recs), errs)
	}
	v := recs[0]["verdict"].(map[string]any)
	if v["name"] != "toos.cisco.com" || v["action"] != "block" || v["actions"] != nil || v["uncertain"] != nil || v["rule"] != nil {
		t.Errorf("verdict for toos.cisco.com %v: want a certain block by the default action", v)
	}
	iv := recs[0]["intended_verdict"].(map[string]any)
	if iv["name"] != "tools.cisco.com" || fmt.Sprint(iv["actions"]) != "[allow block]" {
		t.Errorf("intended verdict %v: want allow|block (the port is undocumented)", iv)
	}
}
