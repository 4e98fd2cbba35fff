package analysis

import (
	"testing"
	"unicode/utf8"
)

// Names as sent: escaping what is not UTF-8, IDNA A-labels, odd names.

func TestEscapeNonUTF8(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain.example", "plain.example"},
		{"tööls.example", "tööls.example"},
		{"\x1b[2J\x00", "\x1b[2J\x00"}, // valid UTF-8: JSON escapes it exactly
		{"caf\xe9.example", `caf\xe9.example`},
		{"\xff\xfe", `\xff\xfe`},
		{"\xe2\x82", `\xe2\x82`},           // a cut rune: each byte
		{"ok\xc3\xa9\xc3", "oké" + `\xc3`}, // a lone lead byte after a good rune
		{"\ufffd", "\ufffd"},               // a real U+FFFD stays
	} {
		got, changed := escapeNonUTF8(tc.in)
		if got != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("escapeNonUTF8(%q) = %q, %v; want %q", tc.in, got, changed, tc.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("escapeNonUTF8(%q) = %q is not UTF-8", tc.in, got)
		}
	}
}

func TestUnicodeName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"plain.example", "", true},
		{"", "", true},
		{"xn--tls-snaa.example", "tööls.example", true},
		{"XN--tls-snaa.example.", "tööls.example.", true}, // any case, trailing dot kept
		{"www.xn--bcher-kva.xn--mnchen-3ya", "www.bücher.münchen", true},
		{"xn--pple-43d.example", "аpple.example", true}, // Cyrillic а: shown, it is printable
		{"xn--abc-4q0a.example", "\u202eabc.example", true},
		{"xn--a.example", "\u0080.example", true},
		{"xn--zz.example", "", false},   // not punycode
		{"xn--abc-.example", "", false}, // decodes to ASCII
		{"xn--.example", "", false},     // decodes to nothing
		{"xn--99999999999a", "", false}, // overflow
		{"xn--t\xffls.example", "", false},
		{"caf\xe9.xn--tls-snaa", "caf\xe9.tööls", true}, // other labels as they are
	} {
		got, ok := unicodeName(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("unicodeName(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestOddName(t *testing.T) {
	for _, tc := range []struct {
		raw, uni string
		odd      bool
	}{
		{"tools.cisco.com", "", false},
		{"My Router", "", false}, // a space is printable
		{"*.example", "", false},
		{"xn--tls-snaa.example", "tööls.example", false},
		{"evil\x00.example", "", true},
		{"\x1b[2J", "", true},
		{"a\x7f", "", true},
		{"caf\xe9", "", true},
		{"tööls.example", "", true}, // raw UTF-8 is no host_name
		{"xn--abc-4q0a.example", "\u202eabc.example", true},
		{"xn--a.example", "\u0080.example", true},
	} {
		if got := oddName(tc.raw, tc.uni); got != tc.odd {
			t.Errorf("oddName(%q, %q) = %v, want %v", tc.raw, tc.uni, got, tc.odd)
		}
	}
}
