package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// repoRoot makes the test run from the module root, so paths in the output
// read as a user would type them.
func repoRoot(t *testing.T) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			t.Chdir(d)
			return
		}
	}
	t.Fatal("no go.mod above the test directory")
}

func samples(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"testdata/samples/*.pcap", "testdata/samples/*.pcapng"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		t.Fatal("no sample captures in testdata/samples (regenerate: go run ./cmd/tsidgen samples -dir testdata/samples)")
	}
	return out
}

// TestGolden checks the JSON Lines and the table of every sample capture
// against testdata/golden. Refresh with: go test ./cmd/tsid -run Golden -update
func TestGolden(t *testing.T) {
	repoRoot(t)
	for _, s := range samples(t) {
		name := strings.TrimSuffix(filepath.Base(s), filepath.Ext(s))
		for _, v := range []struct {
			ext  string
			args []string
		}{
			{".jsonl", []string{"analyze", "-f", "json", "--profile", "all", "--explain", s}},
			{".txt", []string{"analyze", "--profile", "all", "--explain", s}},
		} {
			t.Run(name+v.ext, func(t *testing.T) {
				var out, errb bytes.Buffer
				if err := run(v.args, nil, &out, &errb); err != nil {
					t.Fatalf("tsid %s: %v\nstderr: %s", strings.Join(v.args, " "), err, errb.String())
				}
				golden := filepath.Join("testdata", "golden", name+v.ext)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (create it: go test ./cmd/tsid -run Golden -update)", err)
				}
				if diff := cmp.Diff(string(want), out.String()); diff != "" {
					t.Errorf("tsid %s differs from %s (-want +got):\n%s", strings.Join(v.args, " "), golden, diff)
				}
			})
		}
	}
}

// TestREADMEExample keeps the README's first example honest: its output
// must be what the command prints.
func TestREADMEExample(t *testing.T) {
	repoRoot(t)
	want := readmeOutput(t, "$ go run ./cmd/tsid analyze testdata/samples/field-case.pcap\n", "```")
	var out, errb bytes.Buffer
	if err := run([]string{"analyze", "testdata/samples/field-case.pcap"}, nil, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("README example differs from the real output (-README +tsid):\n%s", diff)
	}
}

// readmeOutput is the README's text after the example command cmd up to
// end: what the README says the command prints. Run from the module root.
func readmeOutput(t *testing.T, cmd, end string) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), cmd)
	if !ok {
		t.Fatalf("README.md lacks the example %q", cmd)
	}
	want, _, _ := strings.Cut(after, end)
	return want
}
