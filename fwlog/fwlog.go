package fwlog

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// MaxLine caps one line of a log, in bytes (after decompression, without
// its line ending). A longer line is an error: the file is not a log.
const MaxLine = 1 << 20

// Sentinel errors. NewReader and Reader.Next return them wrapped in a
// *FileError, so errors.Is(err, ErrNotLog) works.
var (
	ErrNotLog = errors.New("fwlog: neither FTD syslog (%FTD-…-430002/430003 lines) nor an FMC event export with a header row")
	// ErrColumns is wrapped with the columns that are missing, the aliases
	// accepted for them and the cells the header has.
	ErrColumns = errors.New("fwlog: the header row lacks needed columns")
	// ErrLineTooLong: a line is longer than MaxLine.
	ErrLineTooLong = errors.New("fwlog: a line is longer than 1 MiB: not a log")
	// ErrGzip: the gzip stream is damaged or cut short. The error wraps the
	// gzip or flate error as well.
	ErrGzip = errors.New("fwlog: damaged gzip stream")
)

// FileError names the file (and the line, when there is one) of an error.
// Its message is one line: "NAME: what" or "NAME:LINE: what".
type FileError struct {
	File string // the name given to NewReader
	Line int    // 1-based line of the (decompressed) file; 0 when the error is not about a line
	Err  error  // a sentinel (possibly wrapped with detail) or the underlying I/O error
}

func (e *FileError) Error() string {
	what := strings.TrimPrefix(e.Err.Error(), "fwlog: ")
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + what
	}
	return e.File + ": " + what
}

// Unwrap returns the sentinel or the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// gzipError is a damaged gzip stream: it is both ErrGzip and the error the
// gzip layer gave.
type gzipError struct {
	what   string // "cut short after line 41"
	advice string // "the lines before were read, copy the file again"
	err    error
}

func (e *gzipError) Error() string {
	return "damaged gzip stream: " + e.what + " (" + e.err.Error() + "); " + e.advice
}

func (e *gzipError) Unwrap() []error { return []error{ErrGzip, e.err} }

// Format is the kind of log a file holds.
type Format uint8

const (
	FormatSyslog Format = iota + 1 // FTD syslog: %FTD-<sev>-430002/430003 lines
	FormatFMC                      // FMC connection events: CSV or tab-separated with a header row
)

func (f Format) String() string {
	switch f {
	case FormatSyslog:
		return "ftd-syslog"
	case FormatFMC:
		return "fmc"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Message ids of FTD connection events (Cisco Secure Firewall Threat
// Defense Syslog Messages, 430002 and 430003).
const (
	idConnStart = 430002 // start of connection
	idConnEnd   = 430003 // end of connection: has ConnectionDuration and the final URL
)

// Values of Event.TimeFrom other than "column <name>".
const (
	FromFirstPacket    = "FirstPacketSecond"
	FromHeader         = "header"
	FromHeaderDuration = "header - ConnectionDuration"
)

// Event is one connection event as the firewall logged it.
//
// Its strings are its own (never views of a reused buffer); repeated ones
// (Action, Rule, Protocol, Device, TimeFrom, and URL and SNI while they
// repeat) are shared between events.
type Event struct {
	File   string // the name given to NewReader
	Line   int    // 1-based line number in the (decompressed) file
	Format Format
	ID     int  // syslog message id (430002, 430003); 0 for an FMC row
	End    bool // 430003: the end-of-connection event (carries the final URL)

	// Time is the connection's first packet in UTC, as well as the log
	// says it; zero when the line has no time that could be read (TimeNote
	// says why). TimeFrom says where it came from: "FirstPacketSecond",
	// "header", "header - ConnectionDuration", or "column <header name as
	// written>".
	Time     time.Time
	TimeFrom string
	TimeNote string // why Time is zero or approximate, e.g. `cannot read time "Dec 32 25:00:00"`; "" when fine
	// NoYear: the time came from an RFC 3164 header without a year. Time
	// is then the instant of the logged wall clock in year 0 (converted
	// with the zone's offset of that day in the current year), so it may
	// fall on 31 December of year -1; the joiner picks the year:
	// Time.AddDate(year, 0, 0).
	NoYear bool

	Client, Server       netip.AddrPort // initiator and responder as the device saw them (SrcIP:SrcPort, DstIP:DstPort)
	NATClient, NATServer netip.AddrPort // the translated tuple (NAT_InitiatorIP/Port, NAT_ResponderIP/Port); zero when not logged
	Protocol             string         // lower case ("tcp", "udp", "icmp"); "" when not logged

	URL          string        // as logged; "" when none
	SNI          string        // SSLServerName / "SSL Server Name"; "" when none
	Action       string        // AccessControlRuleAction / "Action"
	Rule         string        // AccessControlRuleName / "Access Control Rule"
	ConnectionID string        // ConnectionID / "Connection ID"; "" when not logged
	Device       string        // syslog host name of the header, or the FMC "Device" column
	Duration     time.Duration // ConnectionDuration (seconds), 0 when not logged
}

// Where is "file:line".
func (e *Event) Where() string { return e.File + ":" + strconv.Itoa(e.Line) }

// Host is the URL's host: the scheme, user info, path, query and port
// removed, and the brackets of an IPv6 literal; otherwise as logged (case
// and a trailing dot are kept: the caller compares). "" when URL is "".
func (e *Event) Host() string { return urlHost(e.URL) }

func urlHost(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if strings.HasPrefix(u, "[") {
		if i := strings.IndexByte(u, ']'); i > 0 {
			return u[1:i]
		}
		return u
	}
	if i := strings.LastIndexByte(u, ':'); i >= 0 && strings.IndexByte(u, ':') == i && allDigits(u[i+1:]) {
		u = u[:i] // host:port; an unbracketed IPv6 address has more colons and is kept
	}
	return u
}

func allDigits[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Options tune a Reader.
type Options struct {
	// Location is the zone of times written without one (syslog header
	// times, FMC columns). nil: UTC.
	Location *time.Location
	// Warn receives one line per malformed line ("file:line: what is
	// wrong"); nil drops them.
	Warn func(msg string)
}

// Stats counts what a Reader saw. Lines == Events + Skipped + Malformed +
// the empty lines, and for FMC files the header row and the lines before it.
type Stats struct {
	Lines     int // lines read, the header and empty lines included
	Events    int // connection events returned
	Skipped   int // lines that are not connection events (other message ids, 430001/430005 intrusion and file events, lines without a message tag, FMC rows whose Event Type is not a connection event, repeated header rows); empty lines are not counted
	Malformed int // connection-event lines that could not be read (warned)
	BadTime   int // events returned whose time could not be read (warned, Time zero; a header without a time column is warned once)
}
