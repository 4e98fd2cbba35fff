package lina

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

// Frame is a packet to write as LINA text.
type Frame struct {
	Time  time.Time // only the time of day is written
	Data  []byte
	Start Start // StartEthernet or StartIP: where Data begins
}

// Style chooses among the shapes LINA output takes. The zero Style is a
// `dump` with a one-space gap before the ASCII column.
type Style struct {
	NoDump       bool   // a listing without hex (`show capture NAME`)
	Detail       bool   // `detail`: a MAC header line for frames that start at Ethernet
	Gap          int    // spaces between the hex and the ASCII column (0: 1)
	Wrap         int    // wrap descriptions at a space past this many characters (0: never)
	CRLF         bool   // CRLF line ends, as a Windows terminal paste has
	Prompt       string // e.g. "asa# ": the command is echoed first and the prompt printed last
	Name         string // the capture name in the echoed command (default "cap")
	Pager        int    // a "<--- More --->" line after every this many lines (0: never)
	PacketLength int    // keep only this many bytes of each packet, as `packet-length` does (0: all)
}

// Write writes frames as one capture listing, as ASA prints it. It is the
// test-side counterpart of Parser: tests turn pcaps into text with it.
func Write(w io.Writer, frames []Frame, st Style) error {
	bw := bufio.NewWriter(w)
	lw := &lineWriter{w: bw, st: st}
	if st.Prompt != "" {
		name := st.Name
		if name == "" {
			name = "cap"
		}
		cmd := "show capture " + name
		if st.Detail {
			cmd += " detail"
		}
		if !st.NoDump {
			cmd += " dump"
		}
		lw.line(st.Prompt + cmd)
	}
	plural := func(n int) string {
		if n == 1 {
			return "1 packet"
		}
		return fmt.Sprintf("%d packets", n)
	}
	lw.line(plural(len(frames)) + " captured")
	lw.line("")
	for i, f := range frames {
		data := f.Data
		if st.PacketLength > 0 && len(data) > st.PacketLength {
			data = data[:st.PacketLength]
		}
		head := fmt.Sprintf("%4d: %s ", i+1, clock(timeOfDay(f.Time)))
		desc := Describe(f.Data, f.Start, st.Detail)
		if st.Detail && f.Start == StartEthernet && len(f.Data) >= 14 {
			lw.line(head + fmt.Sprintf("%s %s 0x%04x Length: %d", ciscoMAC(f.Data[6:12]), ciscoMAC(f.Data[0:6]), be16(f.Data[12:]), len(f.Data)))
			lw.wrapped("      ", desc)
		} else {
			lw.wrapped(head+"      ", desc)
		}
		if !st.NoDump {
			lw.hex(data)
		}
	}
	lw.line(plural(len(frames)) + " shown")
	if st.Prompt != "" {
		lw.line(st.Prompt)
	}
	if lw.err != nil {
		return lw.err
	}
	return bw.Flush()
}

func timeOfDay(t time.Time) time.Duration {
	y, m, d := t.Date()
	return t.Sub(time.Date(y, m, d, 0, 0, 0, 0, t.Location()))
}

