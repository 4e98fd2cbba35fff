package synth

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Encap is a tunnel or tag a Writer puts around every IP packet, as SPAN
// sessions, cloud traffic mirrors and carrier links deliver them.
type Encap uint8

const (
	NoEncap    Encap = iota
	GRE              // IPv4, GRE (RFC 2784), the IP packet
	ERSPAN1          // IPv4, GRE without sequence number, the Ethernet frame
	ERSPAN2          // IPv4, GRE with sequence number, ERSPAN type II header, the Ethernet frame
	ERSPAN3          // IPv4, GRE with sequence number, ERSPAN type III header and platform subheader, the Ethernet frame
	VXLAN            // IPv4, UDP to port 4789, VXLAN header, the Ethernet frame
	Geneve           // IPv4, UDP to port 6081, Geneve header with one option, the Ethernet frame
	GTPU             // IPv4, UDP port 2152, GTPv1-U header with sequence number and one extension header, the IP packet
	IPinIP           // IPv4 with protocol 4 (IPv4 inside) or 41 (IPv6 inside, 6in4)
	MPLS             // Ethernet, two MPLS labels, the IP packet
	PPPoE            // Ethernet, PPPoE session and PPP headers, the IP packet
	VNTag            // Ethernet, Cisco VN-Tag (0x8926), the IP packet
	UnknownTag       // Ethernet, an 8-byte tag of EtherType 0x88b5 (IEEE local experimental), the IP packet
)

var encapNames = [...]string{"none", "gre", "erspan1", "erspan2", "erspan3", "vxlan", "geneve", "gtp-u", "ip-in-ip", "mpls", "pppoe", "vn-tag", "unknown-tag"}

// String returns the encapsulation's short name.
func (e Encap) String() string {
	if int(e) < len(encapNames) {
		return encapNames[e]
	}
	return fmt.Sprintf("Encap(%d)", uint8(e))
}

// TunnelEnd is the outer address of dir's side of an IP tunnel: packets
// sent by dir go from TunnelEnd(dir) to TunnelEnd(dir.Peer()).
func TunnelEnd(d Dir) netip.Addr {
	return netip.AddrFrom4([4]byte{203, 0, 113, 1 + byte(d)})
}

// UnknownTagType is the EtherType of UnknownTag.
const UnknownTagType = 0x88b5

