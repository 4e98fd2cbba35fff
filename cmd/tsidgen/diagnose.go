package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/tsid-project/tsid/pcaps/synth"
)

// The diagnose captures (testdata/diagnose/README.md) use the samples'
// addresses: the FMC 10.12.1.8, its resolver 10.12.1.1, tools.cisco.com's
// two addresses, and documentation ranges for everything else.
var (
	fmc           = addr("10.12.1.8")
	resolver      = addr("10.12.1.1")
	wrongResolver = addr("10.12.1.2") // an internal-only resolver (failed-registration.pcap)
	ciscoIP2      = addr("173.37.145.8")
	proxy         = ap("192.0.2.31:3128")
)

const toolsName = "tools.cisco.com"

// Timing, on top of the Writer's 1 ms step: the connection starts
// dnsGap after the DNS answer (as in the samples); the client retransmits
// a SYN after 1 s and 2 s and gives up 4 s after the third (Linux doubles
// the wait); a stub resolver asks again every second; a client waits 10 s
// for an answer to its ClientHello.
const (
	dnsGap      = 20 * time.Millisecond
	synGiveUp   = 4 * time.Second
	dnsRetry    = time.Second
	dnsQueries  = 3
	helloGiveUp = 10 * time.Second
	// storyGap separates the two lookups of failed-registration.pcap.
	storyGap = 2 * time.Second
)

var synRetries = []time.Duration{time.Second, 2 * time.Second}

// Initial sequence numbers, as in the samples: the first connection of a
// file, and the second.
const (
	isn1Client, isn1Server = 0x1a2b3c4d, 0x5e6f7081
	isn2Client, isn2Server = 0x22220000, 0x33330000
)

// TLS alerts the captures hold (RFC 8446, Section 6; RFC 5246, Section
// 7.2). crypto/tls's client sends bad_certificate for every chain it
// refuses (handshake_client.go, verifyServerCertificate).
const (
	alertBadCertificate   uint8 = 42
	alertProtocolVersion  uint8 = 70
	alertUnrecognizedName uint8 = 112
)

// TLS record content types (RFC 5246, Section 6.2.1).
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHeaderLen        = 5
)

// The explicit proxy's exchange (RFC 9110, Section 9.3.6), byte for byte
// as the README shows it.
const (
	connectRequest = "CONNECT tools.cisco.com:443 HTTP/1.1\r\nHost: tools.cisco.com:443\r\n\r\n"
	connectOK      = "HTTP/1.1 200 Connection established\r\n\r\n"
	connectAuth    = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n"
)

// The registration's application data (encrypted in the capture): a
// Smart Licensing request to the DDCEService URL and a short answer.
var (
	registerBody    = `{"registration":{"product":"FMC","udi":"PID:FMC1600-K9 SN:TSID0001"}}`
	registerRequest = []byte("POST /its/service/oddce/services/DDCEService HTTP/1.1\r\nHost: tools.cisco.com\r\n" +
		"User-Agent: tsidgen/1\r\nContent-Type: application/json\r\nContent-Length: " +
		fmt.Sprint(len(registerBody)) + "\r\n\r\n" + registerBody)
	registerReplyBody = `{"status":"OK"}`
	registerResponse  = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		fmt.Sprint(len(registerReplyBody)) + "\r\nConnection: close\r\n\r\n" + registerReplyBody)
)

// pinnedSuites are crypto/tls's default TLS 1.2 suites without
// ChaCha20-Poly1305: crypto/tls puts ChaCha20 first on CPUs without AES
// hardware and last elsewhere, and the AES suites keep their order either
// way, so without it the ClientHello and the server's choice are the same
// on every machine.
var pinnedSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
}

// diagPKI is the samples' PKI (test CA, tools, www) and the certificates
// only the diagnose captures use.
type diagPKI struct {
	*pki
	// inspectCA is an SSL decryption device's CA; inspected is the
	// tools.cisco.com leaf it makes up (same names, other issuer).
	inspectCA, inspected *synth.Identity
	// expired ended the day before the capture; notYet starts a month
	// after it (a client clock a month behind).
	expired, notYet *synth.Identity
}

