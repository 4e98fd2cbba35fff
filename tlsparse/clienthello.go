package tlsparse

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// Extension types the parsers read.
const (
	extServerName        uint16 = 0      // RFC 6066, Section 3
	extSupportedGroups   uint16 = 10     // RFC 8422, Section 5.1.1 (elliptic_curves); RFC 8446, Section 4.2.7
	extPointFormats      uint16 = 11     // RFC 8422, Section 5.1.2
	extSignatureAlgs     uint16 = 13     // RFC 8446, Section 4.2.3; RFC 5246, Section 7.4.1.4.1
	extALPN              uint16 = 16     // RFC 7301, Section 3.1
	extSessionTicket     uint16 = 35     // RFC 5077, Section 3.2
	extPreSharedKey      uint16 = 41     // RFC 8446, Section 4.2.11
	extSupportedVersions uint16 = 43     // RFC 8446, Section 4.2.1
	extECH               uint16 = 0xfe0d // draft-ietf-tls-esni (encrypted_client_hello)
	extESNI              uint16 = 0xffce // draft-ietf-tls-esni-0x (encrypted_server_name)
)

// hostName is the only NameType RFC 6066 defines.
const hostName = 0

// Parse errors of ClientHellos: the framing is broken (the meaning is read
// leniently, see doc.go).
var (
	ErrClientHello = errors.New("tlsparse: malformed ClientHello")
	ErrSSLv2Hello  = errors.New("tlsparse: malformed SSLv2 ClientHello")
)

// ServerName is one entry of the server_name extension, as sent.
type ServerName struct {
	Type uint8  // 0 = host_name
	Name string // raw bytes, not validated
}

// ClientHello holds the fields of a ClientHello message. Byte slices and
// strings are owned copies.
type ClientHello struct {
	Version      Version // legacy_version (client_version)
	Random       []byte  // 32 bytes; the challenge for SSLv2 hellos
	SessionID    []byte
	CipherSuites []uint16
	// V2CipherSpecs are the SSLv2 cipher specs of an SSLv2 hello that have
	// no TLS equivalent (first byte non-zero).
	V2CipherSpecs []uint32
	// ServerNames are all entries of the server_name extension, raw.
	ServerNames []ServerName
	// SNI is the first host_name entry, cut at its first NUL byte; no case
	// folding, no trailing-dot removal. "" means absent.
	SNI               string
	ALPN              []string
	SupportedVersions []Version
	// SupportedGroups is the supported_groups (formerly elliptic_curves)
	// extension as sent, GREASE included; nil when absent or malformed.
	SupportedGroups []uint16
	// PointFormats is the ec_point_formats extension as sent; nil when
	// absent or malformed.
	PointFormats []uint8
	// SignatureAlgorithms is the signature_algorithms extension as sent,
	// GREASE included; nil when absent or malformed.
	SignatureAlgorithms []uint16
	ECH                 bool     // encrypted_client_hello (0xfe0d) present
	Extensions          []uint16 // extension types in order
	SSLv2               bool     // sent in the SSLv2-compatible format
	Anomalies           []string
}

// ParseClientHello parses a ClientHello handshake message, starting with
// its 4-byte handshake header. Bytes after the message are ignored.
func ParseClientHello(msg []byte) (*ClientHello, error) {
	body, err := handshakeBody(msg, TypeClientHello, MaxHelloLen, ErrClientHello)
	if err != nil {
		return nil, err
	}
	ch := new(ClientHello)
	if !ch.unmarshal(body) {
		return nil, ErrClientHello
	}
	return ch, nil
}

// handshakeBody returns the body of the handshake message at the start of
// msg, checking its type and cap (RFC 8446, Section 4). A wrong type or an
// over-long message is the caller's malformed error; a short one ErrNeedMore.
func handshakeBody(msg []byte, typ uint8, max int, malformed error) ([]byte, error) {
	if len(msg) < 4 {
		return nil, ErrNeedMore
	}
	n := uint24(msg[1:])
	if msg[0] != typ || n > max {
		return nil, malformed
	}
	if len(msg) < 4+n {
		return nil, ErrNeedMore
	}
	return msg[4 : 4+n], nil
}

