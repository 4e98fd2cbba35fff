package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/internal/loopback"
	"github.com/tsid-project/tsid/internal/samplepki"
	"github.com/tsid-project/tsid/pcaps/synth"
	"github.com/tsid-project/tsid/tlsparse"
)

// testTimeout bounds the probes of these tests; a failure must come
// within it.
const testTimeout = 500 * time.Millisecond

// sampleTime is the samples' capture time: the certificates are valid then.
var sampleTime = time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)

// fieldCase returns the field case's certificate and its CA.
func fieldCase(t *testing.T) (tls.Certificate, *synth.Identity) {
	t.Helper()
	tools, ca := fieldCaseIdentity(t)
	return tools.TLSCertificate(), ca
}

// fieldCaseIdentity returns the field case's server identity and its CA.
func fieldCaseIdentity(t *testing.T) (tools, ca *synth.Identity) {
	t.Helper()
	ca, err := samplepki.CA()
	if err != nil {
		t.Fatal(err)
	}
	tools, err = samplepki.Tools(ca)
	if err != nil {
		t.Fatal(err)
	}
	return tools, ca
}

func target(t *testing.T, addr string) Target {
	t.Helper()
	tg, err := ParseTarget(addr)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func opts(o Options) Options {
	o.Timeout = testTimeout
	o.Time = func() time.Time { return sampleTime }
	return o
}

// TestProbeFieldCase: the field case's server, TLS 1.2 only and TLS 1.3
// only: without SNI and with tools.cisco.com, the chain as sent, the
// handshake as tsid reads it, and the verification against the public
// roots and the samples' CA.
func TestProbeFieldCase(t *testing.T) {
	cert, ca := fieldCase(t)
	caPool := x509.NewCertPool()
	caPool.AddCert(ca.Cert)
	servers := map[string]loopback.Server{
		"TLS 1.2": loopback.TLS(t, cert, tls.VersionTLS12, tls.VersionTLS12),
		"TLS 1.3": loopback.TLS(t, cert, tls.VersionTLS13, tls.VersionTLS13),
	}
	type got struct {
		Version, Status, SNI, SNIStatus string
		Leaf, FirstSAN                  string
		Chain                           int
		Verified                        bool
		VerifyError                     string
	}
	for _, tc := range []struct {
		server string
		o      Options
		want   got
	}{
		{"TLS 1.2", Options{}, got{"TLS 1.2", "present", "", "absent", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			false, "x509: certificate signed by unknown authority"}},
		{"TLS 1.3", Options{}, got{"TLS 1.3", "probed", "", "absent", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			false, "x509: certificate signed by unknown authority"}},
		{"TLS 1.3", Options{SNI: "tools.cisco.com"}, got{"TLS 1.3", "probed", "tools.cisco.com", "present", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			false, "x509: certificate signed by unknown authority"}},
		{"TLS 1.2", Options{SNI: "tools.cisco.com", Roots: caPool}, got{"TLS 1.2", "present", "tools.cisco.com", "present", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			true, ""}},
		{"TLS 1.3", Options{Roots: caPool}, got{"TLS 1.3", "probed", "", "absent", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			true, ""}}, // no SNI: the chain alone
		{"TLS 1.3", Options{SNI: "www.example.com", Roots: caPool}, got{"TLS 1.3", "probed", "www.example.com", "present", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			false, "x509: certificate is valid for toos.cisco.com, tools.cisco.com, tools1.cisco.com, tools2.cisco.com, not www.example.com"}},
		{"TLS 1.3", Options{Version: tlsparse.VersionTLS13}, got{"TLS 1.3", "probed", "", "absent", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			false, "x509: certificate signed by unknown authority"}},
		{"TLS 1.2", Options{Version: tlsparse.VersionTLS12}, got{"TLS 1.2", "present", "", "absent", samplepki.ToolsSHA256, "toos.cisco.com", 2,
			false, "x509: certificate signed by unknown authority"}},
	} {
		res, err := Probe(context.Background(), target(t, servers[tc.server].Addr), opts(tc.o))
		if err != nil {
			t.Errorf("%s %+v: %v", tc.server, tc.o, err)
			continue
		}
		hs := res.Handshake()
		g := got{Version: res.Version.String(), Status: string(hs.Status), SNIStatus: string(hs.SNIStatus),
			Chain: len(hs.Chain), Verified: res.Verified, VerifyError: res.VerifyError}
		if hs.ClientHello != nil {
			g.SNI = hs.ClientHello.SNI
		}
		if len(hs.Chain) > 0 {
			g.Leaf, g.FirstSAN = hs.Chain[0].SHA256, hs.Chain[0].DNSNames[0]
		}
		if diff := cmp.Diff(tc.want, g); diff != "" {
			t.Errorf("%s %+v (-want +got):\n%s", tc.server, tc.o, diff)
		}
		if res.Server.String() != servers[tc.server].Addr || !res.Local.IsValid() || res.Proxy.IsValid() {
			t.Errorf("%s: server %v local %v proxy %v", tc.server, res.Server, res.Local, res.Proxy)
		}
		if !res.Start.Equal(sampleTime) {
			t.Errorf("start %v, want the clock's %v", res.Start, sampleTime)
		}
	}
}

// TestProbeErrors: each way a probe fails is one line naming the target,
// matched by its sentinel, and comes within the timeout.
func TestProbeErrors(t *testing.T) {
	cert, _ := fieldCase(t)
	tls13 := loopback.TLS(t, cert, tls.VersionTLS13, tls.VersionTLS13)
	tls12 := loopback.TLS(t, cert, tls.VersionTLS12, tls.VersionTLS12)
	dialErr := func(err error) func(context.Context, string, string) (net.Conn, error) {
		return func(context.Context, string, string) (net.Conn, error) { return nil, err }
	}
	refused := loopback.Refused(t)
	silent := loopback.Silent(t)
	http400 := loopback.Answering(t, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	ssh := loopback.Answering(t, "SSH-2.0-OpenSSH_9.6\r\n")
	binary := loopback.Answering(t, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09")
	closer := loopback.Answering(t, "")
	for _, tc := range []struct {
		name, addr string
		o          Options
		kind       error
		msg        string // the error's text after "probe ADDR: "
	}{
		{"refused", refused, Options{}, ErrRefused, "connection refused"},
		{"silent", silent, Options{}, ErrTimeout, "no answer within 500ms (the server accepted the connection but did not answer the ClientHello)"},
		{"http", http400, Options{}, ErrNotTLS, `not TLS: the server answered "HTTP/1.1 400 Bad Request"`},
		{"ssh", ssh, Options{}, ErrNotTLS, `not TLS: the server answered "SSH-2.0-OpenSSH_9.6"`},
		{"binary", binary, Options{}, ErrNotTLS, `not TLS: the server answered bytes 00 01 02 03 04 05 06 07 …`},
		{"closed", closer, Options{}, ErrHandshake, "the server closed the connection without answering the ClientHello"},
		{"tls12-asked-of-tls13", tls13.Addr, Options{Version: tlsparse.VersionTLS12}, ErrHandshake,
			"TLS handshake failed: the server sent alert protocol_version (it speaks none of the TLS versions offered; tsid offers 1.2 and 1.3, or the one --tls names)"},
		{"tls13-asked-of-tls12", tls12.Addr, Options{Version: tlsparse.VersionTLS13}, ErrHandshake,
			"TLS handshake failed: the server sent alert protocol_version (it speaks none of the TLS versions offered; tsid offers 1.2 and 1.3, or the one --tls names)"},
		{"no-such-host", "tools.invalid:443", Options{Dial: dialErr(&net.DNSError{Err: "no such host", Name: "tools.invalid", IsNotFound: true})},
			ErrNoSuchHost, "no such host"},
		{"dns-timeout", "tools.invalid:443", Options{Dial: dialErr(&net.DNSError{Err: "i/o timeout", Name: "tools.invalid", IsTimeout: true})},
			ErrTimeout, "no answer within 500ms (looking up tools.invalid)"},
		{"dns-servfail", "tools.invalid:443", Options{Dial: dialErr(&net.DNSError{Err: "server misbehaving", Name: "tools.invalid"})},
			ErrNoSuchHost, "name not resolved: server misbehaving"},
		{"net-unreachable", "192.0.2.1:443", Options{Dial: dialErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)})},
			ErrUnreachable, "network unreachable"},
		{"host-unreachable", "192.0.2.1:443", Options{Dial: dialErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)})},
			ErrUnreachable, "no route to host"},
		{"ip-sni", tls13.Addr, Options{SNI: "10.1.1.1"}, ErrTarget, `SNI "10.1.1.1": an IP address is not sent as SNI (RFC 6066, Section 3)`},
		{"tls11", tls13.Addr, Options{Version: tlsparse.VersionTLS11}, ErrTarget, "TLS version TLS 1.1: want TLS 1.2 or TLS 1.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res, err := Probe(context.Background(), target(t, tc.addr), opts(tc.o))
			if took := time.Since(start); took > 3*testTimeout {
				t.Errorf("took %v, timeout %v", took, testTimeout)
			}
			if err == nil {
				t.Fatalf("no error; chain of %d", len(res.Chain))
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("%v is not %v", err, tc.kind)
			}
			want := "probe " + target(t, tc.addr).String() + ": " + tc.msg
			if err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err.Error(), want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error on several lines: %q", err)
			}
			if res == nil {
				t.Error("no Result with the error")
			}
		})
	}
}