func newDiagPKI() (*diagPKI, error) {
	base, err := newPKI()
	if err != nil {
		return nil, err
	}
	p := &diagPKI{pki: base}
	issue := func(spec synth.CertSpec, issuer *synth.Identity) *synth.Identity {
		if err != nil {
			return nil
		}
		var id *synth.Identity
		id, err = synth.NewIdentity(spec, issuer)
		return id
	}
	p.inspectCA = issue(synth.CertSpec{
		KeySeed: "corp ssl inspection ca", Serial: 0x4001, CA: true,
		Subject:   pkix.Name{CommonName: "Corp SSL Inspection CA"},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}, nil)
	p.inspected = issue(synth.CertSpec{
		KeySeed: "inspected tools.cisco.com", Serial: 0x4002,
		Subject:  base.tools.Cert.Subject,
		DNSNames: base.tools.Cert.DNSNames,
		// The device copies the original's validity.
		NotBefore: leafFrom, NotAfter: leafTo,
	}, p.inspectCA)
	p.expired = issue(synth.CertSpec{
		KeySeed: "expired.example.net", Serial: 0x3001,
		Subject:   pkix.Name{CommonName: "expired.example.net"},
		DNSNames:  []string{"expired.example.net"},
		NotBefore: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}, base.ca)
	p.notYet = issue(synth.CertSpec{
		KeySeed: "future.example.net", Serial: 0x3002,
		Subject:   pkix.Name{CommonName: "future.example.net"},
		DNSNames:  []string{"future.example.net"},
		NotBefore: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC),
	}, base.ca)
	return p, err
}

// diagCapture is one capture of testdata/diagnose.
type diagCapture struct {
	file  string
	write func(w *writer, p *diagPKI) error
}

// pin makes both sides of cfg use pinnedSuites, keeping its own hooks.
func pin(cfg synth.Config) synth.Config {
	client, server := cfg.ClientTLS, cfg.ServerTLS
	cfg.ClientTLS = func(c *tls.Config) {
		c.CipherSuites = pinnedSuites
		if client != nil {
			client(c)
		}
	}
	cfg.ServerTLS = func(c *tls.Config) {
		c.CipherSuites = pinnedSuites
		if server != nil {
			server(c)
		}
	}
	return cfg
}

// goodConn writes a connection that completes (tlsConn of the samples,
// with pinned suites).
func goodConn(w *writer, cfg synth.Config, t synth.TCP) error {
	return tlsConn(w, pin(cfg), t)
}

// failedConn runs a handshake that must fail and writes it. by is the side
// that must send alert, the only plaintext alert of the connection; alert
// 0 means no alert at all (a reset, silence, a proxy's refusal).
func failedConn(w *writer, cfg synth.Config, t synth.TCP, by synth.Dir, alert uint8) error {
	cfg, t = withDefaults(w, pin(cfg), t)
	conv, err := synth.Handshake(cfg)
	if !errors.As(err, new(*synth.HandshakeError)) {
		return fmt.Errorf("%v: the handshake should fail, got error %v", cfg.Client, err)
	}
	var want [2][]uint8
	if alert != 0 {
		want[by] = []uint8{alert}
	}
	for _, d := range []synth.Dir{synth.Client, synth.Server} {
		if got := plainAlerts(conv.Stream(d)); !slices.Equal(got, want[d]) {
			return fmt.Errorf("%v: the %v sent alerts %v, want %v (did crypto/tls change? update the README)", cfg.Client, d, got, want[d])
		}
	}
	return w.addConv(&conv, t)
}

// plainAlerts returns the descriptions of the alert records of a TLS
// stream before its ChangeCipherSpec, after which records are encrypted;
// an HTTP CONNECT preamble is skipped.
func plainAlerts(stream []byte) []uint8 {
	stream = afterConnect(stream)
	var out []uint8
	for len(stream) >= recordHeaderLen {
		typ, n := stream[0], int(stream[3])<<8|int(stream[4])
		if len(stream) < recordHeaderLen+n || typ == recordChangeCipherSpec {
			break
		}
		if typ == recordAlert && n == 2 {
			out = append(out, stream[recordHeaderLen+1])
		}
		stream = stream[recordHeaderLen+n:]
	}
	return out
}

