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
	"os"
	"path/filepath"
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
func rawPacket(b []byte, ts time.Time, src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte, payload []byte) []byte {
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
	binary.BigEndian.PutUint32(tcp[8:], ack)
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
			b = rawPacket(b[:0], t, src, dst, sport, 443, 1000, 0, 0x02, nil) // SYN
			if i%2 == 1 {
				b = rawPacket(b, t, src, dst, sport, 443, 1001, 1, 0x18, hello) // PSH|ACK
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
	// Half a ClientHello says nothing of the SNI (issue 10).
	if out.noSNI != 0 || !strings.Contains(errb.tail, "without SNI 0, SNI unknown 500000,") {
		t.Errorf("%d records say no-sni of half a ClientHello; summary %q", out.noSNI, errb.tail)
	}
}

// countingDiscard counts lines and the flag no-sni, and keeps the last
// bytes written.
type countingDiscard struct {
	lines int
	noSNI int
	tail  string
}

func (c *countingDiscard) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			c.lines++
		}
	}
	const flag = "no-sni"
	// A flag split between two writes is found in the seam.
	seam := c.tail[max(0, len(c.tail)-len(flag)+1):] + string(p[:min(len(p), len(flag)-1)])
	c.noSNI += strings.Count(seam, flag) + bytes.Count(p, []byte(flag))
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

