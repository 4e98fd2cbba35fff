package pcaps

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/tsid-project/tsid/pcaps/synth"
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
	return &decoder{stats: &Stats{}, defrag: newDefragmenter()}
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

// Outer addresses of the tunnels built by the tests.
var (
	outerSrc = netip.MustParseAddr("192.0.2.1")
	outerDst = netip.MustParseAddr("192.0.2.2")
	none     = [2]netip.Addr{}
	o4       = [2]netip.Addr{outerSrc, outerDst}
	o6       = [2]netip.Addr{netip.MustParseAddr("2001:db8:ff::1"), netip.MustParseAddr("2001:db8:ff::2")}
)

// outer4 wraps payload in an IPv4 header of protocol proto from outerSrc
// to outerDst.
func outer4(t testing.TB, proto layers.IPProtocol, payload []byte) []byte {
	return serialize(t, &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: outerSrc.AsSlice(), DstIP: outerDst.AsSlice()},
		gopacket.Payload(payload))
}

// outerUDP wraps payload in IPv4 and UDP to port dport.
func outerUDP(t testing.TB, dport uint16, payload []byte) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: outerSrc.AsSlice(), DstIP: outerDst.AsSlice()}
	u := &layers.UDP{SrcPort: 50000, DstPort: layers.UDPPort(dport)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(t, ip, u, gopacket.Payload(payload))
}

// frameOf is an Ethernet frame of EtherType etype around payload.
func frameOf(etype uint16, payload ...[]byte) []byte {
	b := binary.BigEndian.AppendUint16([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}, etype)
	return cat(append([][]byte{b}, payload...)...)
}

func u16(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.BigEndian.AppendUint16(b, x)
	}
	return b
}

// tunnelCase is one encapsulated packet and what decoding it gives.
type tunnelCase struct {
	name  string
	link  LinkType
	data  []byte
	want  decoded
	outer [2]netip.Addr // outer source and destination
	kinds []Encap       // headers counted, in any order
	// cuttable: every cut before the inner payload fails to decode
	// and every cut inside it gives the rest as missing.
	cuttable bool
}

