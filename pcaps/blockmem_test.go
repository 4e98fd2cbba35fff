package pcaps

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// gatedReader hands out its bytes once open is closed.
type gatedReader struct {
	r    io.Reader
	open chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	<-g.open
	return g.r.Read(p)
}

func poolLen() int {
	blockPool.Lock()
	defer blockPool.Unlock()
	return len(blockPool.free)
}

// TestBlockMemoryReuse: a closed Reader's block memory serves the next
// Reader, but only once its read-ahead goroutine has stopped: a goroutine
// still inside Read may yet write into a block.
func TestBlockMemoryReuse(t *testing.T) {
	data := bytes.Repeat([]byte("capture "), 1<<16)
	br := newBlockReader(bytes.NewReader(data))
	if !br.mapped {
		t.Skip("block memory is mapped on Linux only; elsewhere it comes from the Go heap")
	}
	for {
		b, err := br.Peek(4096)
		if err != nil {
			break
		}
		br.Discard(len(b))
	}
	before := poolLen()
	br.Close()
	if poolLen() != before+1 {
		t.Fatalf("pool has %d entries after Close, want %d", poolLen(), before+1)
	}
	next := newBlockReader(bytes.NewReader(data))
	if &next.mem[0] != &br.mem[0] {
		t.Errorf("the next reader did not reuse the memory given back")
	}

	// Closed while its goroutine waits inside Read: the memory stays out
	// of the pool until the goroutine is done.
	gate := &gatedReader{r: bytes.NewReader(data), open: make(chan struct{})}
	blocked := newBlockReader(gate)
	before = poolLen()
	blocked.Close()
	if poolLen() != before {
		t.Fatalf("memory given back while the read-ahead goroutine may still write to it")
	}
	close(gate.open)
	deadline := time.Now().Add(10 * time.Second)
	for poolLen() != before+1 {
		if time.Now().After(deadline) {
			t.Fatalf("memory not given back after the goroutine stopped")
		}
		time.Sleep(time.Millisecond)
	}
	next.Close()
}
