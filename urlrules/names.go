package urlrules

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// lowerASCII folds ASCII letters only: host names compare case-insensitively
// in ASCII (RFC 4343); Unicode folding would equate names DNS keeps apart.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasCtlOrSpace reports bytes no entry may hold: ASCII controls and blanks.
func hasCtlOrSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// aLabels lower-cases s and turns every non-ASCII label into its A-label
// (IDNA lookup rules), label by label so that '*' and '_' labels survive.
// ok is false when a label is no valid internationalized name; s is then
// only lower-cased.
func aLabels(s string) (string, bool) {
	if isASCII(s) {
		return lowerASCII(s), true
	}
	if !utf8.ValidString(s) {
		// idna would take invalid bytes for U+FFFD without a word.
		return lowerASCII(s), false
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		if isASCII(l) {
			labels[i] = lowerASCII(l)
			continue
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil || !isASCII(a) || strings.Contains(a, ".") {
			return lowerASCII(s), false
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), true
}

func trimDot(s string) string { return strings.TrimSuffix(s, ".") }

func hasDot(s string) bool { return strings.HasSuffix(s, ".") }

// splitPort splits "host:port" and "[v6]:port" where port is all digits.
// A bare IPv6 address (several colons, no brackets) has no port.
func splitPort(h string) (host, port string) {
	i := strings.LastIndexByte(h, ':')
	if i < 0 || i == len(h)-1 || !allDigits(h[i+1:]) {
		return h, ""
	}
	if strings.HasPrefix(h, "[") {
		if h[i-1] != ']' {
			return h, ""
		}
		return h[:i], h[i+1:]
	}
	if strings.IndexByte(h[:i], ':') >= 0 {
		return h, ""
	}
	return h[:i], h[i+1:]
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isIP reports an IP literal host: dotted IPv4, or IPv6 with or without
// brackets. A trailing dot is ignored.
func isIP(h string) bool {
	h = strings.TrimSuffix(strings.TrimPrefix(trimDot(h), "["), "]")
	_, err := netip.ParseAddr(h)
	return err == nil
}

// validScheme reports an RFC 3986 scheme: a letter, then letters, digits,
// '+', '-', '.'.
func validScheme(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && (c < '0' || c > '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// cutScheme splits "scheme://rest"; scheme is "" when s has none.
func cutScheme(s string) (scheme, rest string) {
	if i := strings.Index(s, "://"); i > 0 && validScheme(s[:i]) {
		return lowerASCII(s[:i]), s[i+3:]
	}
	return "", s
}

// target is a URL or host as a firewall logs it, in comparable form.
type target struct {
	scheme string   // lower case; "https" when the input had none
	host   string   // lower-case A-labels, port removed, a trailing dot kept
	port   string   // the port removed from the host, if any
	rest   string   // path, query and fragment as given; "" for https://host
	badIDN bool     // the host had non-ASCII bytes that are no valid IDN
	labels []string // host split at dots, made once for the SI matchers
	ip     bool     // host is an IP literal
}

// parseTarget reads "scheme://host[:port][/path...]" or a bare host, which
// stands for undecrypted HTTPS: FMC logs such a connection as https://host.
func parseTarget(s string) target {
	t := target{scheme: "https"}
	if sc, rest := cutScheme(s); sc != "" {
		t.scheme, s = sc, rest
	}
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	host := s[:end]
	t.rest = s[end:]
	host, t.port = splitPort(host)
	var ok bool
	t.host, ok = aLabels(host)
	t.badIDN = !ok
	t.labels = strings.Split(t.host, ".")
	t.ip = isIP(t.host)
	return t
}

// dnsTarget reads a DNS name; one trailing dot, the fully qualified form
// DNS messages use, is dropped.
func dnsTarget(name string) target {
	var t target
	var ok bool
	t.host, ok = aLabels(trimDot(name))
	t.badIDN = !ok
	t.labels = strings.Split(t.host, ".")
	t.ip = isIP(t.host)
	return t
}

// notes says what parseTarget changed about the host that a reader should
// know; "" when nothing.
func (t target) notes() string {
	var n []string
	if t.port != "" {
		n = append(n, "port :"+t.port+" of the host ignored")
	}
	if t.badIDN {
		n = append(n, "host has non-ASCII bytes that are no valid IDN: compared byte for byte")
	}
	return strings.Join(n, "; ")
}

// withNotes appends non-empty notes to why.
func withNotes(why string, notes ...string) string {
	for _, n := range notes {
		if n != "" {
			why += "; " + n
		}
	}
	return why
}
