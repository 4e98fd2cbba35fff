package pcaps

import "errors"

// Sentinel errors; an *Error wraps one of them (or an I/O error), so
// errors.Is(err, ErrTruncated) works.
var (
	ErrNotCapture = errors.New("pcaps: not a packet capture")
	ErrEmpty      = errors.New("pcaps: empty file")
	ErrTruncated  = errors.New("pcaps: capture file is cut short")
	ErrCorrupt    = errors.New("pcaps: malformed capture file")
)

// Error is a capture reading error. Its message is one line: the file name,
// then what is wrong, e.g. "x.pcap: ends inside a packet record at byte 4711".
type Error struct {
	File   string // name given to Open or NewReader
	Offset int64  // byte offset in the (decompressed) file where the problem starts
	Reason string // human-readable, without the file name
	Err    error  // one of the sentinels, or the underlying I/O error
}

func (e *Error) Error() string { return e.File + ": " + e.Reason }

// Unwrap returns the sentinel or I/O error.
func (e *Error) Unwrap() error { return e.Err }