// TestProbeVia: through a CONNECT proxy the server's address is the
// proxy's to know; the bytes hold the CONNECT, which the Observer reads.
// A proxy that refuses is ErrProxy with its status line.
func TestProbeVia(t *testing.T) {
	cert, _ := fieldCase(t)
	srv := loopback.TLS(t, cert, tls.VersionTLS12, tls.VersionTLS13)
	// The proxy resolves tools.cisco.com to the loopback server.
	proxy := loopback.ConnectProxy(t, http.StatusOK, func(authority string) (net.Conn, error) {
		if authority != "tools.cisco.com:443" {
			return nil, errors.New("unexpected authority " + authority)
		}
		return net.Dial("tcp", srv.Addr)
	})
	for _, via := range []string{proxy.Addr, "http://" + proxy.Addr, "http://user:secret@" + proxy.Addr + "/"} {
		res, err := Probe(context.Background(), target(t, "tools.cisco.com"), opts(Options{Via: via}))
		if err != nil {
			t.Fatalf("via %s: %v", via, err)
		}
		hs := res.Handshake()
		if res.Via != proxy.Addr || res.Proxy.String() != proxy.Addr || res.Server.IsValid() {
			t.Errorf("via %s: Via %q Proxy %v Server %v", via, res.Via, res.Proxy, res.Server)
		}
		if hs.Connect == nil || hs.Connect.Authority != "tools.cisco.com:443" || hs.Connect.Status != 200 {
			t.Errorf("via %s: CONNECT %+v", via, hs.Connect)
		}
		if len(hs.Chain) == 0 || hs.Chain[0].SHA256 != samplepki.ToolsSHA256 {
			t.Errorf("via %s: chain %v", via, hs.Chain)
		}
		if !bytes.HasPrefix(res.Sent, []byte("CONNECT tools.cisco.com:443 HTTP/1.1\r\n")) {
			t.Errorf("via %s: sent %q", via, res.Sent[:min(len(res.Sent), 60)])
		}
		if strings.Contains(via, "secret") && !bytes.Contains(res.Sent, []byte("Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n")) {
			t.Errorf("via %s: no Proxy-Authorization", via)
		}
	}

	refusing := loopback.ConnectProxy(t, http.StatusForbidden, nil)
	_, err := Probe(context.Background(), target(t, "tools.cisco.com"), opts(Options{Via: refusing.Addr}))
	want := `probe tools.cisco.com:443: proxy ` + refusing.Addr + ` refused the tunnel: "HTTP/1.1 403 Forbidden"`
	if err == nil || err.Error() != want || !errors.Is(err, ErrProxy) {
		t.Errorf("refusing proxy: %v, want %q", err, want)
	}
	gone := loopback.Refused(t)
	_, err = Probe(context.Background(), target(t, "tools.cisco.com"), opts(Options{Via: gone}))
	want = "probe tools.cisco.com:443: proxy " + gone + ": connection refused"
	if err == nil || err.Error() != want || !errors.Is(err, ErrProxy) || !errors.Is(err, ErrRefused) {
		t.Errorf("absent proxy: %v, want %q", err, want)
	}
	silent := loopback.Silent(t)
	_, err = Probe(context.Background(), target(t, "tools.cisco.com"), opts(Options{Via: silent}))
	want = "probe tools.cisco.com:443: proxy " + silent + ": no answer within 500ms to the CONNECT"
	if err == nil || err.Error() != want || !errors.Is(err, ErrProxy) || !errors.Is(err, ErrTimeout) {
		t.Errorf("silent proxy: %v, want %q", err, want)
	}
}

