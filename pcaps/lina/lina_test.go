package lina

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The three constructed examples of the project's reference on Cisco
// captures (shared/reference/cisco-captures.md §2.6), verbatim.
const (
	exampleA = `2 packets captured

   1: 23:59:59.981204       802.1Q vlan#70 P0 10.1.70.20.49822 > 203.0.113.7.443: S 2002002002:2002002002(0)
      win 64240 <mss 1460,nop,wscale 8,nop,nop,sackOK>
   2: 00:00:00.013579       802.1Q vlan#70 P0 203.0.113.7.443 > 10.1.70.20.49822: S 3003003003:3003003003(0) ack 2002002003 win 65535 <mss 1380>
2 packets shown
`
	exampleB = `1 packet captured

   1: 09:30:00.000101       10.1.1.10.51514 > 203.0.113.7.443: S 1111111111:1111111111(0) win 64240 <mss 1460,nop,nop,sackOK>
0x0000 0050 568d 0002 0050 568d 0001 0800 4500 .PV....PV.....E.
0x0010 0030 1c46 4000 8006 976f 0a01 010a cb00 .0.F@....o......
0x0020 7107 c93a 01bb 423a 35c7 0000 0000 7002 q..:..B:5.....p.
0x0030 faf0 fe24 0000 0204 05b4 0101 0402      ...$..........
1 packet shown
`
	exampleC = `1 packet captured

   1: 08:15:02.000123       10.1.1.10.53001 > 198.51.100.53.53:  udp 33
0x0000 4500 003d 0a01 0000 8011 fb3b 0a01 010a        E..=.......;....
0x0010 c633 6435 cf09 0035 0029 a6fd 2a7e 0100        .3d5...5.)..*~..
0x0020 0001 0000 0000 0000 0574 6f6f 6c73 0563        .........tools.c
0x0030 6973 636f 0363 6f6d 0000 0100 01               isco.com.....
1 packet shown
`
)

var day0 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// parse reads all of s, dated day0; packets are copied.
func parse(t *testing.T, s string) ([]Packet, []Warning) {
	t.Helper()
	p := NewParser(strings.NewReader(s))
	p.SetDate(day0)
	var out []Packet
	for {
		pk, err := p.Next()
		if err == io.EOF {
			return out, p.Warnings()
		}
		if err != nil {
			t.Fatal(err)
		}
		c := *pk
		c.Data = bytes.Clone(pk.Data)
		out = append(out, c)
	}
}

func noWarnings(t *testing.T, w []Warning) {
	t.Helper()
	if len(w) > 0 {
		t.Errorf("unexpected warnings: %v", w)
	}
}

func TestExampleA(t *testing.T) {
	pks, w := parse(t, exampleA)
	noWarnings(t, w)
	if len(pks) != 2 {
		t.Fatalf("%d packets, want 2", len(pks))
	}
	want := []Packet{{
		Line: 3, Number: 1, TimeOfDay: 23*time.Hour + 59*time.Minute + 59*time.Second + 981204*time.Microsecond,
		Time:    day0.Add(23*time.Hour + 59*time.Minute + 59*time.Second + 981204*time.Microsecond),
		Section: 1,
		Desc:    "802.1Q vlan#70 P0 10.1.70.20.49822 > 203.0.113.7.443: S 2002002002:2002002002(0) win 64240 <mss 1460,nop,wscale 8,nop,nop,sackOK>",
	}, {
		Line: 5, Number: 2, TimeOfDay: 13579 * time.Microsecond,
		Time:    day0.AddDate(0, 0, 1).Add(13579 * time.Microsecond), // the next day
		Section: 1,
		Desc:    "802.1Q vlan#70 P0 203.0.113.7.443 > 10.1.70.20.49822: S 3003003003:3003003003(0) ack 2002002003 win 65535 <mss 1380>",
	}}
	if diff := cmp.Diff(want, pks); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for i, pk := range pks {
		f, ok := ParseFlow(pk.Desc)
		if !ok || f.VLAN != 70 || f.Proto != "tcp" {
			t.Errorf("packet %d: flow %+v %v, want tcp on VLAN 70", i+1, f, ok)
		}
	}
	if f, _ := ParseFlow(pks[0].Desc); f.Src != "10.1.70.20:49822" || f.Dst != "203.0.113.7:443" {
		t.Errorf("flow %+v", f)
	}
}

