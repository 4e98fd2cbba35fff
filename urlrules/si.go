package urlrules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Pattern is a parsed Security Intelligence URL list entry or DNS list
// entry. A domain covers itself and its subdomains, label-aligned; '*'
// stands for exactly one whole label of the host part; in URL lists a
// trailing '/' means this host only, and a path must begin the URL's path.
type Pattern struct {
	raw    string
	dns    bool
	labels []string // lower case; "*" is a one-label wildcard
	ipv4   bool     // four octets or '*': matches only an IPv4 literal
	exact  bool     // trailing "/": this host only
	path   string   // a path after the host, other than a bare "/"
	dot    bool     // the host part ended with a dot
	port   string
}

// ParseSIEntry parses one entry of an SI URL list or feed. Errors are what
// FMC rejects: Unicode (domains must be Punycode), a '*' that is not a whole
// label or is in the path, IPv6, empty labels, characters no host name has.
// warns lists what makes results unspecified (a port, a trailing dot).
func ParseSIEntry(s string) (Pattern, []string, error) { return parsePattern(s, false) }

// ParseDNSEntry parses one entry of an SI DNS list or feed: a domain name
// with whole-label '*', no protocol, path or address.
func ParseDNSEntry(s string) (Pattern, []string, error) { return parsePattern(s, true) }

func parsePattern(s string, dns bool) (p Pattern, warns []string, err error) {
	kind := "SI URL entry"
	if dns {
		kind = "DNS entry"
	}
	if s == "" {
		return Pattern{}, nil, errors.New("empty " + kind)
	}
	if hasCtlOrSpace(s) {
		return Pattern{}, nil, fmt.Errorf("%s %q has blanks or control characters", kind, s)
	}
	p.raw, p.dns = s, dns
	sc, rest := cutScheme(s)
	if sc != "" {
		if dns {
			return Pattern{}, nil, fmt.Errorf("DNS entry %q: DNS lists hold names, not URLs", s)
		}
		s = rest
	}
	host, path := s, ""
	if i := strings.IndexByte(s, '/'); i >= 0 {
		if dns {
			return Pattern{}, nil, fmt.Errorf("DNS entry %q: DNS lists take no path", p.raw)
		}
		host, path = s[:i], s[i:]
	}
	if !isASCII(host) {
		if a, ok := aLabels(host); ok {
			return Pattern{}, nil, fmt.Errorf("%s %q: domains must be Punycode: write %s", kind, p.raw, a)
		}
		return Pattern{}, nil, fmt.Errorf("%s %q: %q is no valid internationalized domain name", kind, p.raw, host)
	}
	switch {
	case path == "/":
		p.exact = true
	case strings.IndexByte(path, '*') >= 0:
		return Pattern{}, nil, fmt.Errorf("%s %q: '*' may only replace a host label, not appear in the path", kind, p.raw)
	default:
		p.path = path
	}
	if !isASCII(path) {
		warns = append(warns, fmt.Sprintf("non-ASCII path in %q: FMC wants paths percent-encoded; compared byte for byte", p.raw))
	}
	host, p.port = splitPort(host)
	if p.port != "" {
		warns = append(warns, fmt.Sprintf("port :%s in %q: FMC does not document ports in list entries; results are unspecified", p.port, p.raw))
	}
	if strings.ContainsAny(host, ":[]") {
		return Pattern{}, nil, fmt.Errorf("%s %q: IPv6 addresses belong in a network list", kind, p.raw)
	}
	if hasDot(host) {
		p.dot = true
		host = trimDot(host)
		warns = append(warns, fmt.Sprintf("trailing dot in %q: FMC's handling is undocumented; results that depend on it are unspecified", p.raw))
	}
	if host == "" {
		return Pattern{}, nil, fmt.Errorf("%s %q has no host", kind, p.raw)
	}
	p.labels = strings.Split(lowerASCII(host), ".")
	wild, digits := 0, 0
	for _, l := range p.labels {
		switch {
		case l == "":
			return Pattern{}, nil, fmt.Errorf("%s %q has an empty label", kind, p.raw)
		case l == "*":
			wild++
			continue
		case strings.IndexByte(l, '*') >= 0:
			return Pattern{}, nil, fmt.Errorf("%s %q: '*' must replace a whole label (%q is a partial-label wildcard)", kind, p.raw, l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return Pattern{}, nil, fmt.Errorf("%s %q: %q is no character of a host name", kind, p.raw, string(c))
			}
		}
		if allDigits(l) {
			digits++
		}
	}
	if wild == len(p.labels) {
		return Pattern{}, nil, fmt.Errorf("%s %q is only wildcards: it would match every name", kind, p.raw)
	}
	if digits+wild == len(p.labels) {
		// All numeric: an IPv4 address, whole octets wildcarded.
		if len(p.labels) != 4 {
			return Pattern{}, nil, fmt.Errorf("%s %q: not an IPv4 address (four octets)", kind, p.raw)
		}
		for _, l := range p.labels {
			if n, err := strconv.Atoi(l); l != "*" && (err != nil || n > 255) {
				return Pattern{}, nil, fmt.Errorf("%s %q: octet %s out of range", kind, p.raw, l)
			}
		}
		if dns {
			return Pattern{}, nil, fmt.Errorf("DNS entry %q: an address never matches a DNS name; use a network list", p.raw)
		}
		p.ipv4 = true
	}
	return p, warns, nil
}

