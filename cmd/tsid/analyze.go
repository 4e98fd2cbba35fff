package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/probe"
	"github.com/tsid-project/tsid/report"
	"github.com/tsid-project/tsid/sniid"
)

// analyzeOptions holds the flags of 'tsid analyze'.
type analyzeOptions struct {
	format      string
	profile     string
	order       string
	onlyFlagged bool
	onlyFlags   []string // --flag
	groupBy     string   // --group-by
	width       int      // --width; 0: the terminal's, COLUMNS, or unlimited
	files       int      // captures given (a File column when several)
	output      string
	quiet       bool
	explain     bool
	jobs        int
	noProgress  bool
	date        string
	join        bool
	rules       ruleOptions  // URL rules to judge the connections with
	events      eventOptions // what the firewall logged
	allProfiles bool         // every profile's result even without --profile all (rules check)

	probeMissing bool          // --probe-missing: ask the servers for what TLS kept from the capture
	probeTimeout time.Duration // --probe-timeout
	probeVia     string        // --probe-via

	auto       sniid.Profile // the profile --profile auto chose
	textDate   time.Time     // --date parsed; zero: each file's own date
	stopMemory func()        // stops the soft memory limit following the heap (memlimit.go)
	notes      *notes        // warnings and notes on stderr
}

// prepare does what analyze and rules check share after parsing the
// flags: the date of text captures, the URL rules, the memory limit.
func (o *analyzeOptions) prepare(cmd string, fs *pflag.FlagSet, stderr io.Writer, files int) error {
	if err := o.checkProbeFlags(cmd, fs); err != nil {
		return err
	}
	d, err := parseDate(cmd, o.date)
	if err != nil {
		return err
	}
	o.textDate = d
	if err := o.rules.load(cmd, fs, stderr, o.quiet); err != nil {
		return err
	}
	if o.profile == "auto" && len(o.events.files) == 0 {
		return usageErrorf("%s: --profile auto needs --events FILE: the firewall's log chooses the profile", cmd)
	}
	if err := o.events.load(cmd, fs, stderr, o.quiet); err != nil {
		return err
	}
	if slices.Contains(o.rules.fail, analysis.FlagLoggedDiffers) && o.events.index == nil {
		return usageErrorf("%s: --fail-on logged-differs needs --events FILE", cmd)
	}
	if os.Getenv("GOMEMLIMIT") == "" { // GOMEMLIMIT, when set, wins
		n := int64(max(1, min(o.jobs, files)))
		o.stopMemory = followMemory(n*memoryPerFile, n*gcHeadroom)
	}
	return nil
}

// release stops what prepare started.
func (o *analyzeOptions) release() {
	if o.stopMemory != nil {
		o.stopMemory()
		o.stopMemory = nil
	}
}

// openOutput returns where the results go (-o's temporary file, to be
// committed at the end, or stdout), and starts the progress display and
// the notes on stderr.
func (o *analyzeOptions) openOutput(an *analysis.Analyzer, files []string, stdout, stderr io.Writer) (out io.Writer, commit func(keep bool) error, prog *progress, err error) {
	if out, commit, err = outputTo(o.output, stdout); err != nil {
		return nil, nil, nil, err
	}
	prog = startProgress(an, files, stderr, o)
	o.notes = &notes{w: stderr, prog: prog, quiet: o.quiet}
	if prog != nil && o.output == "" && isTerminal(stdout) {
		out = behindBar{prog, out}
	}
	return out, commit, prog, nil
}

var formats = report.Formats

