package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tsid-project/tsid/internal/samplepki"
)

// runPKI writes the field case's certificate, key and CA as PEM, for a
// local server to probe (README, "Ask the server").
func runPKI(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tsidgen pki", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "output directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	files, err := samplepki.WritePEM(*dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}
