package tlsparse

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/tsid-project/tsid/pcaps"
)

// sampleConn is one TCP connection of a shipped sample capture, as the
// ordered payload chunks pcaps delivered.
type sampleConn struct{ chunks []chunk }

type sampleStream struct{ c *sampleConn }

func (s sampleStream) Data(dir pcaps.Dir, b []byte, _ time.Time) bool {
	s.c.chunks = append(s.c.chunks, chunk{dir: Dir(dir), data: append([]byte(nil), b...)})
	return true
}
func (sampleStream) Gap(pcaps.Dir, int)        {}
func (sampleStream) Anomaly(pcaps.Dir, string) {}
func (sampleStream) End(pcaps.Ending)          {}

// sampleConns reads every capture in ../testdata/samples, the files the
// project generates from real TLS stacks, so fuzzing starts from them.
func sampleConns(tb testing.TB) []*sampleConn {
	tb.Helper()
	files, _ := filepath.Glob("../testdata/samples/*.pcap*")
	if len(files) == 0 {
		tb.Fatal("no sample captures in ../testdata/samples")
	}
	var conns []*sampleConn
	for _, f := range files {
		rd, err := pcaps.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		asm := pcaps.NewAssembler(func(*pcaps.ConnInfo) pcaps.Stream {
			c := &sampleConn{}
			conns = append(conns, c)
			return sampleStream{c}
		}, pcaps.Config{})
		for {
			data, ci, link, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatalf("%s: %v", f, err)
			}
			asm.Packet(data, ci, link)
		}
		asm.Close()
		rd.Close()
	}
	return conns
}

// encodeConversation is FuzzObserver's input form: dir byte, 2-byte
// length, bytes.
func encodeConversation(chunks []chunk) []byte {
	var b []byte
	for _, k := range chunks {
		for d := k.data; len(d) > 0; {
			n := min(len(d), 0xffff)
			b = append(b, byte(k.dir), byte(n>>8), byte(n))
			b = append(b, d[:n]...)
			d = d[n:]
		}
	}
	return b
}

// TestSampleSeeds checks that the samples give the seeds the fuzz targets
// rely on: hellos and certificates in both directions.
func TestSampleSeeds(t *testing.T) {
	var hellos, certs int
	for _, c := range sampleConns(t) {
		o := NewObserver()
		for _, k := range c.chunks {
			o.Data(k.dir, k.data)
		}
		h := o.Handshake()
		if h.ClientHello != nil {
			hellos++
		}
		certs += len(h.Chain)
	}
	if hellos < 10 || certs < 10 {
		t.Errorf("samples gave %d ClientHellos and %d certificates", hellos, certs)
	}
}
