package pcaps

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/net/dns/dnsmessage"
)

func FuzzReader(f *testing.F) {
	p := pkt{ci(0, []byte("0123456789")), []byte("0123456789")}
	pcap := writePcap(f, layers.LinkTypeEthernet, false, []pkt{p, p})
	f.Add(pcap)
	f.Add(gz(pcap))
	f.Add(writePcapRaw(binary.BigEndian, true, 276, []pkt{p}))
	f.Add(ngFile(f, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, []pkt{p, p}))
	// The shipped samples: real pcap and pcapng files, one gzip'ed.
	samples, _ := filepath.Glob("../testdata/samples/*.pcap*")
	if len(samples) == 0 {
		f.Fatal("no sample captures in ../testdata/samples")
	}
	for i, name := range samples {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if i == 0 || strings.HasSuffix(name, ".pcapng") {
			f.Add(gz(b))
		}
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		r, err := NewReader("fuzz", bytes.NewReader(file))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("NewReader error %T %v is not an *Error", err, err)
			}
			return
		}
		for i := 0; ; i++ {
			data, ci, _, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("Next error %T %v is not an *Error", err, err)
				}
				return
			}
			if len(data) != ci.CaptureLength || ci.CaptureLength > ci.Length || len(data) > MaxRecord {
				t.Fatalf("packet %d: len %d, CaptureInfo %+v", i, len(data), ci)
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	s := tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: "hello"}
	f.Add(uint16(LinkEthernet), ethTCP(f, s))
	f.Add(uint16(LinkRaw), ipTCP(f, tseg{from: "[2001:db8::1]:1", to: "[2001:db8::2]:2", flags: "S"}))
	f.Add(uint16(LinkNull), append([]byte{24, 0, 0, 0}, ipTCP(f, tseg{from: "[::1]:1", to: "[::1]:2", data: "x"})...))
	f.Add(uint16(LinkSLL2), append(make([]byte, 20), ipTCP(f, s)...))
	for _, tc := range tunnelCases(f) {
		f.Add(uint16(tc.link), tc.data)
	}
	// DNS over UDP: a query and a response.
	f.Add(uint16(LinkRaw), udpPacket(f, dnsClient, dnsResolver, query(7, "tools.cisco.com.", dnsmessage.TypeA).pack(f)))
	f.Add(uint16(LinkRaw), udpPacket(f, dnsResolver, dnsClient, answer(7, "tools.cisco.com.", dnsmessage.TypeA, 0,
		rr("tools.cisco.com.", cname("e.example.net.")), rr("e.example.net.", a4("72.163.4.38"))).pack(f)))
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		dc := newDecoder()
		for range 2 { // a second time through the defragmenter
			if dc.decode(data, LinkType(link), t0) == resOK && len(dc.p.payload) > len(data) && dc.p.proto != protoTCP {
				t.Fatalf("payload longer than the packet")
			}
		}
		rs := &recorders{}
		lookups := 0
		a := NewAssembler(rs.factory, Config{DNSLookups: func(l DNSLookup) {
			lookups++
			checkLookup(t, l)
		}})
		a.Packet(data, gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(data), Length: len(data)}, LinkType(link))
		a.Close()
		if lookups > 1 {
			t.Errorf("one packet, %d lookups", lookups)
		}
		for _, r := range rs.conns {
			checkEnding(t, r.ending)
		}
	})
}

// checkLookup fails t when l is not a lookup the log could hand on.
func checkLookup(t *testing.T, l DNSLookup) {
	t.Helper()
	switch {
	case l.Server.Port() != dnsPort || !l.Client.IsValid():
		t.Errorf("lookup between %v and %v", l.Client, l.Server)
	case l.Queries < 0 || l.Queries == 0 && !l.Answered:
		t.Errorf("lookup with %d queries, answered %v", l.Queries, l.Answered)
	case l.First.IsZero() || l.Answered && l.AnswerAt.IsZero():
		t.Errorf("lookup times %v %v", l.First, l.AnswerAt)
	case !l.Answered && (l.RCode != 0 || l.Addrs != nil || l.Truncated || l.Malformed || !l.AnswerAt.IsZero()):
		t.Errorf("unanswered lookup with answer fields: %+v", l)
	case l.RCode > 15:
		t.Errorf("RCode %d", l.RCode)
	}
}