func (ch *ClientHello) unmarshal(body []byte) bool {
	s := cryptobyte.String(body)
	var (
		vers             uint16
		random, sid      []byte
		suites, compress cryptobyte.String
	)
	// RFC 5246, Section 7.4.1.2; RFC 8446, Section 4.1.2.
	if !s.ReadUint16(&vers) || !s.ReadBytes(&random, 32) ||
		!readUint8LengthPrefixedBytes(&s, &sid) ||
		!s.ReadUint16LengthPrefixed(&suites) || len(suites)%2 != 0 ||
		!s.ReadUint8LengthPrefixed(&compress) || len(compress) < 1 {
		return false
	}
	ch.Version = Version(vers)
	buf := make([]byte, 32+len(sid))
	copy(buf, random)
	copy(buf[32:], sid)
	ch.Random, ch.SessionID = buf[:32:32], buf[32:]
	if len(sid) > 32 {
		ch.anomaly("session-id-too-long")
	}
	ch.CipherSuites = make([]uint16, 0, len(suites)/2)
	for !suites.Empty() {
		var c uint16
		suites.ReadUint16(&c)
		ch.CipherSuites = append(ch.CipherSuites, c)
	}
	if s.Empty() {
		return true // SSL 3.0 style: no extensions block
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) {
		return false
	}
	if !s.Empty() {
		ch.anomaly("trailing-data")
	}
	// Count the extensions first, so that their list is one allocation
	// of the right size rather than five growing ones.
	n := 0
	for rest := exts; len(rest) >= 4; n++ {
		l := 4 + (int(rest[2])<<8 | int(rest[3]))
		if l > len(rest) {
			n++ // the malformed one is listed too
			break
		}
		rest = rest[l:]
	}
	if n > 0 {
		ch.Extensions = make([]uint16, 0, n)
	}
	var seen extSet
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			// An extension overruns the list: keep the ones before it (the
			// server_name usually comes first), as the engines, which read
			// extensions one by one, do.
			ch.anomaly("extensions-malformed")
			break
		}
		ch.Extensions = append(ch.Extensions, typ)
		if seen.add(typ) {
			ch.anomaly("duplicate-extension:" + strconv.Itoa(int(typ)))
			// A TLS server would reject the hello; a passive reader keeps
			// the first occurrence, as the engines do.
			switch typ {
			case extServerName, extALPN, extSupportedVersions,
				extSupportedGroups, extPointFormats, extSignatureAlgs:
				continue
			}
		}
		switch typ {
		case extServerName:
			ch.readServerName(data)
		case extALPN:
			ch.readALPN(data)
		case extSupportedVersions:
			ch.readSupportedVersions(data)
		case extSupportedGroups:
			// RFC 8422, Section 5.1.1: NamedCurve elliptic_curve_list<2..2^16-1>.
			ch.SupportedGroups = ch.readUint16List(data, "supported-groups-malformed")
		case extSignatureAlgs:
			// RFC 8446, Section 4.2.3: SignatureScheme
			// supported_signature_algorithms<2..2^16-2>.
			ch.SignatureAlgorithms = ch.readUint16List(data, "signature-algorithms-malformed")
		case extPointFormats:
			ch.readPointFormats(data)
		case extECH:
			ch.ECH = true
		case extESNI:
			ch.anomaly("esni")
		}
	}
	return true
}

func readUint8LengthPrefixedBytes(s *cryptobyte.String, out *[]byte) bool {
	var v cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&v) {
		return false
	}
	*out = v
	return true
}

