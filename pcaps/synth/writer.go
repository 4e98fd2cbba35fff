package synth

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Link is the link layer of a capture file.
type Link uint8

const (
	Ethernet Link = iota // DLT_EN10MB, optionally with 802.1Q / 802.1ad tags
	LinuxSLL             // DLT_LINUX_SLL ("any" device cooked capture)
	RawIP                // DLT_RAW: the packet starts with the IP header
	Loopback             // DLT_NULL: BSD loopback, 4-byte host-order family
)

// String returns the link type's short name.
func (l Link) String() string {
	switch l {
	case Ethernet:
		return "ethernet"
	case LinuxSLL:
		return "linux-sll"
	case RawIP:
		return "raw-ip"
	case Loopback:
		return "null"
	}
	return fmt.Sprintf("Link(%d)", uint8(l))
}

func (l Link) linkType() layers.LinkType {
	switch l {
	case LinuxSLL:
		return layers.LinkTypeLinuxSLL
	case RawIP:
		return layers.LinkTypeRaw
	case Loopback:
		return layers.LinkTypeNull
	}
	return layers.LinkTypeEthernet
}

// Format is the capture file format.
type Format uint8

const (
	PCAP   Format = iota // libpcap, microsecond timestamps
	PCAPNG               // pcapng, one interface, nanosecond timestamps
)

// Options configure a Writer.
type Options struct {
	Format Format
	Link   Link
	// Start is the timestamp of the first packet; each later packet is
	// Step later (default 1ms).
	Start time.Time
	Step  time.Duration
	// Encap wraps every IP packet in a tunnel or tag (default none);
	// MPLS, PPPoE, VNTag and UnknownTag need link type Ethernet.
	Encap Encap
}

// TCP lays out one conversation as packets.
type TCP struct {
	ClientISN, ServerISN uint32
	// MSS is the largest segment payload, announced in the SYNs; 0 means
	// 1460 (IPv4) or 1440 (IPv6).
	MSS int
	// Window is the advertised receive window; 0 means 64240.
	Window uint16
	// VLANs are 802.1Q tags, outermost first (Ethernet only). With two or
	// more tags the outer ones use the 802.1ad (QinQ) EtherType.
	VLANs []uint16
	// Shuffle, when non-zero, seeds a permutation of the segments of every
	// flight of at least MinDisorder segments: they reach the capture point
	// out of order. Duplicates such segments are, in addition, sent twice
	// (retransmissions) in each such flight.
	Shuffle     uint64
	Duplicates  int
	MinDisorder int // default 3

	// Opening is how the three-way handshake goes (default Established);
	// a connection that is not established carries no chunks.
	Opening Opening
	// SYNRetries are, for an Unanswered opening, the waits before each
	// retransmission of the SYN (Linux doubles them: 1s, 2s, 4s, ...).
	SYNRetries []time.Duration
	// ClientOnly keeps the client's packets only, as a capture that sees
	// one direction does (asymmetric routing, a one-way SPAN session).
	ClientOnly bool
	// Cut, when above zero, ends the connection's capture after this many
	// of its packets: a capture stopped before the answer came.
	Cut int
}

// Host MACs: the capture is taken on the client host; every remote
// address is reached through the gateway.
var (
	clientMAC  = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	gatewayMAC = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}
)

// Writer writes packets to a capture file.
type Writer struct {
	opts Options
	pcap *pcapgo.Writer
	ng   *pcapgo.NgWriter
	now  time.Time
	buf  gopacket.SerializeBuffer
	ipID [2]uint16
	// packets counts the packets written.
	packets int64
}

// NewWriter writes the file header to w and returns a Writer. Call Flush
// at the end.
func NewWriter(w io.Writer, opts Options) (*Writer, error) {
	if opts.Step == 0 {
		opts.Step = time.Millisecond
	}
	wr := &Writer{opts: opts, now: opts.Start, buf: gopacket.NewSerializeBuffer(), ipID: [2]uint16{0x1000, 0x5000}}
	switch opts.Format {
	case PCAP:
		wr.pcap = pcapgo.NewWriter(w)
		if err := wr.pcap.WriteFileHeader(262144, opts.Link.linkType()); err != nil {
			return nil, err
		}
	case PCAPNG:
		intf := pcapgo.NgInterface{
			Name:                "synth0",
			LinkType:            opts.Link.linkType(),
			TimestampResolution: 9,
		}
		// Fixed section info (not runtime.GOOS) keeps files identical
		// across platforms.
		ng, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.NgWriterOptions{
			SectionInfo: pcapgo.NgSectionInfo{Application: "tsid pcaps/synth"},
		})
		if err != nil {
			return nil, err
		}
		wr.ng = ng
	default:
		return nil, fmt.Errorf("synth: unknown format %d", opts.Format)
	}
	return wr, nil
}

