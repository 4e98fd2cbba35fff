// crypto/ecdh ignores tls.Config.Rand unless cryptocustomrand=1; with it
// the samples are byte-identical on every run.

//go:debug cryptocustomrand=1

// Command tsidgen generates tsid's sample captures from real crypto/tls
// handshakes (see package pcaps/synth).
//
//	go run ./cmd/tsidgen samples -dir testdata/samples
//	go run ./cmd/tsidgen events -dir testdata/events
//	go run ./cmd/tsidgen diagnose -dir testdata/diagnose
//	go run ./cmd/tsidgen pki -dir /tmp/pki
//	go run ./cmd/tsidgen traffic -shape bulk -size 1G -o bulk.pcap
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tsidgen:", err)
		os.Exit(1)
	}
}

const usage = `usage: tsidgen samples [-dir DIR]
       tsidgen events [-dir DIR] [-samples DIR]
       tsidgen diagnose [-dir DIR]
       tsidgen pki [-dir DIR]
       tsidgen traffic -shape bulk|handshakes|halfopen -o FILE [-size N] [-conns N] [-seed N]

samples writes the sample captures (see testdata/samples/README.md) to DIR.
events writes the sample firewall logs of those captures (see
testdata/events/README.md) to DIR.
diagnose writes the captures of failed connections for tsid diagnose (see
testdata/diagnose/README.md) and the CAs they use to DIR.
pki writes the field case's certificate (first SAN toos.cisco.com), its key
and the samples' CA as PEM to DIR, for a local TLS server to probe.
traffic writes a large benchmark capture of interleaved connections that
replay real crypto/tls handshakes (see the README, "Speed and memory").
`

// run is main without the process: args exclude the program name.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	switch args[0] {
	case "samples":
		return runSamples(args[1:], stdout, stderr)
	case "traffic":
		return runTraffic(args[1:], stdout, stderr)
	case "events":
		return runEvents(args[1:], stdout, stderr)
	case "diagnose":
		return runDiagnose(args[1:], stdout, stderr)
	case "pki":
		return runPKI(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func runSamples(args []string, stdout, stderr io.Writer) error {
	return writeFiles("samples", "testdata/samples", args, stdout, stderr, nil, writeSamples)
}

// writeFiles runs a command that writes files into -dir (default def):
// it parses the flags, more adding the command's own, makes the
// directory, calls write and lists the files written, also those written
// before an error. The standard flag package, not pflag: the documented
// command lines use the single-dash "-dir" form.
func writeFiles(name, def string, args []string, stdout, stderr io.Writer, more func(*flag.FlagSet), write func(dir string) ([]string, error)) error {
	fs := flag.NewFlagSet("tsidgen "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", def, "output directory")
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	files, err := write(*dir)
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return err
}