func TestExampleB(t *testing.T) {
	pks, w := parse(t, exampleB)
	noWarnings(t, w)
	if len(pks) != 1 {
		t.Fatalf("%d packets, want 1", len(pks))
	}
	pk := pks[0]
	if pk.Start != StartEthernet || pk.Guessed || pk.Truncated || pk.Damaged {
		t.Errorf("start %v guessed %v truncated %v damaged %v; want Ethernet, sure, whole", pk.Start, pk.Guessed, pk.Truncated, pk.Damaged)
	}
	if len(pk.Data) != 62 || pk.Length != 62 {
		t.Fatalf("%d bytes, declared %d; want 62", len(pk.Data), pk.Length)
	}
	if be16(pk.Data[12:]) != 0x0800 || pk.Data[14] != 0x45 {
		t.Errorf("not IPv4 after an Ethernet header: % x", pk.Data[:16])
	}
	ip := pk.Data[14:]
	if sum := checksum(ip[:20], 0); sum != 0 {
		t.Errorf("IP header checksum does not verify (%#04x)", sum)
	}
	if sum := checksum(ip[20:], pseudo(ip)); sum != 0 {
		t.Errorf("TCP checksum does not verify (%#04x)", sum)
	}
	if want := day0.Add(9*time.Hour + 30*time.Minute + 101*time.Microsecond); !pk.Time.Equal(want) {
		t.Errorf("time %v, want %v", pk.Time, want)
	}
}

func TestExampleC(t *testing.T) {
	pks, w := parse(t, exampleC)
	noWarnings(t, w)
	if len(pks) != 1 {
		t.Fatalf("%d packets, want 1", len(pks))
	}
	pk := pks[0]
	if pk.Start != StartIP || pk.Guessed || pk.Truncated || pk.Damaged || len(pk.Data) != 61 || pk.Length != 61 {
		t.Fatalf("start %v guessed %v truncated %v damaged %v, %d bytes of %d; want IP, 61 of 61",
			pk.Start, pk.Guessed, pk.Truncated, pk.Damaged, len(pk.Data), pk.Length)
	}
	if pk.Data[60] != 0x01 {
		t.Errorf("last byte %#02x, want the 2-digit group 01", pk.Data[60])
	}
	// The DNS question: 12 bytes of header after 8 of UDP.
	if name := dnsName(pk.Data[20+8+12:]); name != "tools.cisco.com" {
		t.Errorf("query name %q, want tools.cisco.com", name)
	}
	if sum := checksum(pk.Data[:20], 0); sum != 0 {
		t.Errorf("IP header checksum does not verify")
	}
}

func dnsName(b []byte) string {
	var labels []string
	for len(b) > 0 && b[0] != 0 && int(b[0]) < len(b) {
		labels = append(labels, string(b[1:1+b[0]]))
		b = b[1+b[0]:]
	}
	return strings.Join(labels, ".")
}

func checksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func pseudo(ip []byte) uint32 {
	var sum uint32
	for i := 12; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	return sum + uint32(ip[9]) + uint32(len(ip)-20)
}

// Pasted terminal output: CRLF, a BOM, a prompt with the echoed command,
// a pager line and the prompt at the end.
func TestPaste(t *testing.T) {
	body := strings.Replace(exampleB, "0x0020", "<--- More --->\n0x0020", 1)
	s := "\xef\xbb\xbfasa/pri/act# show capture inside dump\n" + body + "asa/pri/act# \n"
	s = strings.ReplaceAll(s, "\n", "\r\n")
	pks, w := parse(t, s)
	if len(pks) != 1 || len(pks[0].Data) != 62 || pks[0].Damaged || pks[0].Start != StartEthernet {
		t.Fatalf("packets %+v", pks)
	}
	if len(w) != 1 || w[0].Line != 7 || !strings.Contains(w[0].Msg, "<--- More --->") {
		t.Errorf("warnings %v, want one for the pager line 7", w)
	}
	p := NewParser(strings.NewReader(s))
	for {
		if _, err := p.Next(); err != nil {
			break
		}
	}
	if p.CaptureName() != "inside" {
		t.Errorf("capture name %q, want inside", p.CaptureName())
	}
}

// A pager erased with a carriage return (a terminal log): the next line is
// on the same line after it.
func TestPagerErased(t *testing.T) {
	s := strings.Replace(exampleC, "0x0020", "--More--\r          \r0x0020", 1)
	pks, w := parse(t, s)
	if len(pks) != 1 || len(pks[0].Data) != 61 || pks[0].Damaged {
		t.Fatalf("packets %+v", pks)
	}
	if len(w) != 1 || w[0].Line != 6 {
		t.Errorf("warnings %v, want one on line 6", w)
	}
}

