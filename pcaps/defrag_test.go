package pcaps

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// frag is one fragment given to the defragmenter in a test.
type frag struct {
	off  int
	data string
	more bool
}

var testFragKey = fragKey{src: [4]byte{10, 0, 0, 1}, dst: [4]byte{10, 0, 0, 2}, id: 7, proto: protoTCP}

func TestDefragmenter(t *testing.T) {
	const ihl = 20
	tests := []struct {
		name  string
		frags []frag
		want  string // the datagram; "" when it must not complete
		bad   []int  // fragments that must be refused
	}{
		{"in order", []frag{{0, "01234567", true}, {8, "89abcdef", true}, {16, "xyz", false}}, "0123456789abcdefxyz", nil},
		{"last first", []frag{{16, "xyz", false}, {0, "01234567", true}, {8, "89abcdef", true}}, "0123456789abcdefxyz", nil},
		{"one fragment of a gap left", []frag{{0, "01234567", true}, {16, "xyz", false}}, "", nil},
		{"no last fragment", []frag{{0, "01234567", true}, {8, "89abcdef", true}}, "", nil},
		{"duplicate", []frag{{0, "01234567", true}, {0, "01234567", true}, {8, "89", false}}, "0123456789", nil},
		{"overlap: first wins", []frag{{0, "01234567", true}, {0, "ABCDEFGHIJKL", true}, {12, "mn", false}}, "01234567IJKLmn", nil},
		{"overlap inside a gap", []frag{{0, "0123", true}, {8, "89", false}, {0, "ABCDEFGHIJ", true}}, "0123EFGH89", nil},
		{"second end refused", []frag{{8, "89", false}, {16, "gh", false}, {0, "01234567", true}}, "0123456789", []int{1}},
		{"past the end refused", []frag{{8, "89", false}, {8, "89abcdef", true}, {0, "01234567", true}}, "0123456789", []int{1}},
		{"end before received bytes refused", []frag{{8, "89abcdef", true}, {0, "0123", false}}, "", []int{1}},
		{"empty refused", []frag{{0, "", true}}, "", []int{0}},
		{"beyond the largest datagram refused", []frag{{65512, "0123", false}}, "", []int{0}},
		{"to the largest datagram", []frag{{65512, "012", false}}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDefragmenter()
			var got []byte
			for i, f := range tc.frags {
				whole, ok := d.add(testFragKey, f.off, ihl, []byte(f.data), f.more, t0)
				refused := false
				for _, b := range tc.bad {
					refused = refused || b == i
				}
				if ok == refused {
					t.Errorf("fragment %d (%+v): ok %v, want %v", i, f, ok, !refused)
				}
				if whole != nil {
					if got != nil {
						t.Fatalf("completed twice")
					}
					got = bytes.Clone(whole)
				}
			}
			if string(got) != tc.want {
				t.Errorf("datagram %q, want %q", got, tc.want)
			}
			if tc.want != "" && len(d.pending) != 0 {
				t.Errorf("%d datagrams still pending after completion", len(d.pending))
			}
		})
	}
}

