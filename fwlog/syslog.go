package fwlog

import (
	"bytes"
	"fmt"
	"net/netip"
	"unicode/utf8"
)

// tag is a syslog message tag such as "%FTD-1-430003:" at line[start:end].
type tag struct {
	start, end int
	id         int
}

// findTag finds the first message tag `%[A-Z]+-[0-7]-[0-9]{6}:` of a line.
func findTag(b []byte) (tag, bool) {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '%')
		if j < 0 {
			break
		}
		p := i + j
		if t, ok := tagAt(b, p); ok {
			return t, true
		}
		i = p + 1
	}
	return tag{}, false
}

func tagAt(b []byte, p int) (tag, bool) {
	i := p + 1
	for i < len(b) && 'A' <= b[i] && b[i] <= 'Z' && i-p <= 16 {
		i++
	}
	// facility, '-', severity 0-7, '-', six digits, ':'
	if i == p+1 || i+10 > len(b) || b[i] != '-' || b[i+1] < '0' || b[i+1] > '7' || b[i+2] != '-' || b[i+9] != ':' {
		return tag{}, false
	}
	id, ok := atoi(b[i+3 : i+9])
	if !ok {
		return tag{}, false
	}
	return tag{start: p, end: i + 10, id: id}, true
}

// The keys of a connection event body that are read.
const (
	kSrcIP = iota
	kDstIP
	kSrcPort
	kDstPort
	kProtocol
	kNATSrcIP
	kNATSrcPort
	kNATDstIP
	kNATDstPort
	kFirstPacket
	kConnID
	kURL
	kSNI
	kAction
	kRule
	kDuration
	nKeys
)

var keyNames = [nKeys]string{
	kSrcIP: "SrcIP", kDstIP: "DstIP", kSrcPort: "SrcPort", kDstPort: "DstPort", kProtocol: "Protocol",
	kNATSrcIP: "NAT_InitiatorIP", kNATSrcPort: "NAT_InitiatorPort", kNATDstIP: "NAT_ResponderIP", kNATDstPort: "NAT_ResponderPort",
	kFirstPacket: "FirstPacketSecond", kConnID: "ConnectionID", kURL: "URL", kSNI: "SSLServerName",
	kAction: "AccessControlRuleAction", kRule: "AccessControlRuleName", kDuration: "ConnectionDuration",
}

func keyIndex(k []byte) int {
	switch string(k) {
	case "SrcIP":
		return kSrcIP
	case "DstIP":
		return kDstIP
	case "SrcPort":
		return kSrcPort
	case "DstPort":
		return kDstPort
	case "Protocol":
		return kProtocol
	case "NAT_InitiatorIP":
		return kNATSrcIP
	case "NAT_InitiatorPort":
		return kNATSrcPort
	case "NAT_ResponderIP":
		return kNATDstIP
	case "NAT_ResponderPort":
		return kNATDstPort
	case "FirstPacketSecond":
		return kFirstPacket
	case "ConnectionID":
		return kConnID
	case "URL":
		return kURL
	case "SSLServerName":
		return kSNI
	case "AccessControlRuleAction":
		return kAction
	case "AccessControlRuleName":
		return kRule
	case "ConnectionDuration":
		return kDuration
	}
	return -1
}

// sysFields are the values of one body, views of the line.
type sysFields struct {
	v    [nKeys][]byte
	has  uint32 // bit k: key k was logged (the first one of a key counts)
	last int    // the key whose value runs to the end of the line (-1: none, or not one read)
	toks [maxTokens]span
}

func (f *sysFields) get(k int) ([]byte, bool) { return f.v[k], f.has&(1<<k) != 0 }

// maxKey caps the length of a key.
const maxKey = 40

func isKeyChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) || c == '_' || c == ' '
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// keyAt reports whether b[p:] starts with a key and ':': a letter, then
// letters, digits, '_' or spaces, at most maxKey in all, then ':' followed
// by a space, ',' or the end of the line. cut: b ends inside what can only
// be a key (a line cut short).
func keyAt(b []byte, p int) (end int, ok, cut bool) {
	if p >= len(b) || !isLetter(b[p]) {
		return 0, false, false
	}
	i := p + 1
	for i < len(b) && i-p < maxKey && isKeyChar(b[i]) {
		i++
	}
	if i == len(b) {
		return 0, false, true
	}
	if b[i] != ':' || b[i-1] == ' ' {
		return 0, false, false
	}
	if i+1 == len(b) || b[i+1] == ' ' || b[i+1] == ',' {
		return i, true, false
	}
	return 0, false, false
}