func TestParseVia(t *testing.T) {
	for _, tc := range []struct{ in, addr, err string }{
		{"proxy.example.com:3128", "proxy.example.com:3128", ""},
		{"http://proxy.example.com:8080", "proxy.example.com:8080", ""},
		{"http://proxy.example.com", "proxy.example.com:80", ""},
		{"http://[2001:db8::1]:3128/", "[2001:db8::1]:3128", ""},
		{"proxy.example.com", "", "want HOST:PORT"},
		{"https://proxy.example.com:443", "", "want http://HOST:PORT"},
		{"socks5://proxy.example.com:1080", "", "want http://HOST:PORT"},
		{"http://proxy.example.com:3128/path", "", "a proxy has no path"},
		{"proxy.example.com:99999", "", "want 1 to 65535"},
		{":3128", "", "want HOST:PORT"},
	} {
		p, err := parseVia(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && p.addr != tc.addr:
			t.Errorf("%q: %q, want %q", tc.in, p.addr, tc.addr)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want %q", tc.in, err, tc.err)
		}
	}
}

// TestAll: results in the order given, whichever came first.
func TestAll(t *testing.T) {
	cert, _ := fieldCase(t)
	good := loopback.TLS(t, cert, tls.VersionTLS12, tls.VersionTLS13)
	silent := loopback.Silent(t)
	refused := loopback.Refused(t)
	targets := []Target{target(t, silent), target(t, good.Addr), target(t, refused), target(t, "tools.cisco.com:"+strings.Split(good.Addr, ":")[1])}
	out := All(context.Background(), targets, func(tg Target) Options {
		o := opts(Options{})
		if tg.IsName() {
			o.SNI = tg.Host
			o.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, good.Addr)
			}
		}
		return o
	})
	var kinds []string
	for _, oc := range out {
		switch {
		case errors.Is(oc.Err, ErrTimeout):
			kinds = append(kinds, "timeout")
		case errors.Is(oc.Err, ErrRefused):
			kinds = append(kinds, "refused")
		case oc.Err == nil:
			kinds = append(kinds, "ok:"+oc.Result.SNI)
		default:
			kinds = append(kinds, oc.Err.Error())
		}
	}
	if diff := cmp.Diff([]string{"timeout", "ok:", "refused", "ok:tools.cisco.com"}, kinds); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got := good.SNIs(); len(got) != 2 {
		t.Errorf("server saw SNIs %q, want one without and tools.cisco.com", got)
	}
}

