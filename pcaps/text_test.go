package pcaps

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/pcaps/lina"
)

const textDump = `asa# show capture in dump
1 packet captured

   1: 09:30:00.000101       10.1.1.10.51514 > 203.0.113.7.443: S 1111111111:1111111111(0) win 64240 <mss 1460,nop,nop,sackOK>
0x0000 0050 568d 0002 0050 568d 0001 0800 4500 .PV....PV.....E.
0x0010 0030 1c46 4000 8006 976f 0a01 010a cb00 .0.F@....o......
0x0020 7107 c93a 01bb 423a 35c7 0000 0000 7002 q..:..B:5.....p.
0x0030 faf0 fe24 0000 0204 05b4 0101 0402      ...$..........
1 packet shown
asa# show capture out dump
1 packet captured

   1: 08:15:02.000123       10.1.1.10.53001 > 198.51.100.53.53:  udp 33
0x0000 4500 003d 0a01 0000 8011 fb3b 0a01 010a        E..=.......;....
0x0010 c633 6435 cf09 0035 0029 a6fd 2a7e 0100        .3d5...5.)..*~..
<--- More --->
0x0020 0001 0000 0000 0000 0574 6f6f 6c73 0563        .........tools.c
1 packet shown
`

func TestTextCapture(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		open func(string, io.Reader) (*Reader, error)
	}{
		{"plain", []byte(textDump), NewReader},
		{"crlf", []byte(strings.ReplaceAll(textDump, "\n", "\r\n")), NewReader},
		{"gzip", gz([]byte(textDump)), NewReader},
		{"read-ahead", []byte(textDump), NewReadAhead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.open("cap.txt", bytes.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Format() != "lina" {
				t.Errorf("format %q", r.Format())
			}
			r.SetDate(time.Date(2026, 3, 4, 15, 0, 0, 0, time.Local))
			var pkts []got
			for {
				data, ci, link, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if tp := r.TextPacket(); tp == nil || tp.Number != 1 {
					t.Errorf("TextPacket %+v", tp)
				}
				pkts = append(pkts, got{link, ci.Timestamp, ci.CaptureLength, ci.Length, 0, ""})
				_ = data
			}
			day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
			want := []got{
				{LinkEthernet, day.Add(9*time.Hour + 30*time.Minute + 101*time.Microsecond), 62, 62, 0, ""},
				// The second capture: nearest to the first one's start, so
				// the same day; its last line is missing: 48 of 61 bytes.
				{LinkRaw, day.Add(8*time.Hour + 15*time.Minute + 2*time.Second + 123*time.Microsecond), 48, 61, 0, ""},
			}
			if diff := cmp.Diff(want, pkts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if r.Offset() != int64(len(textDump)) && tc.name != "crlf" && tc.name != "gzip" {
				t.Errorf("offset %d of %d", r.Offset(), len(textDump))
			}
			w := strings.Join(r.Warnings(), "\n")
			for _, s := range []string{
				"cap.txt:11: another capture starts here",
				"cap.txt:13: packet 1: the dump starts at the IP header, the one before at the Ethernet header",
				"cap.txt:16: pager prompt",
			} {
				if !strings.Contains(w, s) {
					t.Errorf("warnings lack %q:\n%s", s, w)
				}
			}
		})
	}
}

