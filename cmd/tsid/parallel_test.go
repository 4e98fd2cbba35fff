package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// smallSpools makes files spill after a few records, so the samples
// exercise the temporary files.
func smallSpools(t *testing.T) {
	t.Helper()
	chunk, mem := spoolChunk, spoolMem
	spoolChunk, spoolMem = 1, 1
	t.Cleanup(func() { spoolChunk, spoolMem = chunk, mem })
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
			if code1 != 2 || !strings.Contains(err1, notCapture) || !strings.Contains(err1, cut) || strings.Count(out1, "\n") < 20 {
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
	before := spilled.Load()
	go func() { done <- run(append(args, "-j", "4"), pr, &out, &errb) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if spilled.Load() > before {
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

// panicWriter panics on the records of one file.
type panicWriter struct {
	recordWriter
	file string
}

func (p *panicWriter) Write(r *Record) error {
	if r.File == p.file {
		panic("writer bug")
	}
	return p.recordWriter.Write(r)
}

// A bug, in a worker or in the writer, costs one file's results: one line
// naming it, and the other files' records in order.
func TestJobsPanic(t *testing.T) {
	repoRoot(t)
	o := &analyzeOptions{format: "json", profile: "ftd"}
	an, err := newAnalysis(o)
	if err != nil {
		t.Fatal(err)
	}
	// In a worker: file's own recover.
	sum, err := an.file(fieldCase, nil, func(*Record) { panic("put bug") })
	if err == nil || !strings.Contains(err.Error(), fieldCase+": internal error") || sum.files != 1 {
		t.Errorf("panic in a worker: %v, %+v", err, sum)
	}

	// In the writer, which runs on the output's goroutine.
	a, b := "testdata/samples/field-case-sni.pcap", "testdata/samples/tls13.pcap"
	for _, jobs := range []int{1, 3} {
		var out, errb bytes.Buffer
		res := &output{w: &panicWriter{newWriter("json", &out, o, false), b}, stderr: &errb}
		an.analyzeFiles([]string{a, b, a}, nil, jobs, res)
		if res.inputErrs != 1 || !strings.HasPrefix(errb.String(), "tsid: "+b+": internal error") || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("-j%d: %d input errors, stderr %q", jobs, res.inputErrs, errb.String())
		}
		want, _, _ := runCLI(t, nil, "analyze", "-f", "json", a, a)
		if diff := cmp.Diff(want, out.String()); diff != "" {
			t.Errorf("-j%d: the other files' records (-want +got):\n%s", jobs, diff)
		}
		if res.sum.files != 3 {
			t.Errorf("-j%d: summary counts %d files", jobs, res.sum.files)
		}
	}
}

// sampleRecords returns the records of every sample with every profile and
// the explanation, as the writers get them.
func sampleRecords(t testing.TB) []*Record {
	t.Helper()
	an, err := newAnalysis(&analyzeOptions{profile: "all", explain: true})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/samples/*.pcap*")
	if len(files) == 0 {
		t.Fatal("no samples in testdata/samples")
	}
	var recs []*Record
	for _, s := range files {
		if _, err := an.file(s, nil, func(r *Record) { recs = append(recs, r) }); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

// fill sets every field reachable from v, by reflection so that fields
// added later are covered too: strings with invalid UTF-8 and control
// characters, slices and maps nil, empty or filled by mode.
func fill(v reflect.Value, mode int, seq *int) {
	*seq++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d\xff\x00\u00e9\x1b[2J", *seq))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-int64(*seq))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*seq))
	case reflect.Pointer:
		if mode == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), mode, seq)
	case reflect.Slice:
		switch mode {
		case 0:
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			fill(v.Index(0), mode, seq)
			fill(v.Index(1), mode, seq)
		}
	case reflect.Map:
		switch mode {
		case 0:
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			v.Set(reflect.MakeMap(v.Type()))
			for range 2 {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fill(k, mode, seq)
				fill(e, mode, seq)
				v.SetMapIndex(k, e)
			}
		}
	case reflect.Struct:
		if v.Type() == jsonTimeType || v.Type() == timeType {
			t := time.Unix(1700000000+int64(*seq), int64(*seq)).UTC() // nanoseconds
			switch *seq % 4 {
			case 1:
				t = time.Time{}
			case 2:
				t = time.Date(12345, 6, 7, 8, 9, 10, 123456789, time.UTC) // beyond RFC 3339
			case 3:
				t = time.Date(-44, 3, 15, 0, 0, 0, 0, time.UTC)
			}
			v.Set(reflect.ValueOf(t).Convert(v.Type()))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), mode, seq)
		}
	default:
		panic("fill: add " + v.Type().String())
	}
}

func roundTrip(t *testing.T, recs []*Record) []*Record {
	t.Helper()
	var b []byte
	for _, r := range recs {
		var err error
		if b, err = appendRecord(b, r); err != nil {
			t.Fatal(err)
		}
	}
	var got []*Record
	s := string(b)
	for range recs {
		r := new(Record)
		var err error
		if s, err = decodeRecord(s, r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(s) != 0 {
		t.Fatalf("%d bytes left over", len(s))
	}
	return got
}

// TestSpillRoundTrip: a spilled record comes back identical, down to
// invalid UTF-8, nil against empty slices and maps, and nanoseconds.
func TestSpillRoundTrip(t *testing.T) {
	repoRoot(t)
	if errSpillType != nil {
		t.Fatal(errSpillType)
	}
	recs := sampleRecords(t)
	var withProfiles, withExplain bool
	for _, r := range recs {
		withProfiles = withProfiles || len(r.Profiles) > 0
		withExplain = withExplain || (r.Explain != nil && len(r.Explain.Profiles) > 0)
	}
	if len(recs) < 10 || !withProfiles || !withExplain {
		t.Fatalf("%d sample records, profiles %v, explain %v", len(recs), withProfiles, withExplain)
	}
	seq := 0
	for mode := range 3 {
		r := new(Record)
		fill(reflect.ValueOf(r).Elem(), mode, &seq)
		recs = append(recs, r)
	}
	got := roundTrip(t, recs)
	for i := range recs {
		if !reflect.DeepEqual(recs[i], got[i]) {
			t.Errorf("record %d changed:\n%s", i, cmp.Diff(recs[i], got[i], cmp.AllowUnexported(jsonTime{})))
		}
	}

	// Every writer prints the same for them; JSON alone would not (it turns
	// \xff into U+FFFD, which the table then shows differently).
	for _, f := range formats {
		o := &analyzeOptions{format: f, explain: true}
		var want, have bytes.Buffer
		ww, hw := newWriter(f, &want, o, true), newWriter(f, &have, o, true)
		for i := range recs {
			ww.Write(recs[i])
			hw.Write(got[i])
		}
		ww.Close(&summary{})
		hw.Close(&summary{})
		if want.String() != have.String() {
			t.Errorf("%s output differs after the round trip", f)
		}
	}

	// A zone MarshalBinary cannot hold comes back as the same instant.
	odd := &Record{Time: jsonTime(time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("odd", 600*3600)))}
	back := roundTrip(t, []*Record{odd})[0]
	if !time.Time(back.Time).Equal(time.Time(odd.Time)) {
		t.Errorf("time %v came back as %v", time.Time(odd.Time), time.Time(back.Time))
	}
	// Kinds Record does not use yet.
	type ints struct {
		A int
		B int8
		C uint16
		D []int64
		E map[uint64]bool
	}
	in := ints{-1, -128, 65535, []int64{0, 1, -1, math.MaxInt64, math.MinInt64}, map[uint64]bool{math.MaxUint64: true, 0: false}}
	var out ints
	enc := appendValue(nil, reflect.ValueOf(in))
	if rest, err := decodeValue(string(enc), reflect.ValueOf(&out).Elem()); err != nil || rest != "" || !reflect.DeepEqual(in, out) {
		t.Errorf("%+v came back as %+v (%v, %d bytes left)", in, out, err, len(rest))
	}
	if _, err := decodeRecord("\x01\x02\x03", new(Record)); err == nil {
		t.Error("a corrupt spill decodes without an error")
	}
}

// TestSpool: a file ahead of its turn keeps a bounded number of records in
// memory and hands all of them back in order, also while it is still
// being written, and removes its temporary file.
func TestSpool(t *testing.T) {
	repoRoot(t)
	smallSpools(t)
	recs := sampleRecords(t)
	for len(recs) < 200 {
		recs = append(recs, recs...)
	}
	sp := newSpool()
	half := len(recs) / 2
	for _, r := range recs[:half] {
		sp.put(r)
	}
	sp.mu.Lock()
	inMem, tmp := sp.inMem, sp.tmp
	sp.mu.Unlock()
	if inMem > spoolMem+spoolChunk || tmp == nil {
		t.Fatalf("%d records in memory (limit %d+%d), temporary file %v", inMem, spoolMem, spoolChunk, tmp)
	}
	var got []*Record
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, r := range recs[half:] {
			sp.put(r)
		}
		sp.close(summary{files: 1, tls: len(recs)}, io.ErrUnexpectedEOF)
	})
	for {
		batch, err := sp.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, batch...)
	}
	wg.Wait()
	if len(got) != len(recs) {
		t.Fatalf("%d records back, want %d", len(got), len(recs))
	}
	for i := range recs {
		if !reflect.DeepEqual(recs[i], got[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
	if sum, err := sp.result(); sum.tls != len(recs) || err != io.ErrUnexpectedEOF {
		t.Errorf("result %+v, %v", sum, err)
	}
	name := sp.tmp.Name()
	if _, err := os.Stat(name); !sp.removed && err != nil {
		t.Errorf("temporary file %s: %v", name, err)
	}
	sp.release()
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Errorf("temporary file %s left behind: %v", name, err)
	}
}

// Without a temporary file a file waits for its turn instead of holding
// all its records.
func TestSpoolCannotSpill(t *testing.T) {
	repoRoot(t)
	smallSpools(t)
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	recs := sampleRecords(t)
	sp := newSpool()
	done := make(chan struct{})
	go func() {
		for _, r := range recs {
			sp.put(r)
		}
		sp.close(summary{}, nil)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		sp.mu.Lock()
		inMem, blocked := sp.inMem, sp.noSpill
		sp.mu.Unlock()
		if inMem > spoolMem+spoolChunk {
			t.Fatalf("%d records in memory", inMem)
		}
		if blocked && inMem >= spoolMem {
			break // the worker waits
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker neither spilled nor waited")
		}
		time.Sleep(time.Millisecond)
	}
	n := 0
	for {
		batch, err := sp.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(batch)
	}
	<-done
	if n != len(recs) {
		t.Errorf("%d records back, want %d", n, len(recs))
	}
}

// BenchmarkSpill is the cost of spilling a record and reading it back,
// for records with every profile and the explanation.
func BenchmarkSpill(b *testing.B) {
	b.Chdir("../..")
	recs := sampleRecords(b)
	b.ReportAllocs()
	var buf []byte
	for i := 0; b.Loop(); i++ {
		r := recs[i%len(recs)]
		buf, _ = appendRecord(buf[:0], r)
		if _, err := decodeRecord(string(buf), new(Record)); err != nil {
			b.Fatal(err)
		}
	}
}
