package quic

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/tsid-project/tsid/internal/corpus"
	"github.com/tsid-project/tsid/tlsparse"
)

// corpusDir is the shared corpus (internal/corpus).
func corpusDir(t *testing.T) string { return corpus.Dir() }

// corpusQUIC are the corpus captures holding QUIC connections.
var corpusQUIC = []string{
	"zeek/quic/curl-8.1.2-dev-http3-www-google-de.pcap",
	"zeek/quic/quic-multiple-initial-fragmented-crypto.pcap",
	"zeek/quic/quicv2-http3-443.pcap",
	"ndpi/quic_frags_ch_in_multiple_packets.pcapng",
}

// expectedConn is one connection of expected.json: addressed by client and
// server, by its two endpoints in any order, or not at all (every QUIC
// connection of the file). A null SNI means none sent.
type expectedConn struct {
	Client    string   `json:"client"`
	Server    string   `json:"server"`
	Endpoints []string `json:"endpoints"`
	SNI       *string  `json:"sni"`
}

type expectedFile struct {
	Path  string         `json:"path"`
	Conns []expectedConn `json:"conns"`
}

// udpFlow is one QUIC connection of a capture; client is the endpoint
// that sent the first Initial.
type udpFlow struct {
	client, server string
	conn           *Conn
}

// readUDP calls fn with each UDP datagram of a pcap or pcapng file.
func readUDP(t *testing.T, path string, fn func(src, dst string, payload []byte)) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
		LinkType() layers.LinkType
	}
	if bytes.HasPrefix(data, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		src, err = pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	} else {
		src, err = pcapgo.NewReader(bytes.NewReader(data))
	}
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, _, err := src.ReadPacketData()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(b, src.LinkType(), gopacket.Default)
		udp, ok := p.TransportLayer().(*layers.UDP)
		if !ok || p.NetworkLayer() == nil {
			continue
		}
		nf := p.NetworkLayer().NetworkFlow()
		fn(net.JoinHostPort(nf.Src().String(), strconv.Itoa(int(udp.SrcPort))),
			net.JoinHostPort(nf.Dst().String(), strconv.Itoa(int(udp.DstPort))),
			udp.Payload)
	}
}

// TestCorpus recovers the ClientHello of every QUIC connection of the
// shared corpus captures and compares its SNI with expected.json.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		t.Skipf("shared corpus absent (%v); set TSID_CORPUS", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var files []expectedFile
	if err := json.Unmarshal(raw, &files); err != nil {
		t.Fatal(err)
	}
	for _, name := range corpusQUIC {
		t.Run(name, func(t *testing.T) {
			var flows []*udpFlow
			readUDP(t, filepath.Join(dir, "pcaps", name), func(src, dst string, payload []byte) {
				for _, f := range flows {
					if f.client == src && f.server == dst || f.client == dst && f.server == src {
						f.conn.Datagram(payload, f.client == src)
						return
					}
				}
				if LooksInitial(payload) {
					f := &udpFlow{client: src, server: dst, conn: NewConn()}
					f.conn.Datagram(payload, true)
					flows = append(flows, f)
				}
			})
			if len(flows) == 0 {
				t.Fatal("no QUIC connection found")
			}
			snis := map[*udpFlow]string{}
			for _, f := range flows {
				ch := f.conn.ClientHello()
				if ch == nil {
					t.Errorf("%s -> %s: no ClientHello (version %#x, decrypted %v, anomalies %v)",
						f.client, f.server, f.conn.Version(), f.conn.Decrypted(), f.conn.Anomalies())
					continue
				}
				hello, err := tlsparse.ParseClientHello(ch)
				if err != nil {
					t.Errorf("%s -> %s: %v", f.client, f.server, err)
					continue
				}
				snis[f] = hello.SNI
				t.Logf("%s -> %s: version %#x, ClientHello %d bytes, SNI %q, ServerHello %d bytes, anomalies %v",
					f.client, f.server, f.conn.Version(), len(ch), hello.SNI, len(f.conn.ServerHello()), f.conn.Anomalies())
			}
			i := slices.IndexFunc(files, func(e expectedFile) bool { return e.Path == name })
			if i < 0 {
				t.Logf("not listed in expected.json")
				return
			}
			for _, want := range files[i].Conns {
				matched := 0
				for _, f := range flows {
					switch {
					case want.Client != "" && (want.Client != f.client || want.Server != f.server):
						continue
					case len(want.Endpoints) == 2 && !(slices.Contains(want.Endpoints, f.client) && slices.Contains(want.Endpoints, f.server)):
						continue
					}
					matched++
					wantSNI := ""
					if want.SNI != nil {
						wantSNI = *want.SNI
					}
					if got, ok := snis[f]; ok && got != wantSNI {
						t.Errorf("%s -> %s: SNI %q, want %q", f.client, f.server, got, wantSNI)
					}
				}
				if matched == 0 {
					t.Errorf("expected connection %+v not found", want)
				}
			}
		})
	}
}
