package analysis

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tsid-project/tsid/internal/fill"
)

// The spool of a file analyzed ahead of its turn, and its spill format.

// sampleRecords returns the records of every sample with every profile and
// the explanation, as the writers get them.
func sampleRecords(t testing.TB) []*Record {
	t.Helper()
	an := New(Options{AllProfiles: true, Explain: true})
	files, _ := filepath.Glob("testdata/samples/*.pcap*")
	if len(files) == 0 {
		t.Fatal("no samples in testdata/samples")
	}
	var recs []*Record
	for _, s := range files {
		if _, err := an.file(context.Background(), s, nil, func(r *Record) { recs = append(recs, r) }); err != nil {
			t.Fatal(err)
		}
	}
	return recs
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
		fill.Value(reflect.ValueOf(r).Elem(), mode, &seq)
		recs = append(recs, r)
	}
	got := roundTrip(t, recs)
	for i := range recs {
		if !reflect.DeepEqual(recs[i], got[i]) {
			t.Errorf("record %d changed:\n%s", i, cmp.Diff(recs[i], got[i], cmp.AllowUnexported(Time{})))
		}
	}

	// Equal records are written alike by every writer; JSON alone would
	// not do as the spill format (it turns \xff into U+FFFD, which the
	// table then shows differently).

	// A zone MarshalBinary cannot hold comes back as the same instant.
	odd := &Record{Time: Time(time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("odd", 600*3600)))}
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
	recs := sampleRecords(t)
	for len(recs) < 200 {
		recs = append(recs, recs...)
	}
	sp := newSpool(1)
	half := len(recs) / 2
	for _, r := range recs[:half] {
		sp.put(r)
	}
	sp.mu.Lock()
	inMem, tmp := sp.inMem, sp.tmp
	sp.mu.Unlock()
	if inMem > sp.mem+sp.chunk || tmp == nil {
		t.Fatalf("%d records in memory (limit %d+%d), temporary file %v", inMem, sp.mem, sp.chunk, tmp)
	}
	var got []*Record
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, r := range recs[half:] {
			sp.put(r)
		}
		sp.close(Summary{Files: 1, TLS: len(recs)}, io.ErrUnexpectedEOF)
	})
	got = drain(t, sp)
	wg.Wait()
	if len(got) != len(recs) {
		t.Fatalf("%d records back, want %d", len(got), len(recs))
	}
	for i := range recs {
		if !reflect.DeepEqual(recs[i], got[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
	if sum, err := sp.result(); sum.TLS != len(recs) || err != io.ErrUnexpectedEOF {
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
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	recs := sampleRecords(t)
	sp := newSpool(1)
	done := make(chan struct{})
	go func() {
		for _, r := range recs {
			sp.put(r)
		}
		sp.close(Summary{}, nil)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		sp.mu.Lock()
		inMem, blocked := sp.inMem, sp.noSpill
		sp.mu.Unlock()
		if inMem > sp.mem+sp.chunk {
			t.Fatalf("%d records in memory", inMem)
		}
		if blocked && inMem >= sp.mem {
			break // the worker waits
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker neither spilled nor waited")
		}
		time.Sleep(time.Millisecond)
	}
	n := len(drain(t, sp))
	<-done
	if n != len(recs) {
		t.Errorf("%d records back, want %d", n, len(recs))
	}
}

// BenchmarkSpill is the cost of spilling a record and reading it back,
// for records with every profile and the explanation.
func BenchmarkSpill(b *testing.B) {
	b.Chdir("..")
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

// A bug, in a worker or in what takes the records, costs one file's
// results: its FileError wraps ErrInternal, and the other files' records
// come in order.
func TestFilesPanic(t *testing.T) {
	repoRoot(t)
	an := New(Options{})
	// In a worker: file's own recover.
	sum, err := an.file(context.Background(), "testdata/samples/field-case.pcap", nil, func(*Record) { panic("put bug") })
	if !errors.Is(err, ErrInternal) || !strings.HasPrefix(err.Error(), "testdata/samples/field-case.pcap: internal error") || sum.Files != 1 {
		t.Errorf("panic in a worker: %v, %+v", err, sum)
	}

	// In emit, which runs on the caller's goroutine.
	a, b := "testdata/samples/field-case-sni.pcap", "testdata/samples/tls13.pcap"
	var want []string
	an.Files(context.Background(), []string{a, a}, nil, 1, func(r *Record) { want = append(want, r.File+" "+r.Client) }, func(string, error) {})
	for _, jobs := range []int{1, 3} {
		var got, errs []string
		sum := an.Files(context.Background(), []string{a, b, a}, nil, jobs, func(r *Record) {
			if r.File == b {
				panic("writer bug")
			}
			got = append(got, r.File+" "+r.Client)
		}, func(file string, err error) {
			if err != nil {
				errs = append(errs, err.Error())
			}
		})
		if len(errs) != 1 || !strings.HasPrefix(errs[0], b+": internal error") {
			t.Errorf("-j%d: errors %q", jobs, errs)
		}
		if !slices.Equal(want, got) {
			t.Errorf("-j%d: the other files' records %q, want %q", jobs, got, want)
		}
		if sum.Files != 3 {
			t.Errorf("-j%d: summary counts %d files", jobs, sum.Files)
		}
	}
}

// repoRoot runs the test from the repository's root, where the samples are.
func repoRoot(t *testing.T) {
	t.Helper()
	t.Chdir("..")
}

// drain takes every record of sp, in order, until the file is done.
func drain(t *testing.T, sp *spool) []*Record {
	t.Helper()
	var got []*Record
	for {
		batch, err := sp.next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, batch...)
	}
}
