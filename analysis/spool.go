package analysis

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// A spool holds one file's records, in order, from the worker analyzing it
// until the output takes them. The file being written is taken from as its
// records arrive; a file analyzed ahead of its turn keeps the first
// spoolMem records in memory and spills the rest, a chunk at a time, to a
// temporary file.
type spool struct {
	mem     int // records kept in memory before spilling
	chunk   int // records per segment
	mu      sync.Mutex
	cond    sync.Cond
	segs    []segment // in order; only the last one grows
	inMem   int       // records held in segs
	tmp     *os.File  // spilled chunks; nil until the first spill
	removed bool      // tmp's name is already gone
	end     int64     // bytes written to tmp
	noSpill bool      // spilling failed: put waits for the output instead
	done    bool
	sum     Summary // the file's counters, once done
	err     error   // the file's error, once done
}

// segment is a run of records, in memory or in the temporary file.
type segment struct {
	recs  []*Record // nil when spilled
	off   int64     // spilled: where in the temporary file
	size  int       // spilled: bytes
	count int       // spilled: records
}

// Defaults of a spool's sizes (Options.SpoolRecords).
const (
	spoolChunk = 256  // records per segment
	spoolMem   = 4096 // records a file keeps in memory before spilling
)

// newSpool returns a spool that keeps mem records in memory (0: spoolMem).
func newSpool(mem int) *spool {
	if mem <= 0 {
		mem = spoolMem
	}
	s := &spool{mem: mem, chunk: min(spoolChunk, mem)}
	s.cond.L = &s.mu
	return s
}

// put appends r; it runs on the worker.
func (s *spool) put(r *Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.segs)
	if n == 0 || s.segs[n-1].recs == nil || len(s.segs[n-1].recs) == s.chunk {
		s.segs = append(s.segs, segment{recs: make([]*Record, 0, s.chunk)})
		n++
	}
	last := &s.segs[n-1]
	last.recs = append(last.recs, r)
	s.inMem++
	if s.inMem > s.mem && len(last.recs) == s.chunk && !s.noSpill {
		if err := s.spill(last); err != nil {
			s.noSpill = true
		}
	}
	if len(last.recs) == s.chunk || last.recs == nil {
		// Waking the output per chunk rather than per record keeps the
		// handoff cheap; the output takes partial chunks when it looks.
		s.cond.Broadcast()
	}
	// Without a temporary file, memory stays bounded by waiting: the
	// output drains this file when its turn comes.
	for s.noSpill && s.inMem >= s.mem+s.chunk {
		s.cond.Wait()
	}
}

// spill moves seg's records to the temporary file.
func (s *spool) spill(seg *segment) error {
	var b []byte
	for _, r := range seg.recs {
		var err error
		if b, err = appendRecord(b, r); err != nil {
			return err
		}
	}
	if s.tmp == nil {
		f, err := os.CreateTemp("", "tsid-*.spool")
		if err != nil {
			return err
		}
		s.tmp = f
		// Where the system allows, the name goes at once and the open file
		// stays usable, so an interrupted run leaves nothing behind.
		s.removed = os.Remove(f.Name()) == nil
	}
	if _, err := s.tmp.Write(b); err != nil {
		return err
	}
	s.inMem -= len(seg.recs)
	*seg = segment{off: s.end, size: len(b), count: len(seg.recs)}
	s.end += int64(len(b))
	spilled.Add(1)
	return nil
}

var spilled atomic.Int64 // chunks spilled so far, for the tests

// Spilled is how many chunks of records were spilled to temporary files
// so far, by every Analyzer of the process.
func Spilled() int64 { return spilled.Load() }

// close ends the file with its counters and error; it runs on the worker.
func (s *spool) close(sum Summary, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done, s.sum, s.err = true, sum, err
	s.cond.Broadcast()
}

// next returns the next records in order, waiting for them; io.EOF once
// the file is done and everything taken.
func (s *spool) next() ([]*Record, error) {
	s.mu.Lock()
	for len(s.segs) == 0 && !s.done {
		s.cond.Wait()
	}
	if len(s.segs) == 0 {
		s.mu.Unlock()
		return nil, io.EOF
	}
	seg := s.segs[0]
	s.segs[0] = segment{}
	s.segs = s.segs[1:]
	if seg.recs != nil {
		s.inMem -= len(seg.recs)
		s.cond.Broadcast()
	}
	s.mu.Unlock()
	if seg.recs != nil {
		return seg.recs, nil
	}
	// Spilled bytes are never rewritten, so they are read without the lock
	// while the worker appends more.
	var sb strings.Builder
	sb.Grow(seg.size)
	if _, err := io.Copy(&sb, io.NewSectionReader(s.tmp, seg.off, int64(seg.size))); err != nil || sb.Len() != seg.size {
		return nil, fmt.Errorf("reading back from %s: %v", s.tmp.Name(), cmp.Or(err, io.ErrUnexpectedEOF))
	}
	b := sb.String()
	recs := make([]*Record, 0, seg.count)
	for range seg.count {
		r := new(Record)
		var err error
		if b, err = decodeRecord(b, r); err != nil {
			return nil, fmt.Errorf("reading back from %s: %v", s.tmp.Name(), err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// discard drops the rest of the file's records, letting its worker finish.
func (s *spool) discard() {
	for {
		if _, err := s.next(); err == io.EOF {
			return
		}
	}
}

// result waits for the file to end and returns its counters and error.
func (s *spool) result() (Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.done {
		s.cond.Wait()
	}
	return s.sum, s.err
}

// release closes and removes the temporary file; it runs after the file
// is done.
func (s *spool) release() {
	if s.tmp != nil {
		s.tmp.Close()
		if !s.removed {
			os.Remove(s.tmp.Name())
		}
		s.tmp = nil
	}
}
