package fwlog

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/netip"
	"strings"
)

// role is what an FMC column holds.
type role uint8

const (
	colNone role = iota
	colFirstPacket
	colTime
	colLastPacket
	colClientIP
	colServerIP
	colClientPort
	colServerPort
	colProtocol
	colURL
	colSNI
	colAction
	colRule
	colReason
	colDevice
	colEventType
	colNATClientIP
	colNATClientPort
	colNATServerIP
	colNATServerPort
	colConnID
	nRoles
)

// aliases are the header names of each role, as FMC writes them (Analysis >
// Connections > Events, the Unified Events view, CSV reports); the first
// one of a role names it in messages. They are compared normalized (see
// normName): case, repeated spaces and spaces around '/' do not matter.
var aliases = []struct {
	role role
	name string
}{
	{colFirstPacket, "First Packet"},
	{colFirstPacket, "First Packet Time"},
	{colTime, "Time"},
	{colTime, "Event Time"},
	{colLastPacket, "Last Packet"},
	{colLastPacket, "Last Packet Time"},
	{colClientIP, "Source IP"},
	{colClientIP, "Initiator IP"},
	{colServerIP, "Destination IP"},
	{colServerIP, "Responder IP"},
	{colClientPort, "Source Port / ICMP Type"},
	{colClientPort, "Source Port"},
	{colClientPort, "Initiator Port"},
	{colServerPort, "Destination Port / ICMP Code"},
	{colServerPort, "Destination Port"},
	{colServerPort, "Responder Port"},
	{colProtocol, "Protocol"},
	{colURL, "URL"},
	{colSNI, "SSL Server Name"},
	{colSNI, "TLS Server Name"},
	{colSNI, "Server Name"},
	{colAction, "Action"},
	{colRule, "Access Control Rule"},
	{colRule, "Access Control Rule Name"},
	{colReason, "Reason"},
	{colDevice, "Device"},
	{colEventType, "Event Type"},
	{colNATClientIP, "Translated Source IP"},
	{colNATClientIP, "NAT Source IP"},
	{colNATClientIP, "NAT Initiator IP"},
	{colNATClientIP, "Translated Initiator IP"},
	{colNATClientPort, "Translated Source Port"},
	{colNATClientPort, "NAT Source Port"},
	{colNATClientPort, "NAT Initiator Port"},
	{colNATClientPort, "Translated Initiator Port"},
	{colNATServerIP, "Translated Destination IP"},
	{colNATServerIP, "NAT Destination IP"},
	{colNATServerIP, "NAT Responder IP"},
	{colNATServerIP, "Translated Responder IP"},
	{colNATServerPort, "Translated Destination Port"},
	{colNATServerPort, "NAT Destination Port"},
	{colNATServerPort, "NAT Responder Port"},
	{colNATServerPort, "Translated Responder Port"},
	{colConnID, "Connection ID"},
}

// neededRoles are the columns without which a row is no event.
var neededRoles = [...]role{colClientIP, colServerIP, colClientPort, colServerPort}

// aliasRole maps a normalized alias to its role.
var aliasRole = func() map[string]role {
	m := make(map[string]role, len(aliases))
	for _, a := range aliases {
		m[normName(a.name)] = a.role
	}
	return m
}()

// normName normalizes a header cell: lower case, spaces trimmed and
// collapsed, none around '/'.
func normName(s string) string {
	var b strings.Builder
	space := false
	words(s, func(w string) bool {
		if space && !strings.HasPrefix(w, "/") && !strings.HasSuffix(b.String(), "/") {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToLower(w))
		space = true
		return false
	})
	return b.String()
}

// cutName removes the mark of a name the UI cut ("…" or "..." at the end).
func cutName(s string) (string, bool) {
	for _, e := range []string{"…", "..."} {
		if t, ok := strings.CutSuffix(s, e); ok {
			return trimSpace(t), true
		}
	}
	return s, false
}

// roleOf maps a header cell to its role: exactly, or for a cut name the
// one role whose aliases it is a prefix of.
func roleOf(cell string) role {
	name, cut := cutName(cell)
	n := normName(name)
	if n == "" {
		return colNone
	}
	if r, ok := aliasRole[n]; ok && !cut {
		return r
	}
	if !cut {
		return colNone
	}
	found := colNone
	for a, r := range aliasRole {
		if strings.HasPrefix(a, n) {
			if found != colNone && found != r {
				return colNone // ambiguous
			}
			found = r
		}
	}
	return found
}

// fmcHeader is a header row mapped to roles.
type fmcHeader struct {
	tsv   bool
	cells []string    // as written, spaces trimmed
	col   [nRoles]int // cell index of each role; -1 when absent
	known int         // roles found
}

// splitCSV splits one line as CSV.
func splitCSV(line []byte) []string {
	cr := newCSV(bytes.NewReader(line))
	rec, err := cr.Read()
	if err != nil {
		return nil
	}
	return rec
}