// readServerName reads the server_name extension (RFC 6066, Section 3)
// leniently: entries read before a framing error are kept.
func (ch *ClientHello) readServerName(data cryptobyte.String) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) {
		if len(data) == 0 {
			ch.anomaly("sni-empty")
		} else {
			ch.anomaly("sni-malformed")
		}
		return
	}
	if !data.Empty() {
		ch.anomaly("sni-trailing-data")
	}
	if list.Empty() {
		ch.anomaly("sni-empty")
	}
	found := false
	for !list.Empty() {
		var typ uint8
		var name cryptobyte.String
		// Every NameType is followed by a 16-bit length in practice; RFC
		// 6066 leaves other types undefined.
		if !list.ReadUint8(&typ) || !list.ReadUint16LengthPrefixed(&name) {
			ch.anomaly("sni-malformed")
			break
		}
		if len(ch.ServerNames) >= maxServerNames {
			ch.anomaly("sni-too-many")
			break
		}
		ch.ServerNames = append(ch.ServerNames, ServerName{Type: typ, Name: string(name)})
		if typ != hostName || found {
			continue
		}
		found = true
		h := ch.ServerNames[len(ch.ServerNames)-1].Name
		for i := 0; i < len(h); i++ {
			if h[i] == 0 {
				ch.anomaly("sni-nul")
				h = h[:i]
				break
			}
		}
		if h == "" {
			ch.anomaly("sni-empty")
		}
		ch.SNI = h
	}
	if len(ch.ServerNames) > 1 {
		ch.anomaly("sni-several-names")
	}
	if len(ch.ServerNames) > 0 && ch.ServerNames[0].Type != hostName {
		ch.anomaly("sni-first-not-host-name")
	}
}

// maxServerNames bounds the server_name entries kept.
const maxServerNames = 64

// readALPN reads application_layer_protocol_negotiation (RFC 7301,
// Section 3.1).
func (ch *ClientHello) readALPN(data cryptobyte.String) {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() {
		ch.anomaly("alpn-malformed")
		return
	}
	for !list.Empty() {
		var p cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&p) {
			ch.anomaly("alpn-malformed")
			return
		}
		ch.ALPN = append(ch.ALPN, alpnName(p))
	}
}

// alpnName is the protocol ID p as a string, without allocating for the
// IDs nearly every hello offers.
func alpnName(p []byte) string {
	switch string(p) { // compiled without a conversion
	case "h2":
		return "h2"
	case "http/1.1":
		return "http/1.1"
	case "h3":
		return "h3"
	case "http/1.0":
		return "http/1.0"
	}
	return string(p)
}

// readSupportedVersions reads the ClientHello form of supported_versions
// (RFC 8446, Section 4.2.1).
func (ch *ClientHello) readSupportedVersions(data cryptobyte.String) {
	var list cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() || len(list)%2 != 0 {
		ch.anomaly("supported-versions-malformed")
		return
	}
	if len(list) > 0 {
		ch.SupportedVersions = make([]Version, 0, len(list)/2)
	}
	for !list.Empty() {
		var v uint16
		list.ReadUint16(&v)
		ch.SupportedVersions = append(ch.SupportedVersions, Version(v))
	}
}

// readUint16List reads a list of 16-bit values with a 16-bit length
// prefix, the form of supported_groups and signature_algorithms. A broken
// list is an anomaly and yields nil: its values are not known. The slice
// has exactly the list's length, as these stay with every connection.
func (ch *ClientHello) readUint16List(data cryptobyte.String, malformed string) []uint16 {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) || !data.Empty() || len(list)%2 != 0 {
		ch.anomaly(malformed)
		return nil
	}
	if list.Empty() {
		return nil
	}
	out := make([]uint16, 0, len(list)/2)
	for !list.Empty() {
		var v uint16
		list.ReadUint16(&v)
		out = append(out, v)
	}
	return out
}