// checkEnding fails t when e's TCP facts contradict each other.
func checkEnding(t *testing.T, e Ending) {
	t.Helper()
	switch {
	case e.ResetBy != AtoB && e.ResetBy != BtoA && e.ResetBy != NoDir:
		t.Errorf("ResetBy %v", e.ResetBy)
	case e.ResetBy != NoDir && (!e.ResetAt.Equal(e.Time) || e.ResetAfter != e.Bytes):
		t.Errorf("reset at %v after %v, ended at %v after %v", e.ResetAt, e.ResetAfter, e.Time, e.Bytes)
	case e.ResetBy == NoDir && (!e.ResetAt.IsZero() || e.ResetAfter != [2]uint64{}):
		t.Errorf("no reset, but at %v after %v", e.ResetAt, e.ResetAfter)
	case (e.SYNs[AtoB] > 0) == e.FirstSYN.IsZero() || e.FirstSYN.IsZero() != e.LastSYN.IsZero():
		t.Errorf("%d SYNs from A, first %v, last %v", e.SYNs[AtoB], e.FirstSYN, e.LastSYN)
	case uint64(e.SYNs[AtoB]) > e.Packets[AtoB] || uint64(e.SYNs[BtoA]) > e.Packets[BtoA]:
		t.Errorf("SYNs %v, packets %v", e.SYNs, e.Packets)
	case e.Packets[AtoB] == 0 && (e.Bytes[AtoB] > 0 || e.FIN[AtoB]) || e.Packets[BtoA] == 0 && (e.Bytes[BtoA] > 0 || e.FIN[BtoA]):
		t.Errorf("facts of a side without packets: %+v", e)
	}
}

// FuzzDNS sends a message as a query, twice, and as its response, twice,
// with Config.DNSLookups: whatever it holds, nothing panics, each lookup is
// handed on once and nothing is held after Close.
func FuzzDNS(f *testing.F) {
	f.Add(query(7, "tools.cisco.com.", dnsmessage.TypeA).pack(f))
	f.Add(answer(7, "tools.cisco.com.", dnsmessage.TypeA, 0,
		rr("tools.cisco.com.", cname("e.example.net.")), rr("e.example.net.", cname("tools.cisco.com.")),
		rr("e.example.net.", a4("72.163.4.38"))).pack(f))
	f.Add(answer(7, "tools.cisco.com.", dnsmessage.TypeAAAA, dnsmessage.RCodeNameError).pack(f))
	f.Add(dnsmsg{id: 7, response: true, rcode: dnsmessage.RCodeRefused}.pack(f))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var got []DNSLookup
		a := NewAssembler((&recorders{}).factory, Config{DNSLookups: func(l DNSLookup) {
			checkLookup(t, l)
			got = append(got, l)
		}})
		q, r := bytes.Clone(msg), bytes.Clone(msg)
		if len(msg) > 2 {
			q[2] &^= 0x80 // QR: query
			r[2] |= 0x80  // QR: response
		}
		for i, u := range []udp{{dnsClient, dnsResolver, 0, q}, {dnsClient, dnsResolver, 1, q}, {dnsResolver, dnsClient, 2, r}, {dnsResolver, dnsClient, 3, r}} {
			b := udpPacket(t, u.from, u.to, u.payload)
			a.Packet(b, ci(i, b), LinkRaw)
		}
		a.Close()
		if len(got) > 2 {
			t.Errorf("%d lookups from one query and one response", len(got))
		}
		if len(a.lookups.m) != 0 || a.lookups.pending.n != 0 {
			t.Errorf("after Close: %d entries, %d pending", len(a.lookups.m), a.lookups.pending.n)
		}
		var m1, m2 dnsMsg
		if parseDNS(msg, &m1) != parseDNS(msg, &m2) || !reflect.DeepEqual(m1, m2) {
			t.Errorf("parsed twice: %+v, then %+v", m1, m2)
		}
	})
}