func TestTextListing(t *testing.T) {
	const listing = `firepower# show capture inside
3 packets captured

   1: 23:59:59.981204       802.1Q vlan#70 P0 10.1.70.20.49822 > 203.0.113.7.443: S 2002002002:2002002002(0)
      win 64240 <mss 1460,nop,wscale 8,nop,nop,sackOK>
   2: 00:00:00.013579       802.1Q vlan#70 P0 203.0.113.7.443 > 10.1.70.20.49822: S 3003003003:3003003003(0) ack 2002002003 win 65535 <mss 1380>
   3: 00:00:00.014001       10.1.1.10.53001 > 198.51.100.53.53:  udp 33
3 packets shown
`
	r, err := NewReader("in.txt", strings.NewReader(listing))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next: %v, want io.EOF (no bytes to give)", err)
	}
	if r.Listed() != 3 {
		t.Errorf("listed %d, want 3", r.Listed())
	}
	want := []string{
		"in.txt: 3 packets were listed without their bytes, so no TLS can be read from them: TLS content needs `show capture inside dump` or a pcap export (copy /pcap capture:inside …)",
		"in.txt: listed: tcp 10.1.70.20:49822 > 203.0.113.7:443 on VLAN 70, 2 packets",
		"in.txt: listed: udp 10.1.1.10:53001 > 198.51.100.53:53, 1 packet",
	}
	if diff := cmp.Diff(want, r.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestTextNotCapture(t *testing.T) {
	for _, s := range []string{"hello world\n1 packet captured\n", "asa# show running-config\n", "# show capture\n"} {
		_, err := NewReader("x.txt", strings.NewReader(s))
		if !errors.Is(err, ErrNotCapture) {
			t.Errorf("%q: %v, want not a packet capture", s, err)
		}
	}
}

// Open dates a text capture with the file's modification date.
func TestTextOpenDate(t *testing.T) {
	name := filepath.Join(t.TempDir(), "cap.txt")
	if err := os.WriteFile(name, []byte(textDump), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2025, 12, 31, 23, 0, 0, 0, time.Local)
	if err := os.Chtimes(name, mt, mt); err != nil {
		t.Fatal(err)
	}
	r, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, ci, _, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if y, m, d := ci.Timestamp.Date(); y != 2025 || m != 12 || d != 31 {
		t.Errorf("dated %v, want 2025-12-31", ci.Timestamp)
	}
}

// Every sample capture, written as LINA text in each shape, reads back
// as the same packets (IP starts without their link header).
func TestTextSamples(t *testing.T) {
	files, _ := filepath.Glob("../testdata/samples/*.pcap*")
	if len(files) == 0 {
		t.Skip("no samples")
	}
	for _, f := range files {
		r, err := Open(f)
		if err != nil {
			t.Fatal(err)
		}
		type pk struct {
			link LinkType
			data []byte
			ts   time.Time
		}
		var pkts []pk
		for {
			data, ci, link, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, pk{link, bytes.Clone(data), ci.Timestamp})
		}
		r.Close()
		for _, start := range []lina.Start{lina.StartEthernet, lina.StartIP} {
			var frames []lina.Frame
			for _, p := range pkts {
				fr, err := lina.FromLink(p.data, int(p.link), p.ts, start)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				frames = append(frames, fr)
			}
			for _, st := range []lina.Style{{}, {Gap: 8, Detail: true, CRLF: true, Wrap: 60}} {
				var buf bytes.Buffer
				if err := lina.Write(&buf, frames, st); err != nil {
					t.Fatal(err)
				}
				rd, err := NewReader(f+".txt", &buf)
				if err != nil {
					t.Fatal(err)
				}
				y, m, d := pkts[0].ts.Date()
				rd.SetDate(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
				for i := 0; ; i++ {
					data, ci, link, err := rd.Next()
					if err == io.EOF {
						if i != len(frames) {
							t.Errorf("%s %v %+v: %d packets of %d", f, start, st, i, len(frames))
						}
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					wantLink := LinkEthernet
					if start == lina.StartIP {
						wantLink = LinkRaw
					}
					if i >= len(frames) || link != wantLink || !bytes.Equal(data, frames[i].Data) || !ci.Timestamp.Equal(frames[i].Time) ||
						ci.CaptureLength != len(data) || ci.Length != len(data) {
						t.Fatalf("%s %v %+v: packet %d differs: link %v, time %v, %d/%d bytes", f, start, st, i+1, link, ci.Timestamp, ci.CaptureLength, ci.Length)
					}
				}
				if w := rd.Warnings(); len(w) > 0 {
					t.Errorf("%s %v %+v: warnings %v", f, start, st, w)
				}
			}
		}
	}
}
