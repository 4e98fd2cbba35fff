package tlsparse

import (
	"encoding/binary"
	"net/netip"
)

// SOCKS (RFC 1928 for version 5; SOCKS 4 and its 4a extension) through
// which a client reaches a TLS server: the target it asks the proxy for is
// the name it meant, as an HTTP CONNECT's authority is.

// SOCKS versions and the CONNECT command.
const (
	socks4       = 4
	socks5       = 5
	socksConnect = 1
	// SOCKS 5 address types (RFC 1928, Section 5).
	socksIPv4   = 1
	socksDomain = 3
	socksIPv6   = 4
)

// MaxSOCKSPreamble is how many of the client's first bytes SOCKSTarget
// needs at most: a SOCKS 5 greeting (2+255) and a request with a domain
// (7+255), or a SOCKS 4a request with its user ID and domain.
const MaxSOCKSPreamble = 600

// SOCKSTarget reads the CONNECT target from the first bytes a client sent
// through a SOCKS proxy: the SOCKS 5 greeting then the request, or a SOCKS
// 4/4a request. host is a domain name when the client sent one (SOCKS 5
// address type 3, SOCKS 4a), else the address; complete is false while
// the bytes may still become a request (more are needed), ok false when
// they are not SOCKS.
func SOCKSTarget(b []byte) (host string, port uint16, domain, complete, ok bool) {
	if len(b) == 0 {
		return "", 0, false, false, true
	}
	switch b[0] {
	case socks5:
		return socks5Target(b)
	case socks4:
		return socks4Target(b)
	}
	return "", 0, false, false, false
}

func socks5Target(b []byte) (string, uint16, bool, bool, bool) {
	if len(b) < 2 {
		return "", 0, false, false, true
	}
	n := int(b[1])
	if n == 0 {
		return "", 0, false, false, false
	}
	r := b[2:]
	if len(r) < n {
		return "", 0, false, false, true
	}
	r = r[n:] // the methods
	if len(r) < 4 {
		return "", 0, false, false, true
	}
	if r[0] != socks5 || r[1] != socksConnect || r[2] != 0 {
		return "", 0, false, false, false
	}
	atyp, r := r[3], r[4:]
	switch atyp {
	case socksIPv4, socksIPv6:
		l := 4
		if atyp == socksIPv6 {
			l = 16
		}
		if len(r) < l+2 {
			return "", 0, false, false, true
		}
		a, _ := netip.AddrFromSlice(r[:l])
		return a.String(), binary.BigEndian.Uint16(r[l:]), false, true, true
	case socksDomain:
		if len(r) < 1 || len(r) < 1+int(r[0])+2 {
			return "", 0, false, false, true
		}
		l := int(r[0])
		if l == 0 {
			return "", 0, false, false, false
		}
		return printableASCII(r[1 : 1+l]), binary.BigEndian.Uint16(r[1+l:]), true, true, true
	}
	return "", 0, false, false, false
}

func socks4Target(b []byte) (string, uint16, bool, bool, bool) {
	if len(b) < 8 {
		return "", 0, false, false, true
	}
	if b[1] != socksConnect {
		return "", 0, false, false, false
	}
	port := binary.BigEndian.Uint16(b[2:4])
	ip := netip.AddrFrom4([4]byte(b[4:8]))
	rest := b[8:]
	i := indexByte(rest, 0) // the user ID ends with a NUL
	if i < 0 {
		return "", 0, false, false, len(rest) < MaxSOCKSPreamble
	}
	// SOCKS 4a: 0.0.0.x (x != 0) says a domain follows the user ID.
	if b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0 {
		rest = rest[i+1:]
		j := indexByte(rest, 0)
		if j < 0 {
			return "", 0, false, false, len(rest) < MaxSOCKSPreamble
		}
		if j == 0 {
			return "", 0, false, false, false
		}
		return printableASCII(rest[:j]), port, true, true, true
	}
	return ip.String(), port, false, true, true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// printableASCII is b with bytes outside printable ASCII as '?'.
func printableASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}
