package analysis

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"github.com/tsid-project/tsid/pcaps"
)

// FileError is what went wrong with one capture: it could not be opened,
// it is no capture, it is damaged (Err then wraps a *pcaps.Error, and so
// pcaps.ErrTruncated, ErrCorrupt, …), or analyzing it hit a bug
// (ErrInternal). Its message is one line that starts with the file name.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string {
	var pe *pcaps.Error
	if errors.As(e.Err, &pe) && pe.File == e.File {
		return pe.Error() // "FILE: reason" already
	}
	return e.File + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// ErrInternal is wrapped by the FileError of a capture whose analysis hit
// a bug: its results may be incomplete.
var ErrInternal = errors.New("internal error, results may be incomplete")

// fileError makes err, from opening or reading capture name, a *FileError.
func fileError(name string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // "FILE: reason", as for the other errors
	}
	return &FileError{File: name, Err: err}
}

func internalError(name string, p any) error {
	return &FileError{File: name, Err: fmt.Errorf("%w: %v (please report this with the capture)", ErrInternal, p)}
}

// Open opens capture name as the Analyzer reads it, for reading ahead
// (pcaps.NewReadAhead): from src when it is not nil, else the file of that
// name; errors are *FileError. Close the closer when done: it stops the
// reading, closes the file, and passes a text capture's warnings to
// Options.Warn. A text capture is dated (Options.TextDate, else the
// file's date). The bytes read are counted before decompression
// (BytesRead); pcaps reads through a large buffer, so the count costs one
// atomic add per refill.
func (an *Analyzer) Open(name string, src io.Reader) (*pcaps.Reader, io.Closer, error) {
	var c io.Closer = io.NopCloser(nil)
	var file *os.File
	if src == nil {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, fileError(name, err)
		}
		src, c, file = f, f, f
	}
	rd, err := pcaps.NewReadAhead(name, &countingReader{r: src, n: &an.bytesRead})
	if err != nil {
		c.Close()
		return nil, nil, fileError(name, err)
	}
	if rd.Format() == "lina" { // ASA/FTD text: a date, and warnings when done
		an.dateText(rd, name, file)
		return rd, closers{rd, c, warningsAtClose{rd, an}}, nil
	}
	return rd, closers{rd, c}, nil
}

// closers closes each in order (the reader's goroutine, then the file).
type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// DateLayout is how a text capture's date is written.
const DateLayout = "2006-01-02"

// dateText dates a text capture: Options.TextDate, else the file's
// modification date (today for a reader), said in a note.
func (an *Analyzer) dateText(rd *pcaps.Reader, name string, f *os.File) {
	date := an.opts.TextDate
	if date.IsZero() {
		date = time.Now()
		from := "today: stdin has no file date"
		if f != nil {
			if st, err := f.Stat(); err == nil {
				date, from = st.ModTime(), "file date"
			}
		}
		an.warnf(fmt.Sprintf("%s: LINA text capture: times of day dated %s (%s; set --date)", name, date.Format(DateLayout), from))
	}
	rd.SetDate(date)
}

// warningsAtClose passes a text capture's warnings on when the file is done.
type warningsAtClose struct {
	rd *pcaps.Reader
	an *Analyzer
}

func (w warningsAtClose) Close() error {
	for _, s := range w.rd.Warnings() {
		w.an.warnf(s)
	}
	return nil
}
