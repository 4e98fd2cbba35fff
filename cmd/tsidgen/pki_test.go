package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/tsid-project/tsid/internal/samplepki"
)

// TestPKI: tsidgen pki writes the field case's chain and key, usable by a
// TLS server, the same certificate the samples carry.
func TestPKI(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run([]string{"pki", "-dir", dir}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, samplepki.ToolsFullFile), filepath.Join(dir, samplepki.ToolsKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 2 {
		t.Fatalf("chain of %d, want leaf and CA", len(pair.Certificate))
	}
	for i, want := range []string{samplepki.ToolsSHA256, samplepki.CASHA256} {
		s := sha256.Sum256(pair.Certificate[i])
		if got := hex.EncodeToString(s[:]); got != want {
			t.Errorf("certificate %d: sha256 %s, want %s", i, got, want)
		}
	}
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 4 {
		t.Errorf("listed %d files, want 4:\n%s", n, out.String())
	}
}