func ciscoMAC(b []byte) string {
	return fmt.Sprintf("%02x%02x.%02x%02x.%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5])
}

type lineWriter struct {
	w     *bufio.Writer
	st    Style
	lines int
	err   error
}

func (lw *lineWriter) line(s string) {
	if lw.err != nil {
		return
	}
	end := "\n"
	if lw.st.CRLF {
		end = "\r\n"
	}
	_, lw.err = lw.w.WriteString(s + end)
	lw.lines++
	if lw.st.Pager > 0 && lw.lines%lw.st.Pager == 0 {
		_, lw.err = lw.w.WriteString("<--- More --->" + end)
	}
}

// wrapped writes head+desc, breaking desc at spaces past Style.Wrap;
// continuation lines are indented.
func (lw *lineWriter) wrapped(head, desc string) {
	s := head + desc
	for lw.st.Wrap > 0 && len(s) > lw.st.Wrap {
		i := strings.LastIndexByte(s[:lw.st.Wrap], ' ')
		if i <= len(head) {
			i = strings.IndexByte(s[len(head):], ' ')
			if i < 0 {
				break
			}
			i += len(head)
		}
		lw.line(strings.TrimRight(s[:i], " "))
		s = "      " + strings.TrimLeft(s[i:], " ")
		head = "      "
	}
	lw.line(s)
}

// hex writes the dump lines: 16 bytes each, padded so the ASCII column
// stays aligned.
func (lw *lineWriter) hex(b []byte) {
	gap := strings.Repeat(" ", max(lw.st.Gap, 1))
	var sb strings.Builder
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		sb.Reset()
		fmt.Fprintf(&sb, "0x%04x ", off)
		n := sb.Len()
		for i := 0; i < len(row); i += 2 {
			if i > 0 {
				sb.WriteByte(' ')
			}
			if i+1 < len(row) {
				fmt.Fprintf(&sb, "%02x%02x", row[i], row[i+1])
			} else {
				fmt.Fprintf(&sb, "%02x", row[i])
			}
		}
		sb.WriteString(strings.Repeat(" ", 39-(sb.Len()-n)))
		sb.WriteString(gap)
		for _, c := range row {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			sb.WriteByte(c)
		}
		lw.line(sb.String())
	}
}

// Describe renders a packet as LINA's description: "[802.1Q vlan#ID P0 ]
// SRC.SPORT > DST.DPORT: FLAGS seq:end(len) ack N win N", "… udp LEN" or
// "… icmp: type T code C". detail adds the IP TTL and ID.
func Describe(b []byte, start Start, detail bool) string {
	var sb strings.Builder
	if start == StartEthernet {
		o := 12
		for len(b) >= o+4 {
			t := be16(b[o:])
			if t != 0x8100 && t != 0x88a8 && t != 0x9100 {
				break
			}
			tci := be16(b[o+2:])
			fmt.Fprintf(&sb, "802.1Q vlan#%d P%d ", tci&0xfff, tci>>13)
			o += 4
		}
		if len(b) < o+2 {
			return sb.String() + "truncated-ether"
		}
		if t := be16(b[o:]); t != 0x0800 && t != 0x86dd {
			return sb.String() + fmt.Sprintf("ether type 0x%04x", t)
		}
		b = b[o+2:]
	}
	var src, dst netip.Addr
	var proto int
	var l4 []byte
	var extra string
	switch {
	case len(b) >= 20 && b[0]>>4 == 4:
		ihl := int(b[0]&0x0f) * 4
		src, dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		proto = int(b[9])
		end := min(len(b), max(be16(b[2:]), ihl))
		if ihl <= end {
			l4 = b[ihl:end]
		}
		extra = fmt.Sprintf(" (ttl %d, id %d)", b[8], be16(b[4:]))
	case len(b) >= 40 && b[0]>>4 == 6:
		src, dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		proto = int(b[6])
		l4 = b[40:min(len(b), 40+be16(b[4:]))]
		extra = fmt.Sprintf(" (hlim %d)", b[7])
	default:
		return sb.String() + "not IP"
	}
	switch {
	case proto == 6 && len(l4) >= 20:
		sport, dport := be16(l4), be16(l4[2:])
		seq, ack := be32(l4[4:]), be32(l4[8:])
		flags := l4[13]
		n := len(l4) - int(l4[12]>>4)*4
		fmt.Fprintf(&sb, "%s.%d > %s.%d: ", src, sport, dst, dport)
		f := ""
		for _, x := range []struct {
			bit  byte
			name string
		}{{0x02, "S"}, {0x01, "F"}, {0x04, "R"}, {0x08, "P"}} {
			if flags&x.bit != 0 {
				f += x.name
			}
		}
		if f == "" {
			f = "."
		}
		sb.WriteString(f)
		if n > 0 || flags&0x03 != 0 {
			fmt.Fprintf(&sb, " %d:%d(%d)", seq, seq+uint32(max(n, 0)), max(n, 0))
		}
		if flags&0x10 != 0 {
			fmt.Fprintf(&sb, " ack %d", ack)
		}
		fmt.Fprintf(&sb, " win %d", be16(l4[14:]))
	case proto == 17 && len(l4) >= 8:
		fmt.Fprintf(&sb, "%s.%d > %s.%d:  udp %d", src, be16(l4), dst, be16(l4[2:]), be16(l4[4:])-8)
	case (proto == 1 || proto == 58) && len(l4) >= 2:
		fmt.Fprintf(&sb, "%s > %s: icmp: type %d code %d", src, dst, l4[0], l4[1])
	default:
		fmt.Fprintf(&sb, "%s > %s: ip-proto-%d %d", src, dst, proto, len(l4))
	}
	if detail {
		sb.WriteString(extra)
	}
	return sb.String()
}

