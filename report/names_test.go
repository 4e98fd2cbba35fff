package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode"
)

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"a.example":        "a.example",
		"=1+1":             "'=1+1",
		"+1":               "'+1",
		"-1":               "'-1",
		"@SUM(A1)":         "'@SUM(A1)",
		"\x1b[2J":          `\x1b[2J`,
		"\t=1":             `\t=1`, // escaped first: no longer a formula
		"caf\xe9":          `caf\xe9`,
		"2026-11-02T09:00": "2026-11-02T09:00",
		"":                 "",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscapeInvisible(t *testing.T) {
	for _, s := range []string{"plain", "tööls", "\u009b2J", "\u202eevil", "a\x7fb", "\U000e0001tag", "\u2028", "\x1b\x00"} {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(map[string]string{"k": s}); err != nil {
			t.Fatal(err)
		}
		out := escapeInvisible(b.Bytes())
		var back map[string]string
		if err := json.Unmarshal(out, &back); err != nil || back["k"] != s {
			t.Errorf("%q: %s decodes to %q (%v)", s, out, back["k"], err)
		}
		for _, r := range string(out) {
			if r != '\n' && !unicode.IsPrint(r) {
				t.Errorf("%q: %q left in %s", s, r, out)
			}
		}
	}
}

// TestPrintableAsJSON: the table shows a byte that is not UTF-8 as JSON
// does (analysis escapes it as \xNN).
func TestPrintableAsJSON(t *testing.T) {
	for in, want := range map[string]string{"caf\xe9.example": `caf\xe9.example`, "\xff\xfe": `\xff\xfe`, "\xe2\x82": `\xe2\x82`} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