// encapsulate wraps the IP packet pkt (of EtherType etype) sent by dir in
// w's Encap. It returns the EtherType and the layers that follow the link
// layer.
func (w *Writer) encapsulate(dir Dir, etype layers.EthernetType, pkt []byte, srcMAC, dstMAC net.HardwareAddr) (layers.EthernetType, []gopacket.SerializableLayer, error) {
	e := w.opts.Encap
	v6 := etype == layers.EthernetTypeIPv6
	be := binary.BigEndian
	// frame is pkt as the mirrored Ethernet frame.
	frame := func() []byte {
		f := append(append(append([]byte(nil), dstMAC...), srcMAC...), byte(etype>>8), byte(etype))
		return append(f, pkt...)
	}
	var tag []byte
	switch e {
	case MPLS:
		// RFC 3032: label 100, then label 200 at the bottom of the stack.
		tag = be.AppendUint32(be.AppendUint32(nil, 100<<12|64), 200<<12|1<<8|64)
		return layers.EthernetTypeMPLSUnicast, []gopacket.SerializableLayer{gopacket.Payload(append(tag, pkt...))}, nil
	case PPPoE:
		// RFC 2516, Section 4: version and type 1, session 1; PPP protocol
		// 0x0021 or 0x0057 (RFC 1332, RFC 5072).
		proto := uint16(0x0021)
		if v6 {
			proto = 0x0057
		}
		tag = be.AppendUint16([]byte{0x11, 0, 0, 1}, uint16(2+len(pkt)))
		tag = be.AppendUint16(tag, proto)
		return layers.EthernetTypePPPoESession, []gopacket.SerializableLayer{gopacket.Payload(append(tag, pkt...))}, nil
	case VNTag, UnknownTag:
		typ, body := uint16(0x8926), []byte{0x00, 0x12, 0x00, 0x34} // destination VIF 0x12, source VIF 0x34
		if e == UnknownTag {
			typ, body = UnknownTagType, []byte{0xde, 0xad, 0xbe, 0xef, 0, 1}
		}
		tag = be.AppendUint16(body, uint16(etype))
		return layers.EthernetType(typ), []gopacket.SerializableLayer{gopacket.Payload(append(tag, pkt...))}, nil
	}
	outer := &layers.IPv4{
		Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Id: uint16(w.packets),
		SrcIP: TunnelEnd(dir).AsSlice(), DstIP: TunnelEnd(dir.Peer()).AsSlice(), Protocol: layers.IPProtocolGRE,
	}
	seq := uint32(w.packets + 1)
	var port uint16
	var body []byte
	switch e {
	case GRE:
		body = append(be.AppendUint16([]byte{0, 0}, uint16(etype)), pkt...)
	case ERSPAN1:
		body = append([]byte{0, 0, 0x88, 0xbe}, frame()...)
	case ERSPAN2:
		// Linux include/net/erspan.h: GRE with only the S flag; version 1,
		// session 7, index 0.
		body = be.AppendUint32([]byte{0x10, 0, 0x88, 0xbe}, seq)
		body = be.AppendUint32(be.AppendUint32(body, 1<<28|7), 0)
		body = append(body, frame()...)
	case ERSPAN3:
		// Version 2, session 7, a timestamp, then P=1, frame type 0
		// (Ethernet), hardware ID 1, granularity 1 and the O flag; the
		// platform subheader (ID 3) follows.
		body = be.AppendUint32([]byte{0x10, 0, 0x22, 0xeb}, seq)
		body = be.AppendUint32(be.AppendUint32(body, 2<<28|7), uint32(w.now.UnixMicro()/100))
		body = be.AppendUint32(body, 1<<15|1<<4|1<<1|1)
		body = be.AppendUint32(be.AppendUint32(body, 3<<26), 0)
		body = append(body, frame()...)
	case VXLAN:
		// RFC 7348, Section 5: the I flag, VNI 0x123.
		port = 4789
		body = append([]byte{0x08, 0, 0, 0, 0, 0x01, 0x23, 0}, frame()...)
	case Geneve:
		// RFC 8926, Section 3.4: 2 words of options, Ethernet, VNI 0x123;
		// one option of class 0x0102, type 1, one word of data.
		port = 6081
		body = []byte{0x02, 0, 0x65, 0x58, 0, 0x01, 0x23, 0, 0x01, 0x02, 0x01, 0x01, 0xca, 0xfe, 0xf0, 0x0d}
		body = append(body, frame()...)
	case GTPU:
		// TS 29.281, Section 5.1: version 1, PT, E and S flags, G-PDU,
		// TEID 0x100; one PDU session container extension (0x85, one
		// word: PDU type 1, QFI 9).
		port = 2152
		body = []byte{0x36, 0xff, 0, 0, 0, 0, 0x01, 0x00}
		body = append(be.AppendUint16(body, uint16(seq)), 0, 0x85, 1, 0x10, 9, 0)
		be.PutUint16(body[2:4], uint16(len(body)-8+len(pkt)))
		body = append(body, pkt...)
	case IPinIP:
		outer.Protocol = layers.IPProtocolIPv4
		if v6 {
			outer.Protocol = layers.IPProtocolIPv6
		}
		body = pkt
	default:
		return 0, nil, fmt.Errorf("synth: unknown encapsulation %v", e)
	}
	if port == 0 {
		return layers.EthernetTypeIPv4, []gopacket.SerializableLayer{outer, gopacket.Payload(body)}, nil
	}
	outer.Protocol = layers.IPProtocolUDP
	sport := uint16(50000)
	if e == GTPU {
		sport = port
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(port)}
	if err := udp.SetNetworkLayerForChecksum(outer); err != nil {
		return 0, nil, err
	}
	return layers.EthernetTypeIPv4, []gopacket.SerializableLayer{outer, udp, gopacket.Payload(body)}, nil
}
