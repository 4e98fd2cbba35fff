package pcaps

import (
	"io"
	"sync"
)

// Read-ahead: one goroutine copies the capture from the kernel (or the
// gzip decoder) into blocks while the caller parses the block before, so a
// second core takes the copying off the packet path.
const (
	blockSize = 1 << 20
	blocks    = 4 // in flight: being parsed, ready, being filled, spare
)

type block struct {
	b   []byte
	err error // after b: io.EOF or the read error
}

// blockReader reads src ahead in a goroutine. It offers the part of
// bufio.Reader's API the Reader uses: Peek and Discard hand out bytes
// without copying them unless a record spans two blocks. It is not safe
// for concurrent use; Close stops the goroutine.
type blockReader struct {
	full chan block
	free chan []byte
	stop chan struct{}
	once sync.Once

	blk   []byte // the block rest came from, given back when done
	rest  []byte // unread bytes of blk
	cur   []byte // unread bytes handed out by Peek: rest or a spill
	spill []byte // holds a record that spans blocks
	err   error  // of the last block; sticky
}

func newBlockReader(src io.Reader) *blockReader { return newBlockReaderSize(src, blockSize) }

func newBlockReaderSize(src io.Reader, size int) *blockReader {
	br := &blockReader{
		full: make(chan block, blocks),
		free: make(chan []byte, blocks),
		stop: make(chan struct{}),
	}
	for range blocks - 1 {
		br.free <- make([]byte, size)
	}
	go br.fill(src)
	return br
}

func (br *blockReader) fill(src io.Reader) {
	for {
		var b []byte
		select {
		case b = <-br.free:
		case <-br.stop:
			return
		}
		n, err := fillBlock(src, b[:cap(b)])
		select {
		case br.full <- block{b[:n], err}:
		case <-br.stop:
			return
		}
		if err != nil {
			return
		}
	}
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
		br.free <- br.blk[:0]
		br.blk = nil
	}
	blk := <-br.full
	br.blk, br.rest, br.err = blk.b, blk.b, blk.err
	return len(blk.b) > 0
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

// Close stops the read-ahead goroutine.
func (br *blockReader) Close() {
	br.once.Do(func() { close(br.stop) })
}
