package synth

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket/layers"
)

// TLS alert descriptions (RFC 8446, Section 6.2; RFC 5246, Section 7.2.2).
const (
	alertBadCertificate  = 42
	alertProtocolVersion = 70
	alertInternalError   = 80
	alertUnrecognizedNm  = 112
	recordAlert          = 21
	recordCCS            = 20
)

// plainAlerts returns the descriptions of the alert records in a TLS
// stream before its ChangeCipherSpec, after which records are encrypted
// (RFC 5246, Section 6.2.1).
func plainAlerts(stream []byte) []int {
	var out []int
	for len(stream) >= 5 {
		typ, n := stream[0], int(stream[3])<<8|int(stream[4])
		if len(stream) < 5+n || typ == recordCCS {
			break
		}
		if typ == recordAlert && n == 2 {
			out = append(out, int(stream[6]))
		}
		stream = stream[5+n:]
	}
	return out
}

// shape describes a conversation's chunks: "c:data", "s:FIN", "s:RST",
// with "+WAIT" for a chunk that waits.
func shape(conv Conversation) []string {
	var out []string
	for _, ch := range conv.Chunks {
		what := "data"
		switch {
		case ch.FIN:
			what = "FIN"
		case ch.RST:
			what = "RST"
		}
		s := ch.Dir.String()[:1] + ":" + what
		if ch.Wait > 0 {
			s += "+" + ch.Wait.String()
		}
		out = append(out, s)
	}
	return out
}

func TestHandshakeFailures(t *testing.T) {
	other, err := NewIdentity(CertSpec{
		KeySeed: "other ca", Serial: 9, CA: true, Subject: pkix.Name{CommonName: "Other CA"},
		NotBefore: testTime.AddDate(-1, 0, 0), NotAfter: testTime.AddDate(5, 0, 0),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const (
		connect = "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"
		ok200   = "HTTP/1.1 200 Connection established\r\n\r\n"
		auth407 = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n"
	)
	for _, tc := range []struct {
		name   string
		edit   func(*Config)
		fails  bool
		client []int // plaintext alerts each side sent
		server []int
		shape  []string // the last chunks
	}{
		{name: "untrusted root", edit: func(c *Config) { c.Roots = []*x509.Certificate{other.Cert} },
			fails: true, client: []int{alertBadCertificate}, shape: []string{"s:data", "c:data", "c:FIN", "s:FIN"}},
		{name: "name mismatch", edit: func(c *Config) { c.ServerName = "wrong.example" },
			fails: true, client: []int{alertBadCertificate}, shape: []string{"s:data", "c:data", "c:FIN", "s:FIN"}},
		{name: "server wants TLS 1.3", edit: func(c *Config) {
			c.MinVersion = 0
			c.ServerTLS = func(s *tls.Config) { s.MinVersion, s.MaxVersion = tls.VersionTLS13, tls.VersionTLS13 }
		}, fails: true, server: []int{alertProtocolVersion}, shape: []string{"c:data", "s:data", "s:FIN", "c:FIN"}},
		{name: "no certificate for the SNI", edit: func(c *Config) {
			c.ServerTLS = func(s *tls.Config) {
				s.Certificates = nil
				s.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, nil }
			}
		}, fails: true, server: []int{alertUnrecognizedNm}, shape: []string{"c:data", "s:data", "s:FIN", "c:FIN"}},
		{name: "GetCertificate error", edit: func(c *Config) {
			c.ServerTLS = func(s *tls.Config) {
				s.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, errors.New("no such site") }
			}
		}, fails: true, server: []int{alertInternalError}, shape: []string{"c:data", "s:data", "s:FIN", "c:FIN"}},
		{name: "reset", edit: func(c *Config) { c.Reply, c.Cert = ReplyReset, nil },
			fails: true, shape: []string{"c:data", "s:RST"}},
		{name: "silence", edit: func(c *Config) { c.Reply = ReplySilence },
			fails: true, shape: []string{"c:data", "c:FIN+10s"}},
		{name: "silence 3s", edit: func(c *Config) { c.Reply, c.GiveUp = ReplySilence, 3*time.Second },
			fails: true, shape: []string{"c:data", "c:FIN+3s"}},
		{name: "proxy 200", edit: func(c *Config) { c.ProxyRequest, c.ProxyResponse = []byte(connect), []byte(ok200) },
			shape: []string{"s:FIN", "c:data", "c:FIN"}},
		{name: "proxy 407", edit: func(c *Config) { c.ProxyRequest, c.ProxyResponse = []byte(connect), []byte(auth407) },
			fails: true, shape: []string{"c:data", "s:data", "s:FIN", "c:FIN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS12, "a.example")
			tc.edit(&cfg)
			conv, err := Handshake(cfg)
			var he *HandshakeError
			if got := errors.As(err, &he); got != tc.fails || (err != nil && !got) {
				t.Fatalf("Handshake error %v; want a *HandshakeError: %v", err, tc.fails)
			}
			if diff := cmp.Diff(tc.client, plainAlerts(conv.Stream(Client))); diff != "" {
				t.Errorf("client alerts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.server, plainAlerts(conv.Stream(Server))); diff != "" {
				t.Errorf("server alerts (-want +got):\n%s", diff)
			}
			got := shape(conv)
			if len(got) > len(tc.shape) {
				got = got[len(got)-len(tc.shape):]
			}
			if diff := cmp.Diff(tc.shape, got); diff != "" {
				t.Errorf("last chunks (-want +got):\n%s", diff)
			}
			if cfg.ProxyRequest != nil && !bytes.HasPrefix(conv.Stream(Client), cfg.ProxyRequest) {
				t.Errorf("client stream does not start with the CONNECT request")
			}
			// Every failure is a real stack's: the client's first bytes are
			// a CONNECT or a ClientHello record.
			if c := conv.Stream(Client); cfg.ProxyRequest == nil && (len(c) < 6 || c[0] != 22 || c[5] != 1) {
				t.Errorf("client stream does not start with a ClientHello")
			}
		})
	}
}

func TestHandshakeErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  *HandshakeError
		want string
	}{
		{&HandshakeError{Client: errors.New("x")}, "synth: client: x"},
		{&HandshakeError{Client: errors.New("x"), Server: errors.New("y")}, "synth: client: x"},
		{&HandshakeError{Server: errors.New("y")}, "synth: server: y"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	cause := errors.New("cause")
	if !errors.Is(&HandshakeError{Server: cause}, cause) {
		t.Error("HandshakeError does not unwrap to the server's error")
	}
	cfg := testConfig(t, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS12, "a.example")
	cfg.ProxyRequest, cfg.ProxyResponse = []byte("CONNECT a.example:443 HTTP/1.1\r\n\r\n"), []byte("garbage")
	if _, err := Handshake(cfg); err == nil || errors.As(err, new(*HandshakeError)) {
		t.Errorf("ProxyResponse without status: got %v, want a configuration error", err)
	}
}

// packetLine is one decoded TCP packet, for comparing layouts.
func packetLines(t *testing.T, file []byte) []string {
	t.Helper()
	flows, msgs, err := Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("dns %v>%v qr=%v rcode=%d answers=%d at %v", m.Src, m.Dst, m.DNS.QR, m.DNS.ResponseCode, len(m.DNS.Answers), m.Time.Sub(testTime)))
	}
	for _, f := range flows {
		out = append(out, fmt.Sprintf("tcp %v>%v packets=%d syns=%v rst=%v fin=%v bytes=%d/%d span=%v", f.Client, f.Server, f.Packets,
			f.SYNs, f.RST, f.FIN, len(f.Streams[Client]), len(f.Streams[Server]), f.Last.Sub(f.First)))
	}
	return out
}