func analyzeFlags(o *analyzeOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("tsid analyze", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVarP(&o.format, "format", "f", "table", "output format: table, json (JSON Lines), csv, ecs (Elastic Common Schema, JSON Lines) or html (a self-contained report to attach; use -o)")
	fs.StringVarP(&o.profile, "profile", "p", "ftd", "firewall profile that decides the logged host, 'all' for every profile, or 'auto': the one the firewall's log (--events) agrees with most")
	fs.StringVar(&o.order, "order", "", "custom precedence instead of a profile: comma list of sni, sni*, san, cn, ou")
	fs.BoolVar(&o.onlyFlagged, "only-flagged", false, "show only connections with a warning flag (notes such as cert-encrypted, resumed, wildcard do not count)")
	fs.StringArrayVar(&o.onlyFlags, "flag", nil, "show only connections with this `FLAG` (repeatable; any of them)")
	fs.IntVar(&o.width, "width", 0, "fit the table in `N` columns (default: the terminal's width, else $COLUMNS, else unlimited)")
	fs.StringVar(&o.groupBy, "group-by", "", "one line per `KEY` instead of one per connection: host, server, sni, client or flag")
	fs.BoolVar(&o.explain, "explain", false, "per connection: every candidate name and each step of the profile")
	fs.StringVarP(&o.output, "output", "o", "", "write the results to FILE (written completely or not at all)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no summary and no warnings on stderr; errors still shown")
	fs.IntVarP(&o.jobs, "jobs", "j", 0, "analyze up to `N` files at once (default: GOMAXPROCS, the usable CPUs); 1 for one after another")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress bar (shown on a terminal for large input, see below)")
	fs.BoolVar(&o.join, "join", false, "join the connections several captures saw (inside/outside, per interface) by ClientHello random, else SNI, server port and time; one record with 'captures'")
	fs.StringVar(&o.date, "date", "", "date of the times of day in ASA/FTD text captures, `YYYY-MM-DD` (default: the file's modification date)")
	addRuleFlags(fs, &o.rules)
	addEventFlags(fs, &o.events)
	addProbeFlags(fs, o)
	return fs
}

func analyzeUsage(fs *pflag.FlagSet) string {
	var b strings.Builder
	b.WriteString(`Usage: tsid analyze [flags] FILE...

Reads packet captures (pcap or pcapng, optionally gzip-compressed; "-" is stdin),
reassembles every TLS handshake and prints, per TLS connection, the SNI, the
server certificate and the hostname a firewall logs for it. What the capture
did not show is unknown, not absent: an SNI from a ClientHello not read whole
shows as '?' (JSON sni_status "unknown"), and a profile that needs it says
why it cannot decide (host_unknown).

ASA/FTD text captures are read too: the output of 'show capture NAME dump'
or 'show capture NAME detail dump', pasted into a file as it is (prompts,
pager lines and CRLF line ends are fine). Their times have no date: --date
sets it. A listing without 'dump' has no packet bytes and so no TLS.

Flags:
`)
	b.WriteString(fs.FlagUsages())
	b.WriteString("\nProfiles (--profile):\n")
	for _, p := range sniid.Profiles() {
		fmt.Fprintf(&b, "  %-11s %s\n", p.Name, p.Description)
	}
	b.WriteString(`  all         every profile; host/host_source are ftd's, 'profiles' has each
  auto        with --events: the profile whose predictions agree with the most
              logged hosts (ties: the order above), said on stderr with the evidence

Several files are analyzed in parallel (--jobs); the output is the same as
one after another: files in the order given, connections in order of their
first packet.

Progress: when stderr is a terminal and the input is large (64 MiB or more
in all, or read from stdin or a pipe), a bar on stderr shows the bytes read
(compressed bytes for gzip) of the total, the TLS connections found so far
and the rate. --quiet and --no-progress turn it off.

URL rules: --rules (and the Security Intelligence lists) give each connection
the action and rule for the host the firewall logs and for the name the client
meant (its SNI, else its DNS names): JSON keys verdict and intended_verdict,
table columns Action and Rule. A rules file has one rule a line, "ACTION ENTRY"
(allow, trust, monitor, block, interactive-block; ENTRY a URL object value);
FMC REST API JSON responses are read too, all JSON files together as one
export. Flags: verdict-differs, profiles-verdict-differs, rule-unspecified.
'tsid rules check' reports per rule and suggests fixes.

Certificates TLS hides: a TLS 1.3 connection's certificate is encrypted,
a resumed one sends none, so profiles that need it say 'host unknown'. With
TSID, the firewall reads it from a connection of its own to the server.
--probe-missing does the same: each such server address and SNI is probed
once (listed on stderr, also with --quiet) and its connections are decided
on that certificate: cert_status "probed", probed_at, flag probed. Only with
the flag: reading captures stays offline. 'tsid probe' asks a server without
a capture.

What the firewall logged: --events reads FTD syslog connection events
(430002/430003) or an FMC connection events export or paste (CSV or
tab-separated, with the header row), plain or gzip, and joins each
connection to its event on the 5-tuple (or the NAT'd one) closest to its
first packet: JSON key logged, CSV columns logged_*, and the flag
logged-differs where the logged host is not the prediction. --profile auto
lets the log choose the profile that agrees with the most logged hosts.

Examples:
  tsid analyze capture.pcap
  tsid analyze --profile all --explain capture.pcapng
  tsid analyze -f json capture.pcap.gz | jq -r 'select(.flags|index("no-sni")) | .url'
  tsid analyze --order 'sni*,cn,san' -f csv -o out.csv a.pcap b.pcap
  tcpdump -i eth0 -w - 'tcp port 443' | tsid analyze -
  tsid analyze --rules licensing.rules --fail-on verdict-differs capture.pcap
  tsid analyze --probe-missing tls13.pcap

Exit status: 0 when the input was read, 1 when --fail-on found a connection
with the flag, 2 for usage errors, unreadable input and bad rules lines.
`)
	return b.String()
}

func runAnalyze(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o analyzeOptions
	fs := analyzeFlags(&o)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, analyzeUsage(fs))
			return nil
		}
		return usageErrorf("analyze: %v (see 'tsid analyze --help')", err)
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageErrorf("analyze: no capture file given (usage: tsid analyze [flags] FILE...; '-' reads stdin)")
	}
	if !slices.Contains(formats, o.format) {
		return usageErrorf("analyze: --format %q is not one of %s", o.format, strings.Join(formats, ", "))
	}
	if o.jobs < 0 {
		return usageErrorf("analyze: --jobs %d: want 1 or more (0 for GOMAXPROCS)", o.jobs)
	}
	for _, f := range o.onlyFlags {
		if _, ok := failOnFlags[f]; !ok {
			return usageErrorf("analyze: --flag %q is not a flag (want one of the flags table: no-sni, near-miss, …)", f)
		}
	}
	if o.jobs == 0 {
		o.jobs = runtime.GOMAXPROCS(0)
	}
	if o.width < 0 {
		return usageErrorf("analyze: --width %d: want a positive number of columns", o.width)
	}
	if o.output == "" {
		o.width = tableWidth(o.width, stdout)
	}
	o.files = len(files)
	err := o.prepare("analyze", fs, stderr, len(files))
	if err != nil {
		return err
	}
	defer o.release()
	if o.profile == "auto" {
		if o.auto, err = o.autoProfile("analyze", files, stderr); err != nil {
			return err
		}
	}
	an, err := o.analyzer("analyze")
	if err != nil {
		return err
	}
	stdinUsed := false
	for _, f := range files {
		if f == "-" {
			if stdinUsed {
				return usageErrorf("analyze: '-' (stdin) given more than once")
			}
			stdinUsed = true
		}
	}

	out, commit, prog, err := o.openOutput(an, files, stdout, stderr)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	w := report.New(o.format, bw, o.reportOptions())
	if o.groupBy != "" {
		if w, err = report.NewGroups(o.format, bw, o.groupBy, o.quiet); err != nil {
			return usageErrorf("analyze: --group-by: %s", trimPkg(err))
		}
	}
	res := newResults(w.Write, stderr, prog)
	sum := an.Files(context.Background(), files, stdin, o.jobs, res.record, res.fileDone)
	prog.finish()

	werr := res.werr
	if werr == nil {
		werr = w.Close(&sum)
	}
	if err := finishOutput(bw, commit, werr); err != nil {
		return err
	}
	if !o.quiet && o.format != "table" {
		fmt.Fprintf(stderr, "tsid: %s\n", report.SummaryLine(&sum))
	}
	o.eventsDone(&sum, an.Profile().Name, stderr)
	if res.inputErrs > 0 || o.events.damaged {
		return &exitError{code: 2}
	}
	return o.rules.failed(&sum, res.flags, o.quiet)
}