func newCSV(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.LazyQuotes, cr.FieldsPerRecord, cr.ReuseRecord, cr.TrimLeadingSpace = true, -1, true, true
	return cr
}

// splitTSV splits s on tabs into cells, reusing its storage.
func splitTSV(s string, cells []string) []string {
	cells = cells[:0]
	for {
		i := strings.IndexByte(s, '\t')
		if i < 0 {
			return append(cells, s)
		}
		cells = append(cells, s[:i])
		s = s[i+1:]
	}
}

// mapHeader maps the cells of a line that may be a header row.
func mapHeader(line []byte) *fmcHeader {
	h := &fmcHeader{tsv: bytes.IndexByte(line, '\t') >= 0}
	for i := range h.col {
		h.col[i] = -1
	}
	var cells []string
	if h.tsv {
		cells = splitTSV(string(line), nil)
	} else {
		cells = splitCSV(line)
	}
	if len(cells) < 2 {
		return h
	}
	h.cells = make([]string, len(cells))
	for i, c := range cells {
		h.cells[i] = trimSpace(c)
		if r := roleOf(h.cells[i]); r != colNone && h.col[r] < 0 {
			h.col[r] = i
			h.known++
		}
	}
	return h
}

func (h *fmcHeader) complete() bool {
	for _, r := range neededRoles {
		if h.col[r] < 0 {
			return false
		}
	}
	return true
}

