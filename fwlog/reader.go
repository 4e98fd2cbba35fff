package fwlog

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Detection limits: the syslog message tag must appear in the first
// detectSyslog non-empty lines, the FMC header row be one of the first
// detectFMC.
const (
	detectSyslog = 64
	detectFMC    = 16
	readBuf      = 64 << 10
)

// Reader streams the connection events of one log file. It is not safe for
// concurrent use.
type Reader struct {
	name   string
	opt    Options
	loc    *time.Location // opt.Location or UTC
	year   int            // the year whose zone offsets NoYear times get
	lr     lineReader
	format Format
	stats  Stats
	err    error // sticky: the error Next returns once the file failed

	// pending is the syslog line with the first message tag, read to
	// tell the format, still to be parsed (on line pendingN).
	pending  []byte
	pendingN int

	intern interner // Action, Rule, Protocol, Device, …
	urls   interner // URL and SNI values
	syslog sysFields
	fmc    *fmcState
}

// NewReader reads enough of r to tell the format: gzip or not (by the magic
// bytes 1f 8b), then FTD syslog if a message tag such as `%FTD-1-430003:`
// (`%[A-Z]+-[0-7]-[0-9]{6}:`) appears in the first 64 non-empty lines, or
// an FMC export if one of the first 16 non-empty lines is a header row
// whose cells map to the needed columns (see the package documentation).
// The file name is never looked at; name is only used in events and
// messages.
//
// Errors are *FileError values wrapping ErrNotLog, ErrColumns (a header row
// with some known columns but not the needed ones), ErrLineTooLong, ErrGzip
// or the read error.
func NewReader(name string, r io.Reader, o Options) (*Reader, error) {
	rd := &Reader{name: name, opt: o, loc: o.Location, year: time.Now().Year()}
	if rd.loc == nil {
		rd.loc = time.UTC
	}
	rd.intern.init()
	rd.urls.init()
	br := bufio.NewReaderSize(r, readBuf)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, rd.fileErr(0, rd.gzipErr(err, true, 0))
		}
		rd.lr.gz = true
		br = bufio.NewReaderSize(zr, readBuf)
	}
	rd.lr.br = br
	if err := rd.detect(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Format is the format NewReader found.
func (r *Reader) Format() Format { return r.format }

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

// detect reads lines until the format is known. The lines before the first
// message tag of a syslog file have none: they are skipped lines. An FMC
// file continues after its header row.
func (r *Reader) detect() error {
	nonEmpty := 0
	var partial *fmcHeader // the first header row with some known columns, but not all needed
	var partialLine int
	for nonEmpty < detectSyslog {
		line, err := r.lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.readErr(err)
		}
		r.stats.Lines++
		if r.lr.n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a byte order mark, as spreadsheets write
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		nonEmpty++
		if _, ok := findTag(line); ok {
			r.format = FormatSyslog
			r.pending, r.pendingN = bytes.Clone(line), r.lr.n
			r.stats.Skipped = nonEmpty - 1
			return nil
		}
		if nonEmpty <= detectFMC {
			h := mapHeader(line)
			if h.complete() {
				r.format = FormatFMC
				r.startFMC(h, r.lr.n)
				return nil
			}
			if partial == nil && h.known >= 2 {
				partial, partialLine = h, r.lr.n
			}
		}
	}
	if partial != nil {
		return r.fileErr(partialLine, fmt.Errorf("%w: %s; add them to the table view and export again", ErrColumns, partial.missing()))
	}
	if nonEmpty == 0 {
		return r.fileErr(0, fmt.Errorf("%w (the file is empty)", ErrNotLog))
	}
	return r.fileErr(0, ErrNotLog)
}

// Next returns the next connection event; io.EOF at the end. A malformed
// line is warned (Options.Warn) and skipped, never returned as an error;
// errors (a *FileError) are only for the file as a whole: a read error, a
// damaged gzip stream, a line longer than MaxLine. After an error Next
// returns the same error again.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	for {
		var line []byte
		var n int
		if r.pending != nil {
			line, n = r.pending, r.pendingN
			r.pending = nil
		} else {
			var err error
			line, err = r.lr.next()
			if err != nil {
				if err != io.EOF {
					err = r.readErr(err)
				}
				r.err = err
				return Event{}, err
			}
			r.stats.Lines++
			n = r.lr.n
		}
		var ev Event
		var ok bool
		if r.format == FormatSyslog {
			ok = r.syslogLine(line, n, &ev)
		} else {
			ok = r.fmcLine(line, n, &ev)
		}
		if ok {
			r.stats.Events++
			return ev, nil
		}
	}
}