// FuzzAssembler feeds one connection's segments decoded from the input: 4
// bytes each (flags, 2-byte offset, length). Bytes are a function of their
// position unless the segment is marked corrupt; whatever the order,
// delivered bytes must equal the first bytes seen at their position.
func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0, 0, 0, 10, 0, 0, 20, 10, 0, 0, 10, 10})
	f.Add([]byte{0, 0, 5, 10, 2, 0, 0, 12, 1, 0, 30, 0, 4, 0, 15, 5})
	f.Add([]byte{0, 0, 40, 60, 0, 0, 100, 60, 0, 0, 200, 60, 1, 1, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const isn = 0xffffff80 // data wraps around 2^32
		const maxBuf = 2048
		rs := &recorders{}
		a := NewAssembler(rs.factory, Config{MaxBuffered: maxBuf, DNSLookups: func(l DNSLookup) { checkLookup(t, l) }})
		first := map[int]byte{}
		content := func(pos int, corrupt bool) byte {
			b := byte(pos*7 + 3)
			if corrupt {
				b ^= 0xff
			}
			return b
		}
		send := func(i int, s tseg) {
			b := ipTCP(t, s)
			a.Packet(b, ci(i, b), LinkRaw)
		}
		send(0, tseg{from: cli, to: srv, seq: isn, flags: "S"})
		for i := 0; i+4 <= len(ops) && i < 4*500; i += 4 {
			flags, off, n := ops[i], int(binary.BigEndian.Uint16(ops[i+1:])%4096), int(ops[i+3]%64)
			if flags&1 != 0 { // an ACK from the server
				send(i, tseg{from: srv, to: cli, seq: 1, ack: isn + 1 + uint32(off), flags: "A"})
				continue
			}
			data := make([]byte, n)
			for k := range data {
				data[k] = content(off+k, flags&2 != 0)
				if _, ok := first[off+k]; !ok {
					first[off+k] = data[k]
				}
			}
			fl := "A"
			if flags&4 != 0 {
				fl = "AF"
			}
			send(i, tseg{from: cli, to: srv, seq: isn + 1 + uint32(off), flags: fl, data: string(data)})
			for _, s := range a.conns.slots {
				if s.c == nil {
					continue
				}
				for _, h := range s.c.h {
					if h.buffered > maxBuf+64+segOverhead*64 {
						t.Fatalf("buffered %d bytes, cap %d", h.buffered, maxBuf)
					}
				}
			}
		}
		a.Close()
		if len(rs.conns) != 1 {
			t.Fatalf("%d connections", len(rs.conns))
		}
		r := rs.conns[0]
		checkEnding(t, r.ending)
		// Replay the events: positions advance with Data and Gap.
		pos := 0
		for _, e := range r.events {
			var d string
			var n int
			switch {
			case bytes.HasPrefix([]byte(e), []byte("gap A->B ")):
				n = atoiTest(e[len("gap A->B "):])
				if n <= 0 {
					t.Fatalf("gap %d", n)
				}
				pos += n
			case bytes.HasPrefix([]byte(e), []byte("data A->B ")):
				d = unquote(t, e[len("data A->B "):])
				for k := range len(d) {
					if w, ok := first[pos+k]; !ok || w != d[k] {
						t.Fatalf("byte at %d: delivered %#x, first seen %#x (%v)", pos+k, d[k], w, ok)
					}
				}
				pos += len(d)
			}
		}
	})
}

func atoiTest(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func unquote(t *testing.T, s string) string {
	u, err := strconv.Unquote(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
