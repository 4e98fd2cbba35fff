package analysis

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tsid-project/tsid/sniid"
	"golang.org/x/net/idna"
)

// Names as sent: a record shows every name exactly, and only valid UTF-8.

// escapeNonUTF8 writes every byte of s that is not part of valid UTF-8 as
// the four characters \xNN, as the table shows it, and reports whether
// there was one. JSON cannot carry such bytes: encoding/json would put
// U+FFFD in their place, and the user would read another name than the
// one sent, with no sign of it. A name holding the text "\xff" itself
// looks the same; the name-not-utf8 anomaly tells them apart.
func escapeNonUTF8(s string) (string, bool) {
	if utf8.ValidString(s) {
		return s, false
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, '\\', 'x', hex[s[i]>>4], hex[s[i]&0xf])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b), true
}

// utf8Check escapes the strings of a record with escapeNonUTF8 and
// remembers which keys needed it, each once.
type utf8Check struct{ bad []string }

func (u *utf8Check) note(key string) {
	for _, k := range u.bad {
		if k == key {
			return
		}
	}
	u.bad = append(u.bad, key)
}

func (u *utf8Check) str(key string, s *string) {
	if e, changed := escapeNonUTF8(*s); changed {
		*s = e
		if key != "" {
			u.note(key)
		}
	}
}

// list escapes the elements of *l, copying the slice first when one
// changes: it may be the parser's, which is shared.
func (u *utf8Check) list(key string, l *[]string) {
	copied := false
	for i, s := range *l {
		e, changed := escapeNonUTF8(s)
		if !changed {
			continue
		}
		if !copied {
			*l = append([]string(nil), *l...)
			copied = true
		}
		(*l)[i] = e
		if key != "" {
			u.note(key)
		}
	}
}

// oddName reports whether a name the firewall compares holds a byte that
// is not printable ASCII (a space is printable): NUL, control characters,
// escape sequences, DEL, bytes that are not UTF-8, or raw UTF-8, which is
// not a valid host_name (RFC 6066, Section 3: A-labels only). IDNA
// A-labels are ASCII and fine, unless they decode (uni) to a rune that is
// not printable, such as a right-to-left override.
func oddName(raw, uni string) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] >= 0x7f {
			return true
		}
	}
	for _, r := range uni {
		if !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// unicodeName returns name with its IDNA A-labels ("xn--", in any case)
// decoded to Unicode, or "" when it has none. Decoding is punycode only
// (idna.Punycode): no mapping and no validation, so an odd but real name
// is shown rather than refused. ok is false when an A-label does not
// decode: bad punycode, bytes that are not UTF-8, a result in ASCII, or a
// code point that is no character (a surrogate, which Go would turn into
// U+FFFD without a word).
func unicodeName(name string) (uni string, ok bool) {
	if !hasACE(name) {
		return "", true // most names: no label to decode, nothing to split
	}
	labels := strings.Split(name, ".")
	ace := false
	for i, l := range labels {
		if len(l) < 4 || !strings.EqualFold(l[:4], "xn--") {
			continue
		}
		ace = true
		if !utf8.ValidString(l) {
			return "", false
		}
		// idna knows only the lower-case prefix; the rest of a label is
		// case-insensitive punycode already.
		u, err := idna.Punycode.ToUnicode("xn--" + l[4:])
		if err != nil || u == "" || strings.ContainsRune(u, utf8.RuneError) {
			return "", false
		}
		labels[i] = u
	}
	if !ace {
		return "", true
	}
	return strings.Join(labels, "."), true
}

// hasACE reports whether name may hold an IDNA A-label: "xn--" in any
// case at its start or after a dot.
func hasACE(name string) bool {
	for i := 0; i+4 <= len(name); i++ {
		if (i == 0 || name[i-1] == '.') && strings.EqualFold(name[i:i+4], "xn--") {
			return true
		}
	}
	return false
}

// escapeRecord makes every string of r valid UTF-8 (escapeNonUTF8), so
// that no output shows another name than the one sent. Each key of the
// JSON contract that needed it gets an anomaly name-not-utf8:<key>
// (certBad: those of the certificate, escaped once per certificate);
// profiles and explain repeat those names and are escaped silently.
func escapeRecord(r *Record, certBad []string) {
	var u utf8Check
	u.str("", &r.File)
	u.str("sni", &r.SNI)
	u.list("server_names", &r.ServerNames)
	u.str("sni_unicode", &r.SNIUnicode)
	u.list("dns_names", &r.DNSNames)
	u.str("connect_name", &r.ConnectName)
	if lg := r.Logged; lg != nil { // a log file's bytes are as untrusted as a capture's
		u.str("logged.url", &lg.URL)
		u.str("logged.host", &lg.Host)
		u.str("logged.sni", &lg.SNI)
		u.str("logged.action", &lg.Action)
		u.str("logged.rule", &lg.Rule)
	}
	u.str("host", &r.Host)
	u.str("host_unicode", &r.HostUnicode)
	u.str("url", &r.URL)
	u.list("alpn", &r.ALPN)
	u.str("", &r.HostUnknown)
	u.list("", &r.Flags)
	for _, k := range certBad {
		u.note(k)
	}
	u.list("", &r.Anomalies)
	for p, hp := range r.Profiles {
		if !utf8.ValidString(hp.Host) || !utf8.ValidString(hp.Unknown) {
			u.str("", &hp.Host)
			u.str("", &hp.Unknown)
			r.Profiles[p] = hp
		}
	}
	if e := r.Explain; e != nil {
		for i := range e.Candidates {
			u.str("", &e.Candidates[i].Value)
			u.str("", &e.Candidates[i].Field)
		}
		steps := func(tr []sniid.TraceStep) {
			for i := range tr {
				u.str("", &tr[i].Value)
				u.str("", &tr[i].Why)
			}
		}
		steps(e.Steps)
		for _, tr := range e.Profiles {
			steps(tr)
		}
	}
	for _, k := range u.bad {
		r.Anomalies = append(r.Anomalies, "name-not-utf8:"+k)
	}
	r.NamesEscaped = len(u.bad) > 0
}
