package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsid-project/tsid/analysis"
)

// lockedBuffer is a terminal stand-in that the test may read while the
// bar's goroutine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fakeTerminal makes the writers in terms count as terminals.
func fakeTerminal(t *testing.T, terms ...io.Writer) {
	t.Helper()
	old, oldTick := isTerminal, progressTick
	isTerminal = func(w io.Writer) bool {
		for _, x := range terms {
			if w == x {
				return true
			}
		}
		return false
	}
	progressTick = 10 * time.Millisecond
	t.Cleanup(func() { isTerminal, progressTick = old, oldTick })
}

// sparse makes a file of size bytes that takes no disk space.
func sparse(t *testing.T, size int64) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "big.pcap")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestProgressBar: the bar shows bytes read of the total, the TLS
// connections found and a rate, and is cleared when done.
func TestProgressBar(t *testing.T) {
	var term lockedBuffer
	fakeTerminal(t, &term)
	big := sparse(t, 100<<20)
	an := &fakeCounters{}
	p := startProgress(an, []string{big}, &term, &analyzeOptions{})
	if p == nil {
		t.Fatal("no progress for 100 MiB on a terminal")
	}
	an.bytes.Store(25 << 20)
	an.tls.Store(1234)
	p.draw()
	time.Sleep(600 * time.Millisecond) // the rate needs half a second
	an.bytes.Store(50 << 20)
	p.draw()
	p.finish()
	s := term.String()
	for _, want := range []string{"1234 TLS connections", "50%", "50/100 MiB", "MiB/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress lacks %q:\n%q", want, s)
		}
	}
	if !strings.HasSuffix(s, "\x1b[2K\r") {
		t.Errorf("the bar is not cleared at the end: %q", s)
	}

	// Unknown size (stdin): bytes and rate, no percentage.
	term = lockedBuffer{}
	an = &fakeCounters{}
	p = startProgress(an, []string{"-"}, &term, &analyzeOptions{})
	an.bytes.Store(3 << 20)
	p.draw()
	p.finish()
	if s := term.String(); !strings.Contains(s, "3.0 MiB") || strings.Contains(s, "%") {
		t.Errorf("stdin progress: %q", s)
	}
}

func TestProgressOff(t *testing.T) {
	var term lockedBuffer
	fakeTerminal(t, &term)
	big := sparse(t, 100<<20)
	small := sparse(t, 1<<20)
	for _, tc := range []struct {
		name  string
		files []string
		o     analyzeOptions
		w     io.Writer
	}{
		{"quiet", []string{big}, analyzeOptions{quiet: true}, &term},
		{"no-progress", []string{"-"}, analyzeOptions{noProgress: true}, &term},
		{"not a terminal", []string{big}, analyzeOptions{}, &bytes.Buffer{}},
		{"small", []string{small, small}, analyzeOptions{}, &term},
	} {
		if p := startProgress(&fakeCounters{}, tc.files, tc.w, &tc.o); p != nil {
			p.finish()
			t.Errorf("%s: progress shown", tc.name)
		}
	}
}

func TestProgressHelp(t *testing.T) {
	out, _, _ := runCLI(t, nil, "analyze", "--help")
	for _, want := range []string{"--no-progress", "64 MiB", "stdin", "--quiet and --no-progress turn it off"} {
		if !strings.Contains(out, want) {
			t.Errorf("analyze --help lacks %q", want)
		}
	}
}

// slowReader hands out a capture a little at a time, so a run lasts
// several ticks of the bar.
type slowReader struct{ b []byte }

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(15 * time.Millisecond)
	n := copy(p[:min(len(p), 500)], s.b)
	s.b = s.b[n:]
	return n, nil
}

// TestProgressRun: a real run from stdin on a "terminal" shows the bar
// while reading and clears it before an error line and the summary; with
// --quiet or off a terminal stderr gets nothing but those lines.
func TestProgressRun(t *testing.T) {
	repoRoot(t)
	raw, err := os.ReadFile("testdata/samples/vlan.pcap")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"analyze", "-f", "json", "-", "testdata/samples/no-such.pcap"}
	var quietOut, quietErr bytes.Buffer
	run(append(args, "-q"), &slowReader{raw}, &quietOut, &quietErr)
	var plainOut, plainErr bytes.Buffer
	run(args, &slowReader{raw}, &plainOut, &plainErr)

	var term lockedBuffer
	fakeTerminal(t, &term)
	var out bytes.Buffer
	run(args, &slowReader{raw}, &out, &term)
	s := term.String()
	line := "tsid: testdata/samples/no-such.pcap: no such file or directory\n"
	if !strings.Contains(s, "TLS connections") || !strings.Contains(s, "\x1b[2K\r"+line) {
		t.Errorf("progress on a terminal: %q", s)
	}
	if out.String() != plainOut.String() {
		t.Error("the progress bar changed the output")
	}
	if !strings.HasPrefix(plainErr.String(), line) || strings.ContainsAny(plainErr.String(), "\r\x1b") {
		t.Errorf("progress off a terminal: %q", plainErr.String())
	}
	var qOut bytes.Buffer
	run(append(args, "-q"), &slowReader{raw}, &qOut, &term)
	if term.String() != s+line {
		t.Errorf("--quiet on a terminal printed %q", strings.TrimPrefix(term.String(), s))
	}
	if quietErr.String() != line {
		t.Errorf("--quiet: %q", quietErr.String())
	}
}

// The bytes counted are those of the file, compressed for gzip.
func TestBytesReadCompressed(t *testing.T) {
	repoRoot(t)
	name := filepath.Join(t.TempDir(), "x.pcap.gz")
	gz := gzipped(t, "testdata/samples/tls13.pcap")
	if err := os.WriteFile(name, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	an := analysis.New(analysis.Options{})
	sum := an.Files(context.Background(), []string{name}, nil, 1, func(*analysis.Record) {}, func(string, error) {})
	if an.BytesRead() != int64(len(gz)) || an.TLSFound() != int64(sum.TLS) || sum.TLS == 0 {
		t.Errorf("read %d of %d bytes, %d TLS connections counted, %d found", an.BytesRead(), len(gz), an.TLSFound(), sum.TLS)
	}
}

// Records going to the same terminal clear the bar first.
func TestProgressBehindBar(t *testing.T) {
	var term lockedBuffer
	fakeTerminal(t, &term)
	an := &fakeCounters{}
	p := startProgress(an, []string{"-"}, &term, &analyzeOptions{})
	an.bytes.Store(1 << 20)
	p.draw()
	behindBar{p, &term}.Write([]byte("record\n"))
	p.finish()
	if s := term.String(); !strings.Contains(s, "\x1b[2K\rrecord\n") {
		t.Errorf("record written over the bar: %q", s)
	}
}

// fakeCounters stand in for an Analyzer's.
type fakeCounters struct{ bytes, tls atomic.Int64 }

func (c *fakeCounters) BytesRead() int64 { return c.bytes.Load() }
func (c *fakeCounters) TLSFound() int64  { return c.tls.Load() }