// TestHandshakeByHand: a Result built by hand (no order recorded) is read
// client first; bytes cut at the cap are lost bytes, not a clean end.
func TestHandshakeByHand(t *testing.T) {
	cert, _ := fieldCase(t)
	srv := loopback.TLS(t, cert, tls.VersionTLS12, tls.VersionTLS12)
	res, err := Probe(context.Background(), target(t, srv.Addr), opts(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	byHand := &Result{Sent: res.Sent, Received: res.Received}
	hs := byHand.Handshake()
	if hs.Status != tlsparse.CertPresent || len(hs.Chain) != 2 || hs.SNIStatus != tlsparse.SNIAbsent {
		t.Errorf("by hand: status %s, chain %d, sni %s", hs.Status, len(hs.Chain), hs.SNIStatus)
	}
	cut := &Result{Sent: res.Sent, Received: res.Received[:20], ReceivedCut: true}
	hs = cut.Handshake()
	if !hs.Incomplete || hs.Status == tlsparse.CertPresent {
		t.Errorf("cut: incomplete %v status %s", hs.Incomplete, hs.Status)
	}
}

// TestRecorderCap: the recording keeps MaxRecorded bytes each way and
// says it cut.
func TestRecorderCap(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	rec := &recorder{Conn: a}
	chunk := make([]byte, 100<<10)
	for range 3 {
		if _, err := rec.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	var res Result
	rec.done(&res)
	if len(res.Sent) != MaxRecorded || !res.SentCut || res.ReceivedCut || len(res.segs) != 1 || res.segs[0].n != MaxRecorded {
		t.Errorf("sent %d cut %v/%v segs %+v", len(res.Sent), res.SentCut, res.ReceivedCut, res.segs)
	}
	rec.Write(chunk) // after done: not recorded
	if len(res.Sent) != MaxRecorded {
		t.Errorf("recorded after done")
	}
}

// TestProbeCertificateRefused: a TLS 1.2 server whose certificate
// crypto/tls cannot parse (an invalid version) still gave it: the probe
// reads it from the server's bytes, as a firewall would, and says why the
// handshake stopped.
func TestProbeCertificateRefused(t *testing.T) {
	tools, ca := fieldCaseIdentity(t)
	der := bytes.Clone(tools.DER())
	i := bytes.Index(der, []byte{0xa0, 0x03, 0x02, 0x01, 0x02}) // version [0] EXPLICIT INTEGER v3
	if i < 0 {
		t.Fatal("no version field")
	}
	der[i+4] = 0x05 // v6: crypto/x509 refuses it
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Fatal("crypto/x509 takes the patched certificate")
	}
	cert := tls.Certificate{Certificate: [][]byte{der, ca.DER()}, PrivateKey: tools.Key}
	srv := loopback.TLS(t, cert, tls.VersionTLS12, tls.VersionTLS12)
	res, err := Probe(context.Background(), target(t, srv.Addr), opts(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	hs := res.Handshake()
	if res.HandshakeErr == nil || !strings.Contains(res.HandshakeErr.Error(), "failed to parse certificate") {
		t.Errorf("handshake error %v", res.HandshakeErr)
	}
	if len(res.Chain) != 2 || !bytes.Equal(res.Chain[0], der) || hs.Status != tlsparse.CertPresent {
		t.Fatalf("chain %d, status %s", len(res.Chain), hs.Status)
	}
	if leaf := hs.Chain[0]; leaf.DNSNames[0] != "toos.cisco.com" || leaf.X509Error == "" {
		t.Errorf("leaf %v, x509 error %q", leaf.DNSNames, leaf.X509Error)
	}
	if res.Verified || !strings.Contains(res.VerifyError, "x509") {
		t.Errorf("verified %v: %s", res.Verified, res.VerifyError)
	}
}
