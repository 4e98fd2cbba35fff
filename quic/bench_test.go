package quic

import "testing"

// dnsQuery is an ordinary non-QUIC UDP payload.
var dnsQuery = []byte{
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01,
}

func BenchmarkLooksInitial(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if LooksInitial(dnsQuery) {
			b.Fatal("DNS looks like QUIC")
		}
	}
}

// BenchmarkClientInitial decrypts the RFC 9001 client Initial in a new Conn
// (key derivation included).
func BenchmarkClientInitial(b *testing.B) {
	pkt := readHex(b, "rfc9001-a2-client.hex")
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		c := NewConn()
		c.Datagram(pkt, true)
		if c.ClientHello() == nil {
			b.Fatal("no ClientHello")
		}
	}
}

// BenchmarkClientInitialSteady feeds the same client Initial to one Conn:
// the per-packet cost once keys and buffers exist.
func BenchmarkClientInitialSteady(b *testing.B) {
	pkt := readHex(b, "rfc9001-a2-client.hex")
	c := NewConn()
	c.Datagram(pkt, true)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		c.Datagram(pkt, true)
	}
}

// TestAllocs pins the benchmarks' allocation counts: nothing per packet
// once a connection has its keys, nothing for non-QUIC UDP.
func TestAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { LooksInitial(dnsQuery) }); n != 0 {
		t.Errorf("LooksInitial: %v allocs", n)
	}
	pkt := readHex(t, "rfc9001-a2-client.hex")
	c := NewConn()
	c.Datagram(pkt, true)
	if n := testing.AllocsPerRun(100, func() { c.Datagram(pkt, true) }); n != 0 {
		t.Errorf("Datagram on a keyed Conn: %v allocs", n)
	}
}
