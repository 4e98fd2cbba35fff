package main

import (
	"io"
	"os"
	"sync/atomic"

	"github.com/tsid-project/tsid/pcaps"
)

// open opens a capture as pcaps.Open does, counting the bytes read from the
// file (before decompression) for the progress display. pcaps reads in
// chunks of 64 KiB, so the count costs one atomic add per chunk.
func (an *analysis) open(name string, stdin io.Reader) (*pcaps.Reader, io.Closer, error) {
	var src io.Reader = stdin
	var c io.Closer = io.NopCloser(nil)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		src, c = f, f
	}
	rd, err := pcaps.NewReader(name, &countingReader{r: src, n: &an.bytesRead})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return rd, c, nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
