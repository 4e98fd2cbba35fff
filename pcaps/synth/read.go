package synth

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Flow is one TCP connection read back from a capture by Decode.
type Flow struct {
	Client, Server netip.AddrPort
	ISN            [2]uint32 // initial sequence numbers by Dir
	Streams        [2][]byte // payload by Dir, in sequence order
	Packets        int
	FIN            [2]bool
	// Ahead counts data segments that start beyond the bytes seen so far
	// (out of order); Again those whose bytes were all seen before
	// (retransmissions).
	Ahead, Again [2]int
	finSeq       [2]uint32
	VLANs        []uint16 // tags of the SYN, outermost first
	// SYNs counts the segments with SYN set by Dir (retransmissions
	// too); RST says which sides sent a reset.
	SYNs [2]int
	RST  [2]bool
	// First and Last are the timestamps of the flow's first and last
	// packets.
	First, Last time.Time
}

// DNSPacket is one DNS message read back by Decode.
type DNSPacket struct {
	Src, Dst netip.AddrPort
	DNS      *layers.DNS
	Time     time.Time // the packet's timestamp
}

// Decode reads a capture written by a Writer back into TCP flows and DNS
// messages, taking off the tunnels gopacket knows (every Encap but
// ERSPAN1, ERSPAN3, VNTag and UnknownTag). It is strict: a bad IP or TCP
// checksum, a segment outside the sequence space set by the SYNs, or two
// different bytes for one sequence number is an error; UDP other than DNS
// (port 53) is skipped. It exists to check generated captures; tsid itself
// reads captures with package pcaps.
func Decode(r io.Reader) ([]*Flow, []DNSPacket, error) {
	// pcapgo allocates what length fields claim before reading; read the
	// file first and check them, so damaged input costs bounded memory.
	file, err := io.ReadAll(io.LimitReader(r, maxDecode+1))
	if err != nil {
		return nil, nil, fmt.Errorf("synth: reading capture: %w", err)
	}
	if len(file) > maxDecode {
		return nil, nil, errors.New("synth: capture larger than 64 MiB")
	}
	if err := checkLengths(file); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(bytes.NewReader(file))
	magic, err := br.Peek(4)
	if err != nil {
		return nil, nil, fmt.Errorf("synth: reading capture: %w", err)
	}
	type source interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
		LinkType() layers.LinkType
	}
	var src source
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		src, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		src, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("synth: reading capture: %w", err)
	}
	type key struct{ a, b netip.AddrPort }
	type pending struct {
		seq  uint32
		data []byte
	}
	var flows []*Flow
	byKey := map[key]*Flow{}
	segs := map[*Flow]*[2][]pending{}
	var msgs []DNSPacket
	for n := 1; ; n++ {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("synth: packet %d: %w", n, err)
		}
		p := gopacket.NewPacket(data, src.LinkType(), gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			return nil, nil, fmt.Errorf("synth: packet %d: %v", n, el.Error())
		}
		// A tunnelled packet (Options.Encap) is its innermost IP packet;
		// the tunnels' IPv4 headers are checked too.
		var nl gopacket.NetworkLayer
		var tl gopacket.TransportLayer
		for _, l := range p.Layers() {
			switch l := l.(type) {
			case *layers.IPv4:
				if internetSum(l.Contents) != 0xffff {
					return nil, nil, fmt.Errorf("synth: packet %d: bad IPv4 header checksum", n)
				}
				nl, tl = l, nil
			case *layers.IPv6:
				nl, tl = l, nil
			case *layers.TCP, *layers.UDP:
				tl = l.(gopacket.TransportLayer)
			}
		}
		var srcIP, dstIP netip.Addr
		var pseudo []byte
		switch ip := nl.(type) {
		case *layers.IPv4:
			srcIP, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dstIP, _ = netip.AddrFromSlice(ip.DstIP.To4())
			pseudo = append(append(slices.Clone(srcIP.AsSlice()), dstIP.AsSlice()...), 0, byte(ip.Protocol))
		case *layers.IPv6:
			srcIP, _ = netip.AddrFromSlice(ip.SrcIP)
			dstIP, _ = netip.AddrFromSlice(ip.DstIP)
			pseudo = append(append(slices.Clone(srcIP.AsSlice()), dstIP.AsSlice()...), 0, 0, 0, byte(ip.NextHeader))
		default:
			return nil, nil, fmt.Errorf("synth: packet %d: no IP layer", n)
		}
		if tl == nil {
			return nil, nil, fmt.Errorf("synth: packet %d: no transport layer", n)
		}
		seg := append(slices.Clone(tl.LayerContents()), tl.LayerPayload()...)
		// RFC 9293, Section 3.1 and RFC 8200, Section 8.1: the checksum
		// covers a pseudo-header with the addresses, protocol and length.
		sumIn := append(pseudo, byte(len(seg)>>24), byte(len(seg)>>16), byte(len(seg)>>8), byte(len(seg)))
		if internetSum(append(sumIn, seg...)) != 0xffff {
			return nil, nil, fmt.Errorf("synth: packet %d: bad %v checksum", n, tl.LayerType())
		}
		switch t := tl.(type) {
		case *layers.UDP:
			if t.SrcPort != 53 && t.DstPort != 53 {
				continue // other UDP (WriteUDP): checked for its checksum only
			}
			d, ok := p.Layer(layers.LayerTypeDNS).(*layers.DNS)
			if !ok {
				return nil, nil, fmt.Errorf("synth: packet %d: UDP without DNS", n)
			}
			msgs = append(msgs, DNSPacket{
				Src: netip.AddrPortFrom(srcIP, uint16(t.SrcPort)), Dst: netip.AddrPortFrom(dstIP, uint16(t.DstPort)), DNS: d,
				Time: ci.Timestamp,
			})
		case *layers.TCP:
			from := netip.AddrPortFrom(srcIP, uint16(t.SrcPort))
			to := netip.AddrPortFrom(dstIP, uint16(t.DstPort))
			f, dir := byKey[key{from, to}], Client
			if f == nil {
				f, dir = byKey[key{to, from}], Server
			}
			if f == nil {
				if !t.SYN || t.ACK {
					return nil, nil, fmt.Errorf("synth: packet %d: segment before SYN", n)
				}
				f, dir = &Flow{Client: from, Server: to, First: ci.Timestamp}, Client
				f.ISN[Client] = t.Seq
				for _, l := range p.Layers() {
					if q, ok := l.(*layers.Dot1Q); ok {
						f.VLANs = append(f.VLANs, q.VLANIdentifier)
					}
				}
				flows = append(flows, f)
				byKey[key{from, to}] = f
				segs[f] = &[2][]pending{}
			}
			f.Packets++
			f.Last = ci.Timestamp
			if t.SYN {
				f.SYNs[dir]++
			}
			if t.RST {
				f.RST[dir] = true
			}
			if t.SYN && t.ACK && dir == Server {
				if t.Ack != f.ISN[Client]+1 {
					return nil, nil, fmt.Errorf("synth: packet %d: SYN-ACK acknowledges %d, want %d", n, t.Ack, f.ISN[Client]+1)
				}
				f.ISN[Server] = t.Seq
			}
			if t.FIN {
				f.FIN[dir] = true
				f.finSeq[dir] = t.Seq
			}
			if len(t.Payload) > 0 {
				segs[f][dir] = append(segs[f][dir], pending{t.Seq, t.Payload})
			}
		}
	}
	for _, f := range flows {
		for d := range 2 {
			var stream []byte
			var have []bool
			for _, s := range segs[f][d] {
				off := int(s.seq - f.ISN[d] - 1) // relative, wraps like TCP
				if off < 0 || off+len(s.data) > len(file) {
					return nil, nil, fmt.Errorf("synth: %v: %v segment at relative sequence %d", f.Client, Dir(d), off)
				}
				if off > len(stream) {
					f.Ahead[d]++
				}
				if off+len(s.data) <= len(have) && !slices.Contains(have[off:off+len(s.data)], false) {
					f.Again[d]++
				}
				if end := off + len(s.data); end > len(stream) {
					stream = append(stream, make([]byte, end-len(stream))...)
					have = append(have, make([]bool, end-len(have))...)
				}
				for i, b := range s.data {
					if have[off+i] && stream[off+i] != b {
						return nil, nil, fmt.Errorf("synth: %v: %v conflicting retransmission at %d", f.Client, Dir(d), off+i)
					}
					stream[off+i], have[off+i] = b, true
				}
			}
			if i := slices.Index(have, false); i >= 0 {
				return nil, nil, fmt.Errorf("synth: %v: %v stream has a hole at %d", f.Client, Dir(d), i)
			}
			if f.FIN[d] && f.finSeq[d] != f.ISN[d]+1+uint32(len(stream)) {
				return nil, nil, fmt.Errorf("synth: %v: %v FIN at %d, want %d", f.Client, Dir(d), f.finSeq[d], f.ISN[d]+1+uint32(len(stream)))
			}
			f.Streams[d] = stream
		}
	}
	if len(flows) == 0 && len(msgs) == 0 {
		return nil, nil, errors.New("synth: capture holds no TCP or DNS")
	}
	return flows, msgs, nil
}

