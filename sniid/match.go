package sniid

import (
	"net/netip"
	"strconv"
	"strings"
)

const (
	// maxNameLen is the longest DNS name in presentation form without the
	// trailing dot (RFC 1035, Section 2.3.4: 255 octets on the wire). Longer
	// strings are not host names; the near-miss check skips them.
	maxNameLen = 253

	// maxMeant caps how many names the client meant (SNI plus DNS names)
	// are compared, so a hostile DNS table cannot make one assessment costly.
	maxMeant = 64

	// maxNamesShown caps the certificate names quoted in a trace.
	maxNamesShown = 8
)

// trimDot removes one trailing dot (an absolute name, RFC 1034, Section 3.1).
func trimDot(s string) string {
	if strings.HasSuffix(s, ".") {
		return s[:len(s)-1]
	}
	return s
}

// lower folds an ASCII letter. DNS names compare case-insensitively in ASCII
// only (RFC 4343, Section 3); Unicode folding would equate names that DNS
// keeps apart (the Kelvin sign and "k").
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares a and b with ASCII case folding.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// sameName compares two host names case-insensitively, one trailing dot
// ignored on each side.
func sameName(a, b string) bool { return equalFold(trimDot(a), trimDot(b)) }

// hasWildcardLabel reports whether any label of s contains a '*'.
func hasWildcardLabel(s string) bool { return strings.IndexByte(s, '*') >= 0 }

// parseIP parses an IP literal as a client may put it in the SNI: a plain
// address, or an IPv6 address in brackets. Zones are dropped and IPv4-mapped
// IPv6 addresses unmapped so that they compare like the 4- or 16-byte
// iPAddress SAN (RFC 5280, Section 4.2.1.6).
func parseIP(s string) (netip.Addr, bool) {
	s = trimDot(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if !maybeIP(s) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// matchPattern reports whether the certificate name pattern covers host
// (model §2): ASCII case-insensitive, one trailing dot removed from both, and
// '*' only as the whole left-most label of the pattern, standing for exactly
// one non-empty label (RFC 6125, Section 6.4.3, in its strictest reading).
func matchPattern(pattern, host string) bool {
	pattern, host = trimDot(pattern), trimDot(host)
	if pattern == "" || host == "" {
		return false
	}
	if equalFold(pattern, host) {
		return true
	}
	if pattern == "*" {
		// A lone "*" is a whole left-most label too: one label, no dots.
		return strings.IndexByte(host, '.') < 0
	}
	rest, ok := strings.CutPrefix(pattern, "*.")
	if !ok || rest == "" {
		return false
	}
	dot := strings.IndexByte(host, '.')
	if dot <= 0 { // no dot, or an empty first label
		return false
	}
	return equalFold(rest, host[dot+1:])
}

// SNIMatchesCert reports whether the certificate covers sni under the
// spoofed-SNI rule of the model (§2, an assumption: FTD's own comparison is
// not public). Names compare ASCII case-insensitively after removing one
// trailing dot from both sides; the dNSName SANs are used when there are
// any, else the subject CNs; '*' is allowed only as the whole left-most
// label and matches exactly one non-empty label; an SNI that is an IP
// literal matches only iPAddress SANs. An empty sni matches nothing; a
// mismatch is a non-empty sni for which this returns false.
func SNIMatchesCert(sni string, sanDNS []string, sanIP []netip.Addr, cns []string) bool {
	_, ok := matchCert(sni, sanDNS, sanIP, cns)
	return ok
}

// matchCert is SNIMatchesCert that also returns the certificate name that
// matched, for the trace.
func matchCert(sni string, sanDNS []string, sanIP []netip.Addr, cns []string) (string, bool) {
	if sni == "" {
		return "", false
	}
	if ip, ok := parseIP(sni); ok {
		for _, a := range sanIP {
			if a.WithZone("").Unmap() == ip {
				return a.String(), true
			}
		}
		return "", false
	}
	names := sanDNS
	if len(names) == 0 {
		names = cns
	}
	for _, n := range names {
		if matchPattern(n, sni) {
			return n, true
		}
	}
	return "", false
}

// certNames lists what sni was compared against (for "spoofed: …" in a
// trace), at most maxNamesShown entries; "" when there was nothing.
func certNames(sni string, f *Facts) string {
	var b strings.Builder
	b.WriteByte('[')
	n := 0
	write := func(s string) {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
		n++
	}
	total := 0
	if _, ok := parseIP(sni); ok {
		total = len(f.SANIP)
		for _, a := range f.SANIP {
			if n == maxNamesShown {
				break
			}
			write(a.String())
		}
	} else {
		names := f.SANDNS
		if len(names) == 0 {
			names = f.CNs
		}
		total = len(names)
		for _, s := range names {
			if n == maxNamesShown {
				break
			}
			write(quoteIfOdd(s))
		}
	}
	if total == 0 {
		return ""
	}
	if total > n {
		b.WriteString(", +" + strconv.Itoa(total-n) + " more")
	}
	b.WriteByte(']')
	return b.String()
}

// quoteIfOdd returns s unchanged when it is made of printable ASCII other
// than space, comma and brackets, else quoted: raw SNI and certificate
// strings are attacker-controlled and must not break the "[a, b]" lists of
// a trace or the "flag:detail" format.
func quoteIfOdd(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '[' || c == ']' || c == '"' {
			return strconv.QuoteToASCII(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// maybeIP is a cheap filter before netip.ParseAddr, whose error allocates:
// an IPv6 literal has a colon, which no host name has, and an IPv4 literal
// is only digits and dots.
func maybeIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}