// Time returns the timestamp the next packet gets.
func (w *Writer) Time() time.Time { return w.now }

// Pause adds d of silence before the next packet.
func (w *Writer) Pause(d time.Duration) { w.now = w.now.Add(d) }

// Flush writes buffered data (pcapng) to the underlying writer.
func (w *Writer) Flush() error {
	if w.ng != nil {
		return w.ng.Flush()
	}
	return nil
}

// segment is one TCP packet before encoding.
type segment struct {
	dir      Dir
	seq, ack uint32
	flags    uint8
	payload  []byte
	wait     time.Duration // time since the previous packet, when above the step
}

const (
	flagFIN = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
)

// segments returns the TCP segments WriteConversation writes for c, in
// capture order.
func segments(c *Conversation, t TCP) []segment {
	syn := segment{dir: Client, seq: t.ClientISN, flags: flagSYN}
	switch t.Opening {
	case Unanswered:
		segs := []segment{syn}
		for _, d := range t.SYNRetries {
			again := syn
			again.wait = d
			segs = append(segs, again)
		}
		return segs
	case Refused:
		// RFC 9293, Section 3.10.7.1: a SYN to a port nobody listens on
		// is answered <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
		return []segment{syn, {dir: Server, ack: t.ClientISN + 1, flags: flagRST | flagACK}}
	}
	mss := t.mss(c.Client.Addr().Is6())
	minDisorder := t.MinDisorder
	if minDisorder == 0 {
		minDisorder = 3
	}
	nxt := [2]uint32{t.ClientISN + 1, t.ServerISN + 1}
	segs := []segment{
		{dir: Client, seq: t.ClientISN, flags: flagSYN},
		{dir: Server, seq: t.ServerISN, ack: nxt[Client], flags: flagSYN | flagACK},
		{dir: Client, seq: nxt[Client], ack: nxt[Server], flags: flagACK},
	}
	flight := 0
	for i := 0; i < len(c.Chunks); {
		d, wait := c.Chunks[i].Dir, c.Chunks[i].Wait
		var out []segment
		if c.Chunks[i].RST {
			// RFC 9293, Section 3.10.7: the reset ends the connection;
			// nothing the sides wrote after it is sent.
			return append(segs, segment{dir: d, seq: nxt[d], ack: nxt[d.Peer()], flags: flagRST | flagACK, wait: wait})
		}
		if c.Chunks[i].FIN {
			out = append(out, segment{dir: d, seq: nxt[d], ack: nxt[d.Peer()], flags: flagFIN | flagACK})
			nxt[d]++
			i++
		} else {
			// A flight: consecutive data chunks of one side, up to a
			// chunk that waits.
			for first := i; i < len(c.Chunks) && c.Chunks[i].Dir == d && !c.Chunks[i].FIN && !c.Chunks[i].RST &&
				(i == first || c.Chunks[i].Wait == 0); i++ {
				data := c.Chunks[i].Data
				for len(data) > 0 {
					n := min(len(data), mss)
					s := segment{dir: d, seq: nxt[d], ack: nxt[d.Peer()], flags: flagACK, payload: data[:n]}
					data = data[n:]
					if len(data) == 0 {
						s.flags |= flagPSH
					}
					nxt[d] += uint32(n)
					out = append(out, s)
				}
			}
			if t.Shuffle != 0 && len(out) >= minDisorder {
				out = disorder(out, t.Shuffle, uint64(flight), t.Duplicates)
			}
			flight++
		}
		if len(out) > 0 {
			out[0].wait = wait
		}
		segs = append(segs, out...)
		// The peer acknowledges unless its next packet (data or FIN)
		// carries the ACK anyway.
		if i == len(c.Chunks) || c.Chunks[i].Dir == d {
			p := d.Peer()
			segs = append(segs, segment{dir: p, seq: nxt[p], ack: nxt[d], flags: flagACK})
		}
	}
	return segs
}

