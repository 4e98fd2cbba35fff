package report

import (
	"encoding/binary"
	"fmt"
	"io"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tsid-project/tsid/analysis"
)

// jsonWriter writes JSON Lines.
type jsonWriter struct {
	w   io.Writer
	buf []byte
	enc *recordEncoder
}

func (j *jsonWriter) Write(r *analysis.Record) error {
	var err error
	if j.buf, err = j.enc.appendRecord(j.buf[:0], r); err != nil {
		return err
	}
	_, err = j.w.Write(escapeInvisible(j.buf))
	return err
}

func (j *jsonWriter) Close(*analysis.Summary) error { return nil }

// escapeInvisible rewrites, in JSON text, the runes encoding/json leaves
// raw that a terminal acts on or hides: DEL, C1 controls such as U+009B
// (CSI), and format characters such as U+202E (right-to-left override).
// They are written as \uXXXX, which decodes to the same string: the
// value is exact, and `cat` or `jq -c` of the output cannot drive the
// terminal. Outside strings JSON text is ASCII, so any such rune is in a
// string. b is returned as it is unless it holds one.
func escapeInvisible(b []byte) []byte {
	i := 0
	for ; i+8 <= len(b); i += 8 { // eight bytes at a time: any >= 0x7f?
		x := binary.LittleEndian.Uint64(b[i : i+8])
		if (x|(x+ones))&highs != 0 {
			break
		}
	}
	for i < len(b) && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := append([]byte(nil), b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == 0x7f || r >= 0x80 && !unicode.IsPrint(r) && r != utf8.RuneError {
			for _, u := range utf16.AppendRune(nil, r) {
				out = fmt.Appendf(out, `\u%04x`, u)
			}
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}
