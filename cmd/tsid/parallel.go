package main

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// output is the writing side of a run. One goroutine uses it, so records
// reach the writer in their final order: files in the order given,
// connections in order of their first packet.
type output struct {
	w         recordWriter
	werr      error // first write error; later records are dropped
	sum       summary
	inputErrs int
	stderr    io.Writer
	prog      *progress // cleared before a line goes to stderr; may be nil

	// With --join: the records wait in join until every file is read.
	join        *joiner
	onlyFlagged bool // --only-flagged, applied after joining
	notes       *notes
}

func (o *output) record(r *Record) {
	if j := o.join; j != nil {
		if j.add(r) {
			return
		}
		if !j.overflow {
			j.overflow = true
			o.notes.printf("--join: more than %d TLS connections; the rest are written as they come, not joined", maxJoin)
			o.flushJoin()
		}
		if o.onlyFlagged && len(r.Flags) == 0 {
			return
		}
	}
	if o.werr == nil {
		o.werr = o.w.Write(r)
	}
}

// flushJoin joins the records held and writes them.
func (o *output) flushJoin() {
	j := o.join
	if j == nil {
		return
	}
	joined, points, flagged, merged := j.joined, j.points, j.flagged, j.merged
	for _, r := range j.join() {
		if o.onlyFlagged && len(r.Flags) == 0 {
			continue
		}
		if o.werr == nil {
			o.werr = o.w.Write(r)
		}
	}
	o.sum.joined += j.joined - joined
	o.sum.points += j.points - points
	o.sum.flagged += j.flagged - flagged
	o.sum.sub(&j.merged, &merged)
}

// fileDone adds a file's counters and prints its errors, once its records
// are written.
func (o *output) fileDone(s *summary, errs ...error) {
	o.sum.add(s)
	if o.join != nil {
		o.join.cur++
	}
	failed := false
	for _, err := range errs {
		if err != nil {
			failed = true
			o.prog.pause(func() { fmt.Fprintf(o.stderr, "tsid: %v\n", err) })
		}
	}
	if failed {
		o.inputErrs++
	}
}

// sub takes off s the counts of records that now minus before holds.
func (s *summary) sub(now, before *summary) {
	s.tls -= now.tls - before.tls
	s.noSNI -= now.noSNI - before.noSNI
	s.sniUnknown -= now.sniUnknown - before.sniUnknown
	s.flagged -= now.flagged - before.flagged
	s.verdictDiffers -= now.verdictDiffers - before.verdictDiffers
	s.profilesVerdictDiffers -= now.profilesVerdictDiffers - before.profilesVerdictDiffers
	s.ruleUns -= now.ruleUns - before.ruleUns
}

func (s *summary) add(o *summary) {
	s.files += o.files
	s.packets += o.packets
	s.tcpConns += o.tcpConns
	s.evicted += o.evicted
	s.tls += o.tls
	s.noSNI += o.noSNI
	s.sniUnknown += o.sniUnknown
	s.flagged += o.flagged
	s.probes += o.probes
	s.tunnelled += o.tunnelled
	s.unknownTags += o.unknownTags
	s.verdictDiffers += o.verdictDiffers
	s.profilesVerdictDiffers += o.profilesVerdictDiffers
	s.ruleUns += o.ruleUns
}

// analyzeFiles runs the files through an with up to jobs at once and
// writes the results to o exactly as one after another would.
func (an *analysis) analyzeFiles(files []string, stdin io.Reader, jobs int, o *output) {
	jobs = min(jobs, len(files))
	if jobs <= 1 {
		for _, f := range files {
			sum, err := an.file(f, stdin, o.record)
			o.fileDone(&sum, err)
		}
		return
	}

	spools := make([]*spool, len(files))
	for i := range spools {
		spools[i] = newSpool()
	}
	// Workers start files in order, at most 4*jobs past the one being
	// written: that bounds the records and temporary files held.
	ahead := make(chan struct{}, 4*jobs)
	todo := make(chan int)
	go func() {
		defer close(todo)
		for i := range files {
			ahead <- struct{}{}
			todo <- i
		}
	}()
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for i := range todo {
				sum, err := an.file(files[i], stdin, spools[i].put)
				spools[i].close(sum, err)
			}
		})
	}
	for i, sp := range spools {
		o.take(files[i], sp)
		sp.release()
		<-ahead
	}
	wg.Wait()
}

