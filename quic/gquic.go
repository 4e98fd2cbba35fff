package quic

import (
	"bytes"
	"encoding/binary"
)

// Google QUIC (gQUIC, versions Q0xx before Q046, which Chrome spoke until
// 2020) sends its client hello, a CHLO message, unencrypted in the first
// packet: a tag table whose "SNI\0" entry is the server name. Later gQUIC
// versions use TLS-like Initial encryption or IETF QUIC and are not read
// here.

// gQUIC public header flags (the gQUIC wire specification, "Public Packet
// Header").
const (
	gFlagVersion = 0x01
	gFlagReset   = 0x02
	gFlagCID     = 0x08
)

// maxCHLOTags bounds the tag table a CHLO may claim.
const maxCHLOTags = 128

// GoogleVersion reports whether a UDP payload starts with a gQUIC public
// header carrying a version Q001–Q045 (a client's packet), and which.
// Cheap: no allocation.
func GoogleVersion(b []byte) (string, bool) {
	if len(b) < 1+8+4 || b[0]&gFlagReset != 0 || b[0]&(gFlagVersion|gFlagCID) != gFlagVersion|gFlagCID || b[0]&0x80 != 0 {
		return "", false
	}
	v := b[9:13]
	if v[0] != 'Q' || v[1] != '0' || v[2] < '0' || v[2] > '4' || v[3] < '0' || v[3] > '9' || v[2] == '4' && v[3] > '5' {
		return "", false
	}
	return string(v), true
}

// GoogleHello reads the server name of a gQUIC client hello in a UDP
// payload: ok when the payload is a gQUIC client packet holding a CHLO
// (sni is "" when the CHLO has no SNI tag).
func GoogleHello(b []byte) (sni, version string, ok bool) {
	version, ok = GoogleVersion(b)
	if !ok {
		return "", "", false
	}
	i := bytes.Index(b[13:], []byte("CHLO"))
	if i < 0 {
		return "", version, false
	}
	m := b[13+i:]
	if len(m) < 8 {
		return "", version, false
	}
	n := int(binary.LittleEndian.Uint16(m[4:6]))
	if n > maxCHLOTags || len(m) < 8+8*n {
		return "", version, false
	}
	values := m[8+8*n:]
	start := uint32(0)
	for k := range n {
		e := m[8+8*k:]
		end := binary.LittleEndian.Uint32(e[4:8])
		if end < start || int(end) > len(values) {
			return "", version, false // a broken table: the CHLO is cut or not one
		}
		if string(e[:4]) == "SNI\x00" {
			return string(values[start:end]), version, true
		}
		start = end
	}
	return "", version, true
}
