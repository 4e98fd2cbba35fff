package pcaps

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
)

const (
	cli = "10.0.0.1:1000"
	srv = "10.0.0.2:443"
)

func c2s(seq, ack uint32, flags, data string) tseg {
	return tseg{from: cli, to: srv, seq: seq, ack: ack, flags: flags, data: data}
}
func s2c(seq, ack uint32, flags, data string) tseg {
	return tseg{from: srv, to: cli, seq: seq, ack: ack, flags: flags, data: data}
}

// handshake: client ISN 100, server ISN 500.
var handshake = []tseg{c2s(100, 0, "S", ""), s2c(500, 101, "SA", ""), c2s(101, 501, "A", "")}

func hs(segs ...tseg) []tseg { return append(append([]tseg(nil), handshake...), segs...) }

// feed runs segments through an Assembler and closes it.
func feed(t *testing.T, cfg Config, stopAfter int, segs []tseg) (*recorders, *Assembler) {
	t.Helper()
	rs := &recorders{stopAfter: stopAfter}
	a := NewAssembler(rs.factory, cfg)
	for i, s := range segs {
		b := ipTCP(t, s)
		info := ci(i, b)
		if s.at != 0 {
			info = ci(s.at, b)
		}
		if s.cut > 0 {
			b = b[:len(b)-s.cut]
			info.CaptureLength = len(b)
		}
		a.Packet(b, info, LinkRaw)
	}
	a.Close()
	for _, r := range rs.conns {
		if r.ended != 1 {
			t.Errorf("conn %d: End called %d times", r.info.ID, r.ended)
		}
	}
	return rs, a
}

const conn1 = "conn 1 10.0.0.1:1000>10.0.0.2:443 syn=true"

