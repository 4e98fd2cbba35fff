package analysis

import (
	"testing"
)

func TestRecordStageOrder(t *testing.T) {
	var got []uint64
	s := newRecordStage(func(j *job) { got = append(got, j.id) })
	const n = 3 * maxPending // past the cap: add must wait, not drop
	for i := range uint64(n) {
		if !s.add(job{id: i}) {
			t.Fatal("add refused")
		}
	}
	if p := s.close(); p != nil {
		t.Fatal(p)
	}
	if len(got) != n {
		t.Fatalf("%d jobs done, want %d", len(got), n)
	}
	for i, id := range got {
		if id != uint64(i) {
			t.Fatalf("job %d done as number %d", id, i)
		}
	}
	if p := s.close(); p != nil { // a second close is harmless
		t.Fatal(p)
	}
}

func TestRecordStagePanic(t *testing.T) {
	s := newRecordStage(func(j *job) {
		if j.id == 5 {
			panic("bug")
		}
	})
	refused := false
	for i := range uint64(2 * maxPending) {
		if !s.add(job{id: i}) {
			refused = true
			break
		}
	}
	if p := s.close(); p != "bug" {
		t.Errorf("close = %v, want the panic", p)
	}
	if !refused && s.add(job{id: 1 << 40}) {
		t.Error("add accepted after the stage failed")
	}
}

// A connection that stays undecided gives up its place once maxWaiting
// later records are held back for it; its record comes when it is decided.
func TestFinishedLate(t *testing.T) {
	var got []string
	var sum Summary
	fr := &fileRun{an: New(Options{}), ready: map[uint64]*Record{}, next: 1, sum: &sum,
		put: func(r *Record) { got = append(got, r.SNI) }}
	rec := func(name string) *Record { return &Record{SNI: name} }
	fr.finished(2, rec("second"))
	if len(got) != 0 {
		t.Fatal("emitted before connection 1")
	}
	for id := uint64(3); id <= maxWaiting+2; id++ {
		fr.finished(id, notTLS)
	}
	if len(got) != 1 || got[0] != "second" {
		t.Fatalf("after %d waiting: %q", maxWaiting, got)
	}
	fr.finished(1, rec("first"))
	fr.finished(maxWaiting+3, rec("last"))
	if want := []string{"second", "first", "last"}; len(got) != 3 || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(fr.ready) != 0 || len(fr.late) != 0 {
		t.Errorf("left: %d ready, %d late", len(fr.ready), len(fr.late))
	}
}
