package pcaps

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// got is what a test checks of one packet read back.
type got struct {
	Link        LinkType
	Time        time.Time
	CapLen, Len int
	Iface       int
	Data        string
}

func readAll(t *testing.T, name string, file []byte) ([]got, error) {
	t.Helper()
	r, err := NewReader(name, bytes.NewReader(file))
	if err != nil {
		return nil, err
	}
	var out []got
	for {
		data, ci, link, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, got{link, ci.Timestamp, ci.CaptureLength, ci.Length, ci.InterfaceIndex, string(data)})
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func ngFile(t testing.TB, ifaces []layers.LinkType, pkts []pkt) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: ifaces[0], SnapLength: 65535}, pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ifaces[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: l, SnapLength: 65535}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pkts {
		if err := w.WritePacket(p.ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReaderFormats(t *testing.T) {
	ts1 := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	micro := ts1.Truncate(time.Microsecond)
	p1 := pkt{gopacket.CaptureInfo{Timestamp: ts1, CaptureLength: 3, Length: 3}, []byte("abc")}
	p2 := pkt{gopacket.CaptureInfo{Timestamp: ts1.Add(time.Second), CaptureLength: 2, Length: 1500}, []byte("de")}
	p2i1 := p2
	p2i1.ci.InterfaceIndex = 1
	pcapLE := writePcap(t, layers.LinkTypeEthernet, false, []pkt{p1, p2})
	want := []got{
		{LinkEthernet, micro, 3, 3, 0, "abc"},
		{LinkEthernet, micro.Add(time.Second), 2, 1500, 0, "de"},
	}
	wantNano := []got{
		{LinkEthernet, ts1, 3, 3, 0, "abc"},
		{LinkEthernet, ts1.Add(time.Second), 2, 1500, 0, "de"},
	}
	ng := ngFile(t, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, []pkt{p1, p2i1})
	wantNg := []got{
		{LinkEthernet, ts1, 3, 3, 0, "abc"},
		{LinkRaw, ts1.Add(time.Second), 2, 1500, 1, "de"},
	}
	sec2 := ngFile(t, []layers.LinkType{layers.LinkTypeLinuxSLL}, []pkt{p1})
	tests := []struct {
		name string
		file []byte
		want []got
	}{
		{"pcap little-endian micro", pcapLE, want},
		{"pcap little-endian nano", writePcap(t, layers.LinkTypeEthernet, true, []pkt{p1, p2}), wantNano},
		{"pcap big-endian micro", writePcapRaw(binary.BigEndian, false, 1, []pkt{p1, p2}), want},
		{"pcap big-endian nano", writePcapRaw(binary.BigEndian, true, 1, []pkt{p1, p2}), wantNano},
		{"pcap SLL2 link type", writePcapRaw(binary.LittleEndian, true, 276, []pkt{p1}), []got{{LinkSLL2, ts1, 3, 3, 0, "abc"}}},
		{"pcap FCS bits in link type", writePcapRaw(binary.LittleEndian, true, 1|0x1<<26|4<<28, []pkt{p1}), []got{{LinkEthernet, ts1, 3, 3, 0, "abc"}}},
		{"pcap no packets", writePcap(t, layers.LinkTypeEthernet, false, nil), nil},
		{"pcapng two interfaces", ng, wantNg},
		{"pcapng two sections", append(append([]byte(nil), ng...), sec2...), append(wantNg, got{LinkSLL, ts1, 3, 3, 0, "abc"})},
		{"gzip pcap", gz(pcapLE), want},
		{"gzip pcapng", gz(ng), wantNg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := readAll(t, "x.pcap", tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReaderGzipDamage: a damaged gzip stream is said to be one, where
// it is damaged, not taken for an empty or malformed capture (issue 10),
// with and without read-ahead; a capture cut before it was compressed is
// still the capture's fault.
func TestReaderGzipDamage(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 40)
	p := pkt{ci(0, body), body}
	var pkts []pkt
	for range 200 {
		pkts = append(pkts, p)
	}
	file := writePcap(t, layers.LinkTypeEthernet, false, pkts)
	z := gz(file)
	flip := func(from, n int) []byte {
		b := bytes.Clone(z)
		for i := from; i < from+n; i++ {
			b[i] ^= 0xa5
		}
		return b
	}
	tests := []struct {
		name     string
		file     []byte
		sentinel error
		msg      string // the start of the message
	}{
		{"damaged right after the header", flip(10, 8), ErrCorrupt, "f: gzip stream damaged near compressed byte "},
		{"checksum", flip(len(z)-8, 1), ErrCorrupt, "f: gzip stream damaged: checksum mismatch at its end"},
		{"cut", z[:len(z)/2], ErrTruncated, "f: gzip stream cut short at compressed byte "},
		{"gzip header only", z[:10], ErrTruncated, "f: gzip stream cut short at compressed byte 10 (after 0 bytes of capture)"},
		{"a cut capture, compressed", gz(file[:len(file)-3]), ErrTruncated, "f: ends inside a packet record at byte "},
	}
	for _, tt := range tests {
		for _, ahead := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/readahead=%v", tt.name, ahead), func(t *testing.T) {
				var err error
				r, err := NewReader("f", bytes.NewReader(tt.file))
				if ahead {
					r, err = NewReadAhead("f", bytes.NewReader(tt.file))
				}
				for err == nil {
					_, _, _, err = r.Next()
				}
				if r != nil {
					r.Close()
				}
				if err == io.EOF || !errors.Is(err, tt.sentinel) || !strings.HasPrefix(err.Error(), tt.msg) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q (%v), want one line starting %q, %v", err, err, tt.msg, tt.sentinel)
				}
			})
		}
	}
}

func TestReaderErrors(t *testing.T) {
	p := pkt{ci(0, []byte("0123456789")), []byte("0123456789")}
	file := writePcap(t, layers.LinkTypeEthernet, false, []pkt{p, p, p})
	ng := ngFile(t, []layers.LinkType{layers.LinkTypeEthernet}, []pkt{p, p})
	tests := []struct {
		name     string
		file     []byte
		wantN    int // packets delivered before the error
		sentinel error
		msg      string
	}{
		{"empty", nil, 0, ErrEmpty, "f: empty file"},
		{"empty gzip", gz(nil), 0, ErrEmpty, "f: empty file"},
		{"gif", []byte("GIF89a\x01\x00"), 0, ErrNotCapture, "f: not a packet capture (starts with 'GIF8')"},
		{"binary junk", []byte{0, 1, 2, 3, 4}, 0, ErrNotCapture, "f: not a packet capture (starts with 0x00010203)"},
		{"tiny", []byte("ab"), 0, ErrNotCapture, "f: not a packet capture (only 2 bytes)"},
		{"cut header", file[:10], 0, ErrTruncated, "f: ends inside the file header at byte 0"},
		{"cut in third record body", file[:len(file)-3], 2, ErrTruncated, "f: ends inside a packet record at byte 76"},
		{"cut in second record header", file[:24+26+5], 1, ErrTruncated, "f: ends inside a packet record at byte 50"},
		// The gzip trailer is gone: all packets arrive, then the stream
		// ends early: the gzip layer is to blame, not the capture.
		{"cut gzip", gz(file)[:len(gz(file))-6], 3, ErrTruncated, "f: gzip stream cut short at compressed byte 57 (after 102 bytes of capture)"},
		{"cut pcapng", ng[:len(ng)-5], 1, ErrTruncated, "f: ends inside a packet record at byte " + itoa(len(ng)-44)},
		{"pcapng bad block length", append(append([]byte(nil), ng...), 6, 0, 0, 0, 7, 0, 0, 0), 2, ErrCorrupt, "f: bad pcapng block length 7 at byte " + itoa(len(ng))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := readAll(t, "f", tt.file)
			if len(g) != tt.wantN {
				t.Errorf("got %d packets before the error, want %d", len(g), tt.wantN)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.msg)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %v is not %v", err, tt.sentinel)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "f" {
				t.Errorf("error %#v is not an *Error for file f", err)
			}
			if err.Error() != tt.msg {
				t.Errorf("error %q, want %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has several lines: %q", err)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	p := pkt{ci(0, []byte("xyz")), []byte("xyz")}
	dir := t.TempDir()
	name := filepath.Join(dir, "trace.bin") // content, not the name, decides
	if err := os.WriteFile(name, gz(writePcap(t, layers.LinkTypeRaw, false, []pkt{p})), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, _, link, err := r.Next()
	if err != nil || string(data) != "xyz" || link != LinkRaw {
		t.Fatalf("Next = %q, %v, %v", data, link, err)
	}
	if _, _, _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next at end = %v, want io.EOF", err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("Open of a missing file succeeded")
	}
}

// TestReaderStdin reads through a pipe, the way "-" reads standard input:
// no seeking, short reads.
func TestReaderStdin(t *testing.T) {
	p := pkt{ci(0, []byte("xyz")), []byte("xyz")}
	file := writePcap(t, layers.LinkTypeEthernet, true, []pkt{p, p, p})
	pr, pw := io.Pipe()
	go func() {
		for _, b := range file { // one byte per write
			pw.Write([]byte{b})
		}
		pw.Close()
	}()
	r, err := NewReader("-", pr)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, _, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("read %d packets, want 3", n)
	}
	if r.Offset() != int64(len(file)) {
		t.Errorf("Offset() = %d, want %d", r.Offset(), len(file))
	}
}
