package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tsid-project/tsid/analysis"
)

// recordJSON is analysis.Record as it reads back: times are strings (analysis.Time only
// marshals). The shallower fields shadow analysis.Record's.
type recordJSON struct {
	analysis.Record
	Time string    `json:"time"`
	Cert *certJSON `json:"cert"`
}

type certJSON struct {
	analysis.CertRecord
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
}

// fuzzSeeds is every sample capture, one gzip'ed, and damaged copies of
// some: cut in the header, in a record, at the last byte, and with bytes
// flipped in the headers and in the TLS payload.
func fuzzSeeds(tb testing.TB) [][]byte {
	files, _ := filepath.Glob("../../testdata/samples/*.pcap*")
	if len(files) == 0 {
		tb.Fatal("no sample captures in ../../testdata/samples")
	}
	var seeds [][]byte
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
		if i == 0 {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write(b)
			w.Close()
			seeds = append(seeds, z.Bytes())
			seeds = append(seeds, z.Bytes()[:z.Len()/2])
		}
		if i%3 != 0 {
			continue
		}
		for _, n := range []int{10, 60, len(b) / 2, len(b) - 1} {
			seeds = append(seeds, b[:n])
		}
		for _, at := range []int{20, 40, 100, len(b) / 3, 2 * len(b) / 3} {
			c := bytes.Clone(b)
			c[at] ^= 0xff
			seeds = append(seeds, c)
		}
	}
	return seeds
}

// FuzzAnalyze is the whole pipeline from raw bytes: tsid analyze on a
// file holding the input. Properties: no panic and no recovered internal
// error; every JSON line decodes into analysis.Record with no unknown key; a failure
// is exit status 2 with one line per error naming the file; the table is
// valid UTF-8 with no control characters.
func FuzzAnalyze(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "in.pcap")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		err := runBounded(t, []string{"analyze", "-f", "json", "--profile", "all", "--explain", "-j1", "-q", "--no-progress", path}, &out, &errb)
		checkExit(t, "json", err, errb.String(), path)
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !json.Valid(line) {
				t.Fatalf("json: invalid line %q", line)
			}
			var r recordJSON
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("json: line does not decode into analysis.Record: %v\n%s", err, line)
			}
			if r.File != path {
				t.Fatalf("json: file %q, want %q", r.File, path)
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("json: %v", err)
		}

		out.Reset()
		errb.Reset()
		err = runBounded(t, []string{"analyze", "--profile", "all", "--explain", "-j1", "-q", "--no-progress", path}, &out, &errb)
		checkExit(t, "table", err, errb.String(), path)
		if !utf8.Valid(out.Bytes()) {
			t.Fatalf("table: not UTF-8:\n%q", out.String())
		}
		for _, r := range out.String() {
			if r != '\n' && !unicode.IsPrint(r) {
				t.Fatalf("table: unprintable %q in\n%s", r, out.String())
			}
		}
	})
}

// runBounded runs tsid and fails with every goroutine's stack when it
// takes longer than any input of fuzzing size should.
func runBounded(t *testing.T, args []string, out, errb *bytes.Buffer) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- run(args, nil, out, errb) }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		var st strings.Builder
		pprof.Lookup("goroutine").WriteTo(&st, 1)
		t.Fatalf("tsid %s: no answer after 10 s\n%s", strings.Join(args, " "), st.String())
		return nil
	}
}

// checkExit: with -q stderr carries only errors, each "tsid: FILE: ...",
// and there are errors exactly when the exit status is 2.
func checkExit(t *testing.T, format string, err error, stderr, path string) {
	t.Helper()
	if strings.Contains(stderr, "internal error") {
		t.Fatalf("%s: %s", format, stderr)
	}
	if err == nil {
		if stderr != "" {
			t.Fatalf("%s: exit 0 with stderr %q", format, stderr)
		}
		return
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || ee.msg != "" {
		t.Fatalf("%s: error %T %v; want exit status 2, the message already printed", format, err, err)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if stderr == "" || len(lines) != 1 {
		t.Fatalf("%s: exit 2 with stderr %q; want one line", format, stderr)
	}
	if !strings.HasPrefix(lines[0], "tsid: "+path+": ") {
		t.Fatalf("%s: stderr %q does not name the file", format, stderr)
	}
}