// results takes a run's records and file ends: the first write error
// stops the writing (later records are dropped), and each file's error is
// one line on stderr.
type results struct {
	write     func(*analysis.Record) error
	werr      error
	stderr    io.Writer
	prog      *progress
	inputErrs int            // files that could not be read whole
	flags     map[string]int // connections per flag (near-miss:NAME counted as near-miss)
	last      string         // the file the last error was about
}

func newResults(write func(*analysis.Record) error, stderr io.Writer, prog *progress) *results {
	return &results{write: write, stderr: stderr, prog: prog, flags: map[string]int{}}
}

func (r *results) record(rec *analysis.Record) {
	for _, f := range rec.Flags {
		name, _, _ := strings.Cut(f, ":") // near-miss:NAME
		r.flags[name]++
	}
	if r.werr == nil {
		r.werr = r.write(rec)
	}
}

func (r *results) fileDone(file string, err error) {
	if err == nil {
		return
	}
	if file != r.last {
		r.inputErrs++
		r.last = file
	}
	r.prog.pause(func() { fmt.Fprintf(r.stderr, "tsid: %v\n", err) })
}

// analyzer makes the run's Analyzer from the flags: the profile (or
// --order), every profile with 'all', the URL policy.
func (o *analyzeOptions) analyzer(cmd string) (*analysis.Analyzer, error) {
	ao := analysis.Options{
		AllProfiles:  o.profile == "all" || o.allProfiles,
		Policy:       o.rules.policy,
		Events:       o.events.index,
		Explain:      o.explain,
		Join:         o.join,
		OnlyFlagged:  o.onlyFlagged,
		OnlyFlags:    o.onlyFlags,
		TextDate:     o.textDate,
		SpoolRecords: spoolRecords,
		MaxJoin:      maxJoin,
		Warn:         func(msg string) { o.notes.printf("%s", msg) },
	}
	if o.probeMissing {
		src := &certSource{o: o, opts: probe.Options{Timeout: o.probeTimeout, Via: o.probeVia, Dial: probeDial, Time: probeClock}}
		ao.ProbeMissing = src.get
	}
	var err error
	switch {
	case o.order != "":
		ao.Profile, err = sniid.ParseOrder(o.order)
		if err != nil {
			return nil, usageErrorf("%s: --order: %v", cmd, trimPkg(err))
		}
	case o.profile == "all":
		// ftd decides, every profile is reported
	case o.profile == "auto":
		ao.Profile = o.auto
	default:
		ao.Profile, err = sniid.Lookup(o.profile)
		if err != nil {
			return nil, usageErrorf("%s: --profile %q is not a profile (want %s, all or auto)", cmd, o.profile, strings.Join(profileNames(), ", "))
		}
	}
	return analysis.New(ao), nil
}

