package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/diagnose"
	"github.com/tsid-project/tsid/internal/roots"
	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/probe"
	"github.com/tsid-project/tsid/report"
	"github.com/tsid-project/tsid/tlsparse"
)

// tsid probe, and analyze --probe-missing: asking servers for the
// certificate a firewall's TSID reads with a connection of its own.

// Test seams, nil in the tool: probeDial replaces the dialer (the tests map
// a capture's server address to a server on loopback), probeClock the
// clock of the probes (the README's example is dated).
var (
	probeDial  func(ctx context.Context, network, address string) (net.Conn, error)
	probeClock func() time.Time
)

// probeOptions are the flags of tsid probe beyond analyze's.
type probeOptions struct {
	sni     string
	noSNI   bool
	tls     string
	via     string
	timeout time.Duration
	trust   []string
}

// probeFormats are the formats of tsid probe: records, one per target.
var probeFormats = []string{"table", "json", "csv"}

const probeUsage = `Usage: tsid probe [flags] HOST[:PORT]...

Asks each server what a firewall's TLS Server Identity Discovery (TSID)
would see: connects (port 443 unless given), sends a ClientHello without SNI
(--no-sni, the default for an address) or with one (--sni NAME, the default
for a name: the name itself), reads the certificate chain and prints the
record 'tsid analyze' prints for a connection: the hostname each firewall
profile logs, the certificate, the flags (no-sni, near-miss, …), with URL
rules the verdicts. As the client, tsid sees the certificate TLS 1.3
encrypts on the wire (cert_status "probed": a capture would not show it).

The chain is never verified for the probe to go on (a firewall's probe does
not verify either); the record says whether it verifies against the public
roots (and --trust), for the SNI sent or as a chain only.

HOST is a name or an IP address; IPv6 with a port as [2001:db8::1]:8443.
Targets are probed in parallel (8 at a time) and printed in the order given.

Flags:
`

const probeExamples = `
Examples:
  tsid probe --no-sni tools.cisco.com         what TSID logs for a client that sends no SNI
  tsid probe tools.cisco.com                  the same with the SNI tools.cisco.com
  tsid probe --profile all --explain 72.163.4.38
  tsid probe --sni tools.cisco.com --tls 1.3 -f json 72.163.4.38:443
  tsid probe --via proxy.example.com:3128 --no-sni tools.cisco.com
  tsid probe --rules licensing.rules --no-sni tools.cisco.com

A target that cannot be probed is one line on stderr naming it and what
happened ("tsid: probe 10.1.1.1:443: connection refused", "no answer
within 5s (…)", "no such host", "not TLS: the server answered …"); the
others are still printed.

Exit status: 0 when every target answered; 1 when some did not, or --fail-on
found a record with the flag; 2 when none answered, and for usage errors.
`

