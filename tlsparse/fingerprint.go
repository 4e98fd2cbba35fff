package tlsparse

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
)

// Client and server fingerprints of the hellos: JA3 and JA3S (Salesforce,
// github.com/salesforce/ja3, BSD 3-clause) as Wireshark computes them, and
// JA4 (FoxIO, technical_details/JA4.md of github.com/FoxIO-LLC/ja4, BSD
// 3-clause). JA4S, JA4X and the rest of JA4+ are under a licence that is
// not open source and are deliberately absent.
//
// Fingerprints are computed on demand from the parsed hello, never on the
// per-packet path.

// JA4 transports: the first character of a JA4 fingerprint.
const (
	JA4TCP  byte = 't' // TLS over TCP
	JA4QUIC byte = 'q' // TLS inside QUIC
	JA4DTLS byte = 'd' // DTLS
)

// isGREASE reports whether v is one of the 16 reserved GREASE values of
// RFC 8701, Section 2 (0x0a0a, 0x1a1a, … 0xfafa): both bytes equal, low
// nibbles 0xa. Wireshark's IS_GREASE_TLS tests the same.
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// JA3 is the ClientHello's JA3 string (SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats, GREASE values removed per RFC 8701) and its MD5 hex, as Wireshark computes them (tls.handshake.ja3_full and tls.handshake.ja3).
//
// Values are decimal, joined by '-' in the order sent; SSLVersion is the
// legacy client_version. Nothing but GREASE is removed: padding (21),
// duplicate extensions and unknown values stay. An extension whose list
// could not be parsed contributes an empty field. An SSLv2-format hello
// has no JA3 (Wireshark and the reference implementation compute none for
// it): both results are "".
func (ch *ClientHello) JA3() (full, hash string) {
	if ch.SSLv2 {
		return "", ""
	}
	b := ch.appendJA3(make([]byte, 0, ja3Cap(ch)))
	return string(b), md5Hex(b)
}

// JA3Hash is JA3's hash alone, without making the string: what a record
// keeps, for one allocation.
func (ch *ClientHello) JA3Hash() string {
	if ch.SSLv2 {
		return ""
	}
	var buf [fingerprintBuf]byte
	return md5Hex(ch.appendJA3(buf[:0]))
}

func (ch *ClientHello) appendJA3(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(ch.Version), 10)
	b = append(b, ',')
	b = appendDecimals(b, ch.CipherSuites)
	b = append(b, ',')
	b = appendDecimals(b, ch.Extensions)
	b = append(b, ',')
	b = appendDecimals(b, ch.SupportedGroups)
	b = append(b, ',')
	for i, f := range ch.PointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(f), 10)
	}
	return b
}

// JA3S of a ServerHello (SSLVersion,Cipher,Extensions), as Wireshark's tls.handshake.ja3s_full / ja3s.
//
// SSLVersion is the legacy server_version (771 for TLS 1.3, whose real
// version is in supported_versions); extensions are in the order sent,
// GREASE removed. A HelloRetryRequest has its own JA3S, as in Wireshark.
func (sh *ServerHello) JA3S() (full, hash string) {
	b := sh.appendJA3S(make([]byte, 0, 16+6*len(sh.Extensions)))
	return string(b), md5Hex(b)
}

// JA3SHash is JA3S's hash alone, for one allocation.
func (sh *ServerHello) JA3SHash() string {
	var buf [fingerprintBuf]byte
	return md5Hex(sh.appendJA3S(buf[:0]))
}

func (sh *ServerHello) appendJA3S(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(sh.Version), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(sh.CipherSuite), 10)
	b = append(b, ',')
	return appendDecimals(b, sh.Extensions)
}

// fingerprintBuf is the stack room a fingerprint's input is built in;
// a longer one (a hello with hundreds of values) grows onto the heap.
const fingerprintBuf = 1024

// ja3Cap is enough room for a JA3 string: at most 6 bytes per value.
func ja3Cap(ch *ClientHello) int {
	return 16 + 6*(len(ch.CipherSuites)+len(ch.Extensions)+len(ch.SupportedGroups)) + 4*len(ch.PointFormats)
}

// appendDecimals appends the non-GREASE values of vs in decimal, joined by
// '-'.
func appendDecimals(b []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if isGREASE(v) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return b
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	var h [2 * md5.Size]byte
	hex.Encode(h[:], sum[:])
	return string(h[:])
}

// JA4 parts that are fixed by the specification.
const (
	ja4MaxCount = 99             // counts of ciphers and extensions are capped at two digits
	ja4HashLen  = 12             // hex digits kept of each SHA-256
	ja4Empty    = "000000000000" // JA4_b or JA4_c of an empty list, instead of a hash of nothing
	ja4NoALPN   = "00"           // no ALPN extension, no value, or an empty first value
	ja4NoVer    = "00"           // a version the table does not name
)

// ja4VersionName names the versions JA4 knows (JA4.md, "TLS and DTLS
// Version"); any other value, TLS 1.3 drafts (0x7fNN) included, is "00".
func ja4VersionName(v Version) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return ja4NoVer
}

