package fwlog

import (
	"time"
)

// Times are read by hand rather than with time.Parse: the syslog hot path
// works on a reused []byte and allocates nothing, and the layouts vary
// (see timeAt).

// span is a token: text[s:e].
type span struct{ s, e int }

// maxTokens caps the tokens looked at in a syslog header or an FMC time cell.
const maxTokens = 32

// tokens appends the space-separated tokens of b to out, at most
// cap(out) of them; more reports that some were left out.
func tokens[T string | []byte](b T, out []span) (ts []span, more bool) {
	ts = out[:0]
	for i := 0; i < len(b); {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			break
		}
		if len(ts) == cap(ts) {
			return ts, true
		}
		j := i
		for j < len(b) && !isSpace(b[j]) {
			j++
		}
		ts = append(ts, span{i, j})
		i = j
	}
	return ts, false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n'
}

// clock is a wall clock time with an optional UTC offset.
type clock struct {
	y, mo, d, h, mi, s, ns int
	zoned                  bool // an offset was written (Z, +01:00, UTC): off applies, not the Location
	off                    int  // seconds east of UTC
	noYear                 bool
}

// timeIn turns a wall clock into an instant in UTC. A clock without an
// offset is in loc. A clock without a year is put into year 0 with the
// offset loc has on the same day of refYear.
func (c clock) timeIn(loc *time.Location, refYear int) time.Time {
	if c.zoned {
		return time.Date(c.y, time.Month(c.mo), c.d, c.h, c.mi, c.s, c.ns, time.UTC).Add(-time.Duration(c.off) * time.Second)
	}
	if c.noYear {
		off := 0
		if loc != time.UTC {
			_, off = time.Date(refYear, time.Month(c.mo), c.d, c.h, c.mi, c.s, c.ns, loc).Zone()
		}
		return time.Date(0, time.Month(c.mo), c.d, c.h, c.mi, c.s, c.ns, time.UTC).Add(-time.Duration(off) * time.Second)
	}
	return time.Date(c.y, time.Month(c.mo), c.d, c.h, c.mi, c.s, c.ns, loc).UTC()
}

// timeAt reads a time from the tokens ts of text, starting at ts[0]. It
// returns how many tokens the time takes (0: ts[0] does not start a time)
// and whether it could be read; n > 0 with ok false is a time that was
// written but cannot be read ("Dec 32 25:00:00"). Layouts, with one or
// more spaces between tokens:
//
//	Dec  2 2025 18:26:41[.frac]        FTD/ASA default header (also "Dec 2, 2025")
//	Dec  2 18:26:41[.frac]             RFC 3164, no year (noYear)
//	2025-12-02T18:26:41[.frac][zone]   ISO 8601 / RFC 3339 / RFC 5424
//	2025-12-02 18:26:41[.frac][zone]   ISO 8601 with a space (FMC, syslog servers)
//	12/02/2025 18:26:41[ AM|PM]        FMC in a US locale: month/day/year
//	2025/12/02 18:26:41                year/month/day
//
// zone is Z, ±hh:mm, ±hhmm or ±hh; a following token "UTC", "GMT" or "Z"
// means UTC too. The seconds may be left out in the slash layouts
// ("12/02/2025 6:46 PM").
func timeAt[T string | []byte](text T, ts []span) (n int, c clock, ok bool) {
	if len(ts) == 0 {
		return 0, c, false
	}
	tok := func(i int) T { return text[ts[i].s:ts[i].e] }
	t0 := tok(0)
	switch {
	case month(t0) > 0 && len(ts) > 1 && isDigit(tok(1)[0]):
		// Mon D [YYYY] hh:mm:ss: the time runs to the first token with a ':'.
		n = 0
		for k := 1; k < len(ts) && k <= 3 && n == 0; k++ {
			if indexByte(tok(k), ':') >= 0 {
				n = k + 1
			}
		}
		if n < 3 {
			return 2, c, false
		}
		c.mo = month(t0)
		day := trimRight(tok(1), ',')
		var dok bool
		if c.d, dok = atoi(day); !dok || len(day) > 2 {
			return n, c, false
		}
		switch n {
		case 3:
			c.noYear, c.y = true, 0
		case 4:
			if y := tok(2); len(y) != 4 || !allDigits(y) {
				return n, c, false
			} else {
				c.y, _ = atoi(y)
			}
		default:
			return n, c, false
		}
		if !readClock(trimRight(tok(n-1), ':'), &c, false) || !c.valid() {
			return n, c, false
		}
	case isDate(t0):
		c.y, c.mo, c.d, ok = readDate(t0[:10])
		rest := t0[10:]
		n = 1
		switch {
		case len(rest) > 1 && (rest[0] == 'T' || rest[0] == 't'):
			rest = rest[1:]
		case len(rest) == 0 && len(ts) > 1 && indexByte(tok(1), ':') > 0:
			rest, n = tok(1), 2
		default:
			return n, c, false
		}
		if !ok || !readClock(trimRight(rest, ':'), &c, true) || !c.valid() {
			return n, c, false
		}
	case isSlashDate(t0):
		n = 1
		if len(ts) < 2 || indexByte(tok(1), ':') < 0 {
			return n, c, false
		}
		n = 2
		if !readSlashDate(t0, &c) || !readClock(tok(1), &c, false) {
			return n, c, false
		}
		if len(ts) > 2 {
			if ampm := tok(2); len(ampm) == 2 && (ampm[1] == 'M' || ampm[1] == 'm') {
				n = 3
				pm := ampm[0] == 'P' || ampm[0] == 'p'
				if (!pm && ampm[0] != 'A' && ampm[0] != 'a') || c.h < 1 || c.h > 12 {
					return n, c, false
				}
				c.h %= 12
				if pm {
					c.h += 12
				}
			}
		}
		if !c.valid() {
			return n, c, false
		}
	default:
		return 0, c, false
	}
	if !c.zoned && n < len(ts) {
		if z := tok(n); string(z) == "UTC" || string(z) == "GMT" || string(z) == "Z" {
			c.zoned, n = true, n+1
		}
	}
	return n, c, true
}