// take writes one file's records as they arrive, then its result.
func (o *output) take(name string, sp *spool) {
	var werr error
	func() {
		// A bug in a writer costs this file's remaining records, not the
		// other files' (as when the writer ran on the file's goroutine).
		defer func() {
			if p := recover(); p != nil {
				werr = internalError(name, p)
			}
		}()
		for {
			recs, err := sp.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				werr = fmt.Errorf("%s: results lost: %v", name, err)
				return
			}
			for _, r := range recs {
				o.record(r)
			}
		}
	}()
	if werr != nil {
		sp.discard()
	}
	sum, err := sp.result()
	o.fileDone(&sum, err, werr)
}

// A spool holds one file's records, in order, from the worker analyzing it
// until the output takes them. The file being written is taken from as its
// records arrive; a file analyzed ahead of its turn keeps the first
// spoolMem records in memory and spills the rest, a chunk at a time, to a
// temporary file.
type spool struct {
	mu      sync.Mutex
	cond    sync.Cond
	segs    []segment // in order; only the last one grows
	inMem   int       // records held in segs
	tmp     *os.File  // spilled chunks; nil until the first spill
	removed bool      // tmp's name is already gone
	end     int64     // bytes written to tmp
	noSpill bool      // spilling failed: put waits for the output instead
	done    bool
	sum     summary // the file's counters, once done
	err     error   // the file's error, once done
}

// segment is a run of records, in memory or in the temporary file.
type segment struct {
	recs  []*Record // nil when spilled
	off   int64     // spilled: where in the temporary file
	size  int       // spilled: bytes
	count int       // spilled: records
}

// Variables so that tests can make small files spill.
var (
	spoolChunk = 256  // records per segment
	spoolMem   = 4096 // records a file keeps in memory before spilling
)

func newSpool() *spool {
	s := &spool{}
	s.cond.L = &s.mu
	return s
}

