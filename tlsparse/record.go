package tlsparse

import "errors"

// Caps on what a parser accepts or buffers.
const (
	// MaxRecordLen is the largest record payload accepted: 2^14 plus the
	// 2048 bytes of expansion a ciphertext may carry (RFC 5246, Section
	// 6.2.3; RFC 8446, Section 5.2). Longer is a framing error.
	MaxRecordLen = 1<<14 + 2048
	// MaxPlaintextLen is the largest plaintext record payload (RFC 8446,
	// Section 5.1); a handshake record beyond it is an anomaly, not an error.
	MaxPlaintextLen = 1 << 14
	// MaxHelloLen caps a ClientHello or ServerHello message.
	MaxHelloLen = 64 << 10
	// MaxCertificateMsgLen caps a Certificate message.
	MaxCertificateMsgLen = 1 << 20
	// RecordHeaderLen is the size of a TLS record header.
	RecordHeaderLen = 5
)

// Record content types (RFC 8446, Section 5.1).
const (
	RecordChangeCipherSpec uint8 = 20
	RecordAlert            uint8 = 21
	RecordHandshake        uint8 = 22
	RecordApplicationData  uint8 = 23
	RecordHeartbeat        uint8 = 24 // RFC 6520
)

// Handshake message types (RFC 8446, Section 4; RFC 5246, Section 7.4).
const (
	TypeHelloRequest       uint8 = 0
	TypeClientHello        uint8 = 1
	TypeServerHello        uint8 = 2
	TypeNewSessionTicket   uint8 = 4
	TypeHelloRetryRequest  uint8 = 6 // TLS 1.3 drafts before -22
	TypeCertificate        uint8 = 11
	TypeServerKeyExchange  uint8 = 12
	TypeCertificateRequest uint8 = 13
	TypeServerHelloDone    uint8 = 14
	TypeCertificateVerify  uint8 = 15
	TypeClientKeyExchange  uint8 = 16
	TypeFinished           uint8 = 20
	TypeCertificateStatus  uint8 = 22 // RFC 6066, Section 8
)

// Errors.
var (
	// ErrNeedMore means the input ended before the structure did; more
	// bytes may complete it.
	ErrNeedMore = errors.New("tlsparse: need more bytes")
	// ErrRecordHeader means the bytes are not a TLS record header.
	ErrRecordHeader = errors.New("tlsparse: malformed record header")
	// ErrRecordTooLong means a record header announces more than MaxRecordLen.
	ErrRecordTooLong = errors.New("tlsparse: record too long")
)

// RecordHeader is the 5-byte TLS record header (RFC 5246, Section 6.2.1).
type RecordHeader struct {
	Type    uint8
	Version Version
	Length  int
}

// ParseRecordHeader reads a record header from the start of b. It accepts
// the content types 20..24 and record versions SSL 3.0 to TLS 1.3
// (0x0300..0x0304); the version of a record says little (TLS 1.3
// ClientHellos carry 0x0301).
func ParseRecordHeader(b []byte) (RecordHeader, error) {
	if len(b) < RecordHeaderLen {
		return RecordHeader{}, ErrNeedMore
	}
	h := RecordHeader{
		Type:    b[0],
		Version: Version(b[1])<<8 | Version(b[2]),
		Length:  int(b[3])<<8 | int(b[4]),
	}
	if h.Type < RecordChangeCipherSpec || h.Type > RecordHeartbeat ||
		h.Version < VersionSSL30 || h.Version > VersionTLS13 {
		return RecordHeader{}, ErrRecordHeader
	}
	if h.Length > MaxRecordLen {
		return RecordHeader{}, ErrRecordTooLong
	}
	return h, nil
}

// maxMsgLen is the buffering cap for a handshake message type; zero means
// the observer skips the body without buffering it.
func maxMsgLen(typ uint8) int {
	switch typ {
	case TypeClientHello, TypeServerHello, TypeHelloRetryRequest:
		return MaxHelloLen
	case TypeCertificate:
		return MaxCertificateMsgLen
	}
	return 0
}

// uint24 reads the 3-byte big-endian length of a handshake message
// header (RFC 8446, Section 4). b has at least 3 bytes.
func uint24(b []byte) int { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }
