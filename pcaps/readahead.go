package pcaps

import (
	"encoding/binary"
	"io"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Read-ahead: one goroutine copies the capture from the kernel (or the
// gzip decoder) into blocks while the caller parses the block before, so a
// second core takes the copying off the packet path.
const (
	// blockSize keeps a block and what touch loads of it within a core's
	// second-level cache: a block of small packets has a record header
	// every 90 bytes, and with 1 MiB blocks the lines touch loaded were
	// gone again before parsing reached them (256 KiB blocks: bulk and
	// half-open captures took 8 to 10% less CPU than with 1 MiB).
	blockSize = 256 << 10
	// blocks is how many are in flight: one being parsed, one being
	// filled, the rest ready. Parsing is slower than reading through a
	// stretch of handshakes and faster through one of bulk data; with
	// less read ahead the two sides took turns waiting for each other (a
	// fifth of a bulk capture's run). 8 MiB in all.
	blocks = 32
)

type block struct {
	b     []byte
	err   error   // after b: io.EOF or the read error
	heads []int32 // where pcap record headers start in b (headIndex)
}

// blockReader reads src ahead in a goroutine. It offers the part of
// bufio.Reader's API the Reader uses: Peek and Discard hand out bytes
// without copying them unless a record spans two blocks. It is not safe
// for concurrent use; Close stops the goroutine.
type blockReader struct {
	full chan block
	free chan block // emptied blocks, their heads' room with them
	stop chan struct{}
	once sync.Once

	mem    []byte       // the blocks' memory
	mapped bool         // mem is to go back with releaseBlocks
	users  atomic.Int32 // of mem: the fill goroutine and the caller until Close

	blk   []byte  // the block rest came from, given back when done
	heads []int32 // of blk, given back with it
	rest  []byte  // unread bytes of blk
	cur   []byte  // unread bytes handed out by Peek: rest or a spill
	spill []byte  // holds a record that spans blocks
	err   error   // of the last block; sticky

	sink byte // keeps the loads of touch
}

func newBlockReader(src io.Reader) *blockReader { return newBlockReaderSize(src, blockSize) }

func newBlockReaderSize(src io.Reader, size int) *blockReader {
	br := &blockReader{
		full: make(chan block, blocks),
		free: make(chan block, blocks),
		stop: make(chan struct{}),
	}
	br.mem, br.mapped = blockMemory(blocks, size)
	for i := range blocks {
		br.free <- block{b: br.mem[i*size : (i+1)*size : (i+1)*size]}
	}
	br.users.Store(2)
	go br.fill(src)
	return br
}

// unuse is called once by the fill goroutine as it ends and once by Close:
// after both, no block is in use.
func (br *blockReader) unuse() {
	if br.users.Add(-1) == 0 && br.mapped {
		releaseBlocks(br.mem)
	}
}

func (br *blockReader) fill(src io.Reader) {
	defer br.unuse()
	var idx headIndex
	for {
		var blk block
		select {
		case blk = <-br.free:
		case <-br.stop:
			return
		}
		b := blk.b[:cap(blk.b)]
		n, err := fillBlock(src, b)
		heads := idx.add(b[:n], blk.heads[:0])
		select {
		case br.full <- block{b[:n], err, heads}:
		case <-br.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// headIndex finds where the records of a pcap file start, block after
// block, on the read-ahead goroutine, while the block it just copied is
// in that core's cache. The packet goroutine then touches every header of
// a block at once (touch): loads that do not wait on one another, where
// reading them one record after the other stalled on each. It is a hint
// only: the Reader parses the records as ever, and an index gone wrong (a
// file that is no pcap, a corrupt length) costs nothing but the hint.
type headIndex struct {
	off     int64 // of the next record header in the stream; -1: not a pcap file, or lost
	base    int64 // stream offset of the block at hand
	swap    bool  // big-endian file: lengths are byte-swapped
	started bool
	carry   []byte // the start of a header cut by the end of the last block
}

// recordHeaderLen is the length of a pcap record header.
const recordHeaderLen = 16

// add appends to heads the offsets in b, the next block of the stream,
// where record headers start.
func (x *headIndex) add(b []byte, heads []int32) []int32 {
	base := x.base
	x.base += int64(len(b))
	if !x.started {
		x.started = true
		x.off = -1
		if len(b) >= 4 {
			switch binary.LittleEndian.Uint32(b) {
			case pcapMagicMicro, pcapMagicNano:
				x.off = 24
			case bits.ReverseBytes32(pcapMagicMicro), bits.ReverseBytes32(pcapMagicNano):
				x.swap, x.off = true, 24
			}
		}
	}
	if x.off < 0 {
		return heads
	}
	if len(x.carry) > 0 { // finish the header the last block cut
		need := recordHeaderLen - len(x.carry)
		if len(b) < need {
			x.off = -1
			return heads
		}
		x.carry = append(x.carry, b[:need]...)
		if !x.skip(u32(x.carry[8:12], x.swap)) {
			return heads
		}
		x.carry = x.carry[:0]
	}
	for x.off+recordHeaderLen <= x.base {
		at := x.off - base
		heads = append(heads, int32(at))
		if !x.skip(u32(b[at+8:at+12], x.swap)) {
			return heads
		}
	}
	if x.off < x.base { // a header cut by the end of the block
		x.carry = append(x.carry[:0], b[x.off-base:]...)
	}
	return heads
}

// u32 reads a 32-bit field of a pcap file, byte-swapped when swap says so:
// a concrete call the compiler inlines, where binary.ByteOrder is an
// interface call for every field of every record.
func u32(b []byte, swap bool) uint32 {
	v := binary.LittleEndian.Uint32(b)
	if swap {
		v = bits.ReverseBytes32(v)
	}
	return v
}

// skip moves past a record of caplen captured bytes; false, and no more
// hints, for a length no pcap record has.
func (x *headIndex) skip(caplen uint32) bool {
	if caplen > MaxRecord {
		x.off = -1
		return false
	}
	x.off += recordHeaderLen + int64(caplen)
	return true
}

// fillBlock reads src until b is full or src fails. Unlike io.ReadFull it
// passes src's own io.ErrUnexpectedEOF on: from a gzip decoder that is a
// stream cut short, not the end of the file.
func fillBlock(src io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := src.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// next makes rest the next block; false when there is none (br.err says
// why).
func (br *blockReader) next() bool {
	if br.err != nil {
		return false
	}
	if br.blk != nil {
		br.free <- block{b: br.blk[:0], heads: br.heads}
		br.blk, br.heads = nil, nil
	}
	blk := <-br.full
	br.blk, br.heads, br.rest, br.err = blk.b, blk.heads, blk.b, blk.err
	br.touch()
	return len(blk.b) > 0
}

// touch loads the first byte of every record header of the new block, and
// the byte a line further, where the IP and TCP headers end: loads that
// do not wait on one another, so that the core overlaps their misses and
// parsing then finds the headers in its cache.
func (br *blockReader) touch() {
	b, s := br.blk, br.sink
	for _, at := range br.heads {
		s ^= b[at]
		if end := int(at) + 64; end < len(b) {
			s ^= b[end]
		}
	}
	br.sink = s
}

// Peek returns the next n bytes without consuming them; fewer, with the
// error, at the end of the input. They are valid until the next call.
func (br *blockReader) Peek(n int) ([]byte, error) {
	if len(br.cur) >= n {
		return br.cur[:n], nil
	}
	if len(br.cur) == 0 {
		for len(br.rest) == 0 {
			if !br.next() {
				return nil, br.err
			}
		}
		br.cur, br.rest = br.rest, nil
		if len(br.cur) >= n {
			return br.cur[:n], nil
		}
	}
	// The record goes on in the next block: gather it in the spill.
	br.spill = append(br.spill[:0], br.cur...)
	for len(br.spill) < n {
		if len(br.rest) == 0 && !br.next() {
			br.cur = br.spill
			return br.cur, br.err
		}
		k := min(n-len(br.spill), len(br.rest))
		br.spill = append(br.spill, br.rest[:k]...)
		br.rest = br.rest[k:]
	}
	br.cur = br.spill
	return br.cur[:n], nil
}

// Discard skips n bytes, which Peek must have returned.
func (br *blockReader) Discard(n int) (int, error) {
	if _, err := br.Peek(n); err != nil {
		n = len(br.cur)
		br.cur = br.cur[n:]
		return n, err
	}
	br.cur = br.cur[n:]
	return n, nil
}

// Read copies the next bytes into p (for io.ReadFull).
func (br *blockReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(br.cur) == 0 {
		if _, err := br.Peek(1); err != nil {
			return 0, err
		}
	}
	n := copy(p, br.cur)
	br.cur = br.cur[n:]
	return n, nil
}

// Close stops the read-ahead goroutine; the blocks' memory is reused once
// it has stopped.
func (br *blockReader) Close() {
	br.once.Do(func() {
		close(br.stop)
		br.unuse()
	})
}