// internetSum is the ones'-complement sum of b (RFC 1071); 0xffff over a
// block that includes its checksum means the checksum is right.
func internetSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

const (
	maxDecode  = 64 << 20 // largest capture Decode reads
	maxSnaplen = 262144   // what Writer announces; the libpcap default
)

// tsresolOK reports whether an interface description block's if_tsresol
// option, if any, is one byte with an exponent pcapgo can use: it works
// with 2^e or 10^e in a uint64 and divides by zero once that wraps to 0
// (pcapng, Section 4.2).
func tsresolOK(blk []byte, order binary.ByteOrder) bool {
	if len(blk) < 20 {
		return true
	}
	for o := blk[16 : len(blk)-4]; len(o) >= 4; {
		code, n := order.Uint16(o), int(order.Uint16(o[2:]))
		if code == 0 {
			break
		}
		if code == 9 {
			if n != 1 || len(o) < 5 {
				return false
			}
			limit := byte(19) // 10^19 < 2^64
			if o[4]&0x80 != 0 {
				limit = 63
			}
			if o[4]&0x7f > limit {
				return false
			}
		}
		o = o[min(len(o), 4+(n+3)&^3):]
	}
	return true
}

// checkLengths rejects length fields that would make pcapgo allocate more
// than the file holds: the pcap snap length, and pcapng block and packet
// lengths (pcapng, Sections 3.1, 4.3 and 4.4).
func checkLengths(file []byte) error {
	bad := errors.New("synth: capture length field out of range")
	if len(file) >= 20 && !bytes.HasPrefix(file, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		snap := binary.LittleEndian.Uint32(file[16:20])
		if file[0] == 0xa1 || file[0] == 0x4d { // big-endian magic
			snap = binary.BigEndian.Uint32(file[16:20])
		}
		if snap > maxSnaplen {
			return bad
		}
		return nil
	}
	var order binary.ByteOrder = binary.LittleEndian
	for b := file; len(b) >= 12; {
		if binary.LittleEndian.Uint32(b) == 0x0a0d0d0a { // section header: byte-order magic follows
			if binary.BigEndian.Uint32(b[8:]) == 0x1a2b3c4d {
				order = binary.BigEndian
			} else {
				order = binary.LittleEndian
			}
		}
		typ, n := order.Uint32(b), order.Uint32(b[4:])
		if n < 12 || uint64(n) > uint64(len(b)) {
			return bad
		}
		switch typ {
		case 6: // enhanced packet: 28 bytes of header and trailer around the data
			if n < 32 || order.Uint32(b[20:]) > n-32 {
				return bad
			}
		case 3: // simple packet: the original length is the captured length
			if n < 16 || order.Uint32(b[8:]) > n-16 {
				return bad
			}
		case 1: // interface description
			if !tsresolOK(b[:n], order) {
				return errors.New("synth: pcapng if_tsresol out of range")
			}
		}
		b = b[n:]
	}
	return nil
}