func TestAssembler(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		stopAfter int
		segs      []tseg
		want      []string
	}{
		{"in order, FIN both ways", Config{}, 0, hs(
			c2s(101, 501, "A", "hello"), s2c(501, 106, "A", "world"),
			c2s(106, 506, "FA", ""), s2c(506, 107, "FA", ""), c2s(107, 507, "A", "")),
			[]string{conn1, `data A->B "hello"`, `data B->A "world"`, "end closed"}},
		{"out of order", Config{}, 0, hs(c2s(104, 501, "A", "lo"), c2s(101, 501, "A", "hel")),
			[]string{conn1, `data A->B "hel"`, `data A->B "lo"`, "end eof"}},
		{"retransmission dropped", Config{}, 0, hs(c2s(101, 501, "A", "hel"), c2s(101, 501, "A", "hel"), c2s(102, 501, "A", "elp"), c2s(104, 501, "A", "po")),
			[]string{conn1, `data A->B "hel"`, `data A->B "p"`, `data A->B "o"`, "end eof"}},
		// First data wins over delivered bytes too, and the rewrite is
		// reported: whole, partial and straddling retransmissions.
		{"retransmission rewriting delivered bytes", Config{}, 0, hs(c2s(101, 501, "A", "hel"), c2s(101, 501, "A", "HEL")),
			[]string{conn1, `data A->B "hel"`, "anomaly A->B overlap-conflict", "end eof"}},
		{"retransmission rewriting delivered bytes, then new", Config{}, 0, hs(c2s(101, 501, "A", "hel"), c2s(102, 501, "A", "eXp")),
			[]string{conn1, `data A->B "hel"`, "anomaly A->B overlap-conflict", `data A->B "p"`, "end eof"}},
		{"overlap with identical bytes", Config{}, 0, hs(c2s(101, 501, "A", "he"), c2s(106, 501, "A", "WORLD"), c2s(103, 501, "A", "lloWO")),
			[]string{conn1, `data A->B "he"`, `data A->B "llo"`, `data A->B "WORLD"`, "end eof"}},
		{"overlap with conflicting bytes: first wins", Config{}, 0, hs(c2s(101, 501, "A", "he"), c2s(106, 501, "A", "WORLD"), c2s(103, 501, "A", "lloXXLDxy")),
			[]string{conn1, `data A->B "he"`, "anomaly A->B overlap-conflict", `data A->B "llo"`, `data A->B "WORLD"`, `data A->B "y"`, "end eof"}},
		{"new segment covering two buffered ones", Config{}, 0, hs(c2s(103, 501, "A", "c"), c2s(105, 501, "A", "e"), c2s(101, 501, "A", "abcdef")),
			[]string{conn1, `data A->B "ab"`, `data A->B "c"`, `data A->B "d"`, `data A->B "e"`, `data A->B "f"`, "end eof"}},
		{"missing SYN", Config{}, 0, []tseg{c2s(5000, 9000, "A", "abc"), s2c(9000, 5003, "A", "xyz"), c2s(5003, 9003, "A", "def")},
			[]string{"conn 1 10.0.0.1:1000>10.0.0.2:443 syn=false", `data A->B "abc"`, `data B->A "xyz"`, `data A->B "def"`, "end eof"}},
		{"SYN-ACK first: its receiver is A", Config{}, 0, []tseg{s2c(500, 101, "SA", ""), c2s(101, 501, "A", "hi"), s2c(501, 103, "A", "yo")},
			[]string{"conn 1 10.0.0.1:1000>10.0.0.2:443 syn=false", `data A->B "hi"`, `data B->A "yo"`, "end eof"}},
		{"hole, then ACK beyond it", Config{}, 0, hs(c2s(101, 501, "A", "ab"), c2s(106, 501, "A", "fg"), s2c(501, 108, "A", ""), c2s(108, 501, "A", "h")),
			[]string{conn1, `data A->B "ab"`, "gap A->B 3", `data A->B "fg"`, `data A->B "h"`, "end eof"}},
		{"ACK inside the hole", Config{}, 0, hs(c2s(101, 501, "A", "ab"), c2s(106, 501, "A", "fg"), s2c(501, 104, "A", ""), c2s(104, 501, "A", "de")),
			[]string{conn1, `data A->B "ab"`, "gap A->B 1", `data A->B "de"`, `data A->B "fg"`, "end eof"}},
		{"hole never filled: gap at the end", Config{}, 0, hs(c2s(101, 501, "A", "ab"), c2s(106, 501, "A", "fg")),
			[]string{conn1, `data A->B "ab"`, "gap A->B 3", `data A->B "fg"`, "end eof"}},
		{"buffer cap", Config{MaxBuffered: 2*segOverhead + 4}, 0, hs(c2s(101, 501, "A", "a"), c2s(103, 501, "A", "cc"), c2s(106, 501, "A", "ff"), c2s(109, 501, "A", "ii")),
			[]string{conn1, `data A->B "a"`, "anomaly A->B buffer-cap", "gap A->B 1", `data A->B "cc"`, "gap A->B 1", `data A->B "ff"`, "gap A->B 1", `data A->B "ii"`, "end eof"}},
		{"snap length cut", Config{}, 0, hs(tseg{from: cli, to: srv, seq: 101, ack: 501, flags: "A", data: "abcdef", cut: 2}, c2s(107, 501, "A", "g")),
			[]string{conn1, `data A->B "abcd"`, "gap A->B 2", `data A->B "g"`, "end eof"}},
		{"sequence wrap", Config{}, 0, []tseg{c2s(0xfffffffd, 0, "S", ""), c2s(0xfffffffe, 0, "A", "ab"), c2s(2, 0, "A", "ef"), c2s(0, 0, "A", "cd")},
			[]string{conn1, `data A->B "ab"`, `data A->B "cd"`, `data A->B "ef"`, "end eof"}},
		{"5-tuple reused after FIN", Config{}, 0, hs(c2s(101, 501, "A", "one"),
			c2s(104, 501, "FA", ""), s2c(501, 105, "FA", ""), c2s(105, 502, "A", ""),
			c2s(7000, 0, "S", ""), s2c(8000, 7001, "SA", ""), c2s(7001, 8001, "A", "two")),
			[]string{conn1, `data A->B "one"`, "end closed", "conn 2 10.0.0.1:1000>10.0.0.2:443 syn=true", `data A->B "two"`, "end eof"}},
		{"5-tuple reused: new SYN, new ISN", Config{}, 0, hs(c2s(101, 501, "A", "one"), c2s(100, 0, "S", ""), c2s(7000, 0, "S", ""), c2s(7001, 0, "A", "two")),
			[]string{conn1, `data A->B "one"`, "end reused", "conn 2 10.0.0.1:1000>10.0.0.2:443 syn=true", `data A->B "two"`, "end eof"}},
		{"RST, then late packets absorbed", Config{}, 0, hs(c2s(101, 501, "A", "x"), s2c(501, 0, "R", ""), c2s(102, 501, "A", "y")),
			[]string{conn1, `data A->B "x"`, "end closed"}},
		{"idle timeout", Config{}, 0, []tseg{c2s(100, 0, "S", ""), {from: "10.9.9.9:1", to: srv, seq: 1, flags: "A", data: "z", at: 6 * 60 * 1000}},
			[]string{conn1, "end idle", "conn 2 10.9.9.9:1>10.0.0.2:443 syn=false", `data A->B "z"`, "end eof"}},
		{"Data returning false stops delivery", Config{}, 3, hs(c2s(101, 501, "A", "hello"), s2c(501, 106, "A", "world"), c2s(110, 501, "A", "x"),
			c2s(106, 506, "FA", ""), s2c(506, 107, "FA", "")),
			[]string{conn1, `data A->B "hello"`, "end closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, _ := feed(t, tt.cfg, tt.stopAfter, tt.segs)
			if diff := cmp.Diff(tt.want, rs.summary()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAssemblerEndingPackets: End counts the segments captured from each
// side, so a one-way capture can be told from a silent peer.
func TestAssemblerEndingPackets(t *testing.T) {
	for _, tt := range []struct {
		name string
		segs []tseg
		want [2]uint64
	}{
		{"both sides", hs(c2s(101, 501, "A", "hi"), s2c(501, 103, "A", "yo")), [2]uint64{3, 2}},
		{"client side only", []tseg{c2s(100, 0, "S", ""), c2s(101, 501, "A", ""), c2s(101, 501, "A", "hello"), c2s(106, 900, "A", "")}, [2]uint64{4, 0}},
		{"server side only", []tseg{s2c(500, 101, "SA", ""), s2c(501, 101, "A", "cert")}, [2]uint64{0, 2}},
		{"peer answers with RST only", []tseg{c2s(100, 0, "S", ""), c2s(101, 501, "A", "hello"), s2c(501, 0, "R", "")}, [2]uint64{2, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs, _ := feed(t, Config{}, 0, tt.segs)
			if len(rs.conns) != 1 {
				t.Fatalf("%d connections", len(rs.conns))
			}
			if got := rs.conns[0].packets; got != tt.want {
				t.Errorf("Ending.Packets %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAssemblerEviction(t *testing.T) {
	segs := []tseg{
		{from: "10.0.0.1:1", to: srv, seq: 1, flags: "A", data: "a"},
		{from: "10.0.0.1:2", to: srv, seq: 1, flags: "A", data: "b"},
		{from: "10.0.0.1:1", to: srv, seq: 2, flags: "A", data: "c"}, // conn 1 active again
		{from: "10.0.0.1:3", to: srv, seq: 1, flags: "A", data: "d"}, // evicts conn 2
	}
	rs, a := feed(t, Config{MaxConns: 2}, 0, segs)
	want := []string{
		"conn 1 10.0.0.1:1>10.0.0.2:443 syn=false", `data A->B "a"`, `data A->B "c"`, "end eof",
		"conn 2 10.0.0.1:2>10.0.0.2:443 syn=false", `data A->B "b"`, "end evicted",
		"conn 3 10.0.0.1:3>10.0.0.2:443 syn=false", `data A->B "d"`, "end eof",
	}
	if diff := cmp.Diff(want, rs.summary()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if st := a.Stats(); st.Evicted != 1 || st.Conns != 3 || st.TCP != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestAssemblerCloseInIDOrder(t *testing.T) {
	var order []uint64
	var a *Assembler
	a = NewAssembler(func(c *ConnInfo) Stream { return endFunc(func() { order = append(order, c.ID) }) }, Config{})
	for i, port := range []string{"1", "2", "3", "2", "1"} {
		b := ipTCP(t, tseg{from: "10.0.0.1:" + port, to: srv, seq: uint32(i), flags: "A", data: "x"})
		a.Packet(b, ci(i, b), LinkRaw)
	}
	a.Close()
	if diff := cmp.Diff([]uint64{1, 2, 3}, order); diff != "" {
		t.Errorf("End order (-want +got):\n%s", diff)
	}
}

type endFunc func()

func (endFunc) Data(Dir, []byte, time.Time) bool { return true }
func (endFunc) Gap(Dir, int)                     {}
func (endFunc) Anomaly(Dir, string)              {}
func (f endFunc) End(Ending)                     { f() }

func TestAssemblerStats(t *testing.T) {
	rs := &recorders{}
	a := NewAssembler(rs.factory, Config{})
	arp := cat(make([]byte, 12), []byte{8, 6}, make([]byte, 28))
	a.Packet(arp, gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(arp), Length: len(arp)}, LinkEthernet)
	bad := []byte{0x45, 0}
	a.Packet(bad, ci(1, bad), LinkRaw)
	a.Close()
	if st := a.Stats(); st.Packets != 2 || st.NonIP != 1 || st.DecodeErrors != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A closed connection's entry absorbs late packets for closedLinger, then
// goes; payload-less packets of no known connection never make an entry.
func TestClosedLinger(t *testing.T) {
	late := int(closedLinger/time.Millisecond) + 1000 // ci's unit is the ms
	closed := hs(c2s(101, 501, "PA", "hi"), c2s(103, 501, "FA", ""), s2c(501, 104, "FA", ""))
	rs := &recorders{}
	a := NewAssembler(rs.factory, Config{})
	pkts := append(closed,
		c2s(104, 502, "A", ""), // the last ACK: absorbed by the closed entry
		tseg{from: "10.9.9.9:5", to: "10.9.9.8:6", seq: 1, ack: 1, flags: "A"}, // stray: no entry
	)
	for i, s := range pkts {
		a.Packet(ipTCP(t, s), ci(i, ipTCP(t, s)), LinkRaw)
	}
	if n := a.conns.len(); n != 1 {
		t.Fatalf("%d entries after close, want the 1 lingering", n)
	}
	// A packet after the linger time moves the clock; the entry is gone.
	later := c2s(104, 502, "A", "")
	b := ipTCP(t, later)
	a.Packet(b, ci(late, b), LinkRaw)
	if n := a.conns.len(); n != 0 {
		t.Errorf("%d entries %v after close, want none", n, closedLinger)
	}
	if st := a.Stats(); st.Conns != 1 || st.Stray != 2 {
		t.Errorf("Conns %d Stray %d, want 1 and 2", st.Conns, st.Stray)
	}
	a.Close()
	if len(rs.conns) != 1 || rs.conns[0].ended != 1 {
		t.Errorf("streams %d, want one ended once", len(rs.conns))
	}
}

// ms is the capture time n milliseconds after t0 (tseg.at's unit).
func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// TestAssemblerEndingFacts: the TCP facts of Ending, for each way a
// connection attempt can fail or succeed (see diagnose).
func TestAssemblerEndingFacts(t *testing.T) {
	const (
		s1 = 3000 // ms: a SYN retransmission
		s2 = 7000
	)
	synOnly := []tseg{c2s(100, 0, "S", ""), {from: cli, to: srv, seq: 100, flags: "S", at: s1}, {from: cli, to: srv, seq: 100, flags: "S", at: s2}}
	tests := []struct {
		name      string
		stopAfter int
		segs      []tseg
		want      []Ending // one per connection
	}{
		// Zeek S0: no answer to 3 SYNs over 7 s.
		{"SYN only", 0, synOnly, []Ending{{Reason: EndEOF, Time: ms(s2), Packets: [2]uint64{3, 0},
			SYNs: [2]uint32{3, 0}, FirstSYN: ms(0), LastSYN: ms(s2), ResetBy: NoDir}}},
		// Zeek REJ: the port is closed.
		{"SYN, RST-ACK from the server", 0, []tseg{c2s(100, 0, "S", ""), s2c(0, 101, "RA", "")},
			[]Ending{{Reason: EndClosed, Time: ms(1), Packets: [2]uint64{1, 1}, SYNs: [2]uint32{1, 0},
				FirstSYN: ms(0), LastSYN: ms(0), ResetBy: BtoA, ResetAt: ms(1)}}},
		// Zeek RSTR: reset right after the ClientHello.
		{"established, client data, server RST", 0, hs(c2s(101, 501, "A", "hello"), s2c(501, 106, "RA", "")),
			[]Ending{{Reason: EndClosed, Time: ms(4), Packets: [2]uint64{3, 2}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{5, 0}, Established: true,
				ResetBy: BtoA, ResetAt: ms(4), ResetAfter: [2]uint64{5, 0}}}},
		{"client resets after data both ways", 0, hs(c2s(101, 501, "A", "hello"), s2c(501, 106, "A", "hi"), c2s(106, 503, "R", "")),
			[]Ending{{Reason: EndClosed, Time: ms(5), Packets: [2]uint64{4, 2}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{5, 2}, Established: true,
				ResetBy: AtoB, ResetAt: ms(5), ResetAfter: [2]uint64{5, 2}}}},
		{"normal close with FINs", 0, hs(c2s(101, 501, "A", "hello"), s2c(501, 106, "A", "world!"),
			c2s(106, 507, "FA", ""), s2c(507, 107, "FA", ""), c2s(107, 508, "A", "")),
			[]Ending{{Reason: EndClosed, Time: ms(6), Packets: [2]uint64{4, 3}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{5, 6}, Established: true,
				ResetBy: NoDir, FIN: [2]bool{true, true}}}},
		{"one-way: handshake, then only A's packets", 0, hs(c2s(101, 501, "A", "hello"), c2s(106, 501, "A", "again")),
			[]Ending{{Reason: EndEOF, Time: ms(4), Packets: [2]uint64{4, 1}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{10, 0}, Established: true, ResetBy: NoDir}}},
		// Without B's SYN-ACK the capture cannot show that B answered.
		{"one-way: only A's packets", 0, []tseg{c2s(100, 0, "S", ""), c2s(101, 501, "A", ""), c2s(101, 501, "A", "hello")},
			[]Ending{{Reason: EndEOF, Time: ms(2), Packets: [2]uint64{3, 0}, SYNs: [2]uint32{1, 0},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{5, 0}, ResetBy: NoDir}}},
		{"one-way: only B's packets", 0, []tseg{s2c(500, 101, "SA", ""), s2c(501, 106, "A", "cert")},
			[]Ending{{Reason: EndEOF, Time: ms(1), Packets: [2]uint64{0, 2}, SYNs: [2]uint32{0, 1},
				Bytes: [2]uint64{0, 4}, Established: true, ResetBy: NoDir}}},
		{"SYN not captured, ACKs both ways", 0, []tseg{c2s(5000, 9000, "A", "abc"), s2c(9000, 5003, "A", "")},
			[]Ending{{Reason: EndEOF, Time: ms(1), Packets: [2]uint64{1, 1}, Bytes: [2]uint64{3, 0},
				Established: true, ResetBy: NoDir}}},
		{"SYN not captured, server only resets", 0, []tseg{c2s(5000, 9000, "A", "abc"), s2c(9000, 0, "R", "")},
			[]Ending{{Reason: EndClosed, Time: ms(1), Packets: [2]uint64{1, 1}, Bytes: [2]uint64{3, 0},
				ResetBy: BtoA, ResetAt: ms(1), ResetAfter: [2]uint64{3, 0}}}},
		// Bytes is sequence space: retransmissions and overlaps once,
		// reordering and holes as sent.
		{"retransmissions and overlaps count once", 0, hs(c2s(101, 501, "A", "hello"), c2s(101, 501, "A", "hello"), c2s(104, 501, "A", "lo!!")),
			[]Ending{{Reason: EndEOF, Time: ms(5), Packets: [2]uint64{5, 1}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{7, 0}, Established: true, ResetBy: NoDir}}},
		{"out of order, and a hole never filled", 0, hs(c2s(106, 501, "A", "world"), c2s(101, 501, "A", "he"), c2s(111, 501, "A", "!")),
			[]Ending{{Reason: EndEOF, Time: ms(5), Packets: [2]uint64{5, 1}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{11, 0}, Established: true, ResetBy: NoDir}}},
		{"snap length cut: the cut bytes were sent", 0, hs(tseg{from: cli, to: srv, seq: 101, ack: 501, flags: "A", data: "abcdef", cut: 2}),
			[]Ending{{Reason: EndEOF, Time: ms(3), Packets: [2]uint64{3, 1}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{6, 0}, Established: true, ResetBy: NoDir}}},
		{"sequence wrap", 0, []tseg{c2s(0xfffffffd, 0, "S", ""), c2s(0xfffffffe, 0, "A", "ab"), c2s(0, 0, "A", "cd")},
			[]Ending{{Reason: EndEOF, Time: ms(2), Packets: [2]uint64{3, 0}, SYNs: [2]uint32{1, 0},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{4, 0}, ResetBy: NoDir}}},
		{"counted after the stream is no longer wanted", 3, hs(c2s(101, 501, "A", "hello"), c2s(106, 501, "A", "world"), s2c(501, 111, "A", "ok")),
			[]Ending{{Reason: EndEOF, Time: ms(5), Packets: [2]uint64{4, 2}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{10, 2}, Established: true, ResetBy: NoDir}}},
		// A SYN after a RST is a new attempt (the reuse rule of tcp()):
		// Windows retries a refused connect like this.
		{"SYN again after RST-ACK: a second connection", 0, []tseg{c2s(100, 0, "S", ""), s2c(0, 101, "RA", ""),
			{from: cli, to: srv, seq: 100, flags: "S", at: 500}, {from: srv, to: cli, ack: 101, flags: "RA", at: 501}},
			[]Ending{
				{Reason: EndClosed, Time: ms(1), Packets: [2]uint64{1, 1}, SYNs: [2]uint32{1, 0},
					FirstSYN: ms(0), LastSYN: ms(0), ResetBy: BtoA, ResetAt: ms(1)},
				{Reason: EndClosed, Time: ms(501), Packets: [2]uint64{1, 1}, SYNs: [2]uint32{1, 0},
					FirstSYN: ms(500), LastSYN: ms(500), ResetBy: BtoA, ResetAt: ms(501)}}},
		// The closed entry absorbs late packets; they are not the old
		// connection's facts.
		{"late packets after the end are not counted", 0, hs(c2s(101, 501, "A", "x"), s2c(501, 0, "R", ""), c2s(102, 501, "A", "y"), s2c(501, 0, "R", "")),
			[]Ending{{Reason: EndClosed, Time: ms(4), Packets: [2]uint64{3, 2}, SYNs: [2]uint32{1, 1},
				FirstSYN: ms(0), LastSYN: ms(0), Bytes: [2]uint64{1, 0}, Established: true,
				ResetBy: BtoA, ResetAt: ms(4), ResetAfter: [2]uint64{1, 0}}}},
		// Servers answering each retransmitted SYN with a new ISN: the
		// last SYN-ACK's ISN counts, with no data yet.
		{"SYN-ACKs with new ISNs", 0, []tseg{c2s(100, 0, "S", ""), s2c(500, 101, "SA", ""), c2s(100, 0, "S", ""), s2c(900, 101, "SA", ""),
			c2s(101, 901, "A", ""), s2c(901, 101, "A", "abc")},
			[]Ending{{Reason: EndEOF, Time: ms(5), Packets: [2]uint64{3, 3}, SYNs: [2]uint32{2, 2},
				FirstSYN: ms(0), LastSYN: ms(2), Bytes: [2]uint64{0, 3}, Established: true, ResetBy: NoDir}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, _ := feed(t, Config{}, tt.stopAfter, tt.segs)
			var got []Ending
			for _, r := range rs.conns {
				got = append(got, r.ending)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Endings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAssemblerSYNOnlyIdle: an unanswered SYN makes a connection that ends
// at the idle timeout with its facts, and a SYN retransmitted after that
// is a new attempt.
func TestAssemblerSYNOnlyIdle(t *testing.T) {
	idle := int(DefaultIdleTimeout / time.Millisecond)
	other := tseg{from: "10.9.9.9:1", to: srv, seq: 1, flags: "A", data: "z", at: idle + 2000} // moves the clock
	segs := []tseg{c2s(100, 0, "S", ""), other, {from: cli, to: srv, seq: 100, flags: "S", at: idle + 3000}}
	rs, _ := feed(t, Config{}, 0, segs)
	want := []string{conn1, "end idle", "conn 2 10.9.9.9:1>10.0.0.2:443 syn=false", `data A->B "z"`, "end eof", "conn 3 10.0.0.1:1000>10.0.0.2:443 syn=true", "end eof"}
	if diff := cmp.Diff(want, rs.summary()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantEnd := Ending{Reason: EndIdle, Time: ms(idle + 2000), Packets: [2]uint64{1, 0}, SYNs: [2]uint32{1, 0},
		FirstSYN: ms(0), LastSYN: ms(0), ResetBy: NoDir}
	if diff := cmp.Diff(wantEnd, rs.conns[0].ending); diff != "" {
		t.Errorf("Ending (-want +got):\n%s", diff)
	}
}

func TestDirString(t *testing.T) {
	got := []string{AtoB.String(), BtoA.String(), NoDir.String(), Dir(7).String()}
	if diff := cmp.Diff([]string{"A->B", "B->A", "none", "Dir(7)"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestAssemblerReuseAtCap: at Config.MaxConns the entry of an evicted or
// lingering connection is the next one's. With a cap of 3 and connections
// on 8 ports opening, sending, closing and coming back at random, every
// connection still ends exactly once, after its last event, and gets only
// its own bytes (each byte is its client's port), and the ConnInfo a
// Stream sees stays its own until End.
func TestAssemblerReuseAtCap(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 34))
	for trial := range 50 {
		var live []*infoChecker
		var all []*infoChecker
		a := NewAssembler(func(c *ConnInfo) Stream {
			ch := &infoChecker{t: t, info: c, copy: *c}
			live = append(live, ch)
			all = append(all, ch)
			return ch
		}, Config{MaxConns: 3})
		seqs := map[int]uint32{}
		for i := range 400 {
			port := 1 + rng.IntN(8)
			from := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(port))
			s := tseg{from: from.String(), to: srv, flags: "A"}
			switch op := rng.IntN(10); {
			case op == 0:
				s.flags, s.seq = "S", 1000*uint32(port)
				seqs[port] = s.seq + 1
			case op == 1:
				s.flags, s.seq = "R", seqs[port]
			case op == 2:
				s.flags, s.seq = "AF", seqs[port]
				seqs[port]++
			default:
				if seqs[port] == 0 {
					seqs[port] = 1000*uint32(port) + 1
				}
				s.seq = seqs[port]
				s.data = strings.Repeat(string(rune('A'+port)), 1+rng.IntN(5))
				seqs[port] += uint32(len(s.data))
			}
			b := ipTCP(t, s)
			a.Packet(b, ci(i, b), LinkRaw)
			for _, ch := range live {
				ch.check()
			}
		}
		a.Close()
		for _, ch := range all {
			if ch.ended != 1 {
				t.Fatalf("trial %d: connection %d ended %d times", trial, ch.copy.ID, ch.ended)
			}
		}
	}
}

// infoChecker is a Stream that checks its ConnInfo and its bytes.
type infoChecker struct {
	t     *testing.T
	info  *ConnInfo
	copy  ConnInfo
	ended int
}

func (c *infoChecker) check() {
	if c.ended == 0 && *c.info != c.copy {
		c.t.Fatalf("ConnInfo of connection %d changed before End: %+v", c.copy.ID, *c.info)
	}
}

func (c *infoChecker) Data(d Dir, b []byte, ts time.Time) bool {
	c.check()
	if c.ended > 0 {
		c.t.Fatalf("connection %d: Data after End", c.copy.ID)
	}
	client := c.copy.A
	if d == BtoA {
		client = c.copy.B
	}
	for _, x := range b {
		if want := byte('A' + client.Port()); x != want {
			c.t.Fatalf("connection %d (%v): byte %q, want %q", c.copy.ID, client, x, want)
		}
	}
	return true
}
func (c *infoChecker) Gap(Dir, int)        { c.check() }
func (c *infoChecker) Anomaly(Dir, string) { c.check() }
func (c *infoChecker) End(Ending)          { c.check(); c.ended++ }
