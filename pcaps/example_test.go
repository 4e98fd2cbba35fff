package pcaps_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

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
