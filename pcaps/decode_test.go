package pcaps

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/ip4defrag"
	"github.com/google/gopacket/layers"
)

// decoded is what the tests compare of a decoded packet.
type decoded struct {
	Res          result
	Src, Dst     netip.Addr
	Proto        uint8
	Sport, Dport uint16
	Payload      string
	Missing      int
}

func newDecoder() *decoder {
	return &decoder{stats: &Stats{}, defrag: ip4defrag.NewIPv4Defragmenter()}
}

func decodeOne(dc *decoder, data []byte, link LinkType) decoded {
	r := dc.decode(data, link, t0)
	if r != resOK {
		return decoded{Res: r}
	}
	p := dc.p
	return decoded{r, p.src, p.dst, p.proto, p.sport, p.dport, string(p.payload), p.missing}
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// ip6Ext builds an IPv6 packet whose extension headers are given as
// (next-header value of the header, header bytes) in order.
func ip6Ext(t *testing.T, exts [][]byte, extTypes []byte, tcp []byte) []byte {
	nh := byte(protoTCP)
	var chain []byte
	for i := len(exts) - 1; i >= 0; i-- {
		h := append([]byte(nil), exts[i]...)
		h[0] = nh
		nh = extTypes[i]
		chain = append(h, chain...)
	}
	hdr := make([]byte, 40)
	hdr[0] = 0x60
	binary.BigEndian.PutUint16(hdr[4:6], uint16(len(chain)+len(tcp)))
	hdr[6] = nh
	hdr[7] = 64
	copy(hdr[8:24], netip.MustParseAddr("2001:db8::1").AsSlice())
	copy(hdr[24:40], netip.MustParseAddr("2001:db8::2").AsSlice())
	return cat(hdr, chain, tcp)
}

func TestDecode(t *testing.T) {
	s4 := tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: "hello"}
	s6 := tseg{from: "[2001:db8::1]:1234", to: "[2001:db8::2]:443", seq: 1, flags: "A", data: "hello"}
	ip4 := ipTCP(t, s4)
	ip6 := ipTCP(t, s6)
	eth4 := ethTCP(t, s4)
	want4 := decoded{resOK, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), protoTCP, 1234, 443, "hello", 0}
	want6 := decoded{resOK, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), protoTCP, 1234, 443, "hello", 0}
	mac := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}
	ether := func(etype ...uint16) []byte {
		b := append([]byte(nil), mac...)
		for i, e := range etype {
			b = binary.BigEndian.AppendUint16(b, e)
			if i < len(etype)-1 {
				b = append(b, 0, 5) // TCI: VLAN 5
			}
		}
		return b
	}
	qinq := serialize(t,
		&layers.Ethernet{SrcMAC: net.HardwareAddr(mac[6:]), DstMAC: net.HardwareAddr(mac[:6]), EthernetType: layers.EthernetTypeQinQ},
		&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeIPv4},
		gopacket.Payload(ip4))
	sll := cat([]byte{0, 0, 0, 1, 0, 6}, mac[:6], []byte{0, 0, 0x08, 0x00})
	sll2 := cat([]byte{0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6}, mac[:6], []byte{0, 0})
	le := func(af uint32) []byte { return binary.LittleEndian.AppendUint32(nil, af) }
	bige := func(af uint32) []byte { return binary.BigEndian.AppendUint32(nil, af) }
	tcp6 := ip6[40:]
	ext8 := make([]byte, 8)
	ah := make([]byte, 12) // AH with a 4-byte ICV: length field 1
	ah[1] = 1
	frag := func(off uint16, more bool) []byte {
		b := make([]byte, 8)
		v := off << 3
		if more {
			v |= 1
		}
		binary.BigEndian.PutUint16(b[2:4], v)
		return b
	}
	udpIP := &layers.IPv4{Version: 4, TTL: 1, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{1, 1, 1, 1}, DstIP: net.IP{2, 2, 2, 2}}
	udpL := &layers.UDP{SrcPort: 53, DstPort: 999}
	udpL.SetNetworkLayerForChecksum(udpIP)
	udp := serialize(t, udpIP, udpL, gopacket.Payload("dns"))
	tunnel := serialize(t, &layers.IPv4{Version: 4, TTL: 1, Protocol: layers.IPProtocolIPv6, SrcIP: net.IP{1, 1, 1, 1}, DstIP: net.IP{2, 2, 2, 2}},
		gopacket.Payload(ip6))
	icmp := serialize(t, &layers.IPv4{Version: 4, TTL: 1, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{1, 1, 1, 1}, DstIP: net.IP{2, 2, 2, 2}},
		gopacket.Payload("ping"))
	padded := cat(eth4, make([]byte, 10)) // Ethernet trailer after the IP packet

	tests := []struct {
		name string
		link LinkType
		data []byte
		want decoded
	}{
		{"ethernet ipv4", LinkEthernet, eth4, want4},
		{"ethernet padding dropped", LinkEthernet, padded, want4},
		{"ethernet ipv6", LinkEthernet, ethTCP(t, s6), want6},
		{"802.1ad+802.1Q (QinQ)", LinkEthernet, qinq, want4},
		{"three tags incl. 0x9100", LinkEthernet, cat(ether(0x9100, 0x88a8, 0x8100, 0x0800), ip4), want4},
		{"PPPoE session", LinkEthernet, cat(ether(0x8864), []byte{0x11, 0, 0, 1, 0, 0, 0, 0x21}, ip4), want4},
		{"MPLS two labels", LinkEthernet, cat(ether(0x8847), []byte{0, 1, 0, 64, 0, 2, 1, 64}, ip6), want6},
		{"ARP is not IP", LinkEthernet, cat(ether(0x0806), make([]byte, 28)), decoded{Res: resNonIP}},
		{"SLL", LinkSLL, cat(sll, ip4), want4},
		{"SLL2", LinkSLL2, cat(sll2, ip6), want6},
		{"raw 101 v4", LinkRaw, ip4, want4},
		{"raw 101 v6", LinkRaw, ip6, want6},
		{"raw 12", LinkRawOld12, ip4, want4},
		{"raw 14", LinkRawOld14, ip6, want6},
		{"IPV4 228", LinkIPv4, ip4, want4},
		{"IPV6 229", LinkIPv6, ip6, want6},
		{"NULL AF_INET", LinkNull, cat(le(2), ip4), want4},
		{"NULL AF_INET big-endian host", LinkNull, cat(bige(2), ip4), want4},
		{"NULL AF_INET6 24", LinkNull, cat(le(24), ip6), want6},
		{"NULL AF_INET6 28", LinkNull, cat(le(28), ip6), want6},
		{"NULL AF_INET6 30", LinkNull, cat(bige(30), ip6), want6},
		{"LOOP AF_INET6 24", LinkLoop, cat(bige(24), ip6), want6},
		{"NULL unknown family", LinkNull, cat(le(7), ip4), decoded{Res: resNonIP}},
		{"unknown link type", 147, ip4, decoded{Res: resNonIP}},
		{"IPv6 HBH, dest opts, routing, atomic fragment, AH", LinkRaw,
			ip6Ext(t, [][]byte{ext8, ext8, ext8, frag(0, false), ah}, []byte{protoHBH, protoDstOpt, protoRoute, protoFrag, protoAH}, tcp6), want6},
		{"IPv6 non-first fragment", LinkRaw, ip6Ext(t, [][]byte{frag(8, false)}, []byte{protoFrag}, tcp6), decoded{Res: resFragment}},
		{"IPv6 first fragment", LinkRaw, ip6Ext(t, [][]byte{frag(0, true)}, []byte{protoFrag}, tcp6), decoded{Res: resFragment}},
		{"IPv6 dest opts then a missing TCP header", LinkRaw, ip6Ext(t, [][]byte{ext8}, []byte{protoDstOpt}, nil)[:48], decoded{Res: resError}},
		{"IPv6 in IPv4", LinkRaw, tunnel, want6},
		{"UDP", LinkRaw, udp, decoded{resOK, netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("2.2.2.2"), protoUDP, 53, 999, "dns", 0}},
		{"ICMP", LinkRaw, icmp, decoded{Res: resOther}},
		{"snap length cut", LinkRaw, ip4[:len(ip4)-2], func() decoded { w := want4; w.Payload, w.Missing = "hel", 2; return w }()},
		{"cut TCP header", LinkRaw, ip4[:30], decoded{Res: resError}},
		{"cut IPv4 header", LinkRaw, ip4[:19], decoded{Res: resError}},
		{"cut IPv6 header", LinkRaw, ip6[:39], decoded{Res: resError}},
		{"cut VLAN tag", LinkEthernet, ether(0x8100, 0x0800)[:15], decoded{Res: resError}},
		{"empty", LinkRaw, nil, decoded{Res: resError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeOne(newDecoder(), tt.data, tt.link)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("decode (-want +got):\n%s", diff)
			}
		})
	}
}

