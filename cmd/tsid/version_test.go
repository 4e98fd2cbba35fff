package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// tsid version names the release, and the Go version it was built with.
func TestVersionRelease(t *testing.T) {
	out, _, code := runCLI(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "tsid "+release+" (") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("tsid version: exit %d, %q; want tsid %s (…, %s)", code, out, release, runtime.Version())
	}
}

// --fail-on takes any flag; rule flags still need rules.
func TestFailOnAnyFlag(t *testing.T) {
	repoRoot(t)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"analyze", "-q", "--fail-on", "no-sni", "testdata/samples/field-case.pcap"}, 1},
		{[]string{"analyze", "-q", "--fail-on", "no-sni", "testdata/samples/field-case-sni.pcap"}, 0},
		{[]string{"analyze", "-q", "--fail-on", "near-miss", "testdata/samples/field-case.pcap"}, 1},
		{[]string{"analyze", "-q", "--fail-on", "sni-mismatch,self-signed", "testdata/samples/field-case-sni.pcap"}, 0},
		{[]string{"analyze", "-q", "--fail-on", "no-such-flag", "testdata/samples/field-case.pcap"}, 2},
		{[]string{"analyze", "-q", "--fail-on", "verdict-differs", "testdata/samples/field-case.pcap"}, 2},
	} {
		if _, errOut, code := runCLI(t, nil, c.args...); code != c.code {
			t.Errorf("tsid %v: exit %d, want %d (%s)", c.args, code, c.code, errOut)
		}
	}
}

// -o writes a file with the mode the umask gives, as the shell's > would,
// not os.CreateTemp's 0600.
func TestOutputMode(t *testing.T) {
	repoRoot(t)
	out := filepath.Join(t.TempDir(), "report.txt")
	if _, errOut, code := runCLI(t, nil, "analyze", "-q", "-o", out, "testdata/samples/field-case.pcap"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	probe := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(probe, os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	want, _ := os.Stat(probe)
	if st.Mode().Perm() != want.Mode().Perm() {
		t.Errorf("-o file mode %v, want %v (0666 less the umask)", st.Mode().Perm(), want.Mode().Perm())
	}
}