// afterConnect returns stream without the HTTP CONNECT request or answer
// it starts with, if any.
func afterConnect(stream []byte) []byte {
	if bytes.HasPrefix(stream, []byte("CONNECT ")) || bytes.HasPrefix(stream, []byte("HTTP/1.")) {
		if _, rest, ok := bytes.Cut(stream, []byte("\r\n\r\n")); ok {
			return rest
		}
	}
	return stream
}

// lookupTools writes an answered lookup of tools.cisco.com from the FMC.
func lookupTools(w *writer, id uint16, addrs ...netip.Addr) error {
	if err := w.WriteDNS(synth.DNS{Client: fmc, Resolver: resolver, ID: id, TTL: 300, Name: toolsName, Addrs: addrs}); err != nil {
		return err
	}
	w.Pause(dnsGap)
	return nil
}

// failedLookup writes a lookup of tools.cisco.com answered with rcode and
// no address.
func failedLookup(id uint16, rcode layers.DNSResponseCode) func(*writer, *diagPKI) error {
	return func(w *writer, _ *diagPKI) error {
		return w.WriteDNS(synth.DNS{Client: fmc, Resolver: resolver, ID: id, Name: toolsName, Type: layers.DNSTypeA, RCode: rcode})
	}
}

// unanswered writes a connection attempt whose SYNs get no answer.
func unanswered(w *writer, client, server netip.AddrPort, isn uint32) error {
	c := synth.Conversation{Client: client, Server: server}
	return w.WriteConversation(&c, synth.TCP{ClientISN: isn, Opening: synth.Unanswered, SYNRetries: synRetries})
}

// toolsConfig is a connection from the FMC to tools.cisco.com at server
// whose client checks the chain against the test CA.
func toolsConfig(port uint16, server netip.Addr, cert *synth.Identity, p *diagPKI) synth.Config {
	return synth.Config{
		Client: netip.AddrPortFrom(fmc, port), Server: netip.AddrPortFrom(server, 443),
		ServerName: toolsName, Cert: cert, Verify: true, Roots: []*x509.Certificate{p.ca.Cert},
	}
}

