package pcaps_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/tsid-project/tsid/pcaps"
)

type printer struct{ c *pcaps.ConnInfo }

func (p printer) Data(d pcaps.Dir, b []byte, _ time.Time) bool {
	fmt.Printf("conn %d %v: %q\n", p.c.ID, d, b)
	return true
}
func (p printer) Gap(d pcaps.Dir, n int)        { fmt.Printf("conn %d %v: gap %d\n", p.c.ID, d, n) }
func (p printer) Anomaly(d pcaps.Dir, w string) { fmt.Printf("conn %d %v: %s\n", p.c.ID, d, w) }
func (p printer) End(e pcaps.Ending) {
	fmt.Printf("conn %d %v>%v end %v, packets %d/%d\n", p.c.ID, p.c.A, p.c.B, e.Reason, e.Packets[pcaps.AtoB], e.Packets[pcaps.BtoA])
}

// capture writes a tiny raw-IP pcap: a handshake and two data segments, the
// second one arriving first.
func capture() []byte {
	cli, srv := net.IP{192, 0, 2, 1}, net.IP{198, 51, 100, 2}
	type s struct {
		from, to net.IP
		sp, dp   layers.TCPPort
		seq, ack uint32
		syn, ak  bool
		data     string
	}
	segs := []s{
		{cli, srv, 40000, 443, 1000, 0, true, false, ""},
		{srv, cli, 443, 40000, 5000, 1001, true, true, ""},
		{cli, srv, 40000, 443, 1006, 5001, false, true, "world"},
		{cli, srv, 40000, 443, 1001, 5001, false, true, "hello"},
	}
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeRaw)
	for i, sg := range segs {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: sg.from, DstIP: sg.to}
		tcp := &layers.TCP{SrcPort: sg.sp, DstPort: sg.dp, Seq: sg.seq, Ack: sg.ack, SYN: sg.syn, ACK: sg.ak, Window: 1000}
		tcp.SetNetworkLayerForChecksum(ip)
		sb := gopacket.NewSerializeBuffer()
		gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, tcp, gopacket.Payload(sg.data))
		ts := time.Unix(1700000000, int64(i)*1e6)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(sb.Bytes()), Length: len(sb.Bytes())}, sb.Bytes())
	}
	return buf.Bytes()
}

func Example() {
	r, err := pcaps.NewReader("example.pcap", bytes.NewReader(capture()))
	if err != nil {
		fmt.Println(err)
		return
	}
	a := pcaps.NewAssembler(func(c *pcaps.ConnInfo) pcaps.Stream { return printer{c} }, pcaps.Config{})
	for {
		data, ci, link, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			break
		}
		a.Packet(data, ci, link)
	}
	a.Close()
	fmt.Println("TCP segments:", a.Stats().TCP)
	// Output:
	// conn 1 A->B: "hello"
	// conn 1 A->B: "world"
	// conn 1 192.0.2.1:40000>198.51.100.2:443 end eof, packets 3/1
	// TCP segments: 4
}

func ExampleNewReader_errors() {
	_, err := pcaps.NewReader("photo.gif", bytes.NewReader([]byte("GIF89a...")))
	fmt.Println(err)
	// Output: photo.gif: not a packet capture (starts with 'GIF8')
}

// dnsCapture writes a raw-IP pcap of DNS over UDP: an answered query, and
// a query sent twice that nobody answered.
func dnsCapture() []byte {
	cli, res := net.IP{192, 0, 2, 1}, net.IP{192, 0, 2, 53}
	msg := func(id uint16, resp bool, name string, answers ...dnsmessage.Resource) []byte {
		m := dnsmessage.Message{Header: dnsmessage.Header{ID: id, Response: resp, RecursionDesired: true},
			Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}},
			Answers:   answers}
		b, _ := m.Pack()
		return b
	}
	addr := dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName("tools.example.com."), Class: dnsmessage.ClassINET, TTL: 60},
		Body: &dnsmessage.AResource{A: netip.MustParseAddr("198.51.100.7").As4()}}
	type d struct {
		from, to net.IP
		sp, dp   layers.UDPPort
		payload  []byte
	}
	dgrams := []d{
		{cli, res, 40000, 53, msg(1, false, "tools.example.com.")},
		{res, cli, 53, 40000, msg(1, true, "tools.example.com.", addr)},
		{cli, res, 40001, 53, msg(2, false, "other.example.com.")},
		{cli, res, 40001, 53, msg(2, false, "other.example.com.")},
	}
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeRaw)
	for i, g := range dgrams {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: g.from, DstIP: g.to}
		udp := &layers.UDP{SrcPort: g.sp, DstPort: g.dp}
		udp.SetNetworkLayerForChecksum(ip)
		sb := gopacket.NewSerializeBuffer()
		gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ip, udp, gopacket.Payload(g.payload))
		ts := time.Unix(1700000000+int64(i), 0)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(sb.Bytes()), Length: len(sb.Bytes())}, sb.Bytes())
	}
	return buf.Bytes()
}

func ExampleConfig_dnsLookups() {
	r, err := pcaps.NewReader("dns.pcap", bytes.NewReader(dnsCapture()))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := pcaps.Config{DNSLookups: func(l pcaps.DNSLookup) {
		fmt.Printf("%s type %d from %v: %d queries, answered %v, rcode %d, %v\n",
			l.Name, l.Type, l.Server, l.Queries, l.Answered, l.RCode, l.Addrs)
	}}
	a := pcaps.NewAssembler(func(c *pcaps.ConnInfo) pcaps.Stream { return printer{c} }, cfg)
	for {
		data, ci, link, err := r.Next()
		if err != nil {
			break
		}
		a.Packet(data, ci, link)
	}
	a.Close()
	// Output:
	// tools.example.com type 1 from 192.0.2.53:53: 1 queries, answered true, rcode 0, [198.51.100.7]
	// other.example.com type 1 from 192.0.2.53:53: 2 queries, answered false, rcode 0, []
}