// String returns the entry as written.
func (p Pattern) String() string { return p.raw }

// MatchSI parses entry (ParseSIEntry) and matches it against url. An entry
// that does not parse never matches (FMC rejects it); the reason says why.
func MatchSI(entry, url string) (Result, string) {
	p, _, err := ParseSIEntry(entry)
	if err != nil {
		return NoMatch, "invalid entry: " + err.Error()
	}
	return p.Match(url)
}

// MatchDNS parses entry (ParseDNSEntry) and matches it against a DNS name.
func MatchDNS(entry, name string) (Result, string) {
	p, _, err := ParseDNSEntry(entry)
	if err != nil {
		return NoMatch, "invalid entry: " + err.Error()
	}
	return p.Match(name)
}

// Match matches the entry against s. For a URL list entry s is a URL or a
// bare host (undecrypted HTTPS: no path known), as for Object.Match. For a
// DNS entry s is a DNS name; one trailing dot (the fully qualified form
// DNS messages use) is dropped without comment.
func (p Pattern) Match(s string) (Result, string) {
	if p.dns {
		return p.matchTarget(dnsTarget(s))
	}
	return p.matchTarget(parseTarget(s))
}

// matchTarget is Match on a parsed URL or name.
func (p Pattern) matchTarget(t target) (Result, string) {
	return matchWithPort(p.port, t, p.match)
}

// match evaluates as written and without trailing dots; differing answers
// are Unspecified, since FMC does not document trailing dots.
func (p Pattern) match(t target) (Result, string) {
	labels := p.labels
	if p.dot {
		labels = append(labels[:len(labels):len(labels)], "")
	}
	hl := t.labels
	if hl == nil { // a target not made by parseTarget or dnsTarget
		hl, t.ip = strings.Split(t.host, "."), isIP(t.host)
	}
	raw, why := p.matchOnce(labels, t.host, hl, t.ip, t.rest)
	if !p.dot && !hasDot(t.host) {
		return raw, why
	}
	h := trimDot(t.host)
	norm, nwhy := p.matchOnce(p.labels, h, strings.Split(h, "."), t.ip, t.rest)
	if raw == norm {
		return raw, why
	}
	return Unspecified, fmt.Sprintf("trailing dot: FMC's handling is undocumented (as written: %s; without the dot: %s, %s)", raw, norm, nwhy)
}

func (p Pattern) matchOnce(pl []string, h string, hl []string, ip bool, rest string) (Result, string) {
	r, why := matchLabels(pl, h, hl, ip, p.exact, p.ipv4)
	if r == NoMatch || p.path == "" {
		return r, why
	}
	switch {
	case rest == "":
		return Unspecified, "no path known (undecrypted HTTPS is logged as https://host): whether a path entry matches is undocumented"
	case !strings.HasPrefix(rest, p.path):
		return NoMatch, "host matches but the path differs (paths are case-sensitive)"
	case r == Match && rest != p.path:
		return Match, why + "; path is a prefix of the URL's (prefix match assumed)"
	}
	return r, why
}

// matchLabels compares pattern labels pl with host h, split into hl (ip:
// h is an IP literal): equal label counts when exact, else the host's last
// len(pl) labels; '*' matches one label.
func matchLabels(pl []string, h string, hl []string, ip, exact, ipv4 bool) (Result, string) {
	if h == "" {
		return NoMatch, "no host"
	}
	if ip != ipv4 {
		if ip {
			return NoMatch, "an IP address host matches only IPv4 entries"
		}
		return NoMatch, "an IPv4 entry matches only an IP address host"
	}
	if exact {
		if len(hl) == len(pl) && labelsEqual(pl, hl) {
			return Match, "exact host (trailing /)" + wildNote(pl)
		}
	} else if len(hl) >= len(pl) && labelsEqual(pl, hl[len(hl)-len(pl):]) {
		switch {
		case ipv4:
			return Match, "same address" + wildNote(pl)
		case len(hl) == len(pl):
			return Match, "same name" + wildNote(pl)
		}
		return Match, "subdomain" + wildNote(pl)
	}
	// "*.cisco.com" against "cisco.com": '*' would have to match no label.
	k := 0
	for k < len(pl) && pl[k] == "*" {
		k++
	}
	if rest := pl[k:]; k > 0 && len(rest) > 0 && len(hl) < len(pl) && len(hl) >= len(rest) &&
		(!exact || len(hl) == len(rest)) && labelsEqual(rest, hl[len(hl)-len(rest):]) {
		return Unspecified, "'*' would have to match no label: undocumented (likely no match)"
	}
	if exact {
		return NoMatch, "not this exact host (trailing / means exact)"
	}
	return NoMatch, "not the domain or a subdomain of it"
}

func wildNote(pl []string) string {
	for _, l := range pl {
		if l == "*" {
			return ", '*' standing for one label"
		}
	}
	return ""
}

func labelsEqual(pl, hl []string) bool {
	for i, l := range pl {
		if l != hl[i] && (l != "*" || hl[i] == "") {
			return false
		}
	}
	return true
}
