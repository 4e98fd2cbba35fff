package main

import (
	"io"

	"github.com/tsid-project/tsid/internal/samplepki"
)

// runPKI writes the field case's certificate, key and CA as PEM, for a
// local server to probe (README, "Ask the server").
func runPKI(args []string, stdout, stderr io.Writer) error {
	return writeFiles("pki", ".", args, stdout, stderr, nil, samplepki.WritePEM)
}