func TestSeveralCaptures(t *testing.T) {
	s := "asa# show capture in dump\n" + exampleC + "asa# show capture out dump\n" + exampleB + "asa# \n"
	pks, w := parse(t, s)
	if len(pks) != 2 || pks[0].Section != 1 || pks[1].Section != 2 || pks[0].Start != StartIP || pks[1].Start != StartEthernet {
		t.Fatalf("packets %+v", pks)
	}
	var msgs []string
	for _, x := range w {
		msgs = append(msgs, x.String())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{"line 11: another capture starts here", "line 13: packet 1: the dump starts at the Ethernet header, the one before at the IP header"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
}

// The second capture of a file is dated nearest to the first's start.
func TestSectionDates(t *testing.T) {
	rec := func(tod string) string {
		return "1 packet captured\n\n   1: " + tod + "       10.0.0.1.1 > 10.0.0.2.2: S 1:1(0) win 1\n1 packet shown\n"
	}
	for _, tc := range []struct {
		first, second string
		day           int
	}{
		{"23:50:00.000000", "23:52:00.000000", 0},
		{"23:50:00.000000", "00:02:00.000000", 1},
		{"00:05:00.000000", "23:55:00.000000", 0}, // never before the date
		{"12:00:00.000000", "01:00:00.000000", 0},
	} {
		pks, _ := parse(t, rec(tc.first)+rec(tc.second))
		if len(pks) != 2 {
			t.Fatalf("%d packets", len(pks))
		}
		y, m, d := pks[1].Time.Date()
		if got := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); !got.Equal(day0.AddDate(0, 0, tc.day)) {
			t.Errorf("%s then %s: second dated %v, want day +%d", tc.first, tc.second, got, tc.day)
		}
	}
}

func TestTimeBack(t *testing.T) {
	s := `2 packets captured

   1: 10:00:01.000000       10.0.0.1.1 > 10.0.0.2.2: . ack 1 win 1
   2: 10:00:00.500000       10.0.0.1.1 > 10.0.0.2.2: . ack 1 win 1
2 packets shown
`
	pks, w := parse(t, s)
	if len(pks) != 2 || !pks[1].Time.Equal(day0.Add(10*time.Hour+500*time.Millisecond)) {
		t.Fatalf("packets %+v", pks)
	}
	if len(w) != 1 || w[0].Line != 4 || !strings.Contains(w[0].Msg, "goes back from 10:00:01.000000 to 10:00:00.500000") {
		t.Errorf("warnings %v", w)
	}
}

// Output cut off inside a packet's hex: warned, the packet damaged and
// truncated.
func TestCutMidPacket(t *testing.T) {
	s := exampleB[:strings.Index(exampleB, "0x0020")] + "0x0020 7107 c9"
	pks, w := parse(t, s)
	if len(pks) != 1 {
		t.Fatalf("%d packets", len(pks))
	}
	pk := pks[0]
	if !pk.Damaged || !pk.Truncated || len(pk.Data) != 35 || pk.Length != 62 {
		t.Errorf("damaged %v truncated %v, %d of %d bytes; want damaged, truncated, 35 of 62", pk.Damaged, pk.Truncated, len(pk.Data), pk.Length)
	}
	got := ""
	for _, x := range w {
		got += x.String() + "\n"
	}
	for _, want := range []string{"line 6: the capture output ends here", "line 6: packet 1 is cut off here: 35 of 62 bytes"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
}

// packet-length / headers-only: shorter than declared, not damaged.
func TestPacketLength(t *testing.T) {
	s := exampleB[:strings.Index(exampleB, "0x0030")] + exampleB[strings.Index(exampleB, "1 packet shown"):]
	pks, w := parse(t, s)
	noWarnings(t, w)
	if len(pks) != 1 || !pks[0].Truncated || pks[0].Damaged || len(pks[0].Data) != 48 || pks[0].Length != 62 {
		t.Fatalf("packets %+v", pks)
	}
}

func TestBadOffset(t *testing.T) {
	s := strings.Replace(exampleC, "0x0020", "0x0024", 1)
	pks, w := parse(t, s)
	if len(pks) != 1 || !pks[0].Damaged || len(pks[0].Data) != 32 || !pks[0].Truncated {
		t.Fatalf("packets %+v", pks)
	}
	if len(w) != 1 || w[0].Line != 6 || !strings.Contains(w[0].Msg, "hex offset 0x0024 where 0x0020 was expected") {
		t.Errorf("warnings %v", w)
	}
}

func TestCountsAndNumbers(t *testing.T) {
	s := `3 packets captured

   1: 10:00:00.000000       10.0.0.1.1 > 10.0.0.2.2: . ack 1 win 1
   3: 10:00:00.100000       10.0.0.1.1 > 10.0.0.2.2: . ack 1 win 1
3 packets shown
`
	pks, w := parse(t, s)
	if len(pks) != 2 {
		t.Fatalf("%d packets", len(pks))
	}
	if len(w) != 2 || w[0].Line != 4 || !strings.Contains(w[0].Msg, "jump from 1 to 3") ||
		w[1].Line != 5 || !strings.Contains(w[1].Msg, "2 packets were read") {
		t.Errorf("warnings %v", w)
	}
}

func TestDetailDump(t *testing.T) {
	frame, _ := hex.DecodeString("0050568d00020050568d00010800450000301c46400080069" +
		"76f0a01010acb007107c93a01bb423a35c7000000007002faf0fe240000020405b401010402")
	var buf bytes.Buffer
	if err := Write(&buf, []Frame{{Time: day0.Add(time.Hour), Data: frame, Start: StartEthernet}}, Style{Detail: true, Gap: 8}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "   1: 01:00:00.000000 0050.568d.0001 0050.568d.0002 0x0800 Length: 62\n      10.1.1.10.51514 > 203.0.113.7.443: S 1111111111:1111111111(0) win 64240 (ttl 128, id 7238)\n") {
		t.Errorf("detail output:\n%s", buf.String())
	}
	pks, w := parse(t, buf.String())
	noWarnings(t, w)
	if len(pks) != 1 || !bytes.Equal(pks[0].Data, frame) || pks[0].Start != StartEthernet {
		t.Fatalf("packets %+v", pks)
	}
}

// A one-space gap whose padding was lost: "cafe" is the ASCII column.
func TestASCIILooksLikeHex(t *testing.T) {
	off, b, ok := parseHex([]byte("0x0010 6361 6665 cafe"), nil)
	if !ok || off != 16 || string(b) != "cafe" {
		t.Errorf("got %v %q %v, want 16 \"cafe\"", off, b, ok)
	}
	_, b, _ = parseHex([]byte("0x0010 6361 ca"), nil)
	if string(b) != "ca" {
		t.Errorf("got %q, want \"ca\"", b)
	}
	_, b, _ = parseHex([]byte("0x0010 cafe cafe cafe cafe cafe cafe cafe cafe cafe"), nil)
	if len(b) != 16 {
		t.Errorf("got %d bytes, want 16 (8 groups at most)", len(b))
	}
	if _, _, ok := parseHex([]byte("0x00g0 0000"), nil); ok {
		t.Error("bad offset accepted")
	}
}

func TestNotAHeader(t *testing.T) {
	for _, s := range []string{"1: 24:00:00.000000 x", "1: 10:61:00.000000 x", "1:10:00:00.000000 x", "1: 10:00:00 x", "x: 10:00:00.1 y"} {
		if _, _, _, ok := parseHeader([]byte(s)); ok {
			t.Errorf("%q taken as a header line", s)
		}
	}
	if num, tod, desc, ok := parseHeader([]byte("12: 1:02:03.5   ab")); !ok || num != 12 || tod != time.Hour+2*time.Minute+3500*time.Millisecond || string(desc) != "ab" {
		t.Errorf("got %d %v %q %v", num, tod, desc, ok)
	}
}

func TestParseFlow(t *testing.T) {
	for _, tc := range []struct {
		desc string
		want Flow
	}{
		{"10.1.1.10.53001 > 198.51.100.53.53:  udp 33", Flow{Proto: "udp", Src: "10.1.1.10:53001", Dst: "198.51.100.53:53"}},
		{"2001:db8::1.443 > 2001:db8::2.50000 P 1:10(9) ack 1 win 5", Flow{Proto: "tcp", Src: "[2001:db8::1]:443", Dst: "[2001:db8::2]:50000"}},
		{"802.1Q vlan#12 P5 10.0.0.1 > 10.0.0.2: icmp: echo request", Flow{Proto: "icmp", Src: "10.0.0.1", Dst: "10.0.0.2", VLAN: 12, Priority: 5}},
		{"0050.568d.0001 0050.568d.0002 0x0800 Length: 62 10.1.1.10.1 > 10.1.1.11.2: S 1:1(0) win 1", Flow{Proto: "tcp", Src: "10.1.1.10:1", Dst: "10.1.1.11:2"}},
	} {
		got, ok := ParseFlow(tc.desc)
		if !ok || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.desc, got, ok, tc.want)
		}
	}
}

