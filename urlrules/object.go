package urlrules

import (
	"errors"
	"fmt"
	"strings"
)

// Object is a parsed FMC URL object value or literal URL ("Enter URL").
// An entry without '/' is matched against the host only, starting at a
// label; an entry with '/' is a substring of the whole URL.
type Object struct {
	raw    string // as written
	scheme string // lower case, "" when the entry has none
	host   string // host part: lower-case A-labels, trailing dot kept; may be ""
	port   string // port written after the host, "" when none
	path   string // from the first '/' after the host, as written
	substr bool   // the entry has a '/': substring of the URL
	upper  bool   // the host part was written with upper case
}

// ParseObject parses a URL object value or literal URL. warns lists what
// makes some results unspecified or assumed (ports, trailing dots, '*',
// a protocol, a path, Unicode); err is set for what FMC cannot hold: an
// empty entry, blanks or control bytes, an invalid internationalized name.
func ParseObject(s string) (o Object, warns []string, err error) {
	if s == "" {
		return Object{}, nil, errors.New("empty URL entry")
	}
	if hasCtlOrSpace(s) {
		return Object{}, nil, fmt.Errorf("URL entry %q has blanks or control characters", s)
	}
	o.raw = s
	o.substr = strings.IndexByte(s, '/') >= 0
	o.scheme, s = cutScheme(s)
	if o.scheme != "" {
		if s == "" || s[0] == '/' {
			return Object{}, nil, fmt.Errorf("URL entry %q has no host after the protocol", o.raw)
		}
		warns = append(warns, fmt.Sprintf("protocol %s:// in %q: FMC documents the protocol as ignored but matches the entry as a substring of the URL, so a different protocol is unspecified; write it without the protocol", o.scheme, o.raw))
	}
	host := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		host, o.path = s[:i], s[i:]
	}
	host, o.port = splitPort(host)
	if o.port != "" {
		warns = append(warns, fmt.Sprintf("port :%s in %q: FMC does not document ports in URL entries; results are unspecified", o.port, o.raw))
	}
	o.upper = hasUpper(host)
	var ok bool
	o.host, ok = aLabels(host)
	if !ok {
		return Object{}, nil, fmt.Errorf("URL entry %q: %q is no valid internationalized domain name", o.raw, host)
	}
	if !isASCII(host) {
		warns = append(warns, fmt.Sprintf("Unicode name in %q: compared as its A-label %s", o.raw, o.host))
	}
	if o.upper {
		warns = append(warns, fmt.Sprintf("upper case in %q: host names are compared ignoring case (assumed; FMC's current documentation is silent)", o.raw))
	}
	if hasDot(o.host) {
		warns = append(warns, fmt.Sprintf("trailing dot in %q: FMC's handling is undocumented; results that depend on it are unspecified", o.raw))
	}
	if strings.IndexByte(o.host, '*') >= 0 {
		warns = append(warns, fmt.Sprintf("'*' in %q: literal URLs take no wildcards and URL objects do not document any; compared as a plain character", o.raw))
	}
	if o.path != "" {
		warns = append(warns, fmt.Sprintf("path in %q: undecrypted HTTPS is logged as https://host without a path, where this entry's result is unspecified", o.raw))
	}
	if !isASCII(o.path) {
		warns = append(warns, fmt.Sprintf("non-ASCII path in %q: compared byte for byte (FMC wants paths percent-encoded)", o.raw))
	}
	return o, warns, nil
}

// String returns the entry as written.
func (o Object) String() string { return o.raw }

// MatchObject parses entry (ParseObject) and matches it against url. An
// entry that does not parse never matches; the reason says why.
func MatchObject(entry, url string) (Result, string) {
	o, _, err := ParseObject(entry)
	if err != nil {
		return NoMatch, "invalid entry: " + err.Error()
	}
	return o.Match(url)
}

// Match matches the entry against url: "scheme://host[:port][/path?query]",
// or a bare host, which stands for undecrypted HTTPS ("https://host", the
// URL FMC logs for it). The host compares as lower-case A-labels; a port
// on it is dropped and noted.
func (o Object) Match(url string) (Result, string) {
	if url == "" {
		return NoMatch, "no URL"
	}
	return o.matchTarget(parseTarget(url))
}

// matchTarget is Match on a parsed URL.
func (o Object) matchTarget(t target) (Result, string) {
	return matchWithPort(o.port, t, o.match)
}

// matchWithPort runs match (which ignores the entry's port) on t. A port
// in an entry is undocumented, but no reading of it makes the entry match
// a host that its host part does not: only a match (or an already
// unspecified one) becomes Unspecified, with the answer without the port
// as a hint.
func matchWithPort(port string, t target, match func(target) (Result, string)) (Result, string) {
	r, why := match(t)
	if port != "" && r != NoMatch {
		return Unspecified, withNotes(fmt.Sprintf("port :%s in the entry is undocumented (without it: %s)", port, r), t.notes())
	}
	if port != "" {
		why = fmt.Sprintf("%s (whatever the undocumented port :%s in the entry does)", why, port)
	}
	return r, withNotes(why, t.notes())
}

