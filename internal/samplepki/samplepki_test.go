package samplepki

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSHA256: the certificates are those testdata/samples/README.md lists.
func TestSHA256(t *testing.T) {
	ca, err := CA()
	if err != nil {
		t.Fatal(err)
	}
	tools, err := Tools(ca)
	if err != nil {
		t.Fatal(err)
	}
	www, err := WWW(ca)
	if err != nil {
		t.Fatal(err)
	}
	sum := func(der []byte) string { s := sha256.Sum256(der); return hex.EncodeToString(s[:]) }
	got := []string{sum(ca.DER()), sum(tools.DER()), sum(www.DER())}
	if diff := cmp.Diff([]string{CASHA256, ToolsSHA256, WWWSHA256}, got); diff != "" {
		t.Errorf("SHA-256 of CA, tools, www (-want +got):\n%s", diff)
	}
	if tools.Cert.DNSNames[0] != "toos.cisco.com" || tools.Cert.Subject.CommonName != "tools.cisco.com" {
		t.Errorf("tools: first SAN %q, CN %q", tools.Cert.DNSNames[0], tools.Cert.Subject.CommonName)
	}
}

// TestWritePEM: the files hold the certificates and the key, in the
// order the paths come.
func TestWritePEM(t *testing.T) {
	dir := t.TempDir()
	paths, err := WritePEM(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{CAFile, ToolsFile, ToolsKeyFile, ToolsFullFile}
	var types [][]string
	for i, p := range paths {
		if filepath.Base(p) != want[i] {
			t.Errorf("path %d: %s, want %s", i, p, want[i])
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var ty []string
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			ty = append(ty, blk.Type)
		}
		types = append(types, ty)
	}
	if diff := cmp.Diff([][]string{{"CERTIFICATE"}, {"CERTIFICATE"}, {"PRIVATE KEY"}, {"CERTIFICATE", "CERTIFICATE"}}, types); diff != "" {
		t.Errorf("PEM blocks (-want +got):\n%s", diff)
	}
}