func runProbe(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o analyzeOptions
	var po probeOptions
	fs := pflag.NewFlagSet("tsid probe", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.StringVar(&po.sni, "sni", "", "send `NAME` as the SNI (default: the target's name; none for an address)")
	fs.BoolVar(&po.noSNI, "no-sni", false, "send no SNI, as a client that sends none (default for an address)")
	fs.StringVar(&po.tls, "tls", "", "offer only this TLS `VERSION`: 1.2 or 1.3 (default: both)")
	fs.StringVar(&po.via, "via", "", "connect through an HTTP proxy with CONNECT: `PROXY` host:port or http://[user:password@]host:port")
	fs.DurationVar(&po.timeout, "timeout", probe.DefaultTimeout, "give up on a target after `DURATION` (lookup, connection, proxy and handshake)")
	fs.StringArrayVar(&po.trust, "trust", nil, "count the roots of this PEM `FILE` as trusted too, for 'verified' (repeatable)")
	fs.StringVarP(&o.format, "format", "f", "table", "output format: table, json (JSON Lines) or csv")
	fs.StringVarP(&o.profile, "profile", "p", "ftd", "firewall profile that decides the logged host, or 'all' for every profile")
	fs.StringVar(&o.order, "order", "", "custom precedence instead of a profile: comma list of sni, sni*, san, cn, ou")
	fs.BoolVar(&o.explain, "explain", false, "per target: every candidate name and each step of the profile")
	fs.IntVar(&o.width, "width", 0, "fit the table in `N` columns (default: the terminal's width, else $COLUMNS, else unlimited)")
	fs.StringVarP(&o.output, "output", "o", "", "write the results to FILE (written completely or not at all)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no summary line; errors still shown")
	addRuleFlags(fs, &o.rules)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, probeUsage+fs.FlagUsages()+probeExamples)
			return nil
		}
		return usageErrorf("probe: %v (see 'tsid probe --help')", err)
	}
	if fs.NArg() == 0 {
		return usageErrorf("probe: no target given (usage: tsid probe [flags] HOST[:PORT]...)")
	}
	var targets []probe.Target
	for _, a := range fs.Args() {
		t, err := probe.ParseTarget(a)
		if err != nil {
			return usageErrorf("probe: %s", trimPkg(err))
		}
		targets = append(targets, t)
	}
	if !slices.Contains(probeFormats, o.format) {
		return usageErrorf("probe: --format %q is not one of %s", o.format, strings.Join(probeFormats, ", "))
	}
	if o.profile == "auto" {
		return usageErrorf("probe: --profile auto needs the firewall's log of captured connections; use it with tsid analyze")
	}
	if o.width < 0 {
		return usageErrorf("probe: --width %d: want a positive number of columns", o.width)
	}
	if o.output == "" {
		o.width = tableWidth(o.width, stdout)
	}
	opts, err := po.options()
	if err != nil {
		return err
	}
	if err := o.rules.load("probe", fs, stderr, o.quiet); err != nil {
		return err
	}
	an, err := o.analyzer("probe")
	if err != nil {
		return err
	}

	out, commit, err := outputTo(o.output, stdout)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	ro := o.reportOptions()
	ro.Quiet, ro.Probe = true, true // the summary is the probe's own (below)
	w := report.New(o.format, bw, ro)

	outcomes := probe.All(context.Background(), targets, func(t probe.Target) probe.Options {
		opt := opts
		if t.IsName() && po.sni == "" && !po.noSNI {
			opt.SNI = strings.TrimSuffix(t.Host, ".") // a host_name has no trailing dot (RFC 6066)
		}
		return opt
	})
	var werr error
	var sum analysis.Summary
	flags := map[string]int{}
	answered := 0
	for i, oc := range outcomes {
		if oc.Err != nil {
			fmt.Fprintf(stderr, "tsid: %s\n", report.Printable(oc.Err.Error()))
			continue
		}
		answered++
		r := probeRecord(an, i, oc.Result)
		for _, f := range r.Flags {
			name, _, _ := strings.Cut(f, ":")
			flags[name]++
		}
		sum.TLS++
		if analysis.HasWarning(r.Flags) {
			sum.Flagged++
		}
		if werr == nil {
			werr = w.Write(r)
		}
	}
	sum.Rules = o.rules.policy != nil
	sum.VerdictDiffers = flags[analysis.FlagVerdictDiffers]
	sum.ProfilesVerdictDiffers = flags[analysis.FlagProfilesVerdictDiffers]
	sum.RuleUnspecified = flags[analysis.FlagRuleUnspecified]
	if werr == nil {
		werr = w.Close(&sum)
	}
	failed := len(targets) - answered
	line := fmt.Sprintf("targets %d, answered %d, failed %d, flagged %d", len(targets), answered, failed, sum.Flagged)
	if werr == nil && !o.quiet && o.format == "table" && answered > 0 {
		_, werr = fmt.Fprintf(bw, "\n%s\n", line)
	}
	if err := finishOutput(bw, commit, werr); err != nil {
		return err
	}
	if !o.quiet && o.format != "table" && answered > 0 {
		fmt.Fprintf(stderr, "tsid: %s\n", line)
	}
	switch {
	case answered == 0:
		return &exitError{code: 2}
	case failed > 0:
		return &exitError{code: 1}
	}
	return o.rules.failed(&sum, flags, o.quiet)
}