// valueEnd finds the end of the value starting at v: the first ", "
// followed by a key (or by a key cut short at the end of the line). next
// is where that key starts; both are len(b) when the value runs to the end.
func valueEnd(b []byte, v int) (end, next int) {
	for q := v; q < len(b); {
		i := bytes.Index(b[q:], []byte(", "))
		if i < 0 {
			break
		}
		i += q
		if _, ok, cut := keyAt(b, i+2); ok || cut {
			return i, i + 2
		}
		q = i + 1
	}
	return len(b), len(b)
}

// parse splits a body into `Key: Value` pairs (see valueEnd) and keeps the
// values of the keys read.
func (f *sysFields) parse(b []byte) {
	f.v, f.has, f.last = [nKeys][]byte{}, 0, -1
	p := 0
	for p < len(b) && b[p] == ' ' {
		p++
	}
	for p < len(b) {
		kEnd, ok, cut := keyAt(b, p)
		if cut {
			return // a key cut short: nothing of it is kept
		}
		if !ok { // not a key: go on at the next pair
			_, next := valueEnd(b, p)
			p = next
			continue
		}
		v := kEnd + 1
		for v < len(b) && b[v] == ' ' {
			v++
		}
		end, next := valueEnd(b, v)
		val := bytes.TrimRight(b[v:end], " ")
		k := keyIndex(b[p:kEnd])
		if end == len(b) {
			val = bytes.TrimRight(val, ", ")
			f.last = k
		}
		if k >= 0 && f.has&(1<<k) == 0 {
			f.v[k], f.has = val, f.has|1<<k
		}
		p = next
	}
}

// header is what the syslog header (the text before the message tag) says.
type header struct {
	c    clock
	ok   bool   // c was read
	bad  []byte // the text of a time that could not be read; nil when there was none
	host []byte
}

// parseHeader reads a syslog header leniently: an optional priority
// ("<166>", RFC 5424 Section 6.2.1 and RFC 3164 Section 4.1.1) and RFC 5424
// version, a time (see timeAt; of several, as when a relay put its own
// header in front, the last one: the device's), and the host: the last
// word before the tag that is not part of a time (RFC 5424: the first word
// after the time), a trailing ':' removed.
func parseHeader(h []byte, toks *[maxTokens]span) header {
	var hd header
	for len(h) > 0 && isSpace(h[0]) {
		h = h[1:]
	}
	if len(h) > 2 && h[0] == '<' {
		if j := bytes.IndexByte(h[:min(len(h), 6)], '>'); j > 1 && allDigits(h[1:j]) {
			h = h[j+1:]
		}
	}
	rfc5424 := len(h) > 1 && h[0] == '1' && h[1] == ' '
	if rfc5424 {
		h = h[2:]
	}
	ts, more := tokens(h, toks[:0])
	firstEnd := -1 // the token after the first time
	host, firstAfter := -1, -1
	for i := 0; i < len(ts); {
		if n, c, ok := timeAt(h, ts[i:]); n > 0 {
			if firstEnd < 0 {
				firstEnd = i + n
			}
			switch {
			case ok: // the last readable time: the device's own header, after any a relay put before it
				hd.c, hd.ok, hd.bad = c, true, nil
			case !hd.ok && hd.bad == nil:
				hd.bad = h[ts[i].s:ts[i+n-1].e]
			}
			i += n
			continue
		}
		if w := bytes.TrimRight(h[ts[i].s:ts[i].e], ":"); len(w) > 0 && string(w) != "-" {
			host = i
			if firstEnd >= 0 && firstAfter < 0 {
				firstAfter = i
			}
		}
		i++
	}
	if rfc5424 && firstEnd >= 0 {
		host = firstAfter
	}
	if more { // a long header: the host is its last word
		w := bytes.TrimRight(bytes.TrimSpace(h), ":")
		hd.host = bytes.TrimRight(w[bytes.LastIndexAny(w, " \t")+1:], ":")
	} else if host >= 0 {
		hd.host = bytes.TrimRight(h[ts[host].s:ts[host].e], ":")
	}
	return hd
}

// neededKeys are the keys without which a line is no event.
var neededKeys = [...]int{kSrcIP, kDstIP, kSrcPort, kDstPort}

