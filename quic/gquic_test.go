package quic

import (
	"encoding/binary"
	"testing"
)

// chlo builds a gQUIC Q025 client packet holding a CHLO with tags.
func chlo(tags ...[2]string) []byte {
	b := []byte{gFlagVersion | gFlagCID | 0x30, 1, 2, 3, 4, 5, 6, 7, 8, 'Q', '0', '2', '5', 1, 0, 0, 0, 0, 0}
	b = append(b, make([]byte, 12)...) // message authentication hash
	b = append(b, 0, 0xa0, 1, 0, 4)    // private flags, stream frame header
	b = append(b, "CHLO"...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(tags)))
	b = append(b, 0, 0)
	end := uint32(0)
	for _, t := range tags {
		end += uint32(len(t[1]))
		b = append(b, t[0]...)
		b = binary.LittleEndian.AppendUint32(b, end)
	}
	for _, t := range tags {
		b = append(b, t[1]...)
	}
	return b
}

func TestGoogleHello(t *testing.T) {
	for _, c := range []struct {
		name    string
		in      []byte
		sni     string
		version string
		ok      bool
	}{
		{"sni", chlo([2]string{"PAD\x00", "----"}, [2]string{"SNI\x00", "www.google.it"}, [2]string{"VER\x00", "Q025"}), "www.google.it", "Q025", true},
		{"no sni", chlo([2]string{"PAD\x00", "--"}), "", "Q025", true},
		{"ietf quic", []byte{0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0}, "", "", false},
		{"Q046 is not this format", func() []byte { b := chlo(); b[11], b[12] = '4', '6'; return b }(), "", "", false},
		{"no CHLO", []byte{gFlagVersion | gFlagCID, 1, 2, 3, 4, 5, 6, 7, 8, 'Q', '0', '2', '5', 1}, "", "Q025", false},
		{"table past the end", func() []byte { b := chlo([2]string{"SNI\x00", "x"}); return b[:len(b)-1] }(), "", "Q025", false},
		{"garbage", []byte("hello"), "", "", false},
	} {
		sni, v, ok := GoogleHello(c.in)
		if sni != c.sni || v != c.version || ok != c.ok {
			t.Errorf("%s: GoogleHello = %q, %q, %v; want %q, %q, %v", c.name, sni, v, ok, c.sni, c.version, c.ok)
		}
	}
	// Every prefix: no panic.
	full := chlo([2]string{"SNI\x00", "www.google.it"})
	for i := range full {
		GoogleHello(full[:i])
	}
}

func FuzzGoogleHello(f *testing.F) {
	f.Add(chlo([2]string{"SNI\x00", "www.google.it"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		sni, _, ok := GoogleHello(b)
		if !ok && sni != "" || len(sni) > len(b) {
			t.Fatalf("GoogleHello(%x) = %q, %v", b, sni, ok)
		}
	})
}
