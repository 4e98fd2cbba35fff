package quic

import "encoding/binary"

// Version numbers.
const (
	V1      uint32 = 0x00000001 // RFC 9000, Section 15
	V2      uint32 = 0x6b3343cf // RFC 9369, Section 3.1
	Draft29 uint32 = 0xff00001d // draft-ietf-quic-transport-29
)

// Header bits of the first byte (RFC 9000, Section 17).
const (
	headerFormLong = 0x80 // 1 = long header
	fixedBit       = 0x40 // always 1 in v1 and v2 (RFC 9000, Section 17.2)
)

// maxCIDLen is the longest connection ID versions 1 and 2 allow (RFC 9000,
// Section 17.2); longer is malformed for the versions this package knows.
const maxCIDLen = 20

// packetType is a long header packet type, numbered as in QUIC v1; v2
// packets are translated (RFC 9369, Section 3.2).
type packetType uint8

// Long header packet types (RFC 9000, Section 17.2).
const (
	typeInitial   packetType = 0
	typeZeroRTT   packetType = 1
	typeHandshake packetType = 2
	typeRetry     packetType = 3
)

// v2Types maps QUIC v2's wire type bits to v1 numbering (RFC 9369,
// Section 3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00).
var v2Types = [4]packetType{typeRetry, typeInitial, typeZeroRTT, typeHandshake}

// known reports whether this package knows the version's Initial keys.
func known(version uint32) bool {
	return version == V1 || version == V2 || version == Draft29
}

// longType returns the packet type of a long header's first byte for a
// known version.
func longType(first byte, version uint32) packetType {
	bits := first >> 4 & 0x03
	if version == V2 {
		return v2Types[bits]
	}
	return packetType(bits)
}

// LooksInitial reports cheaply (no crypto, no allocation) whether a UDP
// payload starts with a long-header Initial packet of a version this package
// knows (for deciding whether to track a UDP flow at all).
func LooksInitial(b []byte) bool {
	// First byte, version, DCID length (RFC 9000, Section 17.2).
	if len(b) < 6 || b[0]&(headerFormLong|fixedBit) != headerFormLong|fixedBit {
		return false
	}
	version := binary.BigEndian.Uint32(b[1:5])
	if !known(version) || longType(b[0], version) != typeInitial {
		return false
	}
	dcidLen := int(b[5])
	if dcidLen > maxCIDLen || len(b) < 7+dcidLen {
		return false
	}
	scidLen := int(b[6+dcidLen])
	return scidLen <= maxCIDLen && len(b) >= 7+dcidLen+scidLen
}

// readVarint reads a variable-length integer (RFC 9000, Section 16) from
// the start of b and returns it with the number of bytes it took; n is 0
// when b is too short.
func readVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// longHeader is the parsed unprotected part of a long header packet. Slices
// point into the datagram.
type longHeader struct {
	version uint32
	typ     packetType
	dcid    []byte
	scid    []byte
	token   []byte // Initial: the token; Retry: the Retry Token
	// pnOffset is where the (protected) packet number starts, relative to
	// the start of the packet; Initial, 0-RTT and Handshake only.
	pnOffset int
	// size is the length of the whole packet within the datagram.
	size int
}

// Results of parseLong besides success.
type parseResult uint8

const (
	parseOK        parseResult = iota
	parseUnknown               // a version this package cannot read: the rest of the datagram is opaque
	parseBadLength             // a length beyond the datagram
	parseBadCID                // a connection ID over 20 bytes
)

// parseLong parses the long header packet at the start of b (b[0] has the
// long header bit set). A Retry, Version Negotiation or unknown version takes
// the rest of the datagram.
func parseLong(b []byte) (h longHeader, r parseResult) {
	if len(b) < 7 {
		return h, parseBadLength
	}
	h.version = binary.BigEndian.Uint32(b[1:5])
	if !known(h.version) {
		// Version Negotiation (version 0) or an unknown version: RFC 8999
		// says nothing of the length, so the datagram ends here.
		return h, parseUnknown
	}
	h.typ = longType(b[0], h.version)
	p := 5
	dcidLen := int(b[p])
	p++
	if dcidLen > maxCIDLen {
		return h, parseBadCID
	}
	if len(b) < p+dcidLen+1 {
		return h, parseBadLength
	}
	h.dcid = b[p : p+dcidLen]
	p += dcidLen
	scidLen := int(b[p])
	p++
	if scidLen > maxCIDLen {
		return h, parseBadCID
	}
	if len(b) < p+scidLen {
		return h, parseBadLength
	}
	h.scid = b[p : p+scidLen]
	p += scidLen
	if h.typ == typeRetry {
		// RFC 9000, Section 17.2.5: token, then the 16-byte integrity tag.
		if len(b) < p+retryTagLen {
			return h, parseBadLength
		}
		h.token = b[p : len(b)-retryTagLen]
		h.size = len(b)
		return h, parseOK
	}
	if h.typ == typeInitial {
		// RFC 9000, Section 17.2.2.
		tokenLen, n := readVarint(b[p:])
		if n == 0 || tokenLen > uint64(len(b)-p-n) {
			return h, parseBadLength
		}
		p += n
		h.token = b[p : p+int(tokenLen)]
		p += int(tokenLen)
	}
	length, n := readVarint(b[p:])
	if n == 0 || length > uint64(len(b)-p-n) {
		return h, parseBadLength
	}
	p += n
	h.pnOffset = p
	h.size = p + int(length)
	return h, parseOK
}

// decodePacketNumber expands a truncated packet number of pnLen bytes given
// the largest packet number received so far in its space (-1 for none):
// RFC 9000, Appendix A.3.
func decodePacketNumber(largest int64, truncated uint64, pnLen int) uint64 {
	expected := uint64(largest + 1)
	win := uint64(1) << (8 * pnLen)
	hwin := win / 2
	mask := win - 1
	candidate := expected&^mask | truncated
	const maxPN = uint64(1) << 62
	switch {
	case candidate+hwin <= expected && candidate < maxPN-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}