// match evaluates the entry as written and with trailing dots removed; a
// trailing dot is undocumented, so differing answers are Unspecified.
func (o Object) match(t target) (Result, string) {
	raw, why := o.matchOnce(t)
	if !hasDot(o.host) && !hasDot(t.host) {
		return raw, why
	}
	o.host, t.host = trimDot(o.host), trimDot(t.host)
	norm, nwhy := o.matchOnce(t)
	if raw == norm {
		return raw, why
	}
	return Unspecified, fmt.Sprintf("trailing dot: FMC's handling is undocumented (as written: %s; without the dot: %s, %s)", raw, norm, nwhy)
}

func (o Object) matchOnce(t target) (Result, string) {
	if !o.substr {
		r, why := hostMatch(o.host, t.host)
		if r == Match && o.upper {
			why += " (case ignored: assumed)"
		}
		return r, why
	}
	return o.matchSubstr(t)
}

// hostMatch is the host-only test of an entry without '/': the entry must
// start the host or follow a dot (or itself begin with a dot). FMC
// documents where a match starts, not where it ends: a match that stops
// before the end of the host ("cisco.com" in "cisco.com.evil.example") is
// Unspecified.
func hostMatch(e, h string) (Result, string) {
	if h == "" {
		return NoMatch, "no host"
	}
	if e == "" {
		return NoMatch, "empty entry"
	}
	res := NoMatch
	for i := 0; i+len(e) <= len(h); i++ {
		if h[i:i+len(e)] != e || (i > 0 && h[i-1] != '.' && e[0] != '.') {
			continue
		}
		if i+len(e) == len(h) {
			return Match, "host match at a label start"
		}
		res = Unspecified
	}
	if res == Unspecified {
		return res, "found at a label start but the host goes on after it: FMC does not document where a match must end"
	}
	return NoMatch, "not in the host at a label start"
}

// mayBeHost reports whether the entry's host part could be host h: empty
// (a path-only entry), or a host match or an unspecified one.
func (o Object) mayBeHost(h string) bool {
	if o.host == "" {
		return true
	}
	r, _ := hostMatch(o.host, h)
	return r != NoMatch
}

// text is the entry as the substring searched in the URL.
func (o Object) text() string {
	s := o.host + o.path
	if o.scheme != "" {
		s = o.scheme + "://" + s
	}
	return s
}

// matchSubstr is the test of an entry with '/': a substring of the URL,
// host part lower-cased. A hit that is not at the start, after a dot or
// after "://" is Unspecified (the newer cdFMC wording wants one of those).
// Path case is undocumented: both readings are tried.
func (o Object) matchSubstr(t target) (Result, string) {
	u := t.scheme + "://" + t.host + t.rest
	e := o.text()
	rs := substrResult(u, e)
	rf := substrResult(lowerASCII(u), lowerASCII(e))
	if rs != rf {
		return Unspecified, fmt.Sprintf("case of the path is undocumented (case-sensitive: %s; ignoring case: %s)", rs, rf)
	}
	switch rs {
	case Match:
		return Match, "substring of the URL at a label start"
	case Unspecified:
		return Unspecified, "substring of the URL but not at its start, after a dot or after ://: FMC's documents disagree"
	}
	if t.rest == "" && (o.path != "" || o.scheme != "") && o.mayBeHost(t.host) {
		if o.path != "" {
			return Unspecified, "the URL has no path (undecrypted HTTPS is logged as https://host): whether a path entry matches is undocumented"
		}
		return Unspecified, "protocol differs: FMC documents the protocol as ignored, yet the entry is not a substring of the URL"
	}
	if o.scheme != "" {
		q := o
		q.scheme = ""
		if substrResult(u, q.text()) != NoMatch {
			return Unspecified, "protocol differs: FMC documents the protocol as ignored, yet the entry is not a substring of the URL"
		}
	}
	return NoMatch, "not a substring of the URL"
}

// substrResult finds e in u: Match when some hit is at the start of u,
// after a dot, after "://", or e begins with a dot; Unspecified when every
// hit is elsewhere; NoMatch when there is none.
func substrResult(u, e string) Result {
	res := NoMatch
	if e == "" {
		return res
	}
	for off := 0; off+len(e) <= len(u); {
		j := strings.Index(u[off:], e)
		if j < 0 {
			break
		}
		i := off + j
		if i == 0 || u[i-1] == '.' || strings.HasSuffix(u[:i], "://") || e[0] == '.' {
			return Match
		}
		res = Unspecified
		off = i + 1
	}
	return res
}