// syslogLine reads one line of a syslog file; false when it is no event
// (counted as skipped or malformed, or an empty line).
func (r *Reader) syslogLine(line []byte, n int, ev *Event) bool {
	t, ok := findTag(line)
	if !ok {
		if len(bytes.TrimSpace(line)) > 0 {
			r.stats.Skipped++
		}
		return false
	}
	if t.id != idConnStart && t.id != idConnEnd {
		r.stats.Skipped++
		return false
	}
	f := &r.syslog
	f.parse(line[t.end:])
	for _, k := range neededKeys {
		if f.last == k {
			v, _ := f.get(k)
			r.stats.Malformed++
			r.warn(n, "connection event cut short in %s (%s)", keyNames[k], quote(v))
			return false
		}
	}
	src, ok := r.addrPort(f, kSrcIP, kSrcPort, n)
	var dst netip.AddrPort
	if ok {
		dst, ok = r.addrPort(f, kDstIP, kDstPort, n)
	}
	if !ok {
		r.stats.Malformed++
		return false
	}
	*ev = Event{File: r.name, Line: n, Format: FormatSyslog, ID: t.id, End: t.id == idConnEnd, Client: src, Server: dst}
	ev.NATClient = natAddrPort(f, kNATSrcIP, kNATSrcPort)
	ev.NATServer = natAddrPort(f, kNATDstIP, kNATDstPort)
	if v, ok := f.get(kProtocol); ok {
		ev.Protocol = protocol(&r.intern, v)
	}
	if v, ok := f.get(kURL); ok {
		ev.URL = get(&r.urls, v)
	}
	if v, ok := f.get(kSNI); ok {
		ev.SNI = get(&r.urls, v)
	}
	if v, ok := f.get(kAction); ok {
		ev.Action = get(&r.intern, v)
	}
	if v, ok := f.get(kRule); ok {
		ev.Rule = get(&r.intern, v)
	}
	if v, ok := f.get(kConnID); ok && len(v) > 0 {
		ev.ConnectionID = string(v)
	}
	var durOK bool
	if v, ok := f.get(kDuration); ok {
		ev.Duration, durOK = parseSeconds(v)
	}
	hd := parseHeader(line[:t.start], &f.toks)
	ev.Device = get(&r.intern, hd.host)
	r.syslogTime(f, &hd, durOK, n, ev)
	return true
}

// syslogTime sets the event's time: FirstPacketSecond, else the header
// time (minus ConnectionDuration for a 430003).
func (r *Reader) syslogTime(f *sysFields, hd *header, durOK bool, n int, ev *Event) {
	var fpsNote string
	if v, ok := f.get(kFirstPacket); ok {
		if t, ok := parseISO(v); ok {
			ev.Time, ev.TimeFrom = t, FromFirstPacket
			return
		}
		fpsNote = "cannot read FirstPacketSecond " + quote(v)
	}
	if hd.ok {
		ev.Time, ev.TimeFrom, ev.NoYear = hd.c.timeIn(r.loc, r.year), FromHeader, hd.c.noYear
		if durOK && ev.End {
			ev.Time, ev.TimeFrom = ev.Time.Add(-ev.Duration), FromHeaderDuration
		}
		if fpsNote != "" {
			ev.TimeNote = fpsNote + "; the header time is used"
			r.warn(n, "%s", ev.TimeNote)
		}
		return
	}
	note := "no time: neither FirstPacketSecond nor a time in the syslog header"
	if hd.bad != nil {
		note = "cannot read time " + quote(hd.bad)
	}
	if fpsNote != "" {
		note = fpsNote + "; " + note
	}
	ev.TimeNote = note
	r.stats.BadTime++
	r.warn(n, "%s", note)
}

// addrPort reads a needed address and port; false (warned) when either is
// missing or unreadable.
func (r *Reader) addrPort(f *sysFields, ki, kp int, n int) (netip.AddrPort, bool) {
	for _, k := range [2]int{ki, kp} {
		v, ok := f.get(k)
		good := false
		switch {
		case !ok:
		case k == ki:
			_, good = parseIP(v)
		default:
			_, good = parsePort(v, true)
		}
		if !good {
			if ok {
				r.warn(n, "connection event without a readable %s (%s)", keyNames[k], quote(v))
			} else {
				r.warn(n, "connection event without a readable %s (no %s key)", keyNames[k], keyNames[k])
			}
			return netip.AddrPort{}, false
		}
	}
	ip, _ := parseIP(f.v[ki])
	port, _ := parsePort(f.v[kp], true)
	return netip.AddrPortFrom(ip, port), true
}

// natAddrPort reads a translated address and port; zero when the address
// is not logged or unreadable (port 0 when only the port is).
func natAddrPort(f *sysFields, ki, kp int) netip.AddrPort {
	v, ok := f.get(ki)
	if !ok {
		return netip.AddrPort{}
	}
	ip, ok := parseIP(v)
	if !ok {
		return netip.AddrPort{}
	}
	port, _ := parsePort(f.v[kp], true)
	if f.has&(1<<kp) == 0 {
		port = 0
	}
	return netip.AddrPortFrom(ip, port)
}

// quote quotes a value for a one-line message, at most 60 bytes of it.
func quote[T string | []byte](v T) string {
	if len(v) > 60 {
		return fmt.Sprintf("%q…", cutAt(v, 60))
	}
	return fmt.Sprintf("%q", v)
}

// cutAt cuts v to at most n bytes, not inside a UTF-8 sequence.
func cutAt[T string | []byte](v T, n int) T {
	if len(v) <= n {
		return v
	}
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n]
}
