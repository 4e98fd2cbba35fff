package tlsparse

import "fmt"

// Version is a protocol version as it appears on the wire.
type Version uint16

// Protocol versions.
const (
	VersionSSL20 Version = 0x0002
	VersionSSL30 Version = 0x0300
	VersionTLS10 Version = 0x0301
	VersionTLS11 Version = 0x0302
	VersionTLS12 Version = 0x0303
	VersionTLS13 Version = 0x0304
	// DTLS versions are the ones' complement of TLS's (RFC 6347, Section
	// 4.1): DTLS 1.0 is TLS 1.1's 0xfeff, DTLS 1.2 TLS 1.2's 0xfefd.
	VersionDTLS10 Version = 0xfeff
	VersionDTLS12 Version = 0xfefd
	VersionDTLS13 Version = 0xfefc
)

// String names the version; TLS 1.3 drafts (0x7fNN) are "TLS 1.3" too.
func (v Version) String() string {
	switch v {
	case VersionSSL20:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	case VersionDTLS10:
		return "DTLS 1.0"
	case VersionDTLS12:
		return "DTLS 1.2"
	case VersionDTLS13:
		return "DTLS 1.3"
	}
	if _, ok := v.Draft(); ok {
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04x", uint16(v))
}

// Draft reports the TLS 1.3 draft number of a 0x7fNN version.
func (v Version) Draft() (int, bool) {
	if v>>8 == 0x7f {
		return int(v & 0xff), true
	}
	return 0, false
}

// TLS13 reports whether v is TLS 1.3 or one of its drafts.
func (v Version) TLS13() bool {
	_, draft := v.Draft()
	return v == VersionTLS13 || draft
}