// put appends r; it runs on the worker.
func (s *spool) put(r *Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.segs)
	if n == 0 || s.segs[n-1].recs == nil || len(s.segs[n-1].recs) == spoolChunk {
		s.segs = append(s.segs, segment{recs: make([]*Record, 0, spoolChunk)})
		n++
	}
	last := &s.segs[n-1]
	last.recs = append(last.recs, r)
	s.inMem++
	if s.inMem > spoolMem && len(last.recs) == spoolChunk && !s.noSpill {
		if err := s.spill(last); err != nil {
			s.noSpill = true
		}
	}
	if len(last.recs) == spoolChunk || last.recs == nil {
		// Waking the output per chunk rather than per record keeps the
		// handoff cheap; the output takes partial chunks when it looks.
		s.cond.Broadcast()
	}
	// Without a temporary file, memory stays bounded by waiting: the
	// output drains this file when its turn comes.
	for s.noSpill && s.inMem >= spoolMem+spoolChunk {
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

// close ends the file with its counters and error; it runs on the worker.
func (s *spool) close(sum summary, err error) {
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
func (s *spool) result() (summary, error) {
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

// The spill format writes a record field by field, in declaration order,
// found by reflection so new fields cannot be forgotten. It is exact where
// JSON is not: JSON replaces invalid UTF-8 (a hostile SNI) with U+FFFD,
// which the table would then print differently than \xNN, and it cannot
// tell a nil from an empty slice in an omitempty field.
//
//	string            uvarint length, bytes
//	bool              one byte
//	int, uint         varint, uvarint
//	pointer           0 for nil, else 1 and the value
//	slice, map        0 for nil, else uvarint length+1 and the elements (map: key, value)
//	time (jsonTime)   uvarint length, time.Time.MarshalBinary
//	struct            the exported fields in order; unexported ones are an error

var (
	timeType     = reflect.TypeFor[time.Time]()
	jsonTimeType = reflect.TypeFor[jsonTime]()
)

// errSpillType is set when Record holds a type the spill format does not
// know (checked once, so encoding need not check each value).
var errSpillType = spillable(reflect.TypeFor[Record]())

func spillable(t reflect.Type) error {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nil
	case reflect.Pointer, reflect.Slice:
		return spillable(t.Elem())
	case reflect.Map:
		if err := spillable(t.Key()); err != nil {
			return err
		}
		return spillable(t.Elem())
	case reflect.Struct:
		if t == timeType || t == jsonTimeType {
			return nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return fmt.Errorf("spill: %s.%s is not exported", t, f.Name) // reflect cannot set it
			}
			if err := spillable(f.Type); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("spill: cannot hold a %s", t)
}

func appendRecord(b []byte, r *Record) ([]byte, error) {
	if errSpillType != nil {
		return nil, errSpillType
	}
	return appendValue(b, reflect.ValueOf(r).Elem()), nil
}

func decodeRecord(s string, r *Record) (string, error) {
	if errSpillType != nil {
		return "", errSpillType
	}
	return decodeValue(s, reflect.ValueOf(r).Elem())
}

// appendValue appends v; its type has passed spillable.
func appendValue(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.String:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		return append(b, v.String()...)
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return binary.AppendUvarint(b, v.Uint())
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0)
		}
		return appendValue(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		for i := range v.Len() {
			b = appendValue(b, v.Index(i))
		}
		return b
	case reflect.Map:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		for it := v.MapRange(); it.Next(); {
			b = appendValue(b, it.Key())
			b = appendValue(b, it.Value())
		}
		return b
	case reflect.Struct:
		if v.Type() == timeType || v.Type() == jsonTimeType {
			t := v.Convert(timeType).Interface().(time.Time)
			enc, err := t.MarshalBinary()
			if err != nil {
				// A zone offset MarshalBinary cannot hold: the same
				// instant in UTC prints the same, as every writer uses UTC.
				enc, _ = t.UTC().MarshalBinary()
			}
			b = binary.AppendUvarint(b, uint64(len(enc)))
			return append(b, enc...)
		}
		for i := range v.NumField() {
			b = appendValue(b, v.Field(i))
		}
		return b
	}
	panic("spill: " + v.Type().String() + " passed spillable") // unreachable
}

var errSpillCorrupt = errors.New("spill: corrupt record")

// decodeValue sets v from the front of s and returns the rest. Decoding
// from a string lets the record's strings share the chunk's memory rather
// than take an allocation each.
func decodeValue(s string, v reflect.Value) (string, error) {
	switch v.Kind() {
	case reflect.String:
		n, rest, ok := uvarint(s)
		if !ok || n > uint64(len(rest)) {
			return "", errSpillCorrupt
		}
		v.SetString(rest[:n])
		return rest[n:], nil
	case reflect.Bool:
		if s == "" || s[0] > 1 {
			return "", errSpillCorrupt
		}
		v.SetBool(s[0] == 1)
		return s[1:], nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		u, rest, ok := uvarint(s)
		if !ok {
			return "", errSpillCorrupt
		}
		x := int64(u >> 1) // zig-zag, as binary.AppendVarint writes
		if u&1 != 0 {
			x = ^x
		}
		v.SetInt(x)
		return rest, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, rest, ok := uvarint(s)
		if !ok {
			return "", errSpillCorrupt
		}
		v.SetUint(u)
		return rest, nil
	case reflect.Pointer:
		if s == "" || s[0] > 1 {
			return "", errSpillCorrupt
		}
		if s[0] == 0 {
			return s[1:], nil
		}
		p := reflect.New(v.Type().Elem())
		v.Set(p)
		return decodeValue(s[1:], p.Elem())
	case reflect.Slice:
		n, rest, ok := uvarint(s)
		if !ok || n > uint64(len(rest))+1 { // an element takes a byte at least
			return "", errSpillCorrupt
		}
		if n == 0 {
			return rest, nil
		}
		sl := reflect.MakeSlice(v.Type(), int(n-1), int(n-1))
		var err error
		for i := range int(n - 1) {
			if rest, err = decodeValue(rest, sl.Index(i)); err != nil {
				return "", err
			}
		}
		v.Set(sl)
		return rest, nil
	case reflect.Map:
		n, rest, ok := uvarint(s)
		if !ok || n > uint64(len(rest))+1 {
			return "", errSpillCorrupt
		}
		if n == 0 {
			return rest, nil
		}
		m := reflect.MakeMapWithSize(v.Type(), int(n-1))
		var err error
		for range int(n - 1) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			if rest, err = decodeValue(rest, k); err != nil {
				return "", err
			}
			if rest, err = decodeValue(rest, e); err != nil {
				return "", err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return rest, nil
	case reflect.Struct:
		if v.Type() == timeType || v.Type() == jsonTimeType {
			n, rest, ok := uvarint(s)
			if !ok || n > uint64(len(rest)) {
				return "", errSpillCorrupt
			}
			var t time.Time
			if err := t.UnmarshalBinary([]byte(rest[:n])); err != nil {
				return "", err
			}
			v.Set(reflect.ValueOf(t).Convert(v.Type()))
			return rest[n:], nil
		}
		var err error
		for i := range v.NumField() {
			if s, err = decodeValue(s, v.Field(i)); err != nil {
				return "", err
			}
		}
		return s, nil
	}
	return "", fmt.Errorf("spill: cannot decode a %s", v.Type())
}

// uvarint is binary.Uvarint for a string.
func uvarint(s string) (uint64, string, bool) {
	var x uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, "", false // overflows 64 bits
			}
			return x | uint64(c)<<(7*i), s[i+1:], true
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	return 0, "", false
}