func tunnelCases(t testing.TB) []tunnelCase {
	s4 := tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: "hello"}
	s6 := tseg{from: "[2001:db8::1]:1234", to: "[2001:db8::2]:443", seq: 1, flags: "A", data: "hello"}
	ip4, ip6 := ipTCP(t, s4), ipTCP(t, s6)
	want4 := decoded{resOK, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), protoTCP, 1234, 443, "hello", 0}
	want6 := decoded{resOK, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), protoTCP, 1234, 443, "hello", 0}
	err := decoded{Res: resError}
	eth4 := frameOf(etherIPv4, ip4)
	gre := func(flags, proto uint16, rest ...[]byte) []byte {
		return outer4(t, layers.IPProtocolGRE, cat(append([][]byte{u16(flags, proto)}, rest...)...))
	}
	seq := u16(0, 9)
	erspan2 := u16(0x1000, 0x0007, 0, 0)                                              // version 1, session 7
	erspan3 := func(ft, o uint16) []byte { return u16(0x2000, 7, 0, 0, 0, ft<<10|o) } // version 2
	vxlan := u16(0x0800, 0, 0x0001, 0x2300)                                           // I flag, VNI 0x123
	geneve := func(proto uint16) []byte { return u16(0x0200, proto, 0x0001, 0x2300, 0x0102, 0x0101, 0xcafe, 0xf00d) }
	gtp := func(flags uint8, typ uint8, rest []byte, pkt []byte) []byte {
		h := []byte{flags, typ}
		h = binary.BigEndian.AppendUint16(h, uint16(len(rest)+len(pkt)))
		return outerUDP(t, portGTPU, cat(h, u16(0, 0x100), rest, pkt))
	}
	mpls := []byte{0, 0x64, 0, 64, 0, 0xc8, 1, 64} // labels 100 and 200, bottom of stack
	tag := func(etype uint16, body []byte, inner uint16, pkt []byte) []byte {
		return frameOf(etype, body, u16(inner), pkt)
	}
	ipip := func(n int) []byte { // n IPv4-in-IPv4 headers around ip4
		b := ip4
		for range n {
			b = outer4(t, layers.IPProtocolIPv4, b)
		}
		return b
	}
	nested := outerUDP(t, portVXLAN, cat(vxlan, frameOf(etherVLAN, u16(5, etherIPv4),
		serialize(t, &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolGRE, SrcIP: net.IP{172, 16, 0, 1}, DstIP: net.IP{172, 16, 0, 2}},
			gopacket.Payload(cat(u16(0, etherIPv6), ip6))))))
	udpTo := func(port uint16, payload []byte) decoded {
		return decoded{resOK, outerSrc, outerDst, protoUDP, 50000, port, string(payload), 0}
	}

	return []tunnelCase{
		{"GRE IPv4", LinkRaw, gre(0, etherIPv4, ip4), want4, o4, []Encap{EncapGRE}, true},
		{"GRE checksum, key, sequence, IPv6", LinkRaw, gre(0xb000, etherIPv6, make([]byte, 12), ip6), want6, o4, []Encap{EncapGRE}, true},
		{"GRE Ethernet bridging", LinkRaw, gre(0, etherTEB, eth4), want4, o4, []Encap{EncapGRE}, true},
		{"GRE MPLS", LinkRaw, gre(0, etherMPLS, mpls, ip4), want4, o4, []Encap{EncapGRE, EncapMPLS}, true},
		{"GRE WCCP redirect header", LinkRaw, gre(0, etherWCCP, []byte{0, 0, 0, 1}, ip4), want4, o4, []Encap{EncapGRE}, true},
		{"GRE in IPv6", LinkRaw, serialize(t, &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolGRE,
			SrcIP: o6[0].AsSlice(), DstIP: o6[1].AsSlice()}, gopacket.Payload(cat(u16(0, etherIPv4), ip4))),
			want4, o6, []Encap{EncapGRE}, true},
		{"GRE version 1 (PPTP) not followed", LinkRaw, gre(0x3081, 0x880b, make([]byte, 8), ip4), decoded{Res: resOther}, none, nil, false},
		{"GRE header cut", LinkRaw, gre(0x3000, etherIPv4, []byte{0, 0}), err, none, nil, false},
		{"ERSPAN type I", LinkRaw, gre(0, etherERSPAN, eth4), want4, o4, []Encap{EncapGRE, EncapERSPAN}, true},
		{"ERSPAN type II", LinkEthernet, frameOf(etherIPv4, gre(0x1000, etherERSPAN, seq, erspan2, eth4)), want4, o4, []Encap{EncapGRE, EncapERSPAN}, true},
		{"ERSPAN type II of another version", LinkRaw, gre(0x1000, etherERSPAN, seq, u16(0x2000, 7, 0, 0), eth4), decoded{Res: resNonIP}, o4, []Encap{EncapGRE, EncapERSPAN}, false},
		{"ERSPAN type III", LinkRaw, gre(0x1000, etherERSP3, seq, erspan3(0, 0), eth4), want4, o4, []Encap{EncapGRE, EncapERSPAN}, true},
		{"ERSPAN type III, platform subheader", LinkRaw, gre(0x1000, etherERSP3, seq, erspan3(0, 1), make([]byte, 8), frameOf(etherIPv6, ip6)),
			want6, o4, []Encap{EncapGRE, EncapERSPAN}, true},
		{"ERSPAN type III, IP frame type", LinkRaw, gre(0x1000, etherERSP3, seq, erspan3(2, 0), ip6), want6, o4, []Encap{EncapGRE, EncapERSPAN}, true},
		{"ERSPAN type III, other frame type", LinkRaw, gre(0x1000, etherERSP3, seq, erspan3(1, 0), ip6), decoded{Res: resNonIP}, o4, []Encap{EncapGRE, EncapERSPAN}, false},
		{"VXLAN", LinkEthernet, frameOf(etherIPv4, outerUDP(t, portVXLAN, cat(vxlan, eth4))), want4, o4, []Encap{EncapVXLAN}, true},
		{"VXLAN on Linux's port", LinkRaw, outerUDP(t, portVXLANLinux, cat(vxlan, frameOf(etherIPv6, ip6))), want6, o4, []Encap{EncapVXLAN}, true},
		{"VXLAN port without the I flag is UDP", LinkRaw, outerUDP(t, portVXLAN, cat(u16(0, 0, 0, 0), eth4)),
			udpTo(portVXLAN, cat(u16(0, 0, 0, 0), eth4)), none, nil, false},
		{"VXLAN inner frame cut", LinkRaw, outerUDP(t, portVXLAN, cat(vxlan, eth4[:10])), err, o4, []Encap{EncapVXLAN}, false},
		{"Geneve Ethernet", LinkRaw, outerUDP(t, portGeneve, cat(geneve(etherTEB), frameOf(etherIPv6, ip6))), want6, o4, []Encap{EncapGeneve}, true},
		{"Geneve IPv4", LinkRaw, outerUDP(t, portGeneve, cat(geneve(etherIPv4), ip4)), want4, o4, []Encap{EncapGeneve}, true},
		{"Geneve options longer than the packet", LinkRaw, outerUDP(t, portGeneve, cat(u16(0x3f00, etherIPv4, 0, 0), ip4[:20])), err, o4, []Encap{EncapGeneve}, false},
		{"Geneve port, version 1, is UDP", LinkRaw, outerUDP(t, portGeneve, cat(u16(0x4000, etherIPv4, 0, 0), ip4)),
			udpTo(portGeneve, cat(u16(0x4000, etherIPv4, 0, 0), ip4)), none, nil, false},
		{"GTP-U", LinkRaw, gtp(0x30, 0xff, nil, ip4), want4, o4, []Encap{EncapGTPU}, true},
		{"GTP-U sequence number, IPv6", LinkRaw, gtp(0x32, 0xff, []byte{0, 1, 0, 0}, ip6), want6, o4, []Encap{EncapGTPU}, true},
		{"GTP-U two extension headers", LinkRaw, gtp(0x34, 0xff, []byte{0, 0, 0, 0x85, 1, 0x10, 9, 0x40, 2, 1, 2, 3, 4, 5, 6, 0}, ip4), want4, o4, []Encap{EncapGTPU}, true},
		{"GTP-U extension header of length 0", LinkRaw, gtp(0x34, 0xff, []byte{0, 0, 0, 0x85, 0, 0x10, 9, 0}, ip4), err, o4, []Encap{EncapGTPU}, false},
		{"GTP-U extension header past the end", LinkRaw, gtp(0x34, 0xff, []byte{0, 0, 0, 0x85, 200, 0x10, 9, 0}, nil), err, o4, []Encap{EncapGTPU}, false},
		{"GTP-U echo request is UDP", LinkRaw, gtp(0x32, 1, []byte{0, 1, 0, 0}, nil),
			decoded{resOK, outerSrc, outerDst, protoUDP, 50000, portGTPU, string([]byte{0x32, 1, 0, 4, 0, 0, 1, 0, 0, 1, 0, 0}), 0}, none, nil, false},
		{"IPv4 in IPv4", LinkRaw, ipip(1), want4, o4, []Encap{EncapIPinIP}, true},
		{"6in4", LinkRaw, outer4(t, layers.IPProtocolIPv6, ip6), want6, o4, []Encap{EncapIPinIP}, true},
		{"4 nested tunnels", LinkRaw, ipip(4), want4, o4, []Encap{EncapIPinIP, EncapIPinIP, EncapIPinIP, EncapIPinIP}, true},
		{"5 nested tunnels are too deep", LinkRaw, ipip(5), decoded{Res: resOther}, o4, []Encap{EncapIPinIP, EncapIPinIP, EncapIPinIP, EncapIPinIP}, false},
		{"VXLAN, VLAN, GRE, IPv6", LinkRaw, nested, want6, o4, []Encap{EncapVXLAN, EncapGRE}, true},
		{"MPLS pseudowire with control word", LinkEthernet, frameOf(etherMPLS, mpls, []byte{0, 0, 0, 0}, eth4), want4, none, []Encap{EncapMPLS}, true},
		{"PPPoE IPv6", LinkEthernet, frameOf(etherPPPoE, []byte{0x11, 0, 0, 1, 0, 0, 0, 0x57}, ip6), want6, none, []Encap{EncapPPPoE}, true},
		{"PPPoE LCP", LinkEthernet, frameOf(etherPPPoE, []byte{0x11, 0, 0, 1, 0, 4, 0xc0, 0x21, 1, 1}), decoded{Res: resNonIP}, none, []Encap{EncapPPPoE}, false},
		{"VN-Tag", LinkEthernet, tag(etherVNTag, []byte{0, 0x12, 0, 0x34}, etherIPv4, ip4), want4, none, []Encap{EncapVNTag}, true},
		{"VLAN, VN-Tag, VLAN", LinkEthernet, frameOf(etherVLAN, u16(5, etherVNTag, 0x12, 0x34, etherVLAN, 6, etherIPv6), ip6), want6, none, []Encap{EncapVNTag}, true},
		{"802.1BR E-Tag", LinkEthernet, tag(etherETag, make([]byte, 6), etherIPv4, ip4), want4, none, []Encap{EncapTag}, true},
		{"802.1CB R-Tag", LinkEthernet, tag(etherRTag, make([]byte, 4), etherIPv4, ip4), want4, none, []Encap{EncapTag}, true},
		{"802.1ah I-Tag", LinkEthernet, tag(etherPBB, make([]byte, 16), etherIPv4, ip4), want4, none, []Encap{EncapTag}, true},
		{"unknown tag before IPv4", LinkEthernet, tag(0x88b5, []byte{0xde, 0xad, 0xbe, 0xef, 8, 0}, etherIPv4, ip4), want4, none, []Encap{EncapUnknown}, true},
		{"unknown tag before IPv6", LinkSLL2, cat(u16(0x88b6), make([]byte, 18), make([]byte, 10), u16(etherIPv6), ip6), want6, none, []Encap{EncapUnknown}, false},
		{"unknown tag before IPv4 with a bad checksum", LinkEthernet, tag(0x88b5, make([]byte, 6), etherIPv4, cat(ip4[:10], []byte{0, 0}, ip4[12:])),
			decoded{Res: resNonIP}, none, nil, false},
		{"unknown tag longer than searched", LinkEthernet, tag(0x88b5, make([]byte, maxTagSkip+2), etherIPv4, ip4), decoded{Res: resNonIP}, none, nil, false},
	}
}