// options turns the probe flags into probe.Options (the SNI of a name
// target is set per target).
func (po *probeOptions) options() (probe.Options, error) {
	opts := probe.Options{SNI: po.sni, Timeout: po.timeout, Via: po.via, Dial: probeDial, Time: probeClock}
	if po.sni != "" && po.noSNI {
		return opts, usageErrorf("probe: --sni and --no-sni contradict each other")
	}
	if po.sni != "" {
		if _, err := netip.ParseAddr(po.sni); err == nil {
			return opts, usageErrorf("probe: --sni %q: an IP address is not sent as SNI (RFC 6066, Section 3); give a name, or --no-sni", po.sni)
		}
		if strings.ContainsAny(po.sni, " \t\r\n/:") || strings.HasSuffix(po.sni, ".") {
			return opts, usageErrorf("probe: --sni %q: want a host name as a client sends it (no port, no trailing dot)", po.sni)
		}
	}
	switch strings.TrimPrefix(strings.ToLower(po.tls), "tls") {
	case "":
	case "1.2":
		opts.Version = tlsparse.VersionTLS12
	case "1.3":
		opts.Version = tlsparse.VersionTLS13
	default:
		return opts, usageErrorf("probe: --tls %q: want 1.2 or 1.3", po.tls)
	}
	if po.via != "" {
		if err := probe.ValidVia(po.via); err != nil {
			return opts, usageErrorf("probe: --via: %s", trimPkg(err))
		}
	}
	if po.timeout <= 0 {
		return opts, usageErrorf("probe: --timeout %s: want a positive duration (5s, 500ms)", po.timeout)
	}
	if len(po.trust) > 0 {
		var extra []*x509.Certificate
		for _, f := range po.trust {
			b, err := os.ReadFile(f)
			if err != nil {
				return opts, &exitError{code: 2, msg: fmt.Sprintf("--trust %s: %v", f, errors.Unwrap(err))}
			}
			certs, err := diagnose.ParseRoots(b)
			if err != nil {
				return opts, &exitError{code: 2, msg: fmt.Sprintf("--trust %s: %s", f, trimPkg(err))}
			}
			extra = append(extra, certs...)
		}
		opts.Roots = roots.Pool(extra)
	}
	return opts, nil
}

// probeRecord is the record of one probe: what analyze prints for a
// connection, tsid's side as the client (A), the server (or the proxy,
// through one) as B, the target's name as the name the client resolved.
func probeRecord(an *analysis.Analyzer, i int, res *probe.Result) *analysis.Record {
	hs := res.Handshake()
	info := pcaps.ConnInfo{ID: uint64(i + 1), A: res.Local, B: res.Server, SYN: true, First: res.Start}
	var dns []string
	switch {
	case res.Via != "":
		info.B = res.Proxy // the CONNECT in the bytes names the target: connect_name
	case res.Target.IsName():
		dns = []string{res.Target.Host}
	}
	r := an.Record("", info, hs, dns)
	r.Probed = probedOf(res)
	if r.CertStatus == analysis.CertProbed {
		r.ProbedAt = analysis.Time(res.Start)
	}
	return r
}

// probedOf is what a record says of the probe that gave its certificate.
func probedOf(res *probe.Result) *analysis.Probed {
	p := &analysis.Probed{Target: res.Target.String(), Via: res.Via, TLSAsked: res.TLSAsked(),
		Verified: res.Verified, VerifyError: res.VerifyError, Cut: res.SentCut || res.ReceivedCut}
	if res.HandshakeErr != nil {
		p.HandshakeError = res.HandshakeErr.Error()
	}
	return p
}

// certSource is analyze --probe-missing's analysis.CertSource: each
// server and SNI once, said on stderr; a server that refused or did not
// answer is not asked again for another SNI.
type certSource struct {
	o       *analyzeOptions // its notes, once the output is open
	opts    probe.Options
	mu      sync.Mutex
	refused map[netip.AddrPort]error // servers that did not answer at all
}

