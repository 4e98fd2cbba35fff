// Command tsid reads packet captures, reassembles every TLS handshake and
// predicts the hostname a firewall logs for each connection.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	_ "time/tzdata" // --events-tz names work where the system has no zone database
)

// release is tsid's version, kept here and raised with each release
// (semantic versioning).
const release = "0.9.0"

// version, when set at build time with -ldflags "-X main.version=…",
// replaces release (a packager's own version string).
var version = ""

// stopProfile ends a CPU profile started in a build with -tags cpuprofile
// (cpuprofile.go); a no-op otherwise.
var stopProfile = func() {}

// exitError carries the process exit status out of run.
type exitError struct {
	code int
	msg  string // printed as "tsid: msg" unless empty
}

func (e *exitError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, a...)}
}

func main() {
	hugeHeap()
	err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	code := exitCode(err, os.Stderr)
	stopProfile()
	os.Exit(code)
}

// exitCode prints err as one line and maps it to the exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "tsid: %s\n", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "tsid: %v\n", err)
	return 2
}

const mainUsage = `tsid predicts the hostname a firewall logs for TLS connections in packet captures.

Usage:
  tsid analyze [flags] FILE...   analyze captures (pcap, pcapng, ASA/FTD text, gzip; "-" for stdin)
  tsid diagnose [flags] FILE...  why a client's HTTPS connections failed: DNS, TCP, TLS alerts,
                                 certificates, proxies, with the evidence and the next step
  tsid probe [flags] HOST[:PORT]...
                                 ask a server what TSID sees: its certificate, with or without
                                 SNI, and the hostname each firewall profile logs
  tsid convert FILE -o OUT.pcap  turn an ASA/FTD 'show capture … dump' text into a pcap
  tsid rules check [flags] FILE...
                                 check URL rules against the hosts the captures log
  tsid version                   print the version
  tsid help [COMMAND]            show help

Examples:
  tsid analyze capture.pcap
  tsid analyze --profile all --explain capture.pcapng
  tsid analyze -f json capture.pcap | jq 'select(.flags | index("no-sni"))'
  tsid analyze --date 2026-11-02 asa-inside.txt
  tsid rules check --rules licensing.rules --fail-on verdict-differs capture.pcap
  tsid diagnose registration.pcap
  tsid probe --no-sni tools.cisco.com
  tsid analyze --probe-missing tls13-capture.pcap

Run 'tsid analyze --help' for the analyze flags, profiles and output formats,
'tsid probe --help' for probing servers, 'tsid convert --help' for text
captures and 'tsid rules check --help' for URL rules.
`

// run is the whole program: main only maps its error to an exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "analyze":
		return runAnalyze(args[1:], stdin, stdout, stderr)
	case "diagnose":
		return runDiagnose(args[1:], stdin, stdout, stderr)
	case "convert":
		return runConvert(args[1:], stdin, stdout, stderr)
	case "rules":
		return runRules(args[1:], stdin, stdout, stderr)
	case "probe":
		return runProbe(args[1:], stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "tsid %s\n", versionString())
		return nil
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] == "analyze" {
			return runAnalyze([]string{"--help"}, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] == "convert" {
			return runConvert([]string{"--help"}, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] == "rules" {
			return runRules([]string{"--help"}, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] == "diagnose" {
			return runDiagnose([]string{"--help"}, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] == "probe" {
			return runProbe([]string{"--help"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, mainUsage)
		return nil
	default:
		if strings.HasPrefix(args[0], "-") {
			return usageErrorf("flags go after the command, e.g. 'tsid analyze %s FILE' (see 'tsid --help')", args[0])
		}
		return usageErrorf("unknown command %q (want analyze, diagnose, probe, convert, rules or version; see 'tsid --help')", args[0])
	}
}

func versionString() string {
	v := release
	if version != "" {
		v = version
	}
	var parts []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += ", modified"
			}
			parts = append(parts, "commit "+rev)
		}
	}
	parts = append(parts, runtime.Version())
	return v + " (" + strings.Join(parts, ", ") + ")"
}