var diagCaptures = []diagCapture{
	{file: "dns-nxdomain.pcap", write: failedLookup(0x5101, layers.DNSResponseCodeNXDomain)},
	{file: "dns-servfail.pcap", write: failedLookup(0x5102, layers.DNSResponseCodeServFail)},
	{file: "dns-refused.pcap", write: failedLookup(0x5103, layers.DNSResponseCodeRefused)},
	{file: "dns-cname-only.pcap", write: func(w *writer, _ *diagPKI) error {
		return w.WriteDNS(synth.DNS{Client: fmc, Resolver: resolver, ID: 0x5104, TTL: 300, Name: toolsName,
			Type: layers.DNSTypeA, CNAMEs: []string{"tools-cisco.edge.example.net"}})
	}},
	{file: "dns-no-response.pcap", write: func(w *writer, _ *diagPKI) error {
		return w.WriteDNS(synth.DNS{Client: fmc, Resolver: resolver, ID: 0x5105, Name: toolsName,
			Type: layers.DNSTypeA, Queries: dnsQueries, Retry: dnsRetry, NoResponse: true})
	}},
	{file: "tcp-syn-unanswered.pcap", write: func(w *writer, _ *diagPKI) error {
		if err := lookupTools(w, 0x5201, ciscoIP); err != nil {
			return err
		}
		return unanswered(w, netip.AddrPortFrom(fmc, 52100), netip.AddrPortFrom(ciscoIP, 443), isn1Client)
	}},
	{file: "tcp-rst-on-syn.pcap", write: func(w *writer, _ *diagPKI) error {
		if err := lookupTools(w, 0x5202, ciscoIP); err != nil {
			return err
		}
		c := synth.Conversation{Client: netip.AddrPortFrom(fmc, 52110), Server: netip.AddrPortFrom(ciscoIP, 443)}
		return w.WriteConversation(&c, synth.TCP{ClientISN: isn1Client, Opening: synth.Refused})
	}},
	{file: "tcp-rst-after-hello.pcap", write: func(w *writer, p *diagPKI) error {
		if err := lookupTools(w, 0x5203, ciscoIP); err != nil {
			return err
		}
		cfg := toolsConfig(52120, ciscoIP, nil, p)
		cfg.Reply = synth.ReplyReset
		return failedConn(w, cfg, synth.TCP{}, synth.Server, 0)
	}},
	{file: "tls-hello-unanswered.pcap", write: func(w *writer, p *diagPKI) error {
		if err := lookupTools(w, 0x5204, ciscoIP); err != nil {
			return err
		}
		cfg := toolsConfig(52130, ciscoIP, nil, p)
		cfg.Reply, cfg.GiveUp = synth.ReplySilence, helloGiveUp
		return failedConn(w, cfg, synth.TCP{}, synth.Client, 0)
	}},
	{file: "tls-untrusted-ca.pcap", write: func(w *writer, p *diagPKI) error {
		if err := lookupTools(w, 0x5301, ciscoIP); err != nil {
			return err
		}
		return failedConn(w, toolsConfig(52200, ciscoIP, p.inspected, p), synth.TCP{}, synth.Client, alertBadCertificate)
	}},
	{file: "tls-server-tls13-only.pcap", write: func(w *writer, p *diagPKI) error {
		return failedConn(w, synth.Config{
			Client: netip.AddrPortFrom(fmc, 52210), Server: ap("198.51.100.20:443"),
			ServerName: "www.example.com", Cert: p.www, Verify: true,
			ServerTLS: func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS13, tls.VersionTLS13 },
		}, synth.TCP{}, synth.Server, alertProtocolVersion)
	}},
	{file: "tls-unknown-sni.pcap", write: func(w *writer, p *diagPKI) error {
		return failedConn(w, synth.Config{
			Client: netip.AddrPortFrom(fmc, 52220), Server: ap("198.51.100.30:443"),
			ServerName: "api.example.com", Cert: p.www, Verify: true,
			ServerTLS: func(c *tls.Config) {
				served := c.Certificates[0]
				c.Certificates = nil
				c.GetCertificate = func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
					if served.Leaf.VerifyHostname(hi.ServerName) == nil {
						return &served, nil
					}
					// Neither a certificate nor an error: crypto/tls
					// answers unrecognized_name (an error would be
					// internal_error).
					return nil, nil
				}
			},
		}, synth.TCP{}, synth.Server, alertUnrecognizedName)
	}},
	{file: "cert-expired.pcap", write: func(w *writer, p *diagPKI) error {
		return failedConn(w, synth.Config{
			Client: netip.AddrPortFrom(fmc, 52300), Server: ap("198.51.100.40:443"),
			ServerName: "expired.example.net", Cert: p.expired, Verify: true,
		}, synth.TCP{}, synth.Client, alertBadCertificate)
	}},
	{file: "cert-not-yet-valid.pcap", write: func(w *writer, p *diagPKI) error {
		return failedConn(w, synth.Config{
			Client: netip.AddrPortFrom(fmc, 52310), Server: ap("198.51.100.50:443"),
			ServerName: "future.example.net", Cert: p.notYet, Verify: true,
		}, synth.TCP{}, synth.Client, alertBadCertificate)
	}},
	{file: "cert-name-mismatch.pcap", write: func(w *writer, p *diagPKI) error {
		return failedConn(w, synth.Config{
			Client: netip.AddrPortFrom(fmc, 52320), Server: ap("198.51.100.60:443"),
			ServerName: "api.example.com", Cert: p.www, Verify: true,
		}, synth.TCP{}, synth.Client, alertBadCertificate)
	}},
	{file: "private-ca.pcap", write: func(w *writer, p *diagPKI) error {
		return goodConn(w, synth.Config{
			Client: netip.AddrPortFrom(fmc, 52330), Server: ap("198.51.100.70:443"),
			ServerName: "www.example.com", Cert: p.www, Verify: true,
		}, synth.TCP{})
	}},
	{file: "proxy-connect.pcap", write: func(w *writer, p *diagPKI) error {
		cfg := toolsConfig(52400, ciscoIP, p.tools, p)
		cfg.Server = proxy
		cfg.ProxyRequest, cfg.ProxyResponse = []byte(connectRequest), []byte(connectOK)
		cfg.Request, cfg.Response = registerRequest, registerResponse
		return goodConn(w, cfg, synth.TCP{})
	}},
	{file: "proxy-auth-required.pcap", write: func(w *writer, p *diagPKI) error {
		cfg := toolsConfig(52410, ciscoIP, p.tools, p)
		cfg.Server = proxy
		cfg.ProxyRequest, cfg.ProxyResponse = []byte(connectRequest), []byte(connectAuth)
		return failedConn(w, cfg, synth.TCP{}, synth.Server, 0)
	}},
	{file: "healthy-registration.pcap", write: func(w *writer, p *diagPKI) error {
		if err := lookupTools(w, 0x5401, ciscoIP); err != nil {
			return err
		}
		cfg := toolsConfig(52500, ciscoIP, p.tools, p)
		cfg.Request, cfg.Response = registerRequest, registerResponse
		return goodConn(w, cfg, synth.TCP{})
	}},
	{file: "cut-after-hello.pcap", write: func(w *writer, p *diagPKI) error {
		if err := lookupTools(w, 0x5402, ciscoIP); err != nil {
			return err
		}
		cfg := toolsConfig(52510, ciscoIP, p.tools, p)
		cfg.Request, cfg.Response = registerRequest, registerResponse
		// SYN, SYN-ACK, ACK, ClientHello: the capture stops there.
		return goodConn(w, cfg, synth.TCP{Cut: 4})
	}},
	{file: "one-way.pcap", write: func(w *writer, p *diagPKI) error {
		if err := w.WriteDNS(synth.DNS{Client: fmc, Resolver: resolver, ID: 0x5403, TTL: 300, Name: toolsName,
			Addrs: []netip.Addr{ciscoIP}, NoResponse: true}); err != nil {
			return err
		}
		w.Pause(dnsGap)
		cfg := toolsConfig(52520, ciscoIP, p.tools, p)
		cfg.Request, cfg.Response = registerRequest, registerResponse
		return goodConn(w, cfg, synth.TCP{ClientOnly: true})
	}},
	{file: "failed-registration.pcap", write: func(w *writer, p *diagPKI) error {
		if err := w.WriteDNS(synth.DNS{Client: fmc, Resolver: wrongResolver, ID: 0x5501, Name: toolsName,
			Type: layers.DNSTypeA, RCode: layers.DNSResponseCodeNXDomain}); err != nil {
			return err
		}
		w.Pause(storyGap)
		if err := lookupTools(w, 0x5502, ciscoIP, ciscoIP2); err != nil {
			return err
		}
		if err := unanswered(w, netip.AddrPortFrom(fmc, 52600), netip.AddrPortFrom(ciscoIP, 443), isn1Client); err != nil {
			return err
		}
		w.Pause(synGiveUp)
		return failedConn(w, toolsConfig(52602, ciscoIP2, p.inspected, p),
			synth.TCP{ClientISN: isn2Client, ServerISN: isn2Server}, synth.Client, alertBadCertificate)
	}},
}