func TestWriterFailures(t *testing.T) {
	client, server := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:443")
	data := Conversation{Client: client, Server: server, Chunks: []Chunk{
		{Dir: Client, Data: []byte("hello")}, {Dir: Server, Data: []byte("world!")},
		{Dir: Client, FIN: true, Wait: 5 * time.Second}, {Dir: Server, FIN: true},
	}}
	reset := Conversation{Client: client, Server: server, Chunks: []Chunk{
		{Dir: Client, Data: []byte("hello")}, {Dir: Server, RST: true}, {Dir: Client, Data: []byte("dropped")},
	}}
	empty := Conversation{Client: client, Server: server}
	for _, tc := range []struct {
		name string
		conv Conversation
		tcp  TCP
		want string
	}{
		{"established", data, TCP{},
			"tcp 10.0.0.1:40000>10.0.0.2:443 packets=8 syns=[1 1] rst=[false false] fin=[true true] bytes=5/6 span=5.006s"},
		{"unanswered", empty, TCP{Opening: Unanswered, SYNRetries: []time.Duration{time.Second, 2 * time.Second}},
			"tcp 10.0.0.1:40000>10.0.0.2:443 packets=3 syns=[3 0] rst=[false false] fin=[false false] bytes=0/0 span=3s"},
		{"refused", empty, TCP{Opening: Refused},
			"tcp 10.0.0.1:40000>10.0.0.2:443 packets=2 syns=[1 0] rst=[false true] fin=[false false] bytes=0/0 span=1ms"},
		{"reset", reset, TCP{},
			"tcp 10.0.0.1:40000>10.0.0.2:443 packets=5 syns=[1 1] rst=[false true] fin=[false false] bytes=5/0 span=4ms"},
		{"client only", data, TCP{ClientOnly: true},
			"tcp 10.0.0.1:40000>10.0.0.2:443 packets=5 syns=[1 0] rst=[false false] fin=[true false] bytes=5/0 span=5.003s"},
		{"cut", data, TCP{Cut: 4},
			"tcp 10.0.0.1:40000>10.0.0.2:443 packets=4 syns=[1 1] rst=[false false] fin=[false false] bytes=5/0 span=3ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeCapture(t, Options{Start: testTime}, &tc.conv, tc.tcp)
			if diff := cmp.Diff([]string{tc.want}, packetLines(t, file)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	w, err := NewWriter(&bytes.Buffer{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteConversation(&data, TCP{Opening: Refused}); err == nil {
		t.Error("refused opening with data: got nil error")
	}
}

// TestResetSegment checks the RST-ACK's numbers: the reset after data
// acknowledges it; the refusal of a SYN has sequence 0 (RFC 9293,
// Section 3.10.7.1).
func TestResetSegment(t *testing.T) {
	conv := Conversation{Chunks: []Chunk{{Dir: Client, Data: []byte("hello")}, {Dir: Server, RST: true}}}
	segs := segments(&conv, TCP{ClientISN: 100, ServerISN: 500})
	last := segs[len(segs)-1]
	if want := (segment{dir: Server, seq: 501, ack: 106, flags: flagRST | flagACK}); !segEqual(last, want) {
		t.Errorf("reset after data = %+v, want %+v", last, want)
	}
	segs = segments(&Conversation{}, TCP{ClientISN: 100, Opening: Refused})
	if want := (segment{dir: Server, ack: 101, flags: flagRST | flagACK}); len(segs) != 2 || !segEqual(segs[1], want) {
		t.Errorf("refusal = %+v, want SYN then %+v", segs, want)
	}
}

func TestDNSFailures(t *testing.T) {
	base := DNS{Client: netip.MustParseAddr("10.0.0.1"), Resolver: netip.MustParseAddr("10.0.0.53"), ID: 7, TTL: 60, Name: "a.example"}
	edit := func(f func(*DNS)) DNS {
		d := base
		f(&d)
		return d
	}
	for _, tc := range []struct {
		name string
		dns  DNS
		want []string
	}{
		{"nxdomain", edit(func(d *DNS) { d.Type, d.RCode = layers.DNSTypeA, layers.DNSResponseCodeNXDomain }), []string{
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 0s",
			"dns 10.0.0.53:53>10.0.0.1:53000 qr=true rcode=3 answers=0 at 1ms"}},
		{"servfail aaaa", edit(func(d *DNS) { d.Type, d.RCode = layers.DNSTypeAAAA, layers.DNSResponseCodeServFail }), []string{
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 0s",
			"dns 10.0.0.53:53>10.0.0.1:53000 qr=true rcode=2 answers=0 at 1ms"}},
		{"cname only", edit(func(d *DNS) { d.Type, d.CNAMEs = layers.DNSTypeA, []string{"edge.example"} }), []string{
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 0s",
			"dns 10.0.0.53:53>10.0.0.1:53000 qr=true rcode=0 answers=1 at 1ms"}},
		{"no response", edit(func(d *DNS) { d.Type, d.Queries, d.NoResponse = layers.DNSTypeA, 3, true }), []string{
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 0s",
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 1s",
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 2s"}},
		{"late answer", edit(func(d *DNS) {
			d.Queries, d.Retry, d.Addrs = 2, 500*time.Millisecond, []netip.Addr{netip.MustParseAddr("10.0.0.2")}
		}), []string{
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 0s",
			"dns 10.0.0.1:53000>10.0.0.53:53 qr=false rcode=0 answers=0 at 500ms",
			"dns 10.0.0.53:53>10.0.0.1:53000 qr=true rcode=0 answers=1 at 501ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, Options{Start: testTime})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteDNS(tc.dns); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, packetLines(t, buf.Bytes())); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	w, err := NewWriter(&bytes.Buffer{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []DNS{
		edit(func(d *DNS) { d.Name = "" }),
		edit(func(d *DNS) { d.Type, d.Addrs = layers.DNSTypeMX, []netip.Addr{netip.MustParseAddr("10.0.0.2")} }),
		edit(func(d *DNS) { d.Type, d.Addrs = layers.DNSTypeAAAA, []netip.Addr{netip.MustParseAddr("10.0.0.2")} }),
	} {
		if err := w.WriteDNS(d); err == nil {
			t.Errorf("WriteDNS(%+v): got nil error", d)
		}
	}
}

func TestOpeningReplyString(t *testing.T) {
	got := strings.Join([]string{Established.String(), Unanswered.String(), Refused.String(), Opening(7).String(),
		ReplyTLS.String(), ReplyReset.String(), ReplySilence.String(), Reply(7).String()}, " ")
	if want := "established unanswered refused Opening(7) tls reset silence Reply(7)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestProxyStatus(t *testing.T) {
	for in, want := range map[string]int{
		"HTTP/1.1 200 Connection established\r\n\r\n":    200,
		"HTTP/1.0 407 Proxy Authentication Required\r\n": 407,
		"HTTP/1.1 403\r\n\r\n":                           403,
		"HTTP/2 200\r\n":                                 0,
		"HTTP/1.1 20\r\n":                                0,
		"HTTP/1.1 2000 x\r\n":                            0,
		"garbage":                                        0,
		"":                                               0,
	} {
		if got := proxyStatus([]byte(in)); got != want {
			t.Errorf("proxyStatus(%q) = %d, want %d", in, got, want)
		}
	}
}
