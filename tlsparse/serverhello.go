package tlsparse

import (
	"bytes"
	"errors"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// ErrServerHello: a ServerHello whose framing is broken.
var ErrServerHello = errors.New("tlsparse: malformed ServerHello")

// helloRetryRandom is SHA-256("HelloRetryRequest"), the Random of a
// HelloRetryRequest (RFC 8446, Section 4.1.3).
var helloRetryRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// ServerHello holds the fields of a ServerHello message. Byte slices are
// owned copies.
type ServerHello struct {
	Version     Version // legacy_version (server_version)
	Selected    Version // supported_versions if present, else Version
	Random      []byte
	SessionID   []byte
	CipherSuite uint16
	HelloRetry  bool     // a HelloRetryRequest (RFC 8446, Section 4.1.4)
	Extensions  []uint16 // extension types in order
	Anomalies   []string
}

// ParseServerHello parses a ServerHello handshake message, starting with
// its 4-byte handshake header. Bytes after the message are ignored.
func ParseServerHello(msg []byte) (*ServerHello, error) {
	body, err := handshakeBody(msg, TypeServerHello, MaxHelloLen, ErrServerHello)
	if err != nil {
		return nil, err
	}
	sh := new(ServerHello)
	if !sh.unmarshal(body) {
		return nil, ErrServerHello
	}
	return sh, nil
}

func (sh *ServerHello) unmarshal(body []byte) bool {
	s := cryptobyte.String(body)
	var (
		vers, suite uint16
		random, sid []byte
	)
	if !s.ReadUint16(&vers) || !s.ReadBytes(&random, 32) {
		return false
	}
	sh.Version = Version(vers)
	draft := false
	if _, ok := sh.Version.Draft(); ok && sh.Version&0xff < 22 {
		// TLS 1.3 drafts before -22 dropped session_id and
		// compression_method and sent the version here.
		draft = true
		if !s.ReadUint16(&suite) {
			return false
		}
	} else {
		var compress uint8
		if !readUint8LengthPrefixedBytes(&s, &sid) || !s.ReadUint16(&suite) ||
			!s.ReadUint8(&compress) {
			return false
		}
	}
	buf := make([]byte, 32+len(sid))
	copy(buf, random)
	copy(buf[32:], sid)
	sh.Random, sh.SessionID = buf[:32:32], buf[32:]
	sh.CipherSuite = suite
	sh.Selected = sh.Version
	sh.HelloRetry = bytes.Equal(random, helloRetryRandom)
	if s.Empty() {
		return !draft
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) {
		return false
	}
	if !s.Empty() {
		sh.anomaly("trailing-data")
	}
	var seen extSet
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return false
		}
		sh.Extensions = append(sh.Extensions, typ)
		if seen.add(typ) {
			sh.anomaly("duplicate-extension:" + strconv.Itoa(int(typ)))
			continue
		}
		if typ == extSupportedVersions {
			// RFC 8446, Section 4.2.1: the server sends the selected version.
			var v uint16
			if !data.ReadUint16(&v) || !data.Empty() {
				sh.anomaly("supported-versions-malformed")
				continue
			}
			sh.Selected = Version(v)
		}
	}
	return true
}

func (sh *ServerHello) anomaly(a string) { sh.Anomalies = append(sh.Anomalies, a) }
