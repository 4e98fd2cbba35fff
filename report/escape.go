package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable escapes control characters, invalid UTF-8 and other
// non-printable runes so a hostile name cannot drive the terminal.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unicode.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func width(s string) int { return utf8.RuneCountInString(s) }

// cut shortens s to w runes, keeping both ends: for host names the
// distinguishing part is as often at the start as at the end.
func cut(s string, w int) string {
	if width(s) <= w {
		return s
	}
	r := []rune(s)
	if w < 5 { // too narrow for both ends
		return string(r[:max(w, 0)])
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}