// fragments4 splits an IPv4 TCP segment into IPv4 fragments of size bytes.
func fragments4(t *testing.T, s tseg, size int) [][]byte {
	whole := ipTCP(t, s)
	payload := whole[20:]
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: 77, Protocol: layers.IPProtocolTCP,
			SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}, FragOffset: uint16(off / 8)}
		if end < len(payload) {
			ip.Flags = layers.IPv4MoreFragments
		}
		out = append(out, serialize(t, ip, gopacket.Payload(payload[off:end])))
	}
	return out
}

func TestDecodeIPv4FragmentsOutOfOrder(t *testing.T) {
	s := tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: "0123456789abcdefghijklmnopqrstuvwxyz-0123456789"}
	frags := fragments4(t, s, 24)
	if len(frags) != 3 {
		t.Fatalf("%d fragments", len(frags))
	}
	dc := newDecoder()
	for i, f := range [][]byte{frags[2], frags[0]} {
		if r := dc.decode(f, LinkRaw, t0.Add(time.Duration(i))); r != resFragment {
			t.Fatalf("fragment %d: %v, want resFragment", i, r)
		}
	}
	got := decodeOne(dc, frags[1], LinkRaw)
	want := decoded{resOK, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), protoTCP, 1234, 443, s.data, 0}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("reassembled (-want +got):\n%s", diff)
	}
	if dc.stats.IPv4Fragments != 3 {
		t.Errorf("IPv4Fragments = %d, want 3", dc.stats.IPv4Fragments)
	}
}