// missing says which needed columns the header lacks, with the aliases
// accepted, and which cells it has.
func (h *fmcHeader) missing() string {
	var b strings.Builder
	b.WriteString("needs ")
	first := true
	for _, r := range neededRoles {
		if h.col[r] >= 0 {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		var names []string
		for _, a := range aliases {
			if a.role == r {
				names = append(names, a.name)
			}
		}
		b.WriteString(names[0])
		if len(names) > 1 {
			b.WriteString(" (or " + strings.Join(names[1:], ", ") + ")")
		}
	}
	b.WriteString(": has ")
	n := 0
	for _, c := range h.cells {
		if c == "" {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		if n == 30 {
			b.WriteString("…")
			break
		}
		if len(c) > 40 {
			c = string(cutAt(c, 40)) + "…"
		}
		b.WriteString(oneLine(c))
		n++
	}
	return b.String()
}

// fmcState reads the rows after the header.
type fmcState struct {
	h        *fmcHeader
	timeCol  int    // -1: no time column
	timeFrom string // "column First Packet"
	timeNote string // for Last Packet: why the time is approximate
	need     int    // the cells a row needs: one past the last needed column
	feed     lineFeed
	csv      *csv.Reader
	cells    []string
}

// lineFeed gives the CSV reader one line at a time, then io.EOF: a record is
// one line, so that a line cut inside quotes cannot swallow the next ones.
// (bufio.Reader and csv.Reader read on after an io.EOF.)
type lineFeed struct {
	line []byte
	off  int
}

func (f *lineFeed) Read(p []byte) (int, error) {
	if f.off >= len(f.line) {
		return 0, io.EOF
	}
	n := copy(p, f.line[f.off:])
	f.off += n
	return n, nil
}

// startFMC prepares reading rows after the header row on line n.
func (r *Reader) startFMC(h *fmcHeader, n int) {
	s := &fmcState{h: h, timeCol: -1}
	for _, tr := range []role{colFirstPacket, colTime, colLastPacket} {
		if c := h.col[tr]; c >= 0 {
			s.timeCol, s.timeFrom = c, "column "+h.cells[c]
			if tr == colLastPacket {
				s.timeNote = "the time of the last packet (" + s.timeFrom + "): the connection started earlier"
			}
			break
		}
	}
	if s.timeCol < 0 {
		r.warn(n, "the header has no time column (First Packet, Time or Last Packet): events have no time")
	}
	for _, nr := range neededRoles {
		s.need = max(s.need, h.col[nr]+1)
	}
	if !h.tsv {
		s.csv = newCSV(&s.feed)
	}
	r.fmc = s
}

// fmcLine reads one row; false when it is no event.
func (r *Reader) fmcLine(line []byte, n int, ev *Event) bool {
	s := r.fmc
	var cells []string
	if s.h.tsv {
		s.cells = splitTSV(string(line), s.cells)
		cells = s.cells
	} else {
		s.feed.line, s.feed.off = line, 0
		rec, err := s.csv.Read()
		if err != nil { // io.EOF: an empty line (a CSV reader returns no other error here)
			return false
		}
		cells = rec
	}
	blank := true
	for i := range cells {
		cells[i] = trimSpace(cells[i])
		blank = blank && cells[i] == ""
	}
	if blank {
		return false
	}
	h := s.h
	if len(cells) < s.need {
		r.stats.Malformed++
		r.warn(n, "row has %d cells, the needed columns take %d (a cut line?)", len(cells), s.need)
		return false
	}
	if c := h.col[colClientIP]; cells[c] == h.cells[c] { // the header again (exports pasted one after another)
		r.stats.Skipped++
		return false
	}
	if c := h.col[colEventType]; c >= 0 && c < len(cells) && !connectionType(cells[c]) {
		r.stats.Skipped++
		return false
	}
	if last := len(cells) - 1; len(cells) < len(h.cells) && cells[last] != "" {
		for _, nr := range neededRoles {
			if h.col[nr] == last {
				r.stats.Malformed++
				r.warn(n, "row cut short in column %s (%s)", h.cells[last], quote(cells[last]))
				return false
			}
		}
	}
	cell := func(rl role) string {
		if c := h.col[rl]; c >= 0 && c < len(cells) {
			return cells[c]
		}
		return ""
	}
	var ips [2]netip.Addr
	var ports [2]uint16
	var protos [2]string
	for i, rl := range neededRoles {
		v := cell(rl)
		ok := false
		if i < 2 {
			ips[i], ok = cellIP(v)
		} else {
			ports[i-2], protos[i-2], ok = cellPort(v)
		}
		if !ok {
			r.stats.Malformed++
			r.warn(n, "connection event without a readable %s (%s)", h.cells[h.col[rl]], quote(v))
			return false
		}
	}
	*ev = Event{File: r.name, Line: n, Format: FormatFMC,
		Client: netip.AddrPortFrom(ips[0], ports[0]), Server: netip.AddrPortFrom(ips[1], ports[1])}
	ev.NATClient = cellNAT(cell(colNATClientIP), cell(colNATClientPort))
	ev.NATServer = cellNAT(cell(colNATServerIP), cell(colNATServerPort))
	switch {
	case cell(colProtocol) != "":
		ev.Protocol = protocol(&r.intern, cell(colProtocol))
	case protos[1] != "":
		ev.Protocol = protocol(&r.intern, protos[1])
	case protos[0] != "":
		ev.Protocol = protocol(&r.intern, protos[0])
	}
	ev.URL = get(&r.urls, cell(colURL))
	ev.SNI = get(&r.urls, cell(colSNI))
	ev.Action = get(&r.intern, cell(colAction))
	ev.Rule = get(&r.intern, cell(colRule))
	ev.Device = get(&r.intern, cell(colDevice))
	ev.ConnectionID = strings.Clone(cell(colConnID))
	r.fmcTime(cells, n, ev)
	return true
}

func (r *Reader) fmcTime(cells []string, n int, ev *Event) {
	s := r.fmc
	if s.timeCol < 0 {
		ev.TimeNote = "no time column"
		r.stats.BadTime++
		return
	}
	v := ""
	if s.timeCol < len(cells) {
		v = cells[s.timeCol]
	}
	var toks [maxTokens]span
	ts, more := tokens(v, toks[:0])
	if k, c, ok := timeAt(v, ts); ok && k == len(ts) && !more {
		ev.Time, ev.TimeFrom, ev.TimeNote = c.timeIn(r.loc, r.year), s.timeFrom, s.timeNote
		return
	}
	if v == "" {
		ev.TimeNote = "no time in " + s.timeFrom
	} else {
		ev.TimeNote = "cannot read time " + quote(v) + " in " + s.timeFrom
	}
	r.stats.BadTime++
	r.warn(n, "%s", ev.TimeNote)
}

// connectionType reports whether an Event Type cell is a connection event
// (or empty): "Connection", "Connection Event", and "Security
// Intelligence", which FMC logs as connection events.
func connectionType(v string) bool {
	v = strings.ToLower(v)
	return v == "" || strings.HasPrefix(v, "connection") || strings.HasPrefix(v, "security intelligence")
}

// cellIP reads an address from a cell, which a paste may decorate with a
// country or a host name: the first word that is an address.
func cellIP(v string) (ip netip.Addr, ok bool) {
	words(v, func(w string) bool {
		ip, ok = parseIP(strings.Trim(w, "(),;"))
		return ok
	})
	return ip, ok
}

// cellPort reads "443 (https) / tcp", "40722 / tcp" or "443": the port,
// and the protocol after the last '/' when there is one.
func cellPort(v string) (port uint16, proto string, ok bool) {
	port, ok = parsePort(v, false)
	if i := strings.LastIndexByte(v, '/'); i >= 0 {
		proto = trimSpace(v[i+1:])
	}
	return port, proto, ok
}

// cellNAT reads a translated address and port; zero when the address cell
// is empty or unreadable.
func cellNAT(ipCell, portCell string) netip.AddrPort {
	ip, ok := cellIP(ipCell)
	if !ok {
		return netip.AddrPort{}
	}
	port, _, _ := cellPort(portCell)
	return netip.AddrPortFrom(ip, port)
}
