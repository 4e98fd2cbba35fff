package pcaps

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Decoding caps: hostile nesting costs bounded work.
const (
	maxTunnelDepth = 4  // tunnels (IP-in-IP, GRE, VXLAN, Geneve, GTP-U, MPLS pseudowires) followed per packet
	maxIPv6Ext     = 16 // IPv6 extension headers followed per packet
	maxGTPExt      = 8  // GTP-U extension headers followed per packet
	maxTagSkip     = 64 // bytes of an unknown tag searched for the IP EtherType behind it
)

// IP protocol numbers.
const (
	protoIPIP   = 4
	protoTCP    = 6
	protoUDP    = 17
	protoIPv6   = 41
	protoHBH    = 0
	protoRoute  = 43
	protoFrag   = 44
	protoGRE    = 47
	protoAH     = 51
	protoNoNext = 59
	protoDstOpt = 60
)

// TCP flags (RFC 9293, Section 3.1).
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
)

type result uint8

const (
	resOK       result = iota
	resNonIP           // no IP on the link layer
	resOther           // IP but neither TCP nor UDP
	resError           // malformed or cut headers
	resFragment        // IP fragment held for reassembly or dropped
)

// packet is the decoded form of one packet. The decoder reuses it; payload
// aliases the packet data.
type packet struct {
	src, dst     netip.Addr
	proto        uint8
	sport, dport uint16
	seq, ack     seqNum
	flags        uint8
	payload      []byte
	// missing counts payload bytes the IP header declares but the capture
	// does not hold (snap length).
	missing int
	// outer is the outermost IP source and destination when the packet
	// came out of an IP tunnel (GRE, ERSPAN, VXLAN, Geneve, GTP-U,
	// IP-in-IP); zero otherwise.
	outer [2]netip.Addr
}