// disorder permutes segs deterministically and re-sends dups of them
// somewhere after their first copy.
func disorder(segs []segment, seed, stream uint64, dups int) []segment {
	r := rand.New(rand.NewPCG(seed, stream))
	out := make([]segment, 0, len(segs)+dups)
	for _, p := range r.Perm(len(segs)) {
		out = append(out, segs[p])
	}
	for range dups {
		i := r.IntN(len(out))
		j := i + 1 + r.IntN(len(out)-i)
		out = append(out[:j], append([]segment{out[i]}, out[j:]...)...)
	}
	return out
}

func (t TCP) mss(v6 bool) int {
	if t.MSS > 0 {
		return t.MSS
	}
	if v6 {
		return 1440
	}
	return 1460
}

// WriteConversation writes c as a TCP connection: three-way handshake,
// data segments of at most t.MSS bytes, ACKs and the FINs (or a RST), as
// t says.
func (w *Writer) WriteConversation(c *Conversation, t TCP) error {
	if c.Client.Addr().Is4() != c.Server.Addr().Is4() {
		return errors.New("synth: client and server of different IP versions")
	}
	if t.Opening != Established && len(c.Chunks) > 0 {
		return fmt.Errorf("synth: a connection whose opening is %v carries no data", t.Opening)
	}
	window := t.Window
	if window == 0 {
		window = 64240
	}
	mss := t.mss(c.Client.Addr().Is6())
	ends := [2]netip.AddrPort{c.Client, c.Server}
	written := 0
	for _, s := range segments(c, t) {
		if t.Cut > 0 && written == t.Cut {
			break
		}
		w.after(s.wait)
		if t.ClientOnly && s.dir == Server {
			continue
		}
		if err := w.writeSegment(ends, s, window, mss, t.VLANs); err != nil {
			return err
		}
		written++
	}
	return nil
}

// after makes the next packet come d after the previous one instead of one
// step after it; d up to the step changes nothing.
func (w *Writer) after(d time.Duration) {
	if d > w.opts.Step {
		w.Pause(d - w.opts.Step)
	}
}

// writeSegment encodes one TCP segment between ends (client first).
func (w *Writer) writeSegment(ends [2]netip.AddrPort, s segment, window uint16, mss int, vlans []uint16) error {
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(ends[s.dir].Port()),
		DstPort: layers.TCPPort(ends[s.dir.Peer()].Port()),
		Seq:     s.seq,
		Ack:     s.ack,
		FIN:     s.flags&flagFIN != 0,
		SYN:     s.flags&flagSYN != 0,
		RST:     s.flags&flagRST != 0,
		PSH:     s.flags&flagPSH != 0,
		ACK:     s.flags&flagACK != 0,
		Window:  window,
	}
	if tcp.RST {
		tcp.Window = 0 // as Linux sends it: a reset announces no window
	}
	if tcp.SYN {
		// RFC 9293, Section 3.7.1: MSS is announced in the SYN.
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{byte(mss >> 8), byte(mss)}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		}
	}
	return w.writeIP(s.dir, ends[s.dir].Addr(), ends[s.dir.Peer()].Addr(), layers.IPProtocolTCP, tcp, gopacket.Payload(s.payload), vlans)
}

// WriteUDP writes one UDP datagram from src to dst; dir says which side
// of the capture host sent it (Client = the capture host).
func (w *Writer) WriteUDP(dir Dir, src, dst netip.AddrPort, payload []byte) error {
	if src.Addr().Is4() != dst.Addr().Is4() {
		return errors.New("synth: UDP between different IP versions")
	}
	u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	return w.writeIP(dir, src.Addr(), dst.Addr(), layers.IPProtocolUDP, u, gopacket.Payload(payload), nil)
}

// transport is a TCP or UDP layer that needs the IP header for its checksum.
type transport interface {
	gopacket.SerializableLayer
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}

