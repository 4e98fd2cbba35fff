package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/pcaps/synth"
)

// rawPacket appends a pcap record of an IPv4/TCP packet (link type raw)
// with payload.
func rawPacket(b []byte, ts time.Time, src, dst [4]byte, sport, dport uint16, seq uint32, flags byte, payload []byte) []byte {
	n := 40 + len(payload)
	var rec [16]byte
	binary.LittleEndian.PutUint32(rec[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(ts.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(n))
	binary.LittleEndian.PutUint32(rec[12:], uint32(n))
	b = append(b, rec[:]...)
	ip := [20]byte{0x45, 0, byte(n >> 8), byte(n), 0, 0, 0x40, 0, 64, 6}
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	b = append(b, ip[:]...)
	var tcp [20]byte
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	b = append(b, tcp[:]...)
	return append(b, payload...)
}

func pcapHeader(link uint32) []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], link)
	return h
}

// halfOpen streams a capture of n connections that send a SYN and, every
// other one, the first 100 bytes of a ClientHello that claims 508: the
// shape of a SYN flood and of a slow-hello attack.
func halfOpen(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		w.Write(pcapHeader(uint32(pcaps.LinkRaw)))
		hello := make([]byte, 100)
		copy(hello, []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03})
		t := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		var b []byte
		for i := range n {
			src := [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}
			dst := [4]byte{203, 0, 113, byte(i % 200)}
			sport := uint16(40000 + i%20000)
			b = rawPacket(b[:0], t, src, dst, sport, 443, 1000, 0x02, nil) // SYN
			if i%2 == 1 {
				b = rawPacket(b, t, src, dst, sport, 443, 1001, 0x18, hello) // PSH|ACK
			}
			t = t.Add(time.Microsecond)
			if _, err := w.Write(b); err != nil {
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

// heapPeak samples the live heap every few milliseconds until stopped.
func heapPeak() (stop func() uint64) {
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// halfOpenHeapCap is the documented bound (README, "Hostile input") on the
// heap for any number of connections that never finish their handshake:
// at most pcaps.DefaultMaxConns are tracked, the least recently active
// is evicted and counted.
const halfOpenHeapCap = 256 << 20

func TestMillionHalfOpen(t *testing.T) {
	const n = 1_000_000
	stop := heapPeak()
	var out, errb countingDiscard
	err := run([]string{"analyze", "-f", "csv", "-"}, halfOpen(n), &out, &errb)
	peak := stop()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.tail)
	}
	t.Logf("peak live heap %d MiB, %d lines of output", peak>>20, out.lines)
	if peak > halfOpenHeapCap {
		t.Errorf("peak live heap %d MiB, cap %d MiB", peak>>20, halfOpenHeapCap>>20)
	}
	m := regexp.MustCompile(`TCP connections (\d+), TLS connections (\d+),.* evicted (\d+)`).FindStringSubmatch(errb.tail)
	if m == nil {
		t.Fatalf("no summary: %q", errb.tail)
	}
	conns, _ := strconv.Atoi(m[1])
	tls, _ := strconv.Atoi(m[2])
	evicted, _ := strconv.Atoi(m[3])
	if conns != n || tls != n/2 || evicted != n-pcaps.DefaultMaxConns {
		t.Errorf("summary %q: want %d connections, %d TLS, %d evicted", m[0], n, n/2, n-pcaps.DefaultMaxConns)
	}
	if out.lines != n/2+1 { // header and one incomplete record per hello
		t.Errorf("%d CSV lines, want %d", out.lines, n/2+1)
	}
}

// countingDiscard counts lines and keeps the last bytes written.
type countingDiscard struct {
	lines int
	tail  string
}

func (c *countingDiscard) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			c.lines++
		}
	}
	c.tail = string(p[max(0, len(p)-512):])
	return len(p), nil
}

// hostileConv is a conversation whose bytes are given, not negotiated.
func hostileConv(client, server string, chunks ...synth.Chunk) synth.Conversation {
	return synth.Conversation{Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server), Chunks: chunks}
}

// records splits a TLS byte stream into its records.
func tlsRecords(t *testing.T, b []byte) [][]byte {
	var recs [][]byte
	for len(b) >= 5 {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if n > len(b) {
			t.Fatalf("record of %d bytes, %d left", n, len(b))
		}
		recs = append(recs, b[:n])
		b = b[n:]
	}
	return recs
}

