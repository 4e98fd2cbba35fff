package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"regexp"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tsid-project/tsid/pcaps"
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