// writeIP encodes one packet sent by dir (Client = the capture host) and
// writes it with the next timestamp.
func (w *Writer) writeIP(dir Dir, src, dst netip.Addr, proto layers.IPProtocol, tl transport, payload gopacket.Payload, vlans []uint16, app ...gopacket.SerializableLayer) error {
	var ls []gopacket.SerializableLayer
	var ip gopacket.NetworkLayer
	etype := layers.EthernetTypeIPv4
	family := layers.ProtocolFamilyIPv4
	if src.Is4() {
		w.ipID[dir]++
		ip4 := &layers.IPv4{
			Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Id: w.ipID[dir],
			Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice(),
		}
		ip = ip4
	} else {
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		etype = layers.EthernetTypeIPv6
		family = layers.ProtocolFamilyIPv6BSD
	}
	if len(vlans) > 0 && w.opts.Link != Ethernet {
		return fmt.Errorf("synth: VLAN tags need link type ethernet, not %v", w.opts.Link)
	}
	srcMAC, dstMAC := clientMAC, gatewayMAC
	if dir == Server {
		srcMAC, dstMAC = gatewayMAC, clientMAC
	}
	if err := tl.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	inner := []gopacket.SerializableLayer{ip.(gopacket.SerializableLayer), tl}
	if payload != nil {
		inner = append(inner, payload)
	}
	inner = append(inner, app...)
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if w.opts.Encap != NoEncap {
		if err := gopacket.SerializeLayers(w.buf, opts, inner...); err != nil {
			return fmt.Errorf("synth: encoding packet: %w", err)
		}
		var err error
		etype, inner, err = w.encapsulate(dir, etype, append([]byte(nil), w.buf.Bytes()...), srcMAC, dstMAC)
		if err != nil {
			return err
		}
		if etype != layers.EthernetTypeIPv4 && w.opts.Link != Ethernet {
			return fmt.Errorf("synth: encapsulation %v needs link type ethernet, not %v", w.opts.Encap, w.opts.Link)
		}
		family = layers.ProtocolFamilyIPv4
	}
	switch w.opts.Link {
	case Ethernet:
		eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: etype}
		ls = append(ls, eth)
		next := &eth.EthernetType
		for i, id := range vlans {
			// IEEE 802.1ad: outer tags of a stack use 0x88a8, the
			// innermost 0x8100.
			if i < len(vlans)-1 {
				*next = layers.EthernetTypeQinQ
			} else {
				*next = layers.EthernetTypeDot1Q
			}
			tag := &layers.Dot1Q{VLANIdentifier: id, Type: etype}
			ls = append(ls, tag)
			next = &tag.Type
		}
	case LinuxSLL:
		pt := uint16(0) // PACKET_HOST
		if dir == Client {
			pt = 4 // PACKET_OUTGOING
		}
		ls = append(ls, &sllHeader{packetType: pt, addr: srcMAC, proto: etype})
	case Loopback:
		ls = append(ls, &layers.Loopback{Family: family})
	}
	ls = append(ls, inner...)
	if err := gopacket.SerializeLayers(w.buf, opts, ls...); err != nil {
		return fmt.Errorf("synth: encoding packet: %w", err)
	}
	data := w.buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: w.now, CaptureLength: len(data), Length: len(data)}
	w.now = w.now.Add(w.opts.Step)
	w.packets++
	if w.ng != nil {
		return w.ng.WritePacket(ci, data)
	}
	return w.pcap.WritePacket(ci, data)
}

// sllHeader is the Linux cooked-capture header; gopacket decodes it but
// cannot encode it.
type sllHeader struct {
	packetType uint16
	addr       net.HardwareAddr
	proto      layers.EthernetType
}

func (h *sllHeader) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL }

// SerializeTo writes the 16-byte header (see pcap-linktype(7), LINUX_SLL).
func (h *sllHeader) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	p, err := b.PrependBytes(16)
	if err != nil {
		return err
	}
	clear(p)
	p[0], p[1] = byte(h.packetType>>8), byte(h.packetType)
	p[2], p[3] = 0, 1 // ARPHRD_ETHER
	p[4], p[5] = 0, byte(len(h.addr))
	copy(p[6:14], h.addr)
	p[14], p[15] = byte(h.proto>>8), byte(h.proto)
	return nil
}
