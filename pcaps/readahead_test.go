package pcaps

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"
)

// ops drives a blockReader and a bufio.Reader over the same bytes with the
// same calls; every answer must agree.
func checkAgainstBufio(t *testing.T, data []byte, size int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	// OneByteReader: the source hands out bytes in the smallest pieces.
	br := newBlockReaderSize(iotest.OneByteReader(bytes.NewReader(data)), size)
	defer br.Close()
	ref := bufio.NewReaderSize(bytes.NewReader(data), len(data)+16)
	for step := 0; ; step++ {
		n := r.IntN(3 * size)
		switch r.IntN(3) {
		case 0:
			got, gerr := br.Peek(n)
			want, werr := ref.Peek(n)
			if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
				t.Fatalf("size %d step %d Peek(%d) = %q, %v; bufio %q, %v", size, step, n, got, gerr, want, werr)
			}
		case 1:
			if _, err := br.Peek(n); err != nil {
				n = len(br.cur)
			}
			gn, _ := br.Discard(n)
			wn, _ := ref.Discard(n)
			if gn != wn {
				t.Fatalf("size %d step %d Discard(%d) = %d, bufio %d", size, step, n, gn, wn)
			}
		case 2:
			got, want := make([]byte, n), make([]byte, n)
			gn, gerr := io.ReadFull(br, got)
			wn, werr := io.ReadFull(ref, want)
			if gn != wn || !bytes.Equal(got, want) || !errors.Is(gerr, werr) && !errors.Is(werr, gerr) {
				t.Fatalf("size %d step %d ReadFull(%d) = %d, %v; bufio %d, %v", size, step, n, gn, gerr, wn, werr)
			}
			if werr == io.EOF {
				return
			}
		}
	}
}

func TestBlockReader(t *testing.T) {
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, size := range []int{1, 2, 7, 64, 4096, 1 << 20} {
		for seed := range uint64(20) {
			checkAgainstBufio(t, data, size, seed)
		}
	}
	checkAgainstBufio(t, nil, 16, 1)
}

type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// A read error arrives after the bytes before it, and stays.
func TestBlockReaderError(t *testing.T) {
	bad := errors.New("disk on fire")
	br := newBlockReaderSize(&failAfter{bytes.NewReader([]byte("0123456789")), bad}, 4)
	defer br.Close()
	got, err := io.ReadAll(br)
	if string(got) != "0123456789" || !errors.Is(err, bad) {
		t.Errorf("ReadAll = %q, %v", got, err)
	}
	if _, err := br.Peek(1); !errors.Is(err, bad) {
		t.Errorf("Peek after the error: %v", err)
	}
}

// Close stops the goroutine even when nobody reads.
func TestBlockReaderClose(t *testing.T) {
	br := newBlockReaderSize(bytes.NewReader(make([]byte, 1<<16)), 16)
	br.Close()
	br.Close() // twice is fine
}

func FuzzBlockReader(f *testing.F) {
	f.Add([]byte("some bytes to read in pieces"), uint8(3), uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, size uint8, seed uint64) {
		checkAgainstBufio(t, data, int(size%64)+1, seed)
	})
}

// TestHeadIndex: the read-ahead goroutine finds every record header of a
// pcap file that lies whole in one block, little- or big-endian, however
// the blocks cut the records (a header cut by a block's end is read from
// the spill, not hinted); a file that is no pcap, or a length no record
// has, gives no hints from there on.
func TestHeadIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	build := func(order binary.ByteOrder, n int) (file []byte, want []int64) {
		file = make([]byte, 24)
		order.PutUint32(file, pcapMagicMicro)
		for range n {
			want = append(want, int64(len(file)))
			caplen := rng.IntN(200)
			var h [recordHeaderLen]byte
			order.PutUint32(h[8:], uint32(caplen))
			order.PutUint32(h[12:], uint32(caplen))
			file = append(file, h[:]...)
			file = append(file, make([]byte, caplen)...)
		}
		return file, want
	}
	heads := func(file []byte, size int) []int64 {
		var x headIndex
		var got []int64
		for base := 0; base < len(file); base += size {
			b := file[base:min(base+size, len(file))]
			for _, at := range x.add(b, nil) {
				got = append(got, int64(base)+int64(at))
			}
		}
		return got
	}
	whole := func(offs []int64, size int) []int64 { // the headers no block end cuts
		var out []int64
		for _, o := range offs {
			if o/int64(size) == (o+recordHeaderLen-1)/int64(size) {
				out = append(out, o)
			}
		}
		return out
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		file, want := build(order, 300)
		for _, size := range []int{5, 16, 17, 100, 1000, 1 << 20} {
			if got, want := heads(file, size), whole(want, size); !slices.Equal(got, want) || size >= 100 && len(got) < 200 {
				t.Errorf("%v, blocks of %d: %d headers found, want %d", order, size, len(got), len(want))
			}
		}
	}
	if got := heads([]byte("not a capture at all, just text"), 8); len(got) != 0 {
		t.Errorf("text: hints %v", got)
	}
	file, want := build(binary.LittleEndian, 10)
	binary.LittleEndian.PutUint32(file[want[4]+8:], MaxRecord+1) // a corrupt length
	if got := heads(file, 64); !slices.Equal(got, whole(want[:5], 64)) {
		t.Errorf("corrupt length: hints %v, want %v", got, whole(want[:5], 64))
	}
}
