package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/pflag"
	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/report"
)

const rulesUsage = `Usage: tsid rules check [flags] CAPTURE...

Checks URL-filter rules against the hosts a firewall logs for the TLS
connections of the captures: connections each rule decides under each
firewall profile and for the name the client meant, the rules that never
matched, and for each connection whose logged host gets another action than
the name the client meant (verdict-differs) the smallest changes that fix it,
each with what else it would match in the captures.

Flags:
`

const rulesExamples = `
--events takes what the firewall logged (FTD syslog, an FMC connection events
export or paste): where a connection's event names a host, its verdict is
computed on that host, and the report lists where the log contradicts the
prediction (logged-differs).

--rules takes a rules file, one rule a line ("allow tools.cisco.com"; actions
allow, trust, monitor, block, interactive-block) or FMC REST API responses
(JSON: access rules pages, URL objects, URL groups, the access policy); all
JSON files given are one export, its rules placed where the first is given.

Examples:
  tsid rules check --rules licensing.rules capture.pcap
  tsid rules check --rules licensing.rules --events fmc-events.tsv capture.pcap
  tsid rules check --rules accessrules.json --rules urls.json --rules urlgroups.json \
      --rules accesspolicy.json --fail-on verdict-differs captures/*.pcap

Exit status: 0, or 1 when --fail-on found a connection with the flag; 2 for
usage errors, unreadable input and bad rules lines ("file:line: why").
`

// runRules runs 'tsid rules SUBCOMMAND'.
func runRules(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("rules: no subcommand (usage: tsid rules check [flags] CAPTURE...)")
	}
	switch args[0] {
	case "check":
		return runRulesCheck(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		return runRulesCheck([]string{"--help"}, stdin, stdout, stderr)
	}
	return usageErrorf("rules: unknown subcommand %q (want check; see 'tsid rules check --help')", args[0])
}

func runRulesCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o analyzeOptions
	o.format = "table"
	fs := pflag.NewFlagSet("tsid rules check", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	addRuleFlags(fs, &o.rules)
	fs.StringVarP(&o.profile, "profile", "p", "ftd", "firewall profile whose logged host is compared with the name meant (every profile is counted); 'auto' with --events")
	fs.StringVar(&o.order, "order", "", "custom precedence instead of a profile: comma list of sni, sni*, san, cn, ou")
	fs.StringVarP(&o.output, "output", "o", "", "write the report to FILE (written completely or not at all)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no summary and no warnings on stderr; errors still shown")
	fs.IntVarP(&o.jobs, "jobs", "j", 0, "analyze up to `N` files at once (default: GOMAXPROCS)")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress bar")
	fs.StringVar(&o.date, "date", "", "date of the times of day in ASA/FTD text captures, `YYYY-MM-DD`")
	addEventFlags(fs, &o.events)
	addProbeFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, rulesUsage+fs.FlagUsages()+rulesExamples)
			return nil
		}
		return usageErrorf("rules check: %v (see 'tsid rules check --help')", err)
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageErrorf("rules check: no capture file given (usage: tsid rules check --rules FILE CAPTURE...)")
	}
	if !o.rules.given() {
		return usageErrorf("rules check: no rules given (--rules, --si-block, --si-allow or --dns-block)")
	}
	if o.jobs < 0 {
		return usageErrorf("rules check: --jobs %d: want 1 or more (0 for GOMAXPROCS)", o.jobs)
	}
	if o.jobs == 0 {
		o.jobs = runtime.GOMAXPROCS(0)
	}
	stdinUsed := false
	for _, f := range files {
		if f == "-" && stdinUsed {
			return usageErrorf("rules check: '-' (stdin) given more than once")
		}
		stdinUsed = stdinUsed || f == "-"
	}
	err := o.prepare("rules check", fs, stderr, len(files))
	if err != nil {
		return err
	}
	defer o.release()
	o.allProfiles = true // every profile's verdict, for the counts
	if o.profile == "auto" {
		if o.auto, err = o.autoProfile("rules check", files, stderr); err != nil {
			return err
		}
	}
	an, err := o.analyzer("rules check")
	if err != nil {
		return err
	}

	out, commit, prog, err := o.openOutput(an, files, stdout, stderr)
	if err != nil {
		return err
	}
	rep := report.NewCheck(o.rules.policy, an.Profile().Name)
	res := newResults(func(r *analysis.Record) error { rep.Add(r); return nil }, stderr, prog)
	sum := an.Files(context.Background(), files, stdin, o.jobs, res.record, res.fileDone)
	prog.finish()

	bw := bufio.NewWriterSize(out, 64<<10)
	werr := res.werr
	if werr == nil {
		rep.Report(bw)
		if !o.quiet {
			fmt.Fprintf(bw, "\n%s\n", report.SummaryLine(&sum))
		}
		werr = bw.Flush()
	}
	o.eventsDone(&sum, an.Profile().Name, stderr)
	if err := finishOutput(nil, commit, werr); err != nil {
		return err
	}
	if res.inputErrs > 0 || o.events.damaged {
		return &exitError{code: 2}
	}
	return o.rules.failed(&sum, res.flags, o.quiet)
}
