package lina

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzParse: any input is read to the end without panicking, within the
// caps, and what a packet says about itself holds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{exampleA, exampleB, exampleC, exampleB + exampleC,
		"asa# show capture x dump\r\n" + strings.ReplaceAll(exampleB, "\n", "\r\n"),
		strings.Replace(exampleC, "0x0020", "<--- More --->\r   \r0x0020", 1),
		exampleB[:150]} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p := NewParser(bytes.NewReader(in))
		n := 0
		for {
			pk, err := p.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("error on an in-memory input: %v", err)
			}
			n++
			if n > len(in) {
				t.Fatal("more packets than input bytes")
			}
			if len(pk.Data) > MaxPacket+16 {
				t.Fatalf("packet of %d bytes", len(pk.Data))
			}
			if pk.Truncated != (pk.Length > len(pk.Data)) {
				t.Fatalf("truncated %v, %d of %d bytes", pk.Truncated, len(pk.Data), pk.Length)
			}
			if (len(pk.Data) == 0) != (pk.Start == StartNone) || pk.Data != nil && len(pk.Data) == 0 && !pk.Damaged {
				t.Fatalf("start %v with %d bytes", pk.Start, len(pk.Data))
			}
		}
		if len(p.Warnings()) > MaxWarnings+1 {
			t.Fatalf("%d warnings", len(p.Warnings()))
		}
		if p.Offset() != int64(len(in)) {
			t.Fatalf("offset %d, input %d bytes", p.Offset(), len(in))
		}
	})
}