func TestEthernetFromIP(t *testing.T) {
	pks, _ := parse(t, strings.Replace(exampleC, "10.1.1.10.53001", "802.1Q vlan#7 P3 10.1.1.10.53001", 1))
	f, added := Ethernet(nil, &pks[0])
	if added != 18 || len(f) != 79 || !bytes.Equal(f[12:18], []byte{0x81, 0, 0x60, 7, 8, 0}) || !bytes.Equal(f[18:], pks[0].Data) {
		t.Errorf("frame % x (%d added)", f[:20], added)
	}
}

func TestLongLine(t *testing.T) {
	s := "1 packet captured\n\n   1: 10:00:00.000000       " + strings.Repeat("x", MaxLine*2) + "\n1 packet shown\n"
	pks, w := parse(t, s)
	if len(pks) != 1 || len(pks[0].Desc) > MaxLine || len(w) != 1 || w[0].Line != 3 {
		t.Fatalf("%d packets, warnings %v", len(pks), w)
	}
}

func TestWriteParseRoundTrip(t *testing.T) {
	pks, _ := parse(t, exampleB+exampleC)
	frames := []Frame{{day0.Add(time.Hour), pks[0].Data, StartEthernet}, {day0.Add(2 * time.Hour), pks[1].Data, StartIP}}
	for _, st := range []Style{{}, {Gap: 8}, {Wrap: 40}, {CRLF: true, Prompt: "firepower# ", Pager: 3}, {Detail: true}} {
		var buf bytes.Buffer
		if err := Write(&buf, frames, st); err != nil {
			t.Fatal(err)
		}
		got, w := parse(t, buf.String())
		for _, x := range w {
			if !strings.Contains(x.Msg, "More") && !strings.Contains(x.Msg, "pager prompts") && !strings.Contains(x.Msg, "the dump starts at the IP header, the one before at the Ethernet header") {
				t.Errorf("style %+v: warning %v", st, x)
			}
		}
		if len(got) != 2 || !bytes.Equal(got[0].Data, frames[0].Data) || !bytes.Equal(got[1].Data, frames[1].Data) ||
			got[0].Start != StartEthernet || got[1].Start != StartIP || !got[1].Time.Equal(frames[1].Time) {
			t.Errorf("style %+v: read back %+v\n%s", st, got, buf.String())
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{exampleA, true},
		{"\r\n\r\n" + exampleB, true},
		{"\xef\xbb\xbfasa# show capture in dump\r\n", true},
		{"> sh cap x\n", true},
		{"firepower(config)# show cap\n", true},
		{"   1: 09:30:00.000101       10.1.1.10.51514 > 203.0.113.7.443: S 1:1(0) win 1\n", true},
		{"%PDF-1.7 not a capture at all\n", false},
		{"# show me\n", false},
		{"asa# show running-config\n", false},
		{"1 packet shown\n", false},
		{"hello\n1 packet captured\n", false},
		{"   \n\n", false},
		{"1: 09:30:00.000101\n", false},
	} {
		if got := Detect([]byte(tc.in)); got != tc.want {
			t.Errorf("Detect(%q) = %v", tc.in, got)
		}
	}
}

func TestManyPagers(t *testing.T) {
	var buf bytes.Buffer
	pks, _ := parse(t, exampleC)
	frames := make([]Frame, 10)
	for i := range frames {
		frames[i] = Frame{day0.Add(time.Duration(i) * time.Second), pks[0].Data, StartIP}
	}
	if err := Write(&buf, frames, Style{Pager: 5}); err != nil {
		t.Fatal(err)
	}
	got, w := parse(t, buf.String())
	if len(got) != 10 {
		t.Fatalf("%d packets", len(got))
	}
	var msgs []string
	for _, x := range w {
		msgs = append(msgs, x.String())
	}
	// 53 lines: a pager after every 5th, 10 in all.
	want := []string{
		`line 6: pager prompt "<--- More --->" skipped (lines may be missing here; 'terminal pager 0' turns the pager off)`,
		`line 12: pager prompt "<--- More --->" skipped (lines may be missing here; 'terminal pager 0' turns the pager off)`,
		`line 18: pager prompt "<--- More --->" skipped (lines may be missing here; 'terminal pager 0' turns the pager off)`,
		`line 60: 7 more pager prompts skipped, the last one here`,
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