func TestDecodeTunnels(t *testing.T) {
	for _, tc := range tunnelCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			dc := newDecoder()
			got := decodeOne(dc, tc.data, tc.link)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("decode (-want +got):\n%s", diff)
			}
			if dc.p.outer != tc.outer {
				t.Errorf("outer = %v, want %v", dc.p.outer, tc.outer)
			}
			var want [NumEncap]uint64
			for _, k := range tc.kinds {
				want[k]++
			}
			if dc.decap.Headers != want {
				t.Errorf("headers counted %v, want %v", dc.decap.Headers, want)
			}
			if !tc.cuttable {
				return
			}
			// Cuts inside the headers fail; cuts inside the payload leave
			// the rest missing.
			head := len(tc.data) - len(tc.want.Payload)
			for n := range len(tc.data) {
				got := decodeOne(newDecoder(), tc.data[:n], tc.link)
				switch {
				case n < head && got.Res == resOK:
					t.Fatalf("cut to %d of %d bytes (in the headers): %+v", n, len(tc.data), got)
				case n >= head && (got.Res != resOK || got.Payload != tc.want.Payload[:n-head] || got.Missing != len(tc.data)-n):
					t.Fatalf("cut to %d of %d bytes (in the payload): %+v", n, len(tc.data), got)
				}
			}
		})
	}
}

