package pcaps

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/tsid-project/tsid/pcaps/synth"
)

func BenchmarkDecodeTCP(b *testing.B) {
	frame := ethTCP(b, tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: string(make([]byte, 1400))})
	dc := newDecoder()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if dc.decode(frame, LinkEthernet, t0) != resOK {
			b.Fatal("decode failed")
		}
	}
}

// BenchmarkDecodeVXLAN: a mirrored frame in VXLAN (outer Ethernet, IPv4,
// UDP, VXLAN, inner Ethernet) decodes without allocating too.
func BenchmarkDecodeVXLAN(b *testing.B) {
	inner := ethTCP(b, tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: string(make([]byte, 1400))})
	frame := frameOf(etherIPv4, outerUDP(b, portVXLAN, cat(u16(0x0800, 0, 0x0001, 0x2300), inner)))
	dc := newDecoder()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if dc.decode(frame, LinkEthernet, t0) != resOK || !dc.p.outer[0].IsValid() {
			b.Fatal("decode failed")
		}
	}
}

type discard struct{ stop bool }

func (d discard) Data(Dir, []byte, time.Time) bool { return !d.stop }
func (discard) Gap(Dir, int)                       {}
func (discard) Anomaly(Dir, string)                {}
func (discard) End(Ending)                         {}

// benchConn feeds in-order 1400-byte segments of one established
// connection, rewriting the sequence number in place (checksums are not
// checked).
func benchConn(b *testing.B, s Stream) {
	a := NewAssembler(func(*ConnInfo) Stream { return s }, Config{})
	for _, hs := range handshake {
		p := ipTCP(b, hs)
		a.Packet(p, ci(0, p), LinkRaw)
	}
	payload := make([]byte, 1400)
	p := ipTCP(b, c2s(101, 501, "A", string(payload)))
	info := ci(1, p)
	seq := uint32(101)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		binary.BigEndian.PutUint32(p[24:28], seq)
		seq += uint32(len(payload))
		a.Packet(p, info, LinkRaw)
	}
}

func BenchmarkAssemblerInOrder(b *testing.B) { benchConn(b, discard{}) }

// BenchmarkAssemblerIgnored: after Data returned false only the end of the
// connection is tracked.
func BenchmarkAssemblerIgnored(b *testing.B) { benchConn(b, discard{stop: true}) }

func BenchmarkAssemblerPureACK(b *testing.B) {
	a := NewAssembler(func(*ConnInfo) Stream { return discard{} }, Config{})
	for _, hs := range handshake {
		p := ipTCP(b, hs)
		a.Packet(p, ci(0, p), LinkRaw)
	}
	p := ipTCP(b, c2s(101, 501, "A", ""))
	info := ci(1, p)
	b.ReportAllocs()
	for b.Loop() {
		a.Packet(p, info, LinkRaw)
	}
}

func BenchmarkReaderNext(b *testing.B) {
	frame := ethTCP(b, tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: string(make([]byte, 1400))})
	pkts := make([]pkt, 1000)
	for i := range pkts {
		pkts[i] = pkt{ci(i, frame), frame}
	}
	file := writePcap(b, layers.LinkTypeEthernet, false, pkts)
	br := bytes.NewReader(file)
	r, err := NewReader("bench", br)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		_, _, _, err := r.Next()
		if err == io.EOF {
			// Start over without a new Reader: skip the file header again.
			br.Seek(24, io.SeekStart)
			r.br.(*bufio.Reader).Reset(br)
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// firstKB reads the first KiB of each direction, as tsid does until a
// handshake is decided, then lets the connection go.
type firstKB struct{ n [2]int }

func (f *firstKB) Data(d Dir, b []byte, _ time.Time) bool {
	f.n[d] += len(b)
	return f.n[d] < 1024
}
func (*firstKB) Gap(Dir, int)        {}
func (*firstKB) Anomaly(Dir, string) {}
func (*firstKB) End(Ending)          {}

// BenchmarkReadAndReassemble runs a generated bulk capture (see tsidgen
// traffic), held in memory, through the Reader and the Assembler. Its
// allocations are per connection (the Stream, the entry), not per packet.
func BenchmarkReadAndReassemble(b *testing.B) {
	var file bytes.Buffer
	if _, err := synth.WriteTraffic(&file, synth.BulkTraffic(1, 16<<20)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(file.Len()))
	b.ReportAllocs()
	var packets, conns uint64
	for b.Loop() {
		r, err := NewReader("bench", bytes.NewReader(file.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		a := NewAssembler(func(*ConnInfo) Stream { return new(firstKB) }, Config{})
		for {
			data, ci, link, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			a.Packet(data, ci, link)
		}
		a.Close()
		packets += a.Stats().Packets
		conns += a.Stats().Conns
	}
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(conns)/float64(b.N), "conns/op")
}
