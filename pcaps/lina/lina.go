package lina

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Caps on what one input may make the Parser hold.
const (
	MaxLine     = 64 << 10 // longer lines are cut (warned)
	MaxPacket   = 64 << 10 // hex beyond this in one packet is skipped (warned)
	MaxWarnings = 1000     // warnings kept; the rest are counted
)

// Start tells where a packet's bytes begin.
type Start uint8

const (
	StartNone     Start = iota // no hex: a plain or detail listing
	StartEthernet              // at the Ethernet header (newer ASA)
	StartIP                    // at the IPv4 or IPv6 header (older ASA, FTD)
)

func (s Start) String() string {
	switch s {
	case StartEthernet:
		return "Ethernet"
	case StartIP:
		return "IP"
	}
	return "none"
}

// Packet is one record of a capture listing.
type Packet struct {
	Line      int           // line of the header line, from 1
	Number    int           // the packet number LINA printed
	TimeOfDay time.Duration // since midnight, as printed
	Time      time.Time     // the date (see SetDate) plus TimeOfDay, a day on per midnight crossed
	Section   int           // which capture of the file, from 1
	Desc      string        // the description, continuation lines joined with one space

	Data  []byte // the bytes of the dump; nil for a listing without hex
	Start Start  // where Data begins; StartNone when Data is empty
	// Guessed: neither test (or both) decided where the dump starts;
	// Start is the previous packet's (warned).
	Guessed bool
	// Length is the frame length the headers declare (L2 header plus
	// IP total length), 0 when unknown. Data may be longer (Ethernet
	// padding).
	Length    int
	Truncated bool // Length > len(Data): cut by packet-length, headers-only or the end of the output
	Damaged   bool // bad offset or hex, or cut off: Data holds the bytes before the damage
}

// Warning is something odd in the input that did not stop the reading.
type Warning struct {
	Line int // from 1; 0 when it concerns no single line
	Msg  string
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("line %d: %s", w.Line, w.Msg)
	}
	return w.Msg
}

// slot is a packet being read, with buffers reused from packet to packet.
type slot struct {
	Packet
	desc     []byte
	data     []byte
	hexDone  bool // hex after damage (or past MaxPacket) is skipped
	hasHex   bool
	lastHex  int // line of the last hex line
	mac      [12]byte
	hasMAC   bool // a detail header line gave the MAC addresses
	frameLen int  // "Length: N" of a detail header line
}

// Parser reads a LINA capture listing one packet at a time. It is not
// safe for concurrent use.
type Parser struct {
	rd    *bufio.Reader
	line  int
	off   int64
	eof   bool
	ioErr error
	long  []byte // a line cut at MaxLine

	date time.Time

	slots    [2]slot
	cur      int  // index of the slot being read
	building bool // slots[cur] holds a packet

	section    int
	inSection  bool
	records    int // packets read in this section
	lastNum    int
	orphanSeen bool // a hex line without a header was warned about in this section
	oddSeen    bool // a line not understood was warned about in this section

	day        int
	prevTOD    time.Duration
	haveTime   bool
	secFirst   time.Time // the first packet of the current section
	newSection bool      // the next packet is the first of a later section

	lastStart Start // of the last packet whose start was decided
	listed    int   // packets without hex

	pagers    int // pager prompts seen
	lastPager int // line of the last one

	warns   []Warning
	dropped int
	name    string
}

// maxPagerWarnings: pager prompts named one by one; the rest are counted.
const maxPagerWarnings = 3

// NewParser reads a listing from r. Times are dated 1970-01-01 until
// SetDate says otherwise.
func NewParser(r io.Reader) *Parser {
	return &Parser{
		rd:   bufio.NewReaderSize(r, MaxLine),
		date: time.Unix(0, 0).UTC(),
	}
}

