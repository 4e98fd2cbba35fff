//go:debug cryptocustomrand=1

package synth

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testTime = time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)

func testLeaf(t testing.TB) *Identity {
	t.Helper()
	ca, err := NewIdentity(CertSpec{
		KeySeed: "test ca", Serial: 1, CA: true, Subject: pkix.Name{CommonName: "Test Issuing CA"},
		NotBefore: testTime.AddDate(-1, 0, 0), NotAfter: testTime.AddDate(5, 0, 0),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := NewIdentity(CertSpec{
		KeySeed: "test leaf", Serial: 2, Subject: pkix.Name{CommonName: "a.example"},
		DNSNames:  []string{"b.example", "a.example"},
		NotBefore: testTime.AddDate(-1, 0, 0), NotAfter: testTime.AddDate(1, 0, 0),
	}, ca)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

func testConfig(t testing.TB, client, server string, version uint16, sni string) Config {
	return Config{
		Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		ServerName: sni, MinVersion: version, MaxVersion: version,
		Cert: testLeaf(t), Verify: true, Time: testTime, Seed: "test",
	}
}

func TestHandshake(t *testing.T) {
	for _, tc := range []struct {
		version uint16
		sni     string
	}{
		{tls.VersionTLS12, "a.example"},
		{tls.VersionTLS12, ""},
		{tls.VersionTLS13, "a.example"},
		{tls.VersionTLS13, ""},
	} {
		t.Run(fmt.Sprintf("%x/%q", tc.version, tc.sni), func(t *testing.T) {
			conv, err := Handshake(testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tc.version, tc.sni))
			if err != nil {
				t.Fatal(err)
			}
			if conv.Version != tc.version || conv.Resumed {
				t.Errorf("Version, Resumed = %x, %v; want %x, false", conv.Version, conv.Resumed, tc.version)
			}
			c, s := conv.Stream(Client), conv.Stream(Server)
			// RFC 8446, Section 5.1: both streams start with a handshake record.
			if len(c) < 5 || c[0] != 22 || len(s) < 5 || s[0] != 22 {
				t.Fatalf("streams do not start with TLS handshake records: % x / % x", c[:5], s[:5])
			}
			if conv.SNI != tc.sni {
				t.Errorf("server saw SNI %q, want %q", conv.SNI, tc.sni)
			}
			if got := bytes.Contains(c, []byte("a.example")); got != (tc.sni != "") {
				t.Errorf("client stream contains SNI = %v, want %v", got, tc.sni != "")
			}
			// Both sides close: exactly one FIN each, server first.
			var fins []Dir
			for _, ch := range conv.Chunks {
				if ch.FIN {
					fins = append(fins, ch.Dir)
				}
			}
			if diff := cmp.Diff([]Dir{Server, Client}, fins); diff != "" {
				t.Errorf("FIN order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandshakeErrors(t *testing.T) {
	cfg := testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS12, "wrong.example")
	if _, err := Handshake(cfg); err == nil {
		t.Error("Handshake with a name the certificate does not cover and Verify: got nil error")
	}
	cfg.Cert = nil
	if _, err := Handshake(cfg); err == nil {
		t.Error("Handshake without Cert: got nil error")
	}
}

func TestResumption(t *testing.T) {
	cfg := testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS12, "a.example")
	cfg.Sessions = tls.NewLRUClientSessionCache(2)
	first, err := Handshake(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Client = netip.MustParseAddrPort("10.0.0.1:40002")
	second, err := Handshake(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first.Resumed || !second.Resumed {
		t.Errorf("Resumed = %v, %v; want false, true", first.Resumed, second.Resumed)
	}
	// An abbreviated handshake carries no Certificate: the server stream
	// is much shorter.
	if a, b := len(first.Stream(Server)), len(second.Stream(Server)); b*2 > a {
		t.Errorf("server stream lengths full %d, resumed %d: resumed not abbreviated", a, b)
	}
}

func TestDeterminism(t *testing.T) {
	a, b := testLeaf(t), testLeaf(t)
	if !bytes.Equal(a.DER(), b.DER()) || !bytes.Equal(a.Issuer.DER(), b.Issuer.DER()) {
		t.Error("same CertSpec gave different certificates")
	}
	var files [2][]byte
	for i := range files {
		conv, err := Handshake(testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS13, "a.example"))
		if err != nil {
			t.Fatal(err)
		}
		files[i] = writeCapture(t, Options{Start: testTime}, &conv, TCP{ClientISN: 1, ServerISN: 2})
	}
	// The test binary sets cryptocustomrand=1, so even the TLS randoms
	// repeat and the files are byte-identical.
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs gave different capture files")
	}
}

func writeCapture(t testing.TB, opts Options, conv *Conversation, tcp TCP, dns ...DNS) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dns {
		if err := w.WriteDNS(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteConversation(conv, tcp); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterDecode(t *testing.T) {
	convs := map[bool]Conversation{}
	for _, v6 := range []bool{false, true} {
		client, server := "10.0.0.1:40000", "10.0.0.2:443"
		if v6 {
			client, server = "[2001:db8::1]:40000", "[2001:db8::2]:443"
		}
		conv, err := Handshake(testConfig(t, client, server, tls.VersionTLS12, "a.example"))
		if err != nil {
			t.Fatal(err)
		}
		convs[v6] = conv
	}
	for _, tc := range []struct {
		name string
		opts Options
		tcp  TCP
		v6   bool
	}{
		{name: "ethernet", opts: Options{}},
		{name: "ethernet-v6-ng", opts: Options{Format: PCAPNG}, v6: true},
		{name: "vlan", tcp: TCP{VLANs: []uint16{100}}},
		{name: "qinq-v6", tcp: TCP{VLANs: []uint16{200, 300}}, v6: true},
		{name: "sll", opts: Options{Link: LinuxSLL}},
		{name: "sll-v6-ng", opts: Options{Link: LinuxSLL, Format: PCAPNG}, v6: true},
		{name: "raw", opts: Options{Link: RawIP}},
		{name: "raw-v6", opts: Options{Link: RawIP}, v6: true},
		{name: "null", opts: Options{Link: Loopback}},
		{name: "null-v6", opts: Options{Link: Loopback}, v6: true},
		{name: "small-mss-disorder", tcp: TCP{MSS: 100, Shuffle: 9, Duplicates: 4}},
		{name: "isn-wrap", tcp: TCP{ClientISN: 0xffffff00, ServerISN: 0xfffffff0, MSS: 64}},
		// gopacket takes off these tunnels; pcaps' tests cover all.
		{name: "gre-vlan", opts: Options{Encap: GRE}, tcp: TCP{VLANs: []uint16{100}}},
		{name: "gre-v6-raw", opts: Options{Encap: GRE, Link: RawIP}, v6: true},
		{name: "erspan2", opts: Options{Encap: ERSPAN2}},
		{name: "vxlan-v6-sll", opts: Options{Encap: VXLAN, Link: LinuxSLL}, v6: true},
		{name: "geneve-null", opts: Options{Encap: Geneve, Link: Loopback}},
		{name: "gtp-u", opts: Options{Encap: GTPU}},
		{name: "gtp-u-v6", opts: Options{Encap: GTPU}, v6: true},
		{name: "ip-in-ip", opts: Options{Encap: IPinIP}},
		{name: "6in4", opts: Options{Encap: IPinIP, Link: Loopback}, v6: true},
		{name: "mpls-v6", opts: Options{Encap: MPLS}, v6: true},
		{name: "pppoe-qinq", opts: Options{Encap: PPPoE}, tcp: TCP{VLANs: []uint16{200, 300}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conv := convs[tc.v6]
			dns := DNS{Client: conv.Client.Addr(), Resolver: conv.Client.Addr().Next(), ID: 7, TTL: 60,
				Name: "a.example", CNAMEs: []string{"edge.example"}, Addrs: []netip.Addr{conv.Server.Addr()}, VLANs: tc.tcp.VLANs}
			tc.opts.Start = testTime
			file := writeCapture(t, tc.opts, &conv, tc.tcp, dns)
			flows, msgs, err := Decode(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			if len(flows) != 1 {
				t.Fatalf("got %d flows, want 1", len(flows))
			}
			f := flows[0]
			if f.Client != conv.Client || f.Server != conv.Server || f.ISN != [2]uint32{tc.tcp.ClientISN, tc.tcp.ServerISN} {
				t.Errorf("flow %v→%v ISN %x, want %v→%v ISN %x", f.Client, f.Server, f.ISN, conv.Client, conv.Server, [2]uint32{tc.tcp.ClientISN, tc.tcp.ServerISN})
			}
			for _, d := range []Dir{Client, Server} {
				if !bytes.Equal(f.Streams[d], conv.Stream(d)) {
					t.Errorf("%v stream: reassembled %d bytes differ from the %d recorded", d, len(f.Streams[d]), len(conv.Stream(d)))
				}
			}
			disordered := tc.tcp.Shuffle != 0
			if got := f.Ahead[Server] > 0 && f.Again[Server] == tc.tcp.Duplicates; got != disordered {
				t.Errorf("server segments ahead %d, again %d; want disorder %v with %d duplicates", f.Ahead[Server], f.Again[Server], disordered, tc.tcp.Duplicates)
			}
			if f.FIN != [2]bool{true, true} {
				t.Errorf("FIN = %v, want both", f.FIN)
			}
			if diff := cmp.Diff(tc.tcp.VLANs, f.VLANs); diff != "" {
				t.Errorf("VLANs (-want +got):\n%s", diff)
			}
			if len(msgs) != 2 || msgs[0].DNS.QR || !msgs[1].DNS.QR {
				t.Fatalf("got %d DNS messages, want query and response", len(msgs))
			}
			var answers []string
			for _, a := range msgs[1].DNS.Answers {
				v := string(a.CNAME)
				if a.IP != nil {
					v = a.IP.String()
				}
				answers = append(answers, fmt.Sprintf("%s %v %s", a.Name, a.Type, v))
			}
			qtype := map[bool]string{false: "A", true: "AAAA"}[tc.v6]
			want := []string{"a.example CNAME edge.example", fmt.Sprintf("edge.example %s %v", qtype, conv.Server.Addr())}
			if diff := cmp.Diff(want, answers); diff != "" {
				t.Errorf("DNS answers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriterErrors(t *testing.T) {
	conv := Conversation{Client: netip.MustParseAddrPort("10.0.0.1:1"), Server: netip.MustParseAddrPort("[2001:db8::2]:443")}
	w, err := NewWriter(&bytes.Buffer{}, Options{Link: RawIP})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteConversation(&conv, TCP{}); err == nil {
		t.Error("mixed IP versions: got nil error")
	}
	conv.Server = netip.MustParseAddrPort("10.0.0.2:443")
	conv.Chunks = []Chunk{{Dir: Client, Data: []byte("x")}}
	if err := w.WriteConversation(&conv, TCP{VLANs: []uint16{1}}); err == nil {
		t.Error("VLAN on raw IP: got nil error")
	}
	if err := w.WriteDNS(DNS{Name: "a.example"}); err == nil {
		t.Error("DNS without addresses: got nil error")
	}
	for _, e := range []Encap{MPLS, PPPoE, VNTag, UnknownTag, UnknownTag + 1} {
		w, err := NewWriter(&bytes.Buffer{}, Options{Link: RawIP, Encap: e})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteConversation(&conv, TCP{}); err == nil {
			t.Errorf("%v on raw IP: got nil error", e)
		}
	}
	if _, err := NewWriter(&bytes.Buffer{}, Options{Format: 9}); err == nil {
		t.Error("unknown format: got nil error")
	}
}

func TestDisorder(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100)
	conv := Conversation{
		Client: netip.MustParseAddrPort("10.0.0.1:1"), Server: netip.MustParseAddrPort("10.0.0.2:2"),
		Chunks: []Chunk{{Dir: Client, Data: []byte("hello")}, {Dir: Server, Data: data}, {Dir: Server, FIN: true}, {Dir: Client, FIN: true}},
	}
	plain := segments(&conv, TCP{MSS: 50})
	mixed := segments(&conv, TCP{MSS: 50, Shuffle: 42, Duplicates: 3})
	if len(mixed) != len(plain)+3 {
		t.Fatalf("got %d segments, want %d + 3 duplicates", len(mixed), len(plain))
	}
	if slices.EqualFunc(plain, mixed[:len(plain)], segEqual) {
		t.Error("Shuffle left the order unchanged")
	}
	set := func(segs []segment) []string {
		var s []string
		for _, x := range segs {
			s = append(s, fmt.Sprintf("%v %d %d %x %q", x.dir, x.seq, x.ack, x.flags, x.payload))
		}
		slices.Sort(s)
		return slices.Compact(s)
	}
	if diff := cmp.Diff(set(plain), set(mixed)); diff != "" {
		t.Errorf("segment sets differ (-plain +shuffled):\n%s", diff)
	}
	again := segments(&conv, TCP{MSS: 50, Shuffle: 42, Duplicates: 3})
	if !slices.EqualFunc(mixed, again, segEqual) {
		t.Error("same seed gave a different order")
	}
	// The one-segment client flight and the handshake keep their order.
	if diff := cmp.Diff(set(plain[:4]), set(mixed[:4])); diff != "" {
		t.Errorf("short flights were reordered:\n%s", diff)
	}
}

func segEqual(a, b segment) bool {
	return a.dir == b.dir && a.seq == b.seq && a.ack == b.ack && a.flags == b.flags && bytes.Equal(a.payload, b.payload)
}

func TestLinkString(t *testing.T) {
	got := []string{Ethernet.String(), LinuxSLL.String(), RawIP.String(), Loopback.String(), Link(9).String()}
	if diff := cmp.Diff([]string{"ethernet", "linux-sll", "raw-ip", "null", "Link(9)"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got = []string{NoEncap.String(), ERSPAN3.String(), UnknownTag.String(), Encap(99).String()}
	if diff := cmp.Diff([]string{"none", "erspan3", "unknown-tag", "Encap(99)"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	conv, err := Handshake(testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS12, ""))
	if err != nil {
		t.Fatal(err)
	}
	// Raw IP: Ethernet would pad the last (short) frame.
	file := writeCapture(t, Options{Start: testTime, Link: RawIP}, &conv, TCP{})
	if _, _, err := Decode(bytes.NewReader(file)); err != nil {
		t.Fatalf("intact file: %v", err)
	}
	// The last bytes of the file are the last packet's TCP urgent
	// pointer, which the checksum covers.
	file[len(file)-1] ^= 0x40
	if _, _, err := Decode(bytes.NewReader(file)); err == nil {
		t.Error("corrupted TCP header: got nil error")
	}
}

// TestDecodeTsresol: pcapgo divides by zero on an if_tsresol exponent
// whose power wraps to 0 in a uint64; Decode says no instead.
func TestDecodeTsresol(t *testing.T) {
	conv, err := Handshake(testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS12, ""))
	if err != nil {
		t.Fatal(err)
	}
	file := writeCapture(t, Options{Start: testTime, Link: RawIP, Format: PCAPNG}, &conv, TCP{})
	// The interface description follows the section header; find its
	// if_tsresol (code 9) among the options after the 16-byte head.
	idb := int(binary.LittleEndian.Uint32(file[4:]))
	at := -1
	for o := idb + 16; o+4 <= len(file); o += 4 + (int(binary.LittleEndian.Uint16(file[o+2:]))+3)&^3 {
		if binary.LittleEndian.Uint16(file[o:]) == 9 {
			at = o + 4
			break
		}
	}
	if at < 0 || file[at] != 9 {
		t.Fatalf("no nanosecond if_tsresol in the interface description")
	}
	for _, tc := range []struct {
		res byte
		ok  bool
	}{
		{9, true}, {19, true}, {0x80 | 63, true},
		{20, false}, {64, false}, {0x80 | 64, false}, {0xff, false},
	} {
		c := bytes.Clone(file)
		c[at] = tc.res
		_, _, err := Decode(bytes.NewReader(c))
		if (err == nil) != tc.ok {
			t.Errorf("if_tsresol %#x: error %v, want ok %v", tc.res, err, tc.ok)
		}
	}
}

func TestTurnsDeadlock(t *testing.T) {
	conv := Conversation{Client: netip.MustParseAddrPort("10.0.0.1:1"), Server: netip.MustParseAddrPort("10.0.0.2:2")}
	read := func(c net.Conn) error {
		_, err := c.Read(make([]byte, 1))
		return err
	}
	cerr, serr := newTurns(&conv).run(read, read)
	if cerr != errDeadlock || serr != errDeadlock {
		t.Errorf("errors %v, %v; want %v for both", cerr, serr, errDeadlock)
	}
}