// readPointFormats reads ec_point_formats (RFC 8422, Section 5.1.2):
// ECPointFormat ec_point_format_list<1..2^8-1>.
func (ch *ClientHello) readPointFormats(data cryptobyte.String) {
	var list cryptobyte.String
	if !data.ReadUint8LengthPrefixed(&list) || !data.Empty() {
		ch.anomaly("point-formats-malformed")
		return
	}
	if !list.Empty() {
		ch.PointFormats = append([]uint8(nil), list...)
	}
}

func (ch *ClientHello) anomaly(a string) { ch.Anomalies = append(ch.Anomalies, a) }

// extSet remembers which extension types were seen, without allocating
// for a usual hello: types below 64 (nearly all of them) in a bit set,
// the rest (renegotiation_info, ECH, GREASE, …) in a short list, and a
// map only for a hello with more unusual types than that.
type extSet struct {
	low   uint64
	small [16]uint16
	n     int
	big   map[uint16]bool
}

// add records typ and reports whether it was seen before.
func (e *extSet) add(typ uint16) bool {
	if typ < 64 {
		seen := e.low&(1<<typ) != 0
		e.low |= 1 << typ
		return seen
	}
	if e.big != nil {
		if e.big[typ] {
			return true
		}
		e.big[typ] = true
		return false
	}
	for _, t := range e.small[:e.n] {
		if t == typ {
			return true
		}
	}
	if e.n < len(e.small) {
		e.small[e.n] = typ
		e.n++
		return false
	}
	e.big = make(map[uint16]bool, 2*len(e.small))
	for _, t := range e.small {
		e.big[t] = true
	}
	e.big[typ] = true
	return false
}

// ParseSSLv2ClientHello parses a ClientHello in the SSLv2-compatible format
// (RFC 6101, Appendix E; RFC 5246, Appendix E.2), starting with its 2-byte
// record header. Such a hello has no extensions, hence no SNI.
func ParseSSLv2ClientHello(rec []byte) (*ClientHello, error) {
	if len(rec) < 2 {
		return nil, ErrNeedMore
	}
	if rec[0]&0x80 == 0 {
		return nil, ErrSSLv2Hello // 3-byte headers carry padding, never a hello
	}
	n := int(rec[0]&0x7f)<<8 | int(rec[1])
	if len(rec) < 2+n {
		return nil, ErrNeedMore
	}
	s := cryptobyte.String(rec[2 : 2+n])
	var (
		typ                    uint8
		vers, csl, sidl, chall uint16
		specs, sid, challenge  []byte
	)
	if !s.ReadUint8(&typ) || typ != 1 || !s.ReadUint16(&vers) ||
		!s.ReadUint16(&csl) || !s.ReadUint16(&sidl) || !s.ReadUint16(&chall) ||
		csl%3 != 0 || !s.ReadBytes(&specs, int(csl)) ||
		!s.ReadBytes(&sid, int(sidl)) || !s.ReadBytes(&challenge, int(chall)) {
		return nil, ErrSSLv2Hello
	}
	ch := &ClientHello{Version: Version(vers), SSLv2: true}
	buf := make([]byte, len(challenge)+len(sid))
	copy(buf, challenge)
	copy(buf[len(challenge):], sid)
	ch.Random, ch.SessionID = buf[:len(challenge):len(challenge)], buf[len(challenge):]
	if chall < 16 || chall > 32 {
		ch.anomaly("sslv2-challenge-length")
	}
	ch.CipherSuites = make([]uint16, 0, len(specs)/3)
	for i := 0; i < len(specs); i += 3 {
		if specs[i] == 0 {
			ch.CipherSuites = append(ch.CipherSuites, uint16(specs[i+1])<<8|uint16(specs[i+2]))
		} else {
			ch.V2CipherSpecs = append(ch.V2CipherSpecs, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
		}
	}
	if !s.Empty() {
		ch.anomaly("trailing-data")
	}
	return ch, nil
}

// String summarises the hello for debugging.
func (ch *ClientHello) String() string {
	return fmt.Sprintf("ClientHello{%v sni=%q alpn=%q}", ch.Version, ch.SNI, ch.ALPN)
}