func TestDecodeUnknownTagsCounted(t *testing.T) {
	ip4 := ipTCP(t, tseg{from: "10.0.0.1:1", to: "10.0.0.2:2", flags: "S"})
	dc := newDecoder()
	for i := range 12 {
		etype := 0x1000 + uint16(i%10) // ten distinct EtherTypes
		if r := dc.decode(frameOf(etype, make([]byte, 4), u16(etherIPv4), ip4), LinkEthernet, t0); r != resOK {
			t.Fatalf("EtherType %#x: %v", etype, r)
		}
	}
	s := dc.decap
	if s.Headers[EncapUnknown] != 12 || s.UnknownOther != 2 {
		t.Errorf("unknown tags %d, beyond the table %d; want 12, 2", s.Headers[EncapUnknown], s.UnknownOther)
	}
	if s.Unknown[0] != (EtherTypeCount{0x1000, 2}) || s.Unknown[7] != (EtherTypeCount{0x1007, 1}) {
		t.Errorf("table %v", s.Unknown)
	}
}

// TestAssembleTunnels writes a TLS connection in each encapsulation synth
// makes, reads it back with the Reader and reassembles it: the inner flow
// is the connection, its streams (ClientHello first) are intact, and every
// packet's outer addresses are the tunnel's.
func TestAssembleTunnels(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)
	ca, err := synth.NewIdentity(synth.CertSpec{KeySeed: "tunnel ca", Serial: 1, CA: true,
		Subject: pkix.Name{CommonName: "Tunnel CA"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := synth.NewIdentity(synth.CertSpec{KeySeed: "tunnel leaf", Serial: 2, Subject: pkix.Name{CommonName: "www.example.com"},
		DNSNames: []string{"www.example.com"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)}, ca)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[synth.Encap][]Encap{
		synth.GRE: {EncapGRE}, synth.ERSPAN1: {EncapGRE, EncapERSPAN}, synth.ERSPAN2: {EncapGRE, EncapERSPAN},
		synth.ERSPAN3: {EncapGRE, EncapERSPAN}, synth.VXLAN: {EncapVXLAN}, synth.Geneve: {EncapGeneve},
		synth.GTPU: {EncapGTPU}, synth.IPinIP: {EncapIPinIP}, synth.MPLS: {EncapMPLS}, synth.PPPoE: {EncapPPPoE},
		synth.VNTag: {EncapVNTag}, synth.UnknownTag: {EncapUnknown},
	}
	for _, ends := range [][2]string{{"192.0.2.10:50000", "198.51.100.1:443"}, {"[2001:db8::10]:50000", "[2001:db8::1]:443"}} {
		conv, err := synth.Handshake(synth.Config{Client: netip.MustParseAddrPort(ends[0]), Server: netip.MustParseAddrPort(ends[1]),
			ServerName: "www.example.com", MaxVersion: tls.VersionTLS13, Cert: leaf, Verify: true, Time: now, Seed: "tunnel"})
		if err != nil {
			t.Fatal(err)
		}
		for e, want := range kinds {
			t.Run(e.String()+"/"+ends[0], func(t *testing.T) {
				ipTunnel := !slices.Contains([]Encap{EncapMPLS, EncapPPPoE, EncapVNTag, EncapUnknown}, want[0])
				// Tags and IPv4 under a VLAN tag, IP tunnels of IPv6 on a
				// raw IP link.
				opts, tcp := synth.Options{Encap: e, Start: now}, synth.TCP{VLANs: []uint16{7}}
				if ipTunnel && conv.Client.Addr().Is6() {
					opts.Link, tcp.VLANs = synth.RawIP, nil
				}
				var file bytes.Buffer
				w, err := synth.NewWriter(&file, opts)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.WriteConversation(&conv, tcp); err != nil {
					t.Fatal(err)
				}
				r, err := NewReader("tunnel", &file)
				if err != nil {
					t.Fatal(err)
				}
				rs := &recorders{}
				a := NewAssembler(rs.factory, Config{})
				dc := newDecoder()
				packets := uint64(0)
				for {
					data, ci, link, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					packets++
					a.Packet(data, ci, link)
					if res := dc.decode(data, link, ci.Timestamp); res != resOK {
						t.Fatalf("packet %d: %v", packets, res)
					}
					var outer [2]netip.Addr
					if ipTunnel {
						from := synth.Client
						if dc.p.src != conv.Client.Addr() {
							from = synth.Server
						}
						outer = [2]netip.Addr{synth.TunnelEnd(from), synth.TunnelEnd(from.Peer())}
					}
					if dc.p.outer != outer {
						t.Fatalf("packet %d from %v: outer %v, want %v", packets, dc.p.src, dc.p.outer, outer)
					}
				}
				a.Close()
				if st := a.Stats(); st.DecodeErrors+st.NonIP+st.NonTCPUDP != 0 || st.TCP != packets {
					t.Errorf("stats %+v", st)
				}
				var headers [NumEncap]uint64
				for _, k := range want {
					headers[k] = packets
				}
				if dc.decap.Headers != headers || a.Stats().Decap.Headers != headers {
					t.Errorf("headers counted %v (Stats: %v), want %v", dc.decap.Headers, a.Stats().Decap.Headers, headers)
				}
				if len(rs.conns) != 1 {
					t.Fatalf("%d connections", len(rs.conns))
				}
				c := rs.conns[0]
				if c.info.A != conv.Client || c.info.B != conv.Server || !c.info.SYN {
					t.Errorf("connection %v > %v, SYN %v; want %v > %v, SYN", c.info.A, c.info.B, c.info.SYN, conv.Client, conv.Server)
				}
				var wantOuter [2]netip.Addr // the client's side first
				if ipTunnel {
					wantOuter = [2]netip.Addr{synth.TunnelEnd(synth.Client), synth.TunnelEnd(synth.Server)}
				}
				if c.info.Outer != wantOuter {
					t.Errorf("ConnInfo.Outer %v, want %v", c.info.Outer, wantOuter)
				}
				cs := conv.Stream(synth.Client)
				if !bytes.Equal(c.data[AtoB].Bytes(), cs) || !bytes.Equal(c.data[BtoA].Bytes(), conv.Stream(synth.Server)) {
					t.Errorf("streams differ from the conversation's: %d and %d bytes, want %d and %d",
						c.data[AtoB].Len(), c.data[BtoA].Len(), len(cs), len(conv.Stream(synth.Server)))
				}
				// RFC 8446, Section 4.1.2: the client's first record is its
				// ClientHello, here with the server name.
				if len(cs) < 6 || cs[0] != 22 || cs[5] != 1 || !bytes.Contains(c.data[AtoB].Bytes(), []byte("www.example.com")) {
					t.Errorf("client stream does not start with a ClientHello naming www.example.com")
				}
			})
		}
	}
}

func TestEncapString(t *testing.T) {
	got := []string{EncapGRE.String(), EncapGTPU.String(), EncapUnknown.String(), NumEncap.String()}
	if diff := cmp.Diff([]string{"gre", "gtp-u", "unknown-tag", "Encap(11)"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