// warn sends "file:line: msg" to Options.Warn.
func (r *Reader) warn(n int, format string, args ...any) {
	if r.opt.Warn == nil {
		return
	}
	r.opt.Warn(oneLine(fmt.Sprintf("%s:%d: ", r.name, n) + fmt.Sprintf(format, args...)))
}

// oneLine replaces the line breaks a header cell may hold (a lone '\r')
// with spaces, to keep a message on one line.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}

func (r *Reader) fileErr(line int, err error) *FileError {
	return &FileError{File: r.name, Line: line, Err: err}
}

// readErr turns an error of the line reader into a *FileError.
func (r *Reader) readErr(err error) error {
	if errors.Is(err, ErrLineTooLong) {
		return r.fileErr(r.lr.n+1, err)
	}
	if r.lr.gz && gzipDamage(err) {
		return r.fileErr(0, r.gzipErr(err, false, r.lr.n))
	}
	return r.fileErr(0, fmt.Errorf("read error after line %d: %w", r.lr.n, err))
}

// gzipDamage reports whether err comes from the gzip layer: the compressed
// stream is corrupt, fails its checksum, or ends early.
func gzipDamage(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// gzipErr describes a damaged gzip stream: in its header, or after line
// after of the decompressed text.
func (r *Reader) gzipErr(err error, inHeader bool, after int) error {
	e := &gzipError{err: err, advice: "the lines before were read; copy the file again"}
	switch {
	case inHeader:
		e.what, e.advice = "cannot read its header", "copy the file again"
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.what = fmt.Sprintf("cut short after line %d", after)
	case errors.Is(err, gzip.ErrChecksum):
		e.what = fmt.Sprintf("checksum mismatch at its end, after line %d", after)
		e.advice = "what was read may be wrong; copy the file again"
	default:
		e.what = fmt.Sprintf("corrupt after line %d", after)
		e.advice = "the lines before were read, the last ones may be wrong; copy the file again"
	}
	return e
}

// lineReader reads lines with a reused buffer.
type lineReader struct {
	br  *bufio.Reader
	gz  bool
	buf []byte // a line longer than br's buffer
	n   int    // lines returned
	err error  // sticky
}

// next returns the next line without its line ending ("\n", "\r\n"),
// valid until the next call; io.EOF at the end. A last line without a
// line ending is returned too.
func (l *lineReader) next() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	if cap(l.buf) > 4*readBuf {
		l.buf = nil // do not keep a huge buffer after one long line
	}
	line, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.buf = append(l.buf[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(l.buf) > MaxLine+1 {
				l.err = ErrLineTooLong
				return nil, l.err
			}
			line, err = l.br.ReadSlice('\n')
			l.buf = append(l.buf, line...)
		}
		line = l.buf
	}
	if err != nil && (err != io.EOF || len(line) == 0) {
		l.err = err
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > MaxLine {
		l.err = ErrLineTooLong
		return nil, l.err
	}
	l.n++
	return line, nil
}

// maxIntern caps an interner; maxInternLen caps the strings it keeps.
const (
	maxIntern    = 4096
	maxInternLen = 512
)

// interner shares repeated strings between events, so that a million
// events naming ten rules keep ten strings.
type interner struct{ m map[string]string }

func (in *interner) init() { in.m = make(map[string]string) }

// get returns s as a string of its own: shared if seen before. A string
// s is copied, so that the result never pins a larger string it is cut
// from.
func get[T string | []byte](in *interner, s T) string {
	if len(s) == 0 {
		return ""
	}
	if v, ok := in.m[string(s)]; ok {
		return v
	}
	var v string
	switch x := any(s).(type) {
	case string:
		v = strings.Clone(x)
	case []byte:
		v = string(x)
	}
	if len(in.m) < maxIntern && len(v) <= maxInternLen {
		in.m[v] = v
	}
	return v
}