// Declared lengths far beyond the data, and zero lengths: each connection
// ends up incomplete or malformed, with bounded work, and the good
// connection after them is read as usual.
func TestHostileLengths(t *testing.T) {
	id, err := synth.NewIdentity(synth.CertSpec{KeySeed: "hostile", Serial: 7,
		Subject:  pkix.Name{CommonName: "good.example"},
		DNSNames: []string{"good.example"}, NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, err := synth.Handshake(synth.Config{
		Client: netip.MustParseAddrPort("10.0.0.9:50009"), Server: netip.MustParseAddrPort("192.0.2.9:443"),
		ServerName: "good.example", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		Cert: id, Time: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Seed: "hostile",
	})
	if err != nil {
		t.Fatal(err)
	}
	hello := tlsRecords(t, good.Chunks[0].Data)[0] // the real ClientHello record
	flight := tlsRecords(t, good.Chunks[1].Data)   // ServerHello, Certificate, …
	if flight[1][5] != 11 {
		t.Fatalf("second server record is not a Certificate: type %d", flight[1][5])
	}
	fin := []synth.Chunk{{Dir: synth.Client, FIN: true}, {Dir: synth.Server, FIN: true}}
	with := func(chunks ...synth.Chunk) []synth.Chunk { return append(chunks, fin...) }
	patch := func(b []byte, at int, v ...byte) []byte {
		b = bytes.Clone(b)
		copy(b[at:], v)
		return b
	}
	cert := flight[1]
	type want struct {
		sni, status string
		anomaly     string // one of the record's anomalies starts with this
	}
	cases := []struct {
		name   string
		chunks []synth.Chunk
		want   want
	}{
		{"record length 0xffff, 100 bytes there",
			with(synth.Chunk{Dir: synth.Client, Data: patch(hello[:100], 3, 0xff, 0xff)}),
			want{"", "missing", "record-malformed"}},
		{"handshake length 16 MB",
			with(synth.Chunk{Dir: synth.Client, Data: patch(hello, 6, 0xff, 0xff, 0xff)}),
			want{"", "missing", "handshake-too-large"}},
		{"certificate list longer than the message",
			with(synth.Chunk{Dir: synth.Client, Data: hello},
				synth.Chunk{Dir: synth.Server, Data: slices.Concat(flight[0], patch(cert, 9, 0x7f, 0xff, 0xff))}),
			want{"good.example", "incomplete", "certificate-msg-malformed"}},
		// An empty handshake record (RFC 5246, Section 6.2.1 forbids
		// them) is not taken for TLS; the hello after it is found.
		{"zero-length record",
			with(synth.Chunk{Dir: synth.Client, Data: slices.Concat([]byte{22, 3, 1, 0, 0}, hello)}),
			want{"good.example", "missing", "tls-after-plaintext:5"}},
		{"zero-length ClientHello",
			with(synth.Chunk{Dir: synth.Client, Data: []byte{22, 3, 1, 0, 4, 1, 0, 0, 0}}),
			want{"", "missing", "clienthello-malformed"}},
		{"zero-length certificate list",
			with(synth.Chunk{Dir: synth.Client, Data: hello},
				synth.Chunk{Dir: synth.Server, Data: slices.Concat(flight[0], []byte{22, 3, 3, 0, 7, 11, 0, 0, 3, 0, 0, 0})}),
			want{"good.example", "missing", "empty-certificate"}},
	}
	var file bytes.Buffer
	w, err := synth.NewWriter(&file, synth.Options{Start: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		conv := hostileConv(fmt.Sprintf("10.0.0.%d:5000%d", i+1, i), fmt.Sprintf("192.0.2.%d:443", i+1), tc.chunks...)
		if err := w.WriteConversation(&conv, synth.TCP{ClientISN: 1000, ServerISN: 5000}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteConversation(&good, synth.TCP{ClientISN: 1, ServerISN: 2}); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, file.Bytes(), "analyze", "-q", "-f", "json", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs := decodeLines(t, out)
	if len(recs) != len(cases)+1 {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(cases)+1, out)
	}
	for i, tc := range cases {
		r := recs[i]
		flags, _ := r["flags"].([]any)
		anomalies, _ := r["anomalies"].([]any)
		found := tc.want.anomaly == ""
		for _, a := range anomalies {
			found = found || strings.HasPrefix(a.(string), tc.want.anomaly)
		}
		if r["sni"] != tc.want.sni || r["cert_status"] != tc.want.status || !found ||
			(tc.want.status != "missing" && !containsAny(flags, "incomplete")) {
			t.Errorf("%s: sni %q status %v flags %v anomalies %v; want %+v", tc.name, r["sni"], r["cert_status"], flags, anomalies, tc.want)
		}
	}
	if last := recs[len(cases)]; last["host"] != "good.example" || last["cert_status"] != "present" || len(last["flags"].([]any)) != 1 {
		t.Errorf("the good connection after them: %v", last)
	}
}
