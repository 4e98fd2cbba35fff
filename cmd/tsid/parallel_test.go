package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tsid-project/tsid/analysis"
)

// smallSpools makes files spill after a few records, so the samples
// exercise the temporary files.
func smallSpools(t *testing.T) {
	t.Helper()
	old := spoolRecords
	spoolRecords = 1
	t.Cleanup(func() { spoolRecords = old })
}

// badInputs writes a file that is not a capture and one cut short.
func badInputs(t *testing.T) (notCapture, cut string) {
	t.Helper()
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/samples/long-san-reordered.pcap")
	if err != nil {
		t.Fatal(err)
	}
	notCapture = filepath.Join(dir, "notes.txt")
	cut = filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(notCapture, []byte("GIF89a not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, good[:len(good)-9], 0o644); err != nil {
		t.Fatal(err)
	}
	return notCapture, cut
}

func gzipped(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	return b.Bytes()
}

// TestJobsSameOutput: any number of jobs prints exactly what one after
// another prints, on stdout and stderr, with bad files among good ones,
// the same file several times and stdin in the middle.
func TestJobsSameOutput(t *testing.T) {
	repoRoot(t)
	all := samples(t)
	notCapture, cut := badInputs(t)
	var files []string
	files = append(files, all...)
	files = append(files, notCapture, fieldCase, fieldCase, "-", "testdata/samples/no-such.pcap", cut)
	files = append(files, all...)
	stdin := gzipped(t, "testdata/samples/tls13.pcap")

	for _, spill := range []bool{false, true} {
		if spill {
			smallSpools(t)
		}
		for _, args := range [][]string{
			{"-f", "json", "--profile", "all", "--explain"},
			{"-f", "csv", "--profile", "all"},
			{"--explain"},
			{"-f", "json", "--only-flagged"},
		} {
			name := fmt.Sprintf("%s/spill=%v", strings.Join(args, " "), spill)
			run := func(jobs string) (string, string, int) {
				a := append([]string{"analyze", "-j", jobs}, args...)
				return runCLI(t, stdin, append(a, files...)...)
			}
			out1, err1, code1 := run("1")
			if code1 != 2 || !strings.Contains(err1, notCapture) || !strings.Contains(err1, cut) || strings.Count(out1, "\n") < 10 {
				t.Fatalf("%s: -j1: exit %d, %d lines, stderr:\n%s", name, code1, strings.Count(out1, "\n"), err1)
			}
			for _, jobs := range []string{"2", "4", "16"} {
				out, errs, code := run(jobs)
				if code != code1 {
					t.Errorf("%s: -j%s exits %d, -j1 %d", name, jobs, code, code1)
				}
				if diff := cmp.Diff(out1, out); diff != "" {
					t.Errorf("%s: -j%s stdout differs from -j1 (-j1 +j%s):\n%s", name, jobs, jobs, diff)
				}
				if diff := cmp.Diff(err1, errs); diff != "" {
					t.Errorf("%s: -j%s stderr differs from -j1 (-j1 +j%s):\n%s", name, jobs, jobs, diff)
				}
			}
		}
	}
}

// TestJobsSpillWhileWaiting: files done while an earlier one (stdin,
// waiting for data) is still open spill to temporary files, which are
// gone at the end, and the output is still that of one after another.
func TestJobsSpillWhileWaiting(t *testing.T) {
	repoRoot(t)
	smallSpools(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	stdin := gzipped(t, "testdata/samples/vlan.pcap")
	args := []string{"analyze", "-f", "json", "--profile", "all", "--explain", "-",
		"testdata/samples/resumed.pcap", "testdata/samples/tls13.pcap", "testdata/samples/vlan.pcap",
		"testdata/samples/resumed.pcap", "testdata/samples/tls13.pcap"}
	want, wantErr, _ := runCLI(t, stdin, append(args, "-j", "1")...)

	pr, pw := io.Pipe()
	var out, errb bytes.Buffer
	done := make(chan error)
	before := analysis.Spilled()
	go func() { done <- run(append(args, "-j", "4"), pr, &out, &errb) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if analysis.Spilled() > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no file spilled while stdin was open")
		}
		time.Sleep(5 * time.Millisecond)
	}
	pw.Write(stdin)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("-j4 with spilled files differs from -j1 (-j1 +j4):\n%s", diff)
	}
	if errb.String() != wantErr {
		t.Errorf("stderr %q, want %q", errb.String(), wantErr)
	}
	if m, _ := filepath.Glob(filepath.Join(tmp, "*")); len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

// TestJobsBadFileInTheMiddle: the files around a bad one keep their
// results, in order, and the bad one gets one line.
func TestJobsBadFileInTheMiddle(t *testing.T) {
	repoRoot(t)
	notCapture, _ := badInputs(t)
	a, b := "testdata/samples/field-case-sni.pcap", "testdata/samples/ipv6.pcapng"
	out, errs, code := runCLI(t, nil, "analyze", "-q", "-j", "3", "-f", "json", a, notCapture, b, a)
	if code != 2 || errs != "tsid: "+notCapture+": not a packet capture (starts with 'GIF8')\n" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	var got []string
	for _, r := range decodeLines(t, out) {
		if f := r["file"].(string); len(got) == 0 || got[len(got)-1] != f {
			got = append(got, f)
		}
	}
	if diff := cmp.Diff([]string{a, b, a}, got); diff != "" {
		t.Errorf("files in the output (-want +got):\n%s", diff)
	}
}

func TestJobsFlag(t *testing.T) {
	_, errs, code := runCLI(t, nil, "analyze", "-j", "-1", fieldCase)
	if code != 2 || !strings.Contains(errs, "--jobs -1") {
		t.Errorf("-j -1: exit %d, %q", code, errs)
	}
	out, _, _ := runCLI(t, nil, "analyze", "--help")
	for _, want := range []string{"-j, --jobs N", "GOMAXPROCS", "in parallel"} {
		if !strings.Contains(out, want) {
			t.Errorf("analyze --help lacks %q", want)
		}
	}
}