func be32(b []byte) uint32 { return uint32(be16(b))<<16 | uint32(be16(b[2:])) }

// Ethernet appends pk's bytes to dst as an Ethernet frame and returns it
// with the number of header bytes added. A dump that starts at IP gets a
// made-up header (zero MAC addresses, the EtherType of the IP version) and
// the 802.1Q tag its description names, if any.
func Ethernet(dst []byte, pk *Packet) ([]byte, int) {
	if pk.Start != StartIP {
		return append(dst, pk.Data...), 0
	}
	n := len(dst)
	dst = append(dst, make([]byte, 12)...)
	if f, ok := ParseFlow(pk.Desc); ok && f.VLAN > 0 {
		tci := f.Priority<<13 | f.VLAN&0xfff
		dst = append(dst, 0x81, 0x00, byte(tci>>8), byte(tci))
	}
	t := uint16(0x0800)
	if len(pk.Data) > 0 && pk.Data[0]>>4 == 6 {
		t = 0x86dd
	}
	dst = append(dst, byte(t>>8), byte(t))
	added := len(dst) - n
	return append(dst, pk.Data...), added
}

// FromLink makes a Frame of a captured packet whose link type (a
// LINKTYPE_ value) is Ethernet (1), raw IP (12, 14, 101, 228, 229), BSD
// loopback (0, 108) or Linux cooked (113, 276), so tests can write any
// sample capture as LINA text.
// start chooses where the Frame begins: StartIP drops the link header and
// any VLAN tags; StartEthernet keeps an Ethernet header or makes one up
// (02:00:00:00:00:01 to 02:00:00:00:00:02).
func FromLink(data []byte, link int, ts time.Time, start Start) (Frame, error) {
	var ip []byte
	switch link {
	case 1:
		if start == StartEthernet {
			return Frame{ts, data, start}, nil
		}
		hdr, _, ok := ethernetLength(data)
		if !ok {
			return Frame{}, fmt.Errorf("lina: not IP over Ethernet")
		}
		ip = data[hdr:]
	case 12, 14, 101, 228, 229:
		ip = data
	case 0, 108: // BSD loopback: a 4-byte address family
		if len(data) < 4 {
			return Frame{}, fmt.Errorf("lina: short loopback header")
		}
		ip = data[4:]
	case 113:
		if len(data) < 16 {
			return Frame{}, fmt.Errorf("lina: short Linux cooked header")
		}
		ip = data[16:]
	case 276:
		if len(data) < 20 {
			return Frame{}, fmt.Errorf("lina: short Linux cooked v2 header")
		}
		ip = data[20:]
	default:
		return Frame{}, fmt.Errorf("lina: link type %d not supported", link)
	}
	if start == StartIP {
		return Frame{ts, ip, start}, nil
	}
	eth, _ := Ethernet(nil, &Packet{Start: StartIP, Data: ip})
	copy(eth[0:12], []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1})
	return Frame{ts, eth, start}, nil
}
