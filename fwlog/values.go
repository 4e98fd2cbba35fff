package fwlog

import (
	"net/netip"
	"time"
	"unicode"
	"unicode/utf8"
)

// parseIP reads an IPv4 or IPv6 address (brackets allowed). IPv4 is read
// by hand, without allocating; IPv6 goes to netip.ParseAddr.
func parseIP[T string | []byte](b T) (netip.Addr, bool) {
	if len(b) > 2 && b[0] == '[' && b[len(b)-1] == ']' {
		b = b[1 : len(b)-1]
	}
	if len(b) == 0 || len(b) > 64 {
		return netip.Addr{}, false
	}
	if indexByte(b, ':') < 0 {
		var a [4]byte
		i := 0
		for k := 0; k < 4; k++ {
			if k > 0 {
				if i >= len(b) || b[i] != '.' {
					return netip.Addr{}, false
				}
				i++
			}
			j := i
			v := 0
			for i < len(b) && isDigit(b[i]) && i-j < 3 {
				v = v*10 + int(b[i]-'0')
				i++
			}
			if i == j || v > 255 || (i-j > 1 && b[j] == '0') {
				return netip.Addr{}, false
			}
			a[k] = byte(v)
		}
		if i != len(b) {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4(a), true
	}
	a, err := netip.ParseAddr(string(b))
	return a, err == nil
}

// parsePort reads a port number: all of b when strict, else the leading
// digits (FMC writes "443 (https) / tcp").
func parsePort[T string | []byte](b T, strict bool) (uint16, bool) {
	i := 0
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	if i == 0 || i > 5 || (strict && i != len(b)) {
		return 0, false
	}
	v, _ := atoi(b[:i])
	if v > 65535 {
		return 0, false
	}
	return uint16(v), true
}

// protoNames are the protocol numbers written as numbers by some versions,
// with the IANA keywords FTD writes for them.
var protoNames = map[int]string{1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp"}

// protocol returns the protocol, lower case, from its first word: "tcp",
// "TCP", "6" and "tcp (6)" all give "tcp".
func protocol[T string | []byte](in *interner, b T) string {
	i := 0
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	b = b[:i]
	if len(b) == 0 {
		return ""
	}
	if n, ok := atoi(b); ok {
		if s, ok := protoNames[n]; ok {
			return s
		}
		return get(in, b)
	}
	var buf [24]byte
	if len(b) > len(buf) {
		return ""
	}
	for i := 0; i < len(b); i++ {
		buf[i] = lower(b[i])
	}
	return get(in, buf[:len(b)])
}

// parseSeconds reads a duration in seconds: "2", "2.5".
func parseSeconds[T string | []byte](b T) (time.Duration, bool) {
	i := 0
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	s, ok := atoi(b[:i])
	if !ok {
		return 0, false
	}
	d := time.Duration(s) * time.Second
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		frac := b[i+1:]
		if !allDigits(frac) {
			return 0, false
		}
		unit := time.Second
		for k := 0; k < len(frac) && k < 9; k++ {
			unit /= 10
			d += time.Duration(frac[k]-'0') * unit
		}
	}
	return d, true
}

// trimSpace trims ASCII and Unicode white space (a no-break space from a
// browser paste) from both ends.
func trimSpace(s string) string {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if !unicode.IsSpace(r) {
			break
		}
		s = s[n:]
	}
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if !unicode.IsSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

// words calls f with each white-space separated word of s until f
// returns true.
func words(s string, f func(w string) bool) {
	for len(s) > 0 {
		s = trimSpace(s)
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += n
		}
		if i == 0 {
			return
		}
		if f(s[:i]) {
			return
		}
		s = s[i:]
	}
}