// decoder turns link-layer frames into packets without allocating; only IPv4
// fragments (copied by the defragmenter) allocate.
type decoder struct {
	p      packet
	stats  *Stats
	decap  DecapStats
	defrag *defragmenter
	ts     time.Time
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// Ethertypes.
const (
	etherIPv4   = 0x0800
	etherIPv6   = 0x86dd
	etherVLAN   = 0x8100 // IEEE 802.1Q
	etherQinQ   = 0x88a8 // IEEE 802.1ad
	etherQinQ91 = 0x9100 // pre-standard double tagging
	etherQinQ92 = 0x9200
	etherPPPoE  = 0x8864 // PPPoE session stage, RFC 2516
	etherMPLS   = 0x8847
	etherMPLSmc = 0x8848
	etherVNTag  = 0x8926 // Cisco VN-Tag (IEEE 802.1Qbh)
	etherETag   = 0x893f // IEEE 802.1BR E-Tag
	etherRTag   = 0xf1c1 // IEEE 802.1CB R-Tag
	etherPBB    = 0x88e7 // IEEE 802.1ah I-Tag, then the customer MACs
	etherTEB    = 0x6558 // transparent Ethernet bridging: an Ethernet frame follows
	etherERSPAN = 0x88be // ERSPAN type I and II (GRE protocol type)
	etherERSP3  = 0x22eb // ERSPAN type III
	etherWCCP   = 0x883e // Cisco WCCP redirection over GRE
)

// UDP ports of tunnels.
const (
	portVXLAN      = 4789 // RFC 7348
	portVXLANLinux = 8472 // Linux's default before the IANA port
	portGeneve     = 6081 // RFC 8926
	portGTPU       = 2152 // 3GPP TS 29.281
)

func (dc *decoder) decode(data []byte, link LinkType, ts time.Time) result {
	dc.p = packet{}
	dc.ts = ts
	switch link {
	case LinkEthernet:
		if len(data) < 14 {
			return resError
		}
		return dc.ether(be16(data[12:14]), data[14:], 0)
	case LinkSLL:
		// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
		if len(data) < 16 {
			return resError
		}
		return dc.ether(be16(data[14:16]), data[16:], 0)
	case LinkSLL2:
		// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
		if len(data) < 20 {
			return resError
		}
		return dc.ether(be16(data[0:2]), data[20:], 0)
	case LinkRaw, LinkRawOld12, LinkRawOld14:
		return dc.ipAny(data, 0)
	case LinkIPv4:
		return dc.ipv4(data, 0)
	case LinkIPv6:
		return dc.ipv6(data, 0)
	case LinkNull, LinkLoop:
		// https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html: the address
		// family is in the capturing host's byte order (NULL) or big endian
		// (LOOP); accept either, families fit in 16 bits.
		if len(data) < 4 {
			return resError
		}
		af := binary.LittleEndian.Uint32(data)
		if af > 0xffff {
			af = binary.BigEndian.Uint32(data)
		}
		switch af {
		case 2:
			return dc.ipv4(data[4:], 0)
		case 10, 24, 28, 30: // Linux, NetBSD/OpenBSD, FreeBSD, Darwin AF_INET6
			return dc.ipv6(data[4:], 0)
		}
		return resNonIP
	}
	return resNonIP
}

// ether follows VLAN and other tags, PPPoE and MPLS to an IP header; b is
// what follows EtherType etype.
func (dc *decoder) ether(etype uint16, b []byte, depth int) result {
	for {
		// tag is the size of a tag of known length before the next EtherType.
		tag := 0
		switch etype {
		case etherIPv4:
			return dc.ipv4(b, depth)
		case etherIPv6:
			return dc.ipv6(b, depth)
		case etherVLAN, etherQinQ, etherQinQ91, etherQinQ92:
			tag = 2
		case etherVNTag: // 4 bytes: direction, pointer, destination and source VIFs
			dc.decap.Headers[EncapVNTag]++
			tag = 4
		case etherETag: // 6 bytes of E-TCI
			dc.decap.Headers[EncapTag]++
			tag = 6
		case etherRTag: // 2 reserved bytes, a 2-byte sequence number
			dc.decap.Headers[EncapTag]++
			tag = 4
		case etherPBB: // 4-byte I-TAG, customer destination and source MACs
			dc.decap.Headers[EncapTag]++
			tag = 16
		case etherPPPoE:
			// RFC 2516 Section 4 header, then the PPP protocol (RFC 1661).
			if len(b) < 8 {
				return resError
			}
			dc.decap.Headers[EncapPPPoE]++
			switch be16(b[6:8]) {
			case 0x0021:
				return dc.ipv4(b[8:], depth)
			case 0x0057:
				return dc.ipv6(b[8:], depth)
			}
			return resNonIP
		case etherMPLS, etherMPLSmc:
			return dc.mpls(b, depth)
		default:
			return dc.skipUnknown(etype, b, depth)
		}
		if len(b) < tag+2 {
			return resError
		}
		etype, b = be16(b[tag:]), b[tag+2:]
	}
}

// frame decodes an Ethernet frame carried by a tunnel.
func (dc *decoder) frame(b []byte, depth int) result {
	if len(b) < 14 {
		return resError
	}
	return dc.ether(be16(b[12:14]), b[14:], depth)
}

// carried decodes what a GRE or Geneve header says follows, by EtherType.
func (dc *decoder) carried(etype uint16, b []byte, depth int) result {
	if etype == etherTEB {
		return dc.frame(b, depth)
	}
	return dc.ether(etype, b, depth)
}

// mpls pops labels (RFC 3032) to the bottom of the stack, then guesses the
// payload from its first nibble: IP, or a pseudowire control word (RFC
// 4385) before an Ethernet frame.
func (dc *decoder) mpls(b []byte, depth int) result {
	dc.decap.Headers[EncapMPLS]++
	for {
		if len(b) < 4 {
			return resError
		}
		bottom := b[2]&1 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	if len(b) > 0 && b[0]>>4 == 0 {
		if len(b) < 4 {
			return resError
		}
		if depth >= maxTunnelDepth {
			dc.decap.TooDeep++
			return resOther
		}
		return dc.frame(b[4:], depth+1)
	}
	return dc.ipAny(b, depth)
}

// skipUnknown looks behind a tag of unknown EtherType etype for an IP
// EtherType followed by a plausible IP header, and counts what it skipped.
func (dc *decoder) skipUnknown(etype uint16, b []byte, depth int) result {
	for k := 0; k+2 <= len(b) && k <= maxTagSkip; k += 2 {
		next, rest := be16(b[k:]), b[k+2:]
		if (next == etherIPv4 && plausibleIPv4(rest)) || (next == etherIPv6 && plausibleIPv6(rest)) {
			dc.decap.skipped(etype)
			return dc.ether(next, rest, depth)
		}
	}
	return resNonIP
}

// plausibleIPv4 says whether b starts with an IPv4 header with a correct
// checksum.
func plausibleIPv4(b []byte) bool {
	if len(b) < 20 || b[0]>>4 != 4 || b[0]&0x0f < 5 {
		return false
	}
	ihl := int(b[0]&0x0f) * 4
	if len(b) < ihl || int(be16(b[2:4])) < ihl {
		return false
	}
	var sum uint32
	for i := 0; i < ihl; i += 2 {
		sum += uint32(be16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

// plausibleIPv6 says whether b starts with an IPv6 header whose payload
// length ends within Ethernet padding of the end of b.
func plausibleIPv6(b []byte) bool {
	if len(b) < 40 || b[0]>>4 != 6 {
		return false
	}
	end := 40 + int(be16(b[4:6]))
	return end <= len(b) && len(b)-end < 64
}

// tunnel notes a tunnel header of kind taken off at depth, and the outer
// addresses if ip says the packet's current addresses are those of the
// tunnel. It reports false when the nesting is too deep to follow.
func (dc *decoder) tunnel(kind Encap, depth int, ip bool) bool {
	if depth >= maxTunnelDepth {
		dc.decap.TooDeep++
		return false
	}
	dc.decap.Headers[kind]++
	if ip && !dc.p.outer[0].IsValid() {
		dc.p.outer = [2]netip.Addr{dc.p.src, dc.p.dst}
		dc.decap.Tunneled++
	}
	return true
}

func (dc *decoder) ipAny(b []byte, depth int) result {
	if len(b) == 0 {
		return resError
	}
	switch b[0] >> 4 {
	case 4:
		return dc.ipv4(b, depth)
	case 6:
		return dc.ipv6(b, depth)
	}
	return resNonIP
}

// ipv4 decodes an IPv4 header (RFC 791, Section 3.1); options are skipped,
// the checksum is not checked (offloading makes it unreliable in captures).
func (dc *decoder) ipv4(b []byte, depth int) result {
	if len(b) < 20 || b[0]>>4 != 4 {
		return resError
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return resError
	}
	total := int(be16(b[2:4]))
	if total == 0 {
		total = len(b) // TCP segmentation offload leaves the length zero
	}
	if total < ihl {
		return resError
	}
	missing := 0
	if total > len(b) {
		missing = total - len(b)
	} else {
		b = b[:total] // drop link-layer padding
	}
	dc.p.src = netip.AddrFrom4([4]byte(b[12:16]))
	dc.p.dst = netip.AddrFrom4([4]byte(b[16:20]))
	proto := b[9]
	if ff := be16(b[6:8]); ff&0x3fff != 0 { // MF or fragment offset
		return dc.fragment4(b, ihl, missing, depth)
	}
	return dc.transport(proto, b[ihl:], missing, depth)
}

// fragment4 hands the fragment b, an IPv4 header of ihl bytes and its
// payload, to the defragmenter, and decodes the datagram it completes.
func (dc *decoder) fragment4(b []byte, ihl, missing, depth int) result {
	dc.stats.IPv4Fragments++
	if missing > 0 {
		return resError // cut fragments cannot be reassembled
	}
	ff := be16(b[6:8])
	k := fragKey{src: [4]byte(b[12:16]), dst: [4]byte(b[16:20]), id: be16(b[4:6]), proto: b[9]}
	whole, ok := dc.defrag.add(k, int(ff&0x1fff)*8, ihl, b[ihl:], ff&0x2000 != 0, dc.ts)
	switch {
	case !ok:
		return resError
	case whole == nil:
		return resFragment
	}
	return dc.transport(k.proto, whole, 0, depth)
}

// ipv6 decodes an IPv6 header (RFC 8200, Section 3) and its extension
// headers (Section 4).
func (dc *decoder) ipv6(b []byte, depth int) result {
	if len(b) < 40 || b[0]>>4 != 6 {
		return resError
	}
	total := 40 + int(be16(b[4:6]))
	if total == 40 {
		total = len(b) // jumbogram or offloaded length
	}
	missing := 0
	if total > len(b) {
		missing = total - len(b)
	} else {
		b = b[:total]
	}
	dc.p.src = netip.AddrFrom16([16]byte(b[8:24]))
	dc.p.dst = netip.AddrFrom16([16]byte(b[24:40]))
	nh, p := b[6], b[40:]
	for range maxIPv6Ext {
		var hl int
		switch nh {
		case protoHBH, protoRoute, protoDstOpt:
			if len(p) < 8 {
				return resError
			}
			hl = (int(p[1]) + 1) * 8
		case protoAH: // RFC 4302, Section 2.2
			if len(p) < 8 {
				return resError
			}
			hl = (int(p[1]) + 2) * 4
		case protoFrag: // RFC 8200, Section 4.5
			if len(p) < 8 {
				return resError
			}
			off, more := be16(p[2:4])>>3, p[3]&1 != 0
			if off != 0 || more {
				// Not reassembled: non-first fragments carry no transport
				// header, first fragments only part of the payload.
				dc.stats.IPv6Fragments++
				return resFragment
			}
			hl = 8 // atomic fragment, RFC 6946
		case protoNoNext:
			return resOther
		default:
			return dc.transport(nh, p, missing, depth)
		}
		if len(p) < hl {
			return resError
		}
		nh, p = p[0], p[hl:]
	}
	return resError
}

func (dc *decoder) transport(proto uint8, p []byte, missing, depth int) result {
	switch proto {
	case protoTCP:
		// RFC 9293, Section 3.1
		if len(p) < 20 {
			return resError
		}
		off := int(p[12]>>4) * 4
		if off < 20 || off > len(p) {
			return resError
		}
		dc.p.proto = protoTCP
		dc.p.sport, dc.p.dport = be16(p[0:2]), be16(p[2:4])
		dc.p.seq, dc.p.ack = seqNum(be32(p[4:8])), seqNum(be32(p[8:12]))
		dc.p.flags = p[13]
		dc.p.payload = p[off:]
		dc.p.missing = missing
		return resOK
	case protoUDP:
		// RFC 768
		if len(p) < 8 {
			return resError
		}
		dc.p.proto = protoUDP
		dc.p.sport, dc.p.dport = be16(p[0:2]), be16(p[2:4])
		pl := p[8:]
		ul := int(be16(p[4:6]))
		if ul >= 8 && ul-8 < len(pl) {
			pl = pl[:ul-8]
		}
		dc.p.payload = pl
		dc.p.missing = missing
		switch dc.p.dport {
		case portVXLAN, portVXLANLinux, portGeneve, portGTPU:
			if len(pl) < 8 && (missing > 0 || ul-8 > len(pl)) {
				return resError // a tunnel header cut by the snap length
			}
			if r, ok := dc.udpTunnel(dc.p.dport, pl, depth); ok {
				return r
			}
		}
		return resOK
	case protoGRE:
		return dc.gre(p, depth)
	case protoIPIP:
		if dc.tunnel(EncapIPinIP, depth, true) {
			return dc.ipv4(p, depth+1)
		}
	case protoIPv6:
		if dc.tunnel(EncapIPinIP, depth, true) {
			return dc.ipv6(p, depth+1)
		}
	}
	return resOther
}

// GRE flags (RFC 2784, RFC 2890; routing from RFC 1701).
const (
	greChecksum = 0x8000
	greRouting  = 0x4000
	greKey      = 0x2000
	greSeq      = 0x1000
	greVersion  = 0x0007
)

// gre decodes a GRE header and what it carries: an EtherType's payload,
// an Ethernet frame, or an ERSPAN mirror.
func (dc *decoder) gre(b []byte, depth int) result {
	if len(b) < 4 {
		return resError
	}
	flags, proto := be16(b[0:2]), be16(b[2:4])
	if flags&(greVersion|greRouting) != 0 {
		return resOther // PPTP's enhanced GRE and source routes are not followed
	}
	hl := 4
	for _, f := range [...]uint16{greChecksum, greKey, greSeq} {
		if flags&f != 0 {
			hl += 4
		}
	}
	if len(b) < hl {
		return resError
	}
	if !dc.tunnel(EncapGRE, depth, true) {
		return resOther
	}
	b = b[hl:]
	switch proto {
	case etherERSPAN:
		// Type II has the sequence number and an 8-byte header of version
		// 1; type I neither (Linux include/net/erspan.h).
		dc.decap.Headers[EncapERSPAN]++
		if flags&greSeq != 0 {
			if len(b) < 8 {
				return resError
			}
			if b[0]>>4 != 1 {
				return resNonIP
			}
			b = b[8:]
		}
		return dc.frame(b, depth+1)
	case etherERSP3:
		// draft-foschiano-erspan-03, Section 4.3: a 12-byte header of
		// version 2, an optional 8-byte platform subheader (O bit), then
		// an Ethernet frame or an IP packet by frame type.
		dc.decap.Headers[EncapERSPAN]++
		if len(b) < 12 {
			return resError
		}
		if b[0]>>4 != 2 {
			return resNonIP
		}
		ft, hl := b[10]>>2&0x1f, 12
		if b[11]&1 != 0 {
			hl += 8
		}
		if len(b) < hl {
			return resError
		}
		switch ft {
		case 0:
			return dc.frame(b[hl:], depth+1)
		case 2:
			return dc.ipAny(b[hl:], depth+1)
		}
		return resNonIP
	case etherWCCP:
		// A 4-byte redirect header precedes the IP packet unless the
		// packet starts right away.
		if len(b) > 0 && b[0]>>4 != 4 {
			if len(b) < 4 {
				return resError
			}
			b = b[4:]
		}
		return dc.ipAny(b, depth+1)
	}
	return dc.carried(proto, b, depth+1)
}

// udpTunnel decodes the payload pl of a UDP datagram to a tunnel port. ok
// is false when pl does not have the tunnel's header: it is then plain UDP.
func (dc *decoder) udpTunnel(port uint16, pl []byte, depth int) (r result, ok bool) {
	switch port {
	case portVXLAN, portVXLANLinux:
		// RFC 7348, Section 5: the I flag set; only the group policy
		// extension's G flag besides it.
		if len(pl) < 8 || pl[0]&0x08 == 0 || pl[0]&0x77 != 0 {
			return 0, false
		}
		if !dc.tunnel(EncapVXLAN, depth, true) {
			return resOther, true
		}
		return dc.frame(pl[8:], depth+1), true
	case portGeneve:
		// RFC 8926, Section 3.4: version 0, options of 4-byte words.
		if len(pl) < 8 || pl[0]>>6 != 0 {
			return 0, false
		}
		hl := 8 + int(pl[0]&0x3f)*4
		if !dc.tunnel(EncapGeneve, depth, true) {
			return resOther, true
		}
		if len(pl) < hl {
			return resError, true
		}
		return dc.carried(be16(pl[2:4]), pl[hl:], depth+1), true
	case portGTPU:
		return dc.gtpu(pl, depth)
	}
	return 0, false
}

// gtpu decodes a GTPv1-U G-PDU (3GPP TS 29.281, Section 5): an 8-byte
// header, 4 more bytes if any of the E, S and PN flags is set, extension
// headers if E is set, then an IP packet. Other messages (echo, error
// indication, end marker) are left as UDP.
func (dc *decoder) gtpu(pl []byte, depth int) (result, bool) {
	if len(pl) < 8 || pl[0]>>5 != 1 || pl[0]&0x10 == 0 || pl[1] != 0xff {
		return 0, false
	}
	if !dc.tunnel(EncapGTPU, depth, true) {
		return resOther, true
	}
	if n := 8 + int(be16(pl[2:4])); n < len(pl) {
		pl = pl[:n]
	}
	hl := 8
	if pl[0]&0x07 != 0 {
		hl = 12
		if len(pl) < hl {
			return resError, true
		}
		// Each extension header gives its length in 4-byte units and
		// ends with the type of the next one, 0 for none.
		for i, next := 0, pl[11]; pl[0]&0x04 != 0 && next != 0; i++ {
			if i == maxGTPExt || len(pl) <= hl || pl[hl] == 0 {
				return resError, true
			}
			n := int(pl[hl]) * 4
			if len(pl) < hl+n {
				return resError, true
			}
			next = pl[hl+n-1]
			hl += n
		}
	}
	if len(pl) < hl {
		return resError, true
	}
	return dc.ipAny(pl[hl:], depth+1), true
}

// Encap is a kind of tunnel or tag the decoder takes off.
type Encap uint8

const (
	EncapGRE     Encap = iota // GRE (RFC 2784), ERSPAN's included
	EncapERSPAN               // ERSPAN types I, II and III
	EncapVXLAN                // VXLAN (RFC 7348), UDP port 4789 or 8472
	EncapGeneve               // Geneve (RFC 8926), UDP port 6081
	EncapGTPU                 // GTPv1-U G-PDUs, UDP port 2152
	EncapIPinIP               // IPv4 or IPv6 in IPv4 or IPv6 (6in4 included)
	EncapMPLS                 // MPLS label stacks
	EncapPPPoE                // PPPoE sessions
	EncapVNTag                // Cisco VN-Tag (EtherType 0x8926)
	EncapTag                  // other tags of known size: 802.1BR E-Tag, 802.1CB R-Tag, 802.1ah I-Tag
	EncapUnknown              // tags of unknown EtherType skipped in front of IP
	NumEncap                  // the number of kinds
)

var encapNames = [NumEncap]string{"gre", "erspan", "vxlan", "geneve", "gtp-u", "ip-in-ip", "mpls", "pppoe", "vn-tag", "tag", "unknown-tag"}

// String returns a short lower-case name, such as "vxlan".
func (e Encap) String() string {
	if e < NumEncap {
		return encapNames[e]
	}
	return "Encap(" + itoa(int(e)) + ")"
}

// DecapStats counts what the decoder took off in front of the flows it
// reports: the innermost IP packet's.
type DecapStats struct {
	// Headers counts tunnel headers and tags taken off, by kind; a header
	// nested twice counts twice.
	Headers [NumEncap]uint64
	// Tunneled counts packets that came out of an IP tunnel (GRE,
	// ERSPAN, VXLAN, Geneve, GTP-U, IP-in-IP): they have outer addresses.
	Tunneled uint64
	// TooDeep counts packets with more than 4 nested tunnels; the rest
	// is not followed (they count as neither TCP nor UDP).
	TooDeep uint64
	// Unknown holds the first distinct unknown EtherTypes whose tags were
	// skipped, with their packet counts; UnknownOther counts the packets
	// of EtherTypes that did not fit.
	Unknown      [8]EtherTypeCount
	UnknownOther uint64
}

// EtherTypeCount is how many packets had a tag of one EtherType.
type EtherTypeCount struct {
	EtherType uint16
	Packets   uint64
}

// skipped counts a tag of unknown EtherType etype.
func (s *DecapStats) skipped(etype uint16) {
	s.Headers[EncapUnknown]++
	for i := range s.Unknown {
		u := &s.Unknown[i]
		if u.Packets == 0 {
			u.EtherType = etype
		}
		if u.EtherType == etype {
			u.Packets++
			return
		}
	}
	s.UnknownOther++
}
