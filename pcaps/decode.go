package pcaps

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/ip4defrag"
	"github.com/google/gopacket/layers"
)

// Decoding caps.
const (
	maxTunnelDepth = 2  // IP-in-IP / 6in4 nesting followed
	maxIPv6Ext     = 16 // IPv6 extension headers followed per packet
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
	seq, ack     uint32
	flags        uint8
	payload      []byte
	// missing counts payload bytes the IP header declares but the capture
	// does not hold (snap length).
	missing int
}

// decoder turns link-layer frames into packets without allocating; only IPv4
// fragments (copied for the defragmenter) allocate.
type decoder struct {
	p      packet
	stats  *Stats
	defrag *ip4defrag.IPv4Defragmenter
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
)

func (dc *decoder) decode(data []byte, link LinkType, ts time.Time) result {
	dc.p = packet{}
	dc.ts = ts
	switch link {
	case LinkEthernet:
		if len(data) < 14 {
			return resError
		}
		return dc.ether(be16(data[12:14]), data[14:])
	case LinkSLL:
		// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
		if len(data) < 16 {
			return resError
		}
		return dc.ether(be16(data[14:16]), data[16:])
	case LinkSLL2:
		// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
		if len(data) < 20 {
			return resError
		}
		return dc.ether(be16(data[0:2]), data[20:])
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

// ether follows VLAN tags, PPPoE and MPLS to an IP header.
func (dc *decoder) ether(etype uint16, b []byte) result {
	for {
		switch etype {
		case etherIPv4:
			return dc.ipv4(b, 0)
		case etherIPv6:
			return dc.ipv6(b, 0)
		case etherVLAN, etherQinQ, etherQinQ91, etherQinQ92:
			if len(b) < 4 {
				return resError
			}
			etype, b = be16(b[2:4]), b[4:]
		case etherPPPoE:
			// RFC 2516 Section 4 header, then the PPP protocol (RFC 1661).
			if len(b) < 8 {
				return resError
			}
			switch be16(b[6:8]) {
			case 0x0021:
				return dc.ipv4(b[8:], 0)
			case 0x0057:
				return dc.ipv6(b[8:], 0)
			}
			return resNonIP
		case etherMPLS, etherMPLSmc:
			// RFC 3032: pop labels to the bottom of the stack, then guess IP
			// from the version nibble.
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
			return dc.ipAny(b, 0)
		default:
			return resNonIP
		}
	}
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
		return dc.fragment4(b, missing, depth)
	}
	return dc.transport(proto, b[ihl:], missing, depth)
}

// fragment4 hands a fragment to the defragmenter; allocation is accepted
// here because fragments are rare.
func (dc *decoder) fragment4(b []byte, missing, depth int) result {
	dc.stats.IPv4Fragments++
	if missing > 0 {
		return resError // cut fragments cannot be reassembled
	}
	// The defragmenter keeps both the layer and its bytes.
	cp := append([]byte(nil), b...)
	ip := &layers.IPv4{}
	if err := ip.DecodeFromBytes(cp, gopacket.NilDecodeFeedback); err != nil {
		return resError
	}
	out, err := dc.defrag.DefragIPv4WithTimestamp(ip, dc.ts)
	if err != nil {
		return resError
	}
	if out == nil {
		return resFragment
	}
	return dc.transport(uint8(out.Protocol), out.Payload, 0, depth)
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
		dc.p.seq, dc.p.ack = be32(p[4:8]), be32(p[8:12])
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
		if ul := int(be16(p[4:6])); ul >= 8 && ul-8 < len(pl) {
			pl = pl[:ul-8]
		}
		dc.p.payload = pl
		dc.p.missing = missing
		return resOK
	case protoIPIP:
		if depth < maxTunnelDepth {
			return dc.ipv4(p, depth+1)
		}
	case protoIPv6:
		if depth < maxTunnelDepth {
			return dc.ipv6(p, depth+1)
		}
	}
	return resOther
}
