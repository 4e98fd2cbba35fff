package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
)

// Sizes of AEAD_AES_128_GCM, the AEAD of Initial packets (RFC 9001,
// Section 5.2).
const (
	keyLen      = 16
	ivLen       = 12
	tagLen      = 16
	sampleLen   = 16 // AES header protection sample (RFC 9001, Section 5.4.3)
	retryTagLen = 16 // RFC 9001, Section 5.8
	maxPNLen    = 4  // RFC 9000, Section 17.1
)

// versionParams are what differs between the versions for an observer.
type versionParams struct {
	salt                     []byte
	keyLabel, ivLabel        string
	hpLabel                  string
	retryKey                 []byte
	retryNonce               []byte
	clientLabel, serverLabel string
}

var (
	paramsV1 = versionParams{
		// RFC 9001, Section 5.2.
		salt:     []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
		keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp",
		// RFC 9001, Section 5.8.
		retryKey:    []byte{0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e},
		retryNonce:  []byte{0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb},
		clientLabel: "client in", serverLabel: "server in",
	}
	paramsV2 = versionParams{
		// RFC 9369, Section 3.3.1.
		salt:     []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
		keyLabel: "quicv2 key", ivLabel: "quicv2 iv", hpLabel: "quicv2 hp", // Section 3.3.2
		// RFC 9369, Section 3.3.3.
		retryKey:    []byte{0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92},
		retryNonce:  []byte{0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a},
		clientLabel: "client in", serverLabel: "server in",
	}
	paramsDraft29 = versionParams{
		// draft-ietf-quic-tls-29, Section 5.2 and 5.8.
		salt:     []byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
		keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp",
		retryKey:    []byte{0xcc, 0xce, 0x18, 0x7e, 0xd0, 0x9a, 0x09, 0xd0, 0x57, 0x28, 0x15, 0x5a, 0x6c, 0xb9, 0x6b, 0xe1},
		retryNonce:  []byte{0xe5, 0x49, 0x30, 0xf9, 0x7f, 0x21, 0x36, 0xf0, 0x53, 0x0a, 0x8c, 0x1c},
		clientLabel: "client in", serverLabel: "server in",
	}
)

// params returns the parameters of a known version.
func params(version uint32) *versionParams {
	switch version {
	case V2:
		return &paramsV2
	case Draft29:
		return &paramsDraft29
	}
	return &paramsV1
}

// keys protect the Initial packets of one direction.
type keys struct {
	version uint32
	aead    cipher.AEAD
	hp      cipher.Block
	iv      [ivLen]byte
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context
// (RFC 8446, Section 7.1), which QUIC uses for every Initial secret.
func expandLabel(secret []byte, label string, length int) []byte {
	const prefix = "tls13 "
	info := make([]byte, 0, 4+len(prefix)+len(label))
	info = binary.BigEndian.AppendUint16(info, uint16(length))
	info = append(info, byte(len(prefix)+len(label)))
	info = append(info, prefix...)
	info = append(info, label...)
	info = append(info, 0) // empty context
	out, err := hkdf.Expand(sha256.New, secret, string(info), length)
	if err != nil {
		panic("quic: HKDF-Expand: " + err.Error()) // only for lengths over 255*32
	}
	return out
}

// initialKeys derives the Initial keys of one direction from the client's
// first Destination Connection ID (RFC 9001, Section 5.2).
func initialKeys(version uint32, dcid []byte, server bool) *keys {
	p := params(version)
	initial, err := hkdf.Extract(sha256.New, dcid, p.salt)
	if err != nil {
		panic("quic: HKDF-Extract: " + err.Error())
	}
	label := p.clientLabel
	if server {
		label = p.serverLabel
	}
	secret := expandLabel(initial, label, sha256.Size)
	k := &keys{version: version}
	block, err := aes.NewCipher(expandLabel(secret, p.keyLabel, keyLen))
	if err != nil {
		panic("quic: " + err.Error())
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		panic("quic: " + err.Error())
	}
	if k.hp, err = aes.NewCipher(expandLabel(secret, p.hpLabel, keyLen)); err != nil {
		panic("quic: " + err.Error())
	}
	copy(k.iv[:], expandLabel(secret, p.ivLabel, ivLen))
	return k
}

// validRetry checks a Retry's integrity tag against the client's original
// DCID (RFC 9001, Section 5.8): a client drops a Retry whose tag is wrong,
// so an observer must too. retry is the whole Retry packet.
func validRetry(version uint32, odcid, retry []byte) bool {
	if len(retry) < retryTagLen {
		return false
	}
	p := params(version)
	block, err := aes.NewCipher(p.retryKey)
	if err != nil {
		return false
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return false
	}
	body := retry[:len(retry)-retryTagLen]
	pseudo := make([]byte, 0, 1+len(odcid)+len(body))
	pseudo = append(pseudo, byte(len(odcid)))
	pseudo = append(pseudo, odcid...)
	pseudo = append(pseudo, body...)
	_, err = aead.Open(nil, p.retryNonce, retry[len(body):], pseudo)
	return err == nil
}