// The trust anchors written next to the captures, for --trust.
const (
	testCAFile       = "test-ca.pem"
	inspectionCAFile = "inspection-ca.pem"
)

func runDiagnose(args []string, stdout, stderr io.Writer) error {
	return writeFiles("diagnose", "testdata/diagnose", args, stdout, stderr, nil, writeDiagnose)
}

// writeDiagnose writes every diagnose capture and the two CAs into dir
// and returns the paths.
func writeDiagnose(dir string) ([]string, error) {
	p, err := newDiagPKI()
	if err != nil {
		return nil, err
	}
	var files []string
	write := func(name string, b []byte) error {
		path := filepath.Join(dir, name)
		files = append(files, path)
		return os.WriteFile(path, b, 0o644)
	}
	for _, c := range diagCaptures {
		b, err := renderDiagnose(c, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.file, err)
		}
		if err := write(c.file, b); err != nil {
			return nil, err
		}
	}
	for _, ca := range []struct {
		file string
		id   *synth.Identity
	}{{inspectionCAFile, p.inspectCA}, {testCAFile, p.ca}} {
		if err := write(ca.file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.id.DER()})); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// renderDiagnose returns the capture file of c (Ethernet, pcap, first
// packet at captureStart).
func renderDiagnose(c diagCapture, p *diagPKI) ([]byte, error) {
	var buf bytes.Buffer
	sw, err := synth.NewWriter(&buf, synth.Options{Start: captureStart})
	if err != nil {
		return nil, err
	}
	if err := c.write(&writer{Writer: sw}, p); err != nil {
		return nil, err
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
