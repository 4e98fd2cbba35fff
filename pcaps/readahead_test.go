package pcaps

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
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
