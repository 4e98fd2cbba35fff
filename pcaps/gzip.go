package pcaps

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
)

// gzipInput counts the compressed bytes the gzip decoder takes, so that a
// damaged stream is reported where it is damaged. It is an io.ByteReader,
// so the decoder reads from it byte by byte without a buffer of its own,
// and the count is exact.
type gzipInput struct {
	src source
	n   int64 // compressed bytes consumed
}

func (g *gzipInput) Read(p []byte) (int, error) {
	n, err := g.src.Read(p)
	g.n += int64(n)
	return n, err
}

func (g *gzipInput) ReadByte() (byte, error) {
	b, err := g.src.Peek(1)
	if len(b) == 0 {
		if err == nil {
			err = io.EOF
		}
		return 0, err
	}
	g.src.Discard(1)
	g.n++
	return b[0], nil
}

// gzipDamage reports whether err comes from the gzip layer: the
// compressed stream is corrupt, fails its checksum, or ends early.
func gzipDamage(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// gzipError is the one-line error for a damaged gzip stream. The
// compressed position is where the decoder had read to when it noticed.
func (r *Reader) gzipError(err error) *Error {
	at := int64(0)
	if r.gz != nil {
		at = r.gz.n
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return r.errf(ErrTruncated, r.off, "gzip stream cut short at compressed byte %d (after %d bytes of capture)", at, r.off)
	case errors.Is(err, gzip.ErrChecksum):
		return r.errf(ErrCorrupt, r.off, "gzip stream damaged: checksum mismatch at its end (compressed byte %d); what was read of it may be wrong", at)
	}
	var ce flate.CorruptInputError
	if errors.As(err, &ce) { // its offset counts from the deflate data, not the file
		return r.errf(ErrCorrupt, r.off, "gzip stream damaged near compressed byte %d (after %d bytes of capture)", at, r.off)
	}
	return r.errf(ErrCorrupt, r.off, "gzip stream damaged near compressed byte %d (after %d bytes of capture): %v", at, r.off, err)
}

// blame finds the real cause of a reading error of a gzip file: a damaged
// stream decompresses to garbage before the decoder notices, so what
// looks like a malformed or cut capture may be the gzip layer's fault.
// The rest of the stream is then decompressed to find out; an error the
// gzip layer reports replaces err.
func (r *Reader) blame(err error) error {
	if r.gz == nil {
		return err
	}
	if e := (*Error)(nil); errors.As(err, &e) && gzipDamage(e.Err) {
		return r.gzipError(e.Err)
	}
	if gzipDamage(err) {
		return r.gzipError(err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrNotCapture) && !errors.Is(err, ErrEmpty) {
		return err
	}
	// Through the source the Reader reads, never the decoder itself: with
	// read-ahead the decoder belongs to another goroutine.
	if _, derr := io.Copy(io.Discard, r.br); derr != nil && gzipDamage(derr) {
		return r.gzipError(derr)
	}
	return err
}