// goodHello is a real TLS 1.2 ClientHello record for good.example.
func goodHello(t *testing.T) []byte {
	t.Helper()
	id, err := synth.NewIdentity(synth.CertSpec{KeySeed: "hello", Serial: 8, Subject: pkix.Name{CommonName: "good.example"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := synth.Handshake(synth.Config{
		Client: netip.MustParseAddrPort("10.0.0.1:50000"), Server: netip.MustParseAddrPort("192.0.2.1:443"),
		ServerName: "good.example", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		Cert: id, Time: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Seed: "hello",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tlsRecords(t, conv.Chunks[0].Data)[0]
}

// Overlapping segments that disagree: the first data wins, as in most TCP
// stacks, and the connection is flagged, because that is how evasion of
// SNI filtering looks (the firewall and the server may each see another
// name).
func TestOverlapConflictEvasion(t *testing.T) {
	hello := goodHello(t)
	evil := bytes.Replace(hello, []byte("good.example"), []byte("evil.example"), 1)
	if bytes.Equal(evil, hello) {
		t.Fatal("no SNI to replace")
	}
	cli, srv := [4]byte{10, 0, 0, 1}, [4]byte{192, 0, 2, 1}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	half := len(hello) / 2
	for _, tc := range []struct {
		name string
		segs func(b []byte, send func(b []byte, seq uint32, data []byte) []byte) []byte
	}{
		{"retransmission rewrites the delivered hello", func(b []byte, send func([]byte, uint32, []byte) []byte) []byte {
			b = send(b, 1001, hello)
			return send(b, 1001, evil)
		}},
		{"out of order, the later copy disagrees", func(b []byte, send func([]byte, uint32, []byte) []byte) []byte {
			b = send(b, 1001+uint32(half), hello[half:])
			b = send(b, 1001+uint32(half), evil[half:])
			return send(b, 1001, hello[:half])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := pcapHeader(uint32(pcaps.LinkRaw))
			at := t0
			step := func() time.Time { at = at.Add(time.Millisecond); return at }
			file = rawPacket(file, step(), cli, srv, 50000, 443, 1000, 0, 0x02, nil)    // SYN
			file = rawPacket(file, step(), srv, cli, 443, 50000, 7000, 1001, 0x12, nil) // SYN-ACK
			file = rawPacket(file, step(), cli, srv, 50000, 443, 1001, 7001, 0x10, nil) // ACK
			file = tc.segs(file, func(b []byte, seq uint32, data []byte) []byte {
				return rawPacket(b, step(), cli, srv, 50000, 443, seq, 7001, 0x18, data)
			})
			out, errs, code := runCLI(t, file, "analyze", "-q", "-f", "json", "-")
			recs := decodeLines(t, out)
			if code != 0 || len(recs) != 1 {
				t.Fatalf("exit %d, %d records: %s", code, len(recs), errs)
			}
			if recs[0]["sni"] != "good.example" || !containsAny(recs[0]["flags"].([]any), "overlap-conflict") {
				t.Errorf("sni %v flags %v, want the first copy's good.example and overlap-conflict", recs[0]["sni"], recs[0]["flags"])
			}
		})
	}
}

// pcapRecords returns the offset of each record of a little-endian pcap.
func pcapRecords(t *testing.T, file []byte) []int {
	if binary.LittleEndian.Uint32(file) != 0xa1b2c3d4 {
		t.Fatal("not a little-endian microsecond pcap")
	}
	var offs []int
	for off := 24; off+16 <= len(file); {
		offs = append(offs, off)
		off += 16 + int(binary.LittleEndian.Uint32(file[off+8:]))
	}
	return offs
}

// Damaged files: the error names the file and what is wrong, exit status
// 2, and what was read before the damage is still written.
func TestDamagedFiles(t *testing.T) {
	repoRoot(t)
	dir := t.TempDir()
	resumed, err := os.ReadFile("testdata/samples/resumed.pcap") // two TLS connections
	if err != nil {
		t.Fatal(err)
	}
	ng, err := os.ReadFile("testdata/samples/ipv6.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	offs := pcapRecords(t, resumed)
	last := offs[len(offs)-1]

	// Snap length 96: every packet cut after its headers and a few bytes.
	snapped := bytes.Clone(resumed[:24])
	binary.LittleEndian.PutUint32(snapped[16:], 96)
	for i, off := range offs {
		end := len(resumed)
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		rec := bytes.Clone(resumed[off : off+16])
		data := resumed[off+16 : end]
		data = data[:min(len(data), 96)]
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(data)))
		snapped = append(append(snapped, rec...), data...)
	}

	// pcapng: the third block's length made huge.
	badNG := bytes.Clone(ng)
	off := 0
	for range 3 {
		off += int(binary.LittleEndian.Uint32(badNG[off+4:]))
	}
	binary.LittleEndian.PutUint32(badNG[off+4:], 0x7ffffff0)

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, file string
		code       int
		errWant    string // in the one error line, after the file name
		minRecs    int
	}{
		{"cut inside a record header", write("hdr.pcap", resumed[:last+7]), 2, "ends inside a packet record", 2},
		{"cut inside a packet", write("pkt.pcap", resumed[:last+16+10]), 2, "ends inside a packet record", 2},
		{"snap length 96", write("snap.pcap", snapped), 0, "", 2},
		{"pcapng block length corrupted", write("bad.pcapng", badNG), 2, "", 0},
		{"empty", write("empty.pcap", nil), 2, "empty file", 0},
		{"not a capture", write("notes.txt", []byte("%PDF-1.7 not a capture at all\n")), 2, "not a packet capture", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runCLI(t, nil, "analyze", "-q", "-f", "json", tc.file)
			recs := decodeLines(t, out)
			if code != tc.code || len(recs) < tc.minRecs {
				t.Fatalf("exit %d, %d records; want exit %d, at least %d records\nstderr: %s", code, len(recs), tc.code, tc.minRecs, errs)
			}
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			if tc.code != 0 && (len(lines) != 1 || !strings.HasPrefix(lines[0], "tsid: "+tc.file+": ") || !strings.Contains(lines[0], tc.errWant)) {
				t.Errorf("stderr %q: want one line 'tsid: %s: …%s…'", errs, tc.file, tc.errWant)
			}
			if tc.code == 0 && errs != "" {
				t.Errorf("stderr %q", errs)
			}
			for _, r := range recs {
				// Snapped handshakes cannot show a certificate: never a
				// record that claims one it did not read whole.
				if tc.name == "snap length 96" && (r["cert_status"] == "present" || !containsAny(r["flags"].([]any), "incomplete")) {
					t.Errorf("snapped: status %v flags %v", r["cert_status"], r["flags"])
				}
			}
		})
	}
}