// spoolRecords is analysis.Options.SpoolRecords: 0, or 1 in tests that
// make every file spill.
var spoolRecords = 0

// maxJoin is analysis.Options.MaxJoin: 0, or a few in tests of the cap.
var maxJoin = 0

// reportOptions say what the records hold, for the writers.
func (o *analyzeOptions) reportOptions() report.Options {
	return report.Options{Explain: o.explain, Quiet: o.quiet, AllProfiles: o.profile == "all",
		Rules: o.rules.policy != nil, Join: o.join, Events: o.events.index != nil,
		Width: o.width, Files: o.files > 1, Probe: o.probeMissing}
}

// tableWidth is the width the table fits: --width, else the terminal's
// (when stdout is one), else $COLUMNS, else 0 (unlimited: a file or a pipe
// gets whole lines).
func tableWidth(flag int, stdout io.Writer) int {
	if flag > 0 {
		return flag
	}
	if f, ok := stdout.(*os.File); ok && isTerminal(stdout) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
}

func profileNames() []string {
	var n []string
	for _, p := range sniid.Profiles() {
		n = append(n, p.Name)
	}
	return n
}

// trimPkg drops a "pkg: " prefix from a library error for the CLI message.
func trimPkg(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i > 0 && !strings.Contains(s[:i], " ") {
		return s[i+2:]
	}
	return s
}

// outputTo is where results go: -o's file, written completely or not at
// all (commit it with finishOutput), or stdout when name is "" (commit nil).
func outputTo(name string, stdout io.Writer) (out io.Writer, commit func(keep bool) error, err error) {
	if name == "" {
		return stdout, nil, nil
	}
	w, c, err := atomicFile(name)
	if err != nil {
		return nil, nil, &exitError{code: 2, msg: err.Error()}
	}
	return w, c, nil
}

// finishOutput flushes bw (when not nil and nothing failed yet), commits
// -o's file, kept only when everything was written, and turns a failure
// into exit status 2.
func finishOutput(bw *bufio.Writer, commit func(keep bool) error, werr error) error {
	if werr == nil && bw != nil {
		werr = bw.Flush()
	}
	if commit != nil {
		if cerr := commit(werr == nil); werr == nil {
			werr = cerr
		}
	}
	if werr != nil {
		return &exitError{code: 2, msg: "writing output: " + werr.Error()}
	}
	return nil
}

// atomicFile writes to a temporary file beside name and renames it into
// place on commit, so a failed run never leaves a half-written result.
func atomicFile(name string) (io.Writer, func(keep bool) error, error) {
	f, err := createTemp(name)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write --output %s: %v", name, errors.Unwrap(err))
	}
	commit := func(keep bool) error {
		if !keep {
			f.Close()
			os.Remove(f.Name())
			return nil
		}
		if err := f.Close(); err != nil {
			os.Remove(f.Name())
			return err
		}
		if err := os.Rename(f.Name(), name); err != nil {
			os.Remove(f.Name())
			return err
		}
		return nil
	}
	return &tempFile{f}, commit, nil
}

// createTemp creates a new temporary file beside name with mode 0666 less
// the umask (0644 under 022), as the shell's > would: os.CreateTemp's 0600
// would survive the rename and hide a report from the colleagues it is for.
func createTemp(name string) (*os.File, error) {
	dir, base := filepath.Dir(name), filepath.Base(name)
	var err error
	for range 100 {
		var f *os.File
		tmp := filepath.Join(dir, "."+base+".tmp"+strconv.FormatUint(rand.Uint64(), 36))
		f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, err
}

// tempFile removes itself when a write fails, so nothing partial stays behind.
type tempFile struct{ f *os.File }

func (t *tempFile) Write(p []byte) (int, error) {
	n, err := t.f.Write(p)
	if err != nil {
		t.f.Close()
		os.Remove(t.f.Name())
	}
	return n, err
}