// SetDate sets the date of the first packet's time of day; call it before
// the first Next. Only its year, month and day count.
func (p *Parser) SetDate(d time.Time) {
	p.date = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// Warnings returns the warnings so far, in input order; past MaxWarnings
// the last one says how many more there were.
func (p *Parser) Warnings() []Warning {
	if p.dropped == 0 {
		return p.warns
	}
	return append(p.warns[:len(p.warns):len(p.warns)], Warning{Msg: fmt.Sprintf("%d more warnings not shown", p.dropped)})
}

// Offset returns the number of input bytes consumed.
func (p *Parser) Offset() int64 { return p.off }

// Listed returns the number of packets so far that had no hex.
func (p *Parser) Listed() int { return p.listed }

// CaptureName returns the capture's name from an echoed `show capture NAME`
// command, or "" when none was seen.
func (p *Parser) CaptureName() string { return p.name }

func (p *Parser) warnf(line int, format string, args ...any) {
	if len(p.warns) >= MaxWarnings {
		p.dropped++
		return
	}
	p.warns = append(p.warns, Warning{line, fmt.Sprintf(format, args...)})
}

// Next returns the next packet, valid until the following call. At the end
// of the input it returns io.EOF, or the read error that ended it.
func (p *Parser) Next() (*Packet, error) {
	for {
		line, ok := p.readLine()
		if !ok {
			pk := p.endSection(true, p.line)
			if pk != nil {
				return pk, nil
			}
			if n := p.pagers - maxPagerWarnings; n > 0 {
				p.warnf(p.lastPager, "%d more pager prompts skipped, the last one here", n)
				p.pagers = maxPagerWarnings
			}
			if p.ioErr != nil {
				return nil, p.ioErr
			}
			return nil, io.EOF
		}
		if pk := p.handle(line); pk != nil {
			return pk, nil
		}
	}
}

// readLine returns the next line without its line end, cut at MaxLine.
func (p *Parser) readLine() ([]byte, bool) {
	if p.eof {
		return nil, false
	}
	b, err := p.rd.ReadSlice('\n')
	n := len(b)
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = p.rd.ReadSlice('\n')
			n += len(b)
		}
		b = p.long
		p.warnf(p.line+1, "line longer than %d bytes: the rest of it is skipped", MaxLine)
	}
	p.off += int64(n)
	if err != nil {
		p.eof = true
		if err != io.EOF {
			p.ioErr = err
		}
		if n == 0 {
			return nil, false
		}
	}
	p.line++
	if p.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a BOM from a Windows editor
	}
	b = bytes.TrimRight(b, "\r\n")
	return b, true
}

// Pager prompts that a paste may carry.
var pagerMarks = [][]byte{[]byte("<--- More --->"), []byte("--More--")}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// handle reads one line; it returns a packet that the line completed.
func (p *Parser) handle(b []byte) *Packet {
	for _, m := range pagerMarks {
		if i := bytes.Index(b, m); i >= 0 {
			// Each page of a long paste has one: the first few are
			// named, the rest counted (see Next).
			if p.pagers++; p.pagers <= maxPagerWarnings {
				p.warnf(p.line, "pager prompt %q skipped (lines may be missing here; 'terminal pager 0' turns the pager off)", m)
			}
			p.lastPager = p.line
			b = b[i+len(m):]
			// The pager erases itself with backspaces or a carriage
			// return before the next line is printed.
			if j := bytes.LastIndexByte(b, '\b'); j >= 0 {
				b = b[j+1:]
			}
			break
		}
	}
	// A carriage return inside a line: what follows it was printed over
	// what came before.
	if j := bytes.LastIndexByte(b, '\r'); j >= 0 {
		b = b[j+1:]
	}
	t := trimLeft(b)
	if len(trimRight(t)) == 0 {
		return nil
	}
	if n, word, ok := countLine(t); ok {
		if word == "captured" {
			pk := p.endSection(true, p.line-1)
			p.startSection()
			return pk
		}
		pk := p.finish(false)
		if !p.inSection {
			return pk // a stray line: no capture is open
		}
		if p.records != n {
			p.warnf(p.line, "%q but %d packets were read in this capture: part of the output is missing", string(trimRight(t)), p.records)
		}
		p.inSection = false
		return pk
	}
	if len(t) >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		p.hexLine(t)
		return nil
	}
	if num, tod, desc, ok := parseHeader(t); ok {
		return p.header(num, tod, desc)
	}
	if len(t) == len(b) { // no indentation
		if cmd, ok := prompt(b); ok {
			p.command(cmd)
			return p.endSection(true, p.line-1)
		}
	}
	s := &p.slots[p.cur]
	if len(t) < len(b) && p.building {
		s.desc = append(append(s.desc, ' '), trimRight(t)...)
		return nil
	}
	if p.inSection && !p.oddSeen {
		p.oddSeen = true
		p.warnf(p.line, "line not understood, skipped (so are further ones in this capture)")
	}
	return nil
}