// JA4 of the ClientHello; transport is 't' (TLS over TCP), 'q' (QUIC) or 'd' (DTLS).
//
// The fingerprint is JA4_a "_" JA4_b "_" JA4_c, e.g.
// t13d1516h2_8daaf6152771_e5627efa2ab1 (JA4.md):
//   - JA4_a: transport; the highest non-GREASE supported_versions value,
//     else the legacy version, as two characters ("13", "12", … "s3",
//     "d2"; "00" when unknown); 'd' when the server_name extension is
//     present (even empty), else 'i'; the non-GREASE cipher and extension
//     counts (SNI and ALPN included, duplicates counted), two digits each,
//     at most 99; the first and last characters of the first ALPN value
//     when both are ASCII letters or digits, else the first and last
//     digits of its hex, "00" when there is none.
//   - JA4_b: the first 12 hex digits of SHA-256 of the sorted ciphers as
//     4-digit lower-case hex joined by ',', GREASE removed.
//   - JA4_c: the same of the sorted extensions without GREASE, server_name
//     (0x0000) and ALPN (0x0010), followed, when there are any, by '_' and
//     the signature algorithms in the order sent (GREASE removed).
//     "000000000000" when no extension is left, whatever the signature
//     algorithms; likewise JA4_b when there is no cipher.
//
// "Highest" follows protocol order, so for DTLS, whose numbers go down as
// versions go up, 0xfefc (DTLS 1.3) is higher than 0xfefd (DTLS 1.2).
//
// An SSLv2-format hello is fingerprinted from what it has: its version
// (0x0002 is "s2", a TLS-capable client's 0x0301 is "10"), no SNI, its
// cipher specs with a TLS equivalent (CipherSuites; the SSLv2-only specs
// of V2CipherSpecs have no 16-bit code and are left out), no extensions
// and no ALPN, hence "000000000000" as JA4_c.
func (ch *ClientHello) JA4(transport byte) string {
	var out [ja4Len]byte
	b := append(out[:0], transport)
	b = append(b, ja4VersionName(ch.ja4Version())...)
	sni := byte('i')
	if slices.Contains(ch.Extensions, extServerName) {
		sni = 'd'
	}
	b = append(b, sni)
	b = appendCount(b, countNonGREASE(ch.CipherSuites))
	b = appendCount(b, countNonGREASE(ch.Extensions))
	b = appendALPN(b, ch.ALPN)

	var vals [fingerprintBuf / 8]uint16
	var in [fingerprintBuf]byte
	b = append(b, '_')
	ciphers := sortedNonGREASE(vals[:0], ch.CipherSuites, false)
	b = appendHashHex(b, appendHexList(in[:0], ciphers))

	b = append(b, '_')
	exts := sortedNonGREASE(vals[:0], ch.Extensions, true)
	if len(exts) == 0 {
		return string(append(b, ja4Empty...))
	}
	list := appendHexList(in[:0], exts)
	if n := countNonGREASE(ch.SignatureAlgorithms); n > 0 {
		list = append(list, '_')
		list = appendHexList(list, ch.SignatureAlgorithms)
	}
	return string(appendHashHex(b, list))
}

// ja4Len is the length of a JA4 fingerprint: JA4_a (10), two '_' and two
// truncated hashes.
const ja4Len = 10 + 2 + 2*ja4HashLen

// ja4Version is the version JA4 reports: the highest non-GREASE value of
// supported_versions, else the legacy version.
func (ch *ClientHello) ja4Version() Version {
	var best Version
	found := false
	for _, v := range ch.SupportedVersions {
		if isGREASE(uint16(v)) {
			continue
		}
		if !found || versionOrder(v) > versionOrder(best) {
			best, found = v, true
		}
	}
	if !found {
		return ch.Version
	}
	return best
}

// versionOrder ranks v so that a later protocol version ranks higher:
// DTLS versions (0xfeNN) count down, so their complement is used (RFC
// 6347, Section 4.1), placed above every TLS version.
func versionOrder(v Version) uint32 {
	if v>>8 == 0xfe {
		return 0x10000 + uint32(^uint16(v))
	}
	return uint32(v)
}

func countNonGREASE(vs []uint16) int {
	n := 0
	for _, v := range vs {
		if !isGREASE(v) {
			n++
		}
	}
	return n
}

// sortedNonGREASE appends to out the values of vs that are not GREASE,
// nor server_name or ALPN when dropNameALPN (JA4_c leaves them out), and
// sorts them.
func sortedNonGREASE(out, vs []uint16, dropNameALPN bool) []uint16 {
	for _, v := range vs {
		if isGREASE(v) || dropNameALPN && (v == extServerName || v == extALPN) {
			continue
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// appendCount appends n as two decimal digits, capped at 99.
func appendCount(b []byte, n int) []byte {
	n = min(n, ja4MaxCount)
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendALPN appends the two ALPN characters of JA4_a (JA4.md, "ALPN
// Extension Value").
func appendALPN(b []byte, alpn []string) []byte {
	if len(alpn) == 0 || alpn[0] == "" {
		return append(b, ja4NoALPN...)
	}
	p := alpn[0]
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return append(b, first, last)
	}
	// Not printable as is: the first and last digits of the value's hex,
	// the high nibble of its first byte and the low nibble of its last.
	return append(b, hexDigits[first>>4], hexDigits[last&0x0f])
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// appendHexList appends the non-GREASE values of vs as 4-digit lower-case
// hex joined by ','.
func appendHexList(b []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if isGREASE(v) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf])
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendHashHex appends the truncated SHA-256 hex of in, or ja4Empty when
// in is empty.
func appendHashHex(b, in []byte) []byte {
	if len(in) == 0 {
		return append(b, ja4Empty...)
	}
	sum := sha256.Sum256(in)
	return hex.AppendEncode(b, sum[:ja4HashLen/2])
}
