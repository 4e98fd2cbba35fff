package pcaps

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// seg describes one TCP segment for tests: "10.0.0.1:1234>10.0.0.2:443".
type tseg struct {
	from, to string // "ip:port"
	seq, ack uint32
	flags    string // any of "SAFR"
	data     string
	cut      int // bytes the snap length cut off the end
	at       int // capture time in ms after t0; 0: the packet's index
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// serialize builds a packet from layers, fixing lengths and checksums.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ipLayers returns the network layer (IPv4 or IPv6) for a TCP/UDP packet.
func ipLayer(src, dst netip.Addr, proto layers.IPProtocol) (gopacket.SerializableLayer, gopacket.NetworkLayer, layers.EthernetType) {
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
		return ip, ip, layers.EthernetTypeIPv4
	}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
	return ip, ip, layers.EthernetTypeIPv6
}

func tcpLayer(s tseg, nl gopacket.NetworkLayer) *layers.TCP {
	from, to := ap(s.from), ap(s.to)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(from.Port()), DstPort: layers.TCPPort(to.Port()),
		Seq: s.seq, Ack: s.ack, Window: 65535,
		SYN: strings.Contains(s.flags, "S"), ACK: strings.Contains(s.flags, "A"),
		FIN: strings.Contains(s.flags, "F"), RST: strings.Contains(s.flags, "R")}
	tcp.SetNetworkLayerForChecksum(nl)
	return tcp
}

// ethTCP builds an Ethernet frame holding the segment.
func ethTCP(t testing.TB, s tseg) []byte {
	from, to := ap(s.from), ap(s.to)
	ipl, nl, et := ipLayer(from.Addr(), to.Addr(), layers.IPProtocolTCP)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: et}
	return serialize(t, eth, ipl, tcpLayer(s, nl), gopacket.Payload(s.data))
}

// ipTCP builds a bare IP packet holding the segment.
func ipTCP(t testing.TB, s tseg) []byte {
	from, to := ap(s.from), ap(s.to)
	ipl, nl, _ := ipLayer(from.Addr(), to.Addr(), layers.IPProtocolTCP)
	return serialize(t, ipl, tcpLayer(s, nl), gopacket.Payload(s.data))
}

func ci(n int, b []byte) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(n) * time.Millisecond), CaptureLength: len(b), Length: len(b)}
}

type pkt struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// writePcap writes an Ethernet (or other link type < 256) pcap with pcapgo.
func writePcap(t testing.TB, link layers.LinkType, nano bool, pkts []pkt) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nano {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(65535, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(p.ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// writePcapRaw writes a pcap by hand: any byte order, any 32-bit link type.
func writePcapRaw(order binary.AppendByteOrder, nano bool, link uint32, pkts []pkt) []byte {
	var b []byte
	magic := uint32(pcapMagicMicro)
	if nano {
		magic = pcapMagicNano
	}
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 262144)
	b = order.AppendUint32(b, link)
	for _, p := range pkts {
		frac := p.ci.Timestamp.Nanosecond()
		if !nano {
			frac /= 1000
		}
		b = order.AppendUint32(b, uint32(p.ci.Timestamp.Unix()))
		b = order.AppendUint32(b, uint32(frac))
		b = order.AppendUint32(b, uint32(p.ci.CaptureLength))
		b = order.AppendUint32(b, uint32(p.ci.Length))
		b = append(b, p.data...)
	}
	return b
}

// event log of a recording Stream.
type recorder struct {
	info   ConnInfo // a copy: the Assembler reuses *ConnInfo after End
	events []string
	data   [2]bytes.Buffer
	// stopAfter makes Data return false once that many bytes arrived in
	// total (0: never).
	stopAfter int
	total     int
	ended     int
	packets   [2]uint64 // Ending.Packets
	ending    Ending
}

func (r *recorder) Data(d Dir, b []byte, ts time.Time) bool {
	r.events = append(r.events, fmt.Sprintf("data %v %q", d, b))
	r.data[d].Write(b)
	r.total += len(b)
	return r.stopAfter == 0 || r.total < r.stopAfter
}
func (r *recorder) Gap(d Dir, n int) { r.events = append(r.events, fmt.Sprintf("gap %v %d", d, n)) }
func (r *recorder) Anomaly(d Dir, what string) {
	r.events = append(r.events, fmt.Sprintf("anomaly %v %s", d, what))
}
func (r *recorder) End(e Ending) {
	r.ended++
	r.packets = e.Packets
	r.ending = e
	r.events = append(r.events, "end "+e.Reason.String())
}

// recorders collects the recorder of every connection of an Assembler.
type recorders struct {
	conns     []*recorder
	stopAfter int
}

func (rs *recorders) factory(c *ConnInfo) Stream {
	r := &recorder{info: *c, stopAfter: rs.stopAfter}
	rs.conns = append(rs.conns, r)
	return r
}

// summary renders each connection as "ID A>B syn" plus its events.
func (rs *recorders) summary() []string {
	var out []string
	for _, r := range rs.conns {
		out = append(out, fmt.Sprintf("conn %d %v>%v syn=%v", r.info.ID, r.info.A, r.info.B, r.info.SYN))
		out = append(out, r.events...)
	}
	return out
}