// countLine matches "N packet(s) captured" and "N packet(s) shown".
func countLine(t []byte) (int, string, bool) {
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 || i > 9 {
		return 0, "", false
	}
	n, _ := strconv.Atoi(string(t[:i]))
	rest := trimRight(t[i:])
	for _, w := range []string{"captured", "shown"} {
		if string(rest) == " packets "+w || string(rest) == " packet "+w {
			return n, w, true
		}
	}
	return 0, "", false
}

func (p *Parser) startSection() {
	p.section++
	p.inSection = true
	p.records, p.lastNum = 0, 0
	p.orphanSeen, p.oddSeen = false, false
	if p.haveTime {
		p.newSection = true
	}
	if p.section == 2 {
		p.warnf(p.line, "another capture starts here; its packets are read together with the ones before")
	}
}

// endSection finishes the current packet and section; cut says the
// output stopped without "N packets shown" (at line last).
func (p *Parser) endSection(cut bool, last int) *Packet {
	if !p.inSection {
		return p.finish(false)
	}
	p.inSection = false
	if cut {
		p.warnf(last, "the capture output ends here without its 'N packets shown' line: it was cut off")
	}
	return p.finish(cut)
}

// prompt recognizes a CLI prompt ("asa# ", "asa/pri/act(config)# ",
// "firepower> ", "> ") and returns the command typed after it.
func prompt(b []byte) ([]byte, bool) {
	i := 0
	for i < len(b) && (isAlnum(b[i]) || bytes.IndexByte([]byte("-_./()@"), b[i]) >= 0) {
		i++
	}
	// FTD's CLISH prompt is a bare "> "; a "#" prompt has a host name.
	if i >= len(b) || b[i] != '>' && (b[i] != '#' || i == 0) {
		return nil, false
	}
	if i+1 < len(b) && b[i+1] != ' ' {
		return nil, false
	}
	return trimRight(trimLeft(b[i+1:])), true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// command notes the capture name of an echoed `show capture NAME …`.
func (p *Parser) command(cmd []byte) {
	f := bytes.Fields(cmd)
	if len(f) < 3 || len(f[0]) < 2 || !bytes.HasPrefix([]byte("show"), f[0]) ||
		len(f[1]) < 3 || !bytes.HasPrefix([]byte("capture"), f[1]) {
		return
	}
	switch string(f[2]) {
	case "detail", "dump", "count", "packet-number", "trace", "decode", "access-list", "asp-drop", "|":
		return
	}
	p.name = string(f[2])
}

// parseHeader matches `N: HH:MM:SS.frac  description`.
func parseHeader(t []byte) (num int, tod time.Duration, desc []byte, ok bool) {
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 || i > 9 || i+2 > len(t) || t[i] != ':' || t[i+1] != ' ' {
		return
	}
	num, _ = strconv.Atoi(string(t[:i]))
	t = trimLeft(t[i+1:])
	var f [3]int
	j := 0
	for k := range f {
		n := 0
		for j < len(t) && n < 2 && t[j] >= '0' && t[j] <= '9' {
			f[k] = f[k]*10 + int(t[j]-'0')
			j++
			n++
		}
		sep := byte(':')
		if k == 2 {
			sep = '.'
		}
		if n == 0 || n == 1 && k > 0 || j >= len(t) || t[j] != sep {
			return
		}
		j++
	}
	if f[0] > 23 || f[1] > 59 || f[2] > 59 {
		return
	}
	var frac, digits int
	for j < len(t) && t[j] >= '0' && t[j] <= '9' {
		if digits < 9 {
			frac = frac*10 + int(t[j]-'0')
			digits++
		}
		j++
	}
	if digits == 0 || j < len(t) && !isSpace(t[j]) {
		return
	}
	for ; digits < 9; digits++ {
		frac *= 10
	}
	tod = time.Duration(f[0])*time.Hour + time.Duration(f[1])*time.Minute +
		time.Duration(f[2])*time.Second + time.Duration(frac)
	return num, tod, trimRight(trimLeft(t[j:])), true
}

// header starts a packet; it returns the one it ends.
func (p *Parser) header(num int, tod time.Duration, desc []byte) *Packet {
	pk := p.finish(false)
	if !p.inSection {
		p.startSection()
	}
	if p.lastNum > 0 && num != p.lastNum+1 {
		p.warnf(p.line, "packet numbers jump from %d to %d: packets are missing here", p.lastNum, num)
	}
	p.lastNum = num
	p.records++
	p.orphanSeen = false
	s := &p.slots[p.cur]
	s.Packet = Packet{Line: p.line, Number: num, TimeOfDay: tod, Section: p.section}
	s.desc = append(s.desc[:0], desc...)
	s.data = s.data[:0]
	s.hexDone, s.hasHex, s.hasMAC, s.frameLen = false, false, false, 0
	s.hasMAC, s.frameLen = parseMACs(desc, &s.mac)
	p.building = true
	return pk
}

// parseMACs reads a detail header: `MAC MAC 0xTYPE Length: N`.
func parseMACs(d []byte, mac *[12]byte) (bool, int) {
	f := bytes.Fields(d)
	if len(f) < 5 || string(f[3]) != "Length:" || !bytes.HasPrefix(f[2], []byte("0x")) {
		return false, 0
	}
	for k := range 2 {
		m := f[k]
		if len(m) != 14 || m[4] != '.' || m[9] != '.' {
			return false, 0
		}
		hex := append(append(append([]byte{}, m[0:4]...), m[5:9]...), m[10:14]...)
		for i := range 6 {
			v, err := strconv.ParseUint(string(hex[2*i:2*i+2]), 16, 8)
			if err != nil {
				return false, 0
			}
			mac[6*k+i] = byte(v)
		}
	}
	n, err := strconv.Atoi(string(f[4]))
	if err != nil {
		return false, 0
	}
	return true, n
}

func (p *Parser) hexLine(t []byte) {
	s := &p.slots[p.cur]
	if !p.building {
		if !p.orphanSeen {
			p.orphanSeen = true
			p.warnf(p.line, "hex lines without a packet header line before them are skipped")
		}
		return
	}
	s.hasHex = true
	s.lastHex = p.line
	if s.hexDone {
		return
	}
	off, data, ok := parseHex(t, s.data)
	switch {
	case !ok:
		p.damage(s, "hex line not understood")
	case off != len(s.data):
		p.damage(s, fmt.Sprintf("hex offset 0x%04x where 0x%04x was expected", off, len(s.data)))
	case len(data) > MaxPacket:
		s.hexDone = true
		p.warnf(p.line, "packet %d: more than %d bytes of hex; the rest is skipped", s.Number, MaxPacket)
	default:
		s.data = data
	}
}

func (p *Parser) damage(s *slot, why string) {
	s.Damaged, s.hexDone = true, true
	p.warnf(p.line, "packet %d: %s; its bytes from here on are dropped", s.Number, why)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// parseHex appends the bytes of one hex line (`0xOOOO gggg gggg …  ascii`)
// to dst and returns the offset the line gives.
func parseHex(t, dst []byte) (off int, out []byte, ok bool) {
	i := 2
	for i < len(t) && isHex(t[i]) {
		if i-2 >= 8 {
			return 0, dst, false
		}
		off = off<<4 | int(unhex(t[i]))
		i++
	}
	if i-2 < 4 || i < len(t) && !isSpace(t[i]) {
		return 0, dst, false
	}
	start := len(dst)
	groups, lastAt := 0, 0
	if i < len(t) {
		i++
	}
	// Groups of 4 digits (the last may have 2), one space apart; two
	// spaces, the 8th group or anything else ends them, so an ASCII
	// column such as "cafe" is not taken as hex.
	for groups < 8 && i < len(t) {
		j := i
		for j < len(t) && isHex(t[j]) {
			j++
		}
		n := j - i
		if n != 4 && n != 2 || j < len(t) && !isSpace(t[j]) {
			break
		}
		lastAt = len(dst)
		for k := i; k < j; k += 2 {
			dst = append(dst, unhex(t[k])<<4|unhex(t[k+1]))
		}
		groups++
		i = j
		if n == 2 || j+1 >= len(t) || isSpace(t[j+1]) {
			break
		}
		i = j + 1
	}
	if groups == 0 && len(trimRight(t[i:])) > 0 {
		return 0, dst, false
	}
	// With a one-space gap and the padding lost, the ASCII column of a
	// short line can look like one more group: "6361 6665 cafe".
	if groups >= 2 && len(trimRight(t[i:])) == 0 {
		last := dst[lastAt:]
		grp := trimRight(t[:i])
		grp = grp[len(grp)-2*len(last):]
		if asciiEq(grp, dst[start:lastAt]) {
			dst = dst[:lastAt]
		}
	}
	return off, dst, true
}

// asciiEq reports whether s is how LINA's ASCII column shows b.
func asciiEq(s, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		if s[i] != c {
			return false
		}
	}
	return true
}

// finish completes the packet being read; cut says the output stopped
// inside it.
func (p *Parser) finish(cut bool) *Packet {
	if !p.building {
		return nil
	}
	p.building = false
	s := &p.slots[p.cur]
	p.cur ^= 1
	s.Desc = string(s.desc)
	switch {
	case s.hasHex && len(s.data) == 0:
		// Hex lines, but not one byte could be read from them.
		s.Data, s.Damaged = []byte{}, true
		if cut {
			p.warnf(s.lastHex, "packet %d is cut off here, before its first byte", s.Number)
		}
	case s.hasHex:
		s.Data = s.data
		p.decide(s)
		s.Truncated = s.Length > len(s.Data)
		if cut && s.Truncated && !s.Damaged {
			s.Damaged = true
			p.warnf(s.lastHex, "packet %d is cut off here: %d of %d bytes", s.Number, len(s.Data), s.Length)
		}
	default:
		p.listed++
	}
	p.stamp(&s.Packet)
	return &s.Packet
}

// decide sets where the dump starts and the length its headers declare.
func (p *Parser) decide(s *slot) {
	b := s.Data
	ipLen, ipOK := ipStartTest(b)
	ethHdr, ethLen, ethOK := ethernetTest(b)
	macOK := s.hasMAC && len(b) >= 12 && (bytes.Equal(b[:12], s.mac[:]) ||
		bytes.Equal(b[:6], s.mac[6:]) && bytes.Equal(b[6:12], s.mac[:6]))
	switch {
	case macOK || ethOK && !ipOK:
		s.Start = StartEthernet
	case ipOK && !ethOK:
		s.Start = StartIP
	default:
		s.Guessed = true
		s.Start = p.lastStart
		if s.Start == StartNone {
			s.Start = StartEthernet
			if len(b) > 0 && (b[0]>>4 == 4 || b[0]>>4 == 6) && !(len(b) >= 14 && knownType(be16(b[12:]))) {
				s.Start = StartIP
			}
		}
		p.warnf(s.Line, "packet %d: cannot tell whether the dump starts at the Ethernet or the IP header; taken as %s", s.Number, s.Start)
	}
	if !s.Guessed {
		if p.lastStart != StartNone && s.Start != p.lastStart {
			p.warnf(s.Line, "packet %d: the dump starts at the %s header, the one before at the %s header", s.Number, s.Start, p.lastStart)
		}
		p.lastStart = s.Start
	}
	switch {
	case s.Start == StartIP && ipLen > 0:
		s.Length = ipLen
	case s.Start == StartEthernet && ethLen > 0:
		s.Length = ethHdr + ethLen
	case s.Start == StartIP:
		s.Length, _ = ipLength(b)
	case s.Start == StartEthernet:
		if hdr, n, ok := ethernetLength(b); ok {
			s.Length = hdr + n
		}
	}
	if s.Start == StartEthernet && s.frameLen > s.Length {
		s.Length = s.frameLen
	}
}

func be16(b []byte) int { return int(binary.BigEndian.Uint16(b)) }

func knownType(t int) bool {
	switch t {
	case 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x9100, 0x8926:
		return true
	}
	return false
}

// ipv4 reports whether b starts with an IPv4 header whose checksum is
// right, and its total length.
func ipv4(b []byte) (int, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return 0, false
	}
	ihl := int(b[0]&0x0f) * 4
	total := be16(b[2:])
	if ihl < 20 || len(b) < ihl || total < ihl {
		return 0, false
	}
	var sum uint32
	for i := 0; i < ihl; i += 2 {
		sum += uint32(be16(b[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return total, sum == 0xffff
}

// ipv6 reports whether b starts with an IPv6 header (the version, and a
// next header that is common), and its length; 0 for a jumbogram.
func ipv6(b []byte) (int, bool) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return 0, false
	}
	switch b[6] {
	case 0, 6, 17, 43, 44, 50, 51, 58, 59, 60:
	default:
		return 0, false
	}
	if n := be16(b[4:]); n > 0 {
		return 40 + n, true
	}
	return 0, true
}

// ipStartTest: a dump that starts at IP shows no bytes past the IP length,
// but for the padding of a minimum-size Ethernet frame.
func ipStartTest(b []byte) (int, bool) {
	var n int
	var ok bool
	switch {
	case len(b) > 0 && b[0]>>4 == 4:
		n, ok = ipv4(b)
	case len(b) > 0 && b[0]>>4 == 6:
		n, ok = ipv6(b)
		if ok && n == 0 {
			return 0, true
		}
	}
	return n, ok && (n >= len(b) || len(b) <= 60-14)
}

// ethernetTest: an Ethernet type at 12, any VLAN or VN tags, then an IP
// header that passes the test (ARP has none). It returns the length of the
// L2 header and of what follows it.
func ethernetTest(b []byte) (hdr, n int, ok bool) {
	o := 12
	for range 8 {
		if len(b) < o+2 {
			return 0, 0, false
		}
		switch t := be16(b[o:]); t {
		case 0x8100, 0x88a8, 0x9100:
			o += 4
		case 0x8926: // VN-Tag
			o += 6
		case 0x0800:
			n, ok = ipv4(b[o+2:])
			return o + 2, n, ok
		case 0x86dd:
			n, ok = ipv6(b[o+2:])
			return o + 2, n, ok
		case 0x0806:
			return o + 2, 28, len(b) >= o+2+28
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// ipLength and ethernetLength read declared lengths without the checks,
// for packets whose start was guessed.
func ipLength(b []byte) (int, bool) {
	switch {
	case len(b) >= 4 && b[0]>>4 == 4:
		return be16(b[2:]), true
	case len(b) >= 6 && b[0]>>4 == 6:
		if n := be16(b[4:]); n > 0 {
			return 40 + n, true
		}
	}
	return 0, false
}

func ethernetLength(b []byte) (int, int, bool) {
	o := 12
	for range 8 {
		if len(b) < o+2 {
			return 0, 0, false
		}
		switch be16(b[o:]) {
		case 0x8100, 0x88a8, 0x9100:
			o += 4
		case 0x8926:
			o += 6
		case 0x0800, 0x86dd:
			n, ok := ipLength(b[o+2:])
			return o + 2, n, ok
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// stamp dates a packet's time of day (see the package documentation).
func (p *Parser) stamp(pk *Packet) {
	const day = 24 * time.Hour
	tod := pk.TimeOfDay
	switch {
	case !p.haveTime:
		p.day = 0
	case p.newSection:
		// The day that puts it nearest to the previous capture's start.
		x := p.secFirst.Sub(p.date) - tod + day/2
		d := int(x / day)
		if x < 0 && x%day != 0 {
			d--
		}
		p.day = max(d, 0)
	case tod < p.prevTOD && p.prevTOD-tod > day/2:
		p.day++
	case tod < p.prevTOD:
		p.warnf(pk.Line, "packet %d: the time goes back from %s to %s; kept on the same day", pk.Number, clock(p.prevTOD), clock(tod))
	}
	pk.Time = p.date.Add(time.Duration(p.day)*day + tod)
	if !p.haveTime || p.newSection {
		p.secFirst = pk.Time
	}
	p.haveTime, p.newSection, p.prevTOD = true, false, tod
}

// clock formats a time of day as LINA does.
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d:%02d.%06d", int(d/time.Hour), int(d/time.Minute%60), int(d/time.Second%60), int(d%time.Second/time.Microsecond))
}

// Detect reports whether b, the start of a file, is LINA capture text:
// its first non-blank line is "N packets captured", a packet header line
// ("1: 09:30:00.000101 …") or a prompt with `show capture …` typed after
// it. Other text is not taken for a capture.
func Detect(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for len(b) > 0 {
		line := b
		i := bytes.IndexByte(b, '\n')
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, "\r")
		t := trimLeft(line)
		if len(trimRight(t)) == 0 {
			continue
		}
		if _, w, ok := countLine(t); ok {
			return w == "captured"
		}
		if _, _, desc, ok := parseHeader(t); ok {
			return len(desc) > 0
		}
		if cmd, ok := prompt(line); ok {
			f := bytes.Fields(cmd)
			return len(f) >= 2 && len(f[0]) >= 2 && bytes.HasPrefix([]byte("show"), f[0]) &&
				len(f[1]) >= 3 && bytes.HasPrefix([]byte("capture"), f[1])
		}
		return false
	}
	return false
}
