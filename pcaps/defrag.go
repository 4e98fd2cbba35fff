package pcaps

import (
	"slices"
	"time"
)

// IPv4 reassembly (RFC 791, Section 3.2), hand-written rather than
// gopacket/ip4defrag: that one takes every IPv4 header as 20 bytes (a
// fragmented datagram with options never completes), places an
// overlapping fragment at a wrong offset, holds any number of datagrams
// for as long as they take, and pulls in gopacket/layers, whose package
// set-up costs every run of the program about 20 ms.
//
// Overlaps are resolved as the Assembler resolves TCP's: the bytes that
// came first win.

// Bounds on what fragments can make the defragmenter hold.
const (
	// maxIPv4Len is the largest IPv4 datagram, header included.
	maxIPv4Len = 65535
	// maxFragPending is the number of datagrams reassembled at once;
	// past it the one idle longest is dropped.
	maxFragPending = 1024
	// maxFragRanges is the number of separate byte ranges one datagram
	// may have received; a datagram cut finer is dropped.
	maxFragRanges = 64
)

// fragKey identifies the fragments of one datagram (RFC 791: source,
// destination, protocol and identification).
type fragKey struct {
	src, dst [4]byte
	id       uint16
	proto    uint8
}

// fragRange is a range [from, to) of payload bytes received.
type fragRange struct{ from, to int }

// fragDatagram is a datagram being reassembled.
type fragDatagram struct {
	data  []byte      // the payload by offset, as long as the furthest fragment
	got   []fragRange // ranges received, sorted and merged
	total int         // payload length, set by the last fragment; -1 before
	last  time.Time   // when its latest fragment came
}

// defragmenter reassembles IPv4 datagrams from their fragments.
type defragmenter struct {
	pending map[fragKey]*fragDatagram
}

func newDefragmenter() *defragmenter {
	return &defragmenter{pending: map[fragKey]*fragDatagram{}}
}

// add takes the payload of one fragment: off is its offset in bytes, ihl
// its IPv4 header length, more its More Fragments flag. When it completes
// the datagram, add returns the whole payload, which stays valid until
// add is called again. ok is false for a fragment no datagram can have
// (empty, or reaching past the largest datagram) and for one that
// contradicts what came before (a second, different end); that fragment
// is dropped.
func (d *defragmenter) add(k fragKey, off, ihl int, b []byte, more bool, ts time.Time) (whole []byte, ok bool) {
	end := off + len(b)
	if len(b) == 0 || ihl+end > maxIPv4Len {
		return nil, false
	}
	dg := d.pending[k]
	if dg == nil {
		if len(d.pending) >= maxFragPending {
			d.dropIdlest()
		}
		dg = &fragDatagram{total: -1}
		d.pending[k] = dg
	}
	dg.last = ts
	switch {
	case !more && dg.total < 0:
		if n := len(dg.got); n > 0 && dg.got[n-1].to > end {
			return nil, false // bytes already came from past this end
		}
		dg.total = end
	case !more && dg.total != end, more && dg.total >= 0 && end > dg.total:
		return nil, false
	}
	dg.fill(off, b)
	if len(dg.got) > maxFragRanges {
		delete(d.pending, k)
		return nil, false
	}
	if dg.total >= 0 && len(dg.got) == 1 && dg.got[0] == (fragRange{0, dg.total}) {
		delete(d.pending, k)
		return dg.data[:dg.total], true
	}
	return nil, true
}

// fill copies b, the bytes at off, where nothing was received yet, and
// notes their range.
func (dg *fragDatagram) fill(off int, b []byte) {
	end := off + len(b)
	if len(dg.data) < end {
		dg.data = append(dg.data, make([]byte, end-len(dg.data))...)
	}
	pos := off // bytes before pos are copied or were there
	for _, r := range dg.got {
		if r.to <= pos {
			continue
		}
		if r.from >= end {
			break
		}
		if r.from > pos {
			copy(dg.data[pos:r.from], b[pos-off:])
		}
		pos = r.to
	}
	if pos < end {
		copy(dg.data[pos:end], b[pos-off:])
	}
	// Merge [off, end) with the ranges it touches.
	i := 0
	for i < len(dg.got) && dg.got[i].to < off {
		i++
	}
	j, from, to := i, off, end
	for j < len(dg.got) && dg.got[j].from <= end {
		from, to = min(from, dg.got[j].from), max(to, dg.got[j].to)
		j++
	}
	dg.got = slices.Replace(dg.got, i, j, fragRange{from, to})
}

// dropIdlest drops the datagram whose latest fragment is the oldest.
func (d *defragmenter) dropIdlest() {
	var oldest fragKey
	var at time.Time
	first := true
	for k, dg := range d.pending {
		if first || dg.last.Before(at) {
			oldest, at, first = k, dg.last, false
		}
	}
	delete(d.pending, oldest)
}

// discardOlderThan drops the datagrams that had no fragment since t.
func (d *defragmenter) discardOlderThan(t time.Time) {
	for k, dg := range d.pending {
		if dg.last.Before(t) {
			delete(d.pending, k)
		}
	}
}