func (c *clock) valid() bool {
	if c.mo < 1 || c.mo > 12 || c.d < 1 || c.h > 23 || c.mi > 59 || c.s > 60 {
		return false
	}
	return c.d <= daysIn(c.mo, c.y)
}

func daysIn(mo, y int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) { // year 0 is a leap year: 29 February without a year is kept
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

var months = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// month is 1…12 for a three-letter English month name (any case), else 0.
func month[T string | []byte](b T) int {
	if len(b) != 3 {
		return 0
	}
	for i, m := range months {
		if lower(b[0]) == m[0] && lower(b[1]) == m[1] && lower(b[2]) == m[2] {
			return i + 1
		}
	}
	return 0
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isDate: starts with YYYY-MM-DD.
func isDate[T string | []byte](b T) bool {
	return len(b) >= 10 && isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) && isDigit(b[3]) && b[4] == '-' && b[7] == '-'
}

func readDate[T string | []byte](b T) (y, mo, d int, ok bool) {
	y, ok1 := atoi(b[0:4])
	mo, ok2 := atoi(b[5:7])
	d, ok3 := atoi(b[8:10])
	return y, mo, d, ok1 && ok2 && ok3
}

// isSlashDate: a token of digits and two '/'.
func isSlashDate[T string | []byte](b T) bool {
	slashes := 0
	for i := 0; i < len(b); i++ {
		if b[i] == '/' {
			slashes++
		} else if !isDigit(b[i]) {
			return false
		}
	}
	return slashes == 2 && len(b) >= 6 && len(b) <= 10
}

// readSlashDate reads MM/DD/YYYY or YYYY/MM/DD.
func readSlashDate[T string | []byte](b T, c *clock) bool {
	i := indexByte(b, '/')
	j := i + 1 + indexByte(b[i+1:], '/')
	a, ok1 := atoi(b[:i])
	m, ok2 := atoi(b[i+1 : j])
	z, ok3 := atoi(b[j+1:])
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	if i == 4 {
		c.y, c.mo, c.d = a, m, z
	} else if len(b)-j-1 == 4 {
		c.mo, c.d, c.y = a, m, z
	} else {
		return false
	}
	return true
}

// readClock reads h:mm[:ss[.frac]] into c; withZone allows a UTC offset
// after it (Z, ±hh:mm, ±hhmm, ±hh).
func readClock[T string | []byte](b T, c *clock, withZone bool) bool {
	i := 0
	num := func(min, max int) (int, bool) {
		j := i
		for i < len(b) && isDigit(b[i]) && i-j < max {
			i++
		}
		if i-j < min {
			return 0, false
		}
		v, _ := atoi(b[j:i])
		return v, true
	}
	var ok bool
	if c.h, ok = num(1, 2); !ok || i >= len(b) || b[i] != ':' {
		return false
	}
	i++
	if c.mi, ok = num(2, 2); !ok {
		return false
	}
	c.s, c.ns = 0, 0
	if i < len(b) && b[i] == ':' {
		i++
		if c.s, ok = num(2, 2); !ok {
			return false
		}
		if i < len(b) && (b[i] == '.' || b[i] == ',') {
			i++
			j := i
			for i < len(b) && isDigit(b[i]) {
				if i-j < 9 {
					c.ns = c.ns*10 + int(b[i]-'0')
				}
				i++
			}
			if i == j {
				return false
			}
			for k := i - j; k < 9; k++ {
				c.ns *= 10
			}
		}
	}
	if i == len(b) {
		return true
	}
	if !withZone {
		return false
	}
	switch b[i] {
	case 'Z', 'z':
		c.zoned, c.off = true, 0
		return i+1 == len(b)
	case '+', '-':
		sign := 1
		if b[i] == '-' {
			sign = -1
		}
		i++
		zh, ok := num(2, 2)
		if !ok {
			return false
		}
		zm := 0
		if i < len(b) && b[i] == ':' {
			i++
		}
		if i < len(b) {
			if zm, ok = num(2, 2); !ok {
				return false
			}
		}
		if i != len(b) || zh > 14 || zm > 59 {
			return false
		}
		c.zoned, c.off = true, sign*(zh*3600+zm*60)
		return true
	}
	return false
}

// atoi reads a non-negative decimal number of at most 9 digits.
func atoi[T string | []byte](b T) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(b); i++ {
		if !isDigit(b[i]) {
			return 0, false
		}
		n = n*10 + int(b[i]-'0')
	}
	return n, true
}

func indexByte[T string | []byte](b T, c byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func trimRight[T string | []byte](b T, c byte) T {
	for len(b) > 0 && b[len(b)-1] == c {
		b = b[:len(b)-1]
	}
	return b
}

// parseISO reads a FirstPacketSecond value: an ISO 8601 date and time
// with 'T' or a space between, an optional fraction and offset; without
// an offset it is UTC.
func parseISO(b []byte) (time.Time, bool) {
	var ts [2]span
	t, more := tokens(b, ts[:0:2])
	if more || len(t) == 0 || !isDate(b[t[0].s:t[0].e]) {
		return time.Time{}, false
	}
	n, c, ok := timeAt(b, t)
	if !ok || n != len(t) {
		return time.Time{}, false
	}
	return c.timeIn(time.UTC, 0), true
}
