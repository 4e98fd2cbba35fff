package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tsid-project/tsid/diagnose"
	"github.com/tsid-project/tsid/fwlog"
	"github.com/tsid-project/tsid/report"
)

const diagnoseUsage = `Usage: tsid diagnose [flags] FILE...

Says why a client's HTTPS connections failed, from a capture taken while they
failed (pcap, pcapng, gzip, ASA/FTD text; "-" is stdin): for every
destination the client tried (its SNI, else the host of an HTTP CONNECT
through a proxy, else the DNS name it resolved to the address, else the
address), what happened to its DNS lookups and TCP connections, with the
evidence in the capture and the next step. A capture that ends before an
answer could come, or that saw one direction only, makes a connection
unknown, not failed.

Findings: dns-nxdomain, dns-servfail, dns-refused, dns-no-answer,
dns-no-address, tcp-no-answer, tcp-refused, tcp-reset, tls-alert:NAME,
tls-stalled, cert-untrusted, cert-expired, cert-not-yet-valid,
cert-name-mismatch, cert-unexpected-issuer, proxy-refused:STATUS, and
proxy-connect (a fact, not a failure).

Flags:
`

const diagnoseExamples = `
Certificates are checked against the Mozilla root bundle (the same on every
machine) and the roots given with --trust; an expired or not yet valid
certificate is judged at the capture's time, which is the client's clock when
the capture was taken on the client.

What a capture cannot show is not guessed: an invalid token, anything inside
an encrypted exchange, and in TLS 1.3 the certificate and the alerts after
the server's first flight.

Examples:
  tsid diagnose registration.pcap
  tsid diagnose --log process_stdout.log --expect-issuer tools.cisco.com=IdenTrust fmc.pcap
  tsid diagnose -f json --trust corp-ca.pem capture.pcapng | jq 'select(.failed > 0)'

Exit status: 0 when the input was read; 1 with --fail-on-failed when a
destination failed; 2 for usage errors and unreadable input.
`

type diagnoseOptions struct {
	format       string
	output       string
	quiet        bool
	trust        []string
	expectIssuer []string
	logs         []string
	logTZ        string
	date         string
	failOnFailed bool
}

func runDiagnose(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o diagnoseOptions
	fs := pflag.NewFlagSet("tsid diagnose", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.StringVarP(&o.format, "format", "f", "table", "output format: table or json (JSON Lines, one object per destination)")
	fs.StringVarP(&o.output, "output", "o", "", "write the results to FILE (written completely or not at all)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no notes on stderr; errors still shown")
	fs.StringArrayVar(&o.trust, "trust", nil, "trust the roots of this PEM `FILE` too (an enterprise or inspection CA you expect; repeatable)")
	fs.StringArrayVar(&o.expectIssuer, "expect-issuer", nil, "`NAME=SUBSTRING`: the certificate of destination NAME (*.example.com for its subdomains) must have SUBSTRING in its issuer, else cert-unexpected-issuer (repeatable)")
	fs.StringArrayVar(&o.logs, "log", nil, "the FMC's log `FILE` (/var/log/process_stdout.log): its curl errors are joined to the findings by time (repeatable)")
	fs.StringVar(&o.logTZ, "log-tz", "UTC", "time `ZONE` of --log times written without one")
	fs.StringVar(&o.date, "date", "", "date of the times of day in ASA/FTD text captures, `YYYY-MM-DD`")
	fs.BoolVar(&o.failOnFailed, "fail-on-failed", false, "exit 1 when a destination failed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, diagnoseUsage+fs.FlagUsages()+diagnoseExamples)
			return nil
		}
		return usageErrorf("diagnose: %v (see 'tsid diagnose --help')", err)
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageErrorf("diagnose: no capture file given (usage: tsid diagnose [flags] FILE...; '-' reads stdin)")
	}
	if !slices.Contains([]string{"table", "json"}, o.format) {
		return usageErrorf("diagnose: --format %q is not one of table, json", o.format)
	}
	if stdins := len(files) - len(slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == "-" })); stdins > 1 {
		return usageErrorf("diagnose: '-' (stdin) given more than once")
	}
	textDate, err := parseDate("diagnose", o.date)
	if err != nil {
		return err
	}
	opts := diagnose.Options{TextDate: textDate}
	if !o.quiet {
		opts.Warn = func(msg string) { fmt.Fprintf(stderr, "tsid: %s\n", msg) }
	}
	for _, t := range o.trust {
		b, err := os.ReadFile(t)
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("diagnose: --trust %s: %v", t, errors.Unwrap(err))}
		}
		roots, err := diagnose.ParseRoots(b)
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("diagnose: --trust %s: %s", t, trimPkg(err))}
		}
		opts.Roots = append(opts.Roots, roots...)
	}
	for _, e := range o.expectIssuer {
		name, sub, ok := strings.Cut(e, "=")
		if !ok || name == "" || sub == "" {
			return usageErrorf("diagnose: --expect-issuer %q: want NAME=SUBSTRING, e.g. tools.cisco.com=IdenTrust", e)
		}
		opts.ExpectIssuer = append(opts.ExpectIssuer, diagnose.IssuerRule{Name: name, Substring: sub})
	}
	d := diagnose.New(opts)
	if len(o.logs) > 0 {
		loc, err := fwlog.ParseZone(o.logTZ)
		if err != nil {
			return usageErrorf("diagnose: --log-tz: %s", trimPkg(err))
		}
		for _, l := range o.logs {
			f, err := os.Open(l)
			if err != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("diagnose: --log %s: %v", l, errors.Unwrap(err))}
			}
			errs, err := diagnose.ReadCurlLog(l, f, loc)
			f.Close()
			if err != nil {
				return &exitError{code: 2, msg: "diagnose: --log " + err.Error()}
			}
			if !o.quiet {
				fmt.Fprintf(stderr, "tsid: --log %s: %d curl errors\n", l, len(errs))
			}
			d.AddLog(errs)
		}
	} else if fs.Changed("log-tz") {
		return usageErrorf("diagnose: --log-tz needs --log FILE")
	}

	inputErrs := 0
	for _, f := range files {
		var src io.Reader
		if f == "-" {
			src = stdin
		}
		if err := d.Add(context.Background(), f, src); err != nil {
			inputErrs++
			fmt.Fprintf(stderr, "tsid: %v\n", err)
		}
	}
	dsts := d.Destinations()
	out, commit, err := outputTo(o.output, stdout)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(out)
	werr := report.WriteDiagnosis(bw, o.format, dsts)
	if err := finishOutput(bw, commit, werr); err != nil {
		return err
	}
	if !o.quiet {
		for _, ce := range d.UnexplainedLog() {
			fmt.Fprintf(stderr, "tsid: --log: %s: the capture shows nothing that explains it\n", ce.String())
		}
	}
	if inputErrs > 0 {
		return &exitError{code: 2}
	}
	if o.failOnFailed {
		for i := range dsts {
			if dsts[i].HasFailed() {
				return &exitError{code: 1}
			}
		}
	}
	return nil
}
