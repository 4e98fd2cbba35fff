package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tsid-project/tsid/pcaps/synth"
)

// benchFiles are generated once per test binary: a bulk and a handshakes
// capture (see tsidgen traffic), small enough for a benchmark run.
var benchFiles struct {
	once               sync.Once
	dir, bulk, hs      string
	bulkStats, hsStats synth.TrafficStats
	err                error
}

func benchCaptures(b *testing.B) (bulk, hs string) {
	bf := &benchFiles
	bf.once.Do(func() {
		bf.dir, bf.err = os.MkdirTemp("", "tsid-bench")
		if bf.err != nil {
			return
		}
		write := func(name string, cfg synth.TrafficConfig) (string, synth.TrafficStats) {
			path := filepath.Join(bf.dir, name)
			f, err := os.Create(path)
			if err != nil {
				bf.err = err
				return "", synth.TrafficStats{}
			}
			defer f.Close()
			w := bufio.NewWriter(f)
			st, err := synth.WriteTraffic(w, cfg)
			if err == nil {
				err = w.Flush()
			}
			if err != nil {
				bf.err = err
			}
			return path, st
		}
		bf.bulk, bf.bulkStats = write("bulk.pcap", synth.BulkTraffic(1, 64<<20))
		bf.hs, bf.hsStats = write("handshakes.pcap", synth.HandshakeTraffic(1, 10_000))
	})
	if bf.err != nil {
		b.Fatal(bf.err)
	}
	return bf.bulk, bf.hs
}

func benchAnalyze(b *testing.B, file string, conns int) {
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if err := run([]string{"analyze", "-q", "-f", "json", file}, nil, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(conns)*float64(b.N)/b.Elapsed().Seconds(), "conns/s")
}

// BenchmarkAnalyzeBulk is the whole pipeline on a capture of mostly
// application data: its speed is that of reading and skipping packets.
func BenchmarkAnalyzeBulk(b *testing.B) {
	bulk, _ := benchCaptures(b)
	benchAnalyze(b, bulk, benchFiles.bulkStats.TLSConns)
}

// BenchmarkAnalyzeHandshakes is the whole pipeline on many short TLS
// connections: parsing, certificates, identity and output dominate.
func BenchmarkAnalyzeHandshakes(b *testing.B) {
	_, hs := benchCaptures(b)
	benchAnalyze(b, hs, benchFiles.hsStats.TLSConns)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFiles.dir != "" {
		os.RemoveAll(benchFiles.dir)
	}
	os.Exit(code)
}