// TestDefragmenterBounds: too finely cut, too many at once, too old.
func TestDefragmenterBounds(t *testing.T) {
	d := newDefragmenter()
	for i := range maxFragRanges + 1 {
		_, ok := d.add(testFragKey, i*16, 20, []byte("01234567"), true, t0)
		if ok != (i < maxFragRanges) {
			t.Fatalf("range %d: ok %v", i+1, ok)
		}
	}
	if len(d.pending) != 0 {
		t.Fatalf("a datagram of %d ranges is still held", maxFragRanges+1)
	}

	for i := range maxFragPending + 1 {
		k := testFragKey
		k.id = uint16(i)
		d.add(k, 0, 20, []byte("01234567"), true, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if len(d.pending) != maxFragPending {
		t.Fatalf("%d pending, want the cap %d", len(d.pending), maxFragPending)
	}
	first := testFragKey
	first.id = 0
	if _, ok := d.pending[first]; ok {
		t.Errorf("the idlest datagram (id 0) was kept")
	}
	d.discardOlderThan(t0.Add(maxFragPending * time.Millisecond / 2))
	if n := len(d.pending); n != maxFragPending/2+1 {
		t.Errorf("%d pending after discarding the older half, want %d", n, maxFragPending/2+1)
	}
}

// ipv4Frag builds an IPv4 fragment carrying TCP bytes, with opts (a
// multiple of 4 bytes) as header options.
func ipv4Frag(id uint16, off int, more bool, opts, payload []byte) []byte {
	ihl := 20 + len(opts)
	b := make([]byte, ihl+len(payload))
	b[0] = 0x40 | byte(ihl/4)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	binary.BigEndian.PutUint16(b[4:6], id)
	ff := uint16(off / 8)
	if more {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:8], ff)
	b[8], b[9] = 64, protoTCP
	copy(b[12:16], []byte{10, 0, 0, 1})
	copy(b[16:20], []byte{10, 0, 0, 2})
	copy(b[20:], opts)
	copy(b[ihl:], payload)
	return b
}

// TestDecodeIPv4FragmentsWithOptions: fragments whose headers carry
// options (which gopacket/ip4defrag never completed) and a cut fragment.
func TestDecodeIPv4FragmentsWithOptions(t *testing.T) {
	s := tseg{from: "10.0.0.1:1234", to: "10.0.0.2:443", seq: 1, flags: "A", data: "0123456789abcdefghijklmnopqrstuvwxyz"}
	tcp := ipTCP(t, s)[20:]
	opts := []byte{1, 1, 1, 0} // NOP, NOP, NOP, end of options
	dc := newDecoder()
	if r := dc.decode(ipv4Frag(9, 24, false, opts, tcp[24:]), LinkRaw, t0); r != resFragment {
		t.Fatalf("last fragment: %v, want resFragment", r)
	}
	got := decodeOne(dc, ipv4Frag(9, 0, true, opts, tcp[:24]), LinkRaw)
	if got.Res != resOK || got.Payload != s.data || got.Sport != 1234 || got.Dport != 443 {
		t.Errorf("reassembled: %+v", got)
	}

	cut := ipv4Frag(10, 0, true, nil, tcp[:24])
	cut = cut[:len(cut)-4] // the snap length took 4 bytes
	if r := dc.decode(cut, LinkRaw, t0); r != resError {
		t.Errorf("cut fragment: %v, want resError", r)
	}
}

// FuzzDefragmenter feeds fragments cut from the input (each: 2 bytes of
// offset in 8-byte units with the More Fragments flag on top, 1 byte of
// length, the bytes) and checks that a completed datagram is whole: as
// long as its last fragment says, and not longer than IPv4 allows.
func FuzzDefragmenter(f *testing.F) {
	f.Add([]byte("\x20\x00\x08012345678\x00\x01\x02ab"))
	f.Add([]byte("\x00\x01\x02ab\x20\x00\x08012345678"))
	f.Add([]byte("\x20\x00\x0801234567\x20\x00\x04ABCD\x00\x01\x02ab\x00\x01\x02cd"))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := newDefragmenter()
		end := map[fragKey]int{} // the end the accepted last fragment set
		for i := 0; len(in) >= 3 && i < 200; i++ {
			v, n := binary.BigEndian.Uint16(in), int(in[2])
			in = in[3:]
			n = min(n, len(in))
			b := in[:n]
			in = in[n:]
			off, more := int(v&0x1fff)*8, v&0x2000 != 0
			k := testFragKey
			k.id = uint16(i % 3)
			whole, ok := d.add(k, off, 20, b, more, t0)
			if _, held := d.pending[k]; !held && whole == nil {
				delete(end, k) // dropped: cut too finely
			}
			if !ok {
				continue
			}
			if !more {
				end[k] = off + n
			}
			if whole == nil {
				continue
			}
			want, seen := end[k]
			if !seen || len(whole) != want {
				t.Fatalf("datagram of %d bytes; the last fragment said %d (seen %v)", len(whole), want, seen)
			}
			if len(whole)+20 > maxIPv4Len {
				t.Fatalf("datagram of %d bytes", len(whole))
			}
			delete(end, k)
		}
	})
}