func (c *certSource) get(server netip.AddrPort, sni string) (*analysis.ProbedCert, error) {
	what := server.String() + " (no sni)"
	if sni != "" {
		what = server.String() + " (sni " + report.Printable(sni) + ")"
	}
	c.mu.Lock()
	err := c.refused[server]
	c.mu.Unlock()
	if err != nil {
		return nil, err // said once already
	}
	if why := unsendableSNI(sni); why != "" {
		c.o.notes.alwaysf("not probing %s: %s; its connections keep the certificate unknown", what, why)
		return nil, errors.New(why)
	}
	c.o.notes.alwaysf("probing %s for its certificate", what)
	opts := c.opts
	opts.SNI = sni
	t := probe.Target{Host: server.Addr().String(), Addr: server.Addr(), Port: server.Port()}
	res, err := probe.Probe(context.Background(), t, opts)
	if err != nil {
		msg := err.Error()
		var pe *probe.Error
		if errors.As(err, &pe) {
			msg = pe.Msg
		}
		c.o.notes.alwaysf("probe %s: %s; its connections keep the certificate unknown", what, report.Printable(msg))
		if errors.Is(err, probe.ErrRefused) || errors.Is(err, probe.ErrUnreachable) || errors.Is(err, probe.ErrTimeout) {
			c.mu.Lock()
			if c.refused == nil {
				c.refused = map[netip.AddrPort]error{}
			}
			c.refused[server] = err
			c.mu.Unlock()
		}
		return nil, err
	}
	return &analysis.ProbedCert{Chain: res.Handshake().Chain, At: res.Start, Probe: probedOf(res)}, nil
}

// unsendableSNI says why the client's SNI cannot be sent as it was sent
// (crypto/tls sends no IP address and drops a trailing dot) or should not
// be (control bytes: an attacker's SNI is not replayed to a server), ""
// when it can.
func unsendableSNI(sni string) string {
	if sni == "" {
		return ""
	}
	if _, err := netip.ParseAddr(sni); err == nil {
		return "the client's SNI is an IP address, which tsid's TLS client does not send"
	}
	if strings.HasSuffix(sni, ".") {
		return "the client's SNI ends with a dot, which tsid's TLS client drops"
	}
	for i := 0; i < len(sni); i++ {
		if sni[i] <= ' ' {
			return "the client's SNI holds blanks or control bytes, which tsid does not send to a server"
		}
	}
	return ""
}

// addProbeFlags adds --probe-missing and its settings (analyze, rules
// check).
func addProbeFlags(fs *pflag.FlagSet, o *analyzeOptions) {
	fs.BoolVar(&o.probeMissing, "probe-missing", false, "ask each server whose certificate the capture could not show (TLS 1.3, resumption) for it, once per address and SNI, as the firewall's TSID probe would (contacts those servers; listed on stderr)")
	fs.DurationVar(&o.probeTimeout, "probe-timeout", probe.DefaultTimeout, "with --probe-missing: give up on a server after `DURATION`")
	fs.StringVar(&o.probeVia, "probe-via", "", "with --probe-missing: probe through an HTTP proxy with CONNECT, `PROXY` host:port or http://host:port")
}

// checkProbeFlags refuses --probe-timeout and --probe-via without
// --probe-missing, and bad values.
func (o *analyzeOptions) checkProbeFlags(cmd string, fs *pflag.FlagSet) error {
	if !o.probeMissing {
		for _, name := range []string{"probe-timeout", "probe-via"} {
			if fs.Changed(name) {
				return usageErrorf("%s: --%s needs --probe-missing", cmd, name)
			}
		}
		return nil
	}
	if o.probeTimeout <= 0 {
		return usageErrorf("%s: --probe-timeout %s: want a positive duration (5s, 500ms)", cmd, o.probeTimeout)
	}
	if o.probeVia != "" {
		if err := probe.ValidVia(o.probeVia); err != nil {
			return usageErrorf("%s: --probe-via: %s", cmd, trimPkg(err))
		}
	}
	return nil
}
