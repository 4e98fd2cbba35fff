package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/tsid-project/tsid/internal/roots"
	"github.com/tsid-project/tsid/tlsparse"
)

const (
	// DefaultTimeout bounds a probe whose Options.Timeout is 0.
	DefaultTimeout = 5 * time.Second
	// MaxRecorded caps the bytes a Result keeps of each direction.
	MaxRecorded = 256 << 10
	// MaxParallel is how many targets All probes at once.
	MaxParallel = 8
)

// Options say how to probe.
type Options struct {
	// SNI is the server_name the ClientHello carries; "" sends none. An IP
	// address is no host name (RFC 6066, Section 3): crypto/tls would not
	// send it, and Probe refuses it.
	SNI string
	// Version forces one TLS version (tlsparse.VersionTLS12 or
	// VersionTLS13); 0 offers both.
	Version tlsparse.Version
	// Timeout bounds the whole probe: the name's lookup, the TCP
	// connection, the proxy's answer and the handshake. 0: DefaultTimeout.
	Timeout time.Duration
	// Via is an HTTP proxy to tunnel through with CONNECT: "host:port" or
	// "http://[user:password@]host[:port]"; "" connects directly.
	Via string
	// Roots are the trust anchors Result.Verified is judged against; nil:
	// the public roots (the Mozilla bundle of
	// golang.org/x/crypto/x509roots/fallback).
	Roots *x509.CertPool
	// Dial opens the TCP connection (to the target, or to the proxy); nil:
	// a net.Dialer. A caller that needs its own source address or routing
	// sets it.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Time is the clock of Result.Start and of the chain's verification;
	// nil: time.Now.
	Time func() time.Time
}

// Result is one probe: where it connected, what it sent and received, the
// server's certificate chain and whether it verifies.
type Result struct {
	Target Target
	Via    string           // the proxy, host:port; "" when direct
	SNI    string           // the SNI sent; "" none
	Asked  tlsparse.Version // the version forced; 0 when 1.2 and 1.3 were offered
	// Server is the address connected to; the zero AddrPort through a
	// proxy, which connects to an address tsid does not learn.
	Server netip.AddrPort
	Proxy  netip.AddrPort // the proxy's address, through one
	Local  netip.AddrPort // tsid's end of the TCP connection
	Start  time.Time      // when the probe began
	// Sent and Received are the bytes of the TCP connection as tsid sent
	// and received them, up to the end of the handshake (through a proxy
	// the CONNECT exchange first, a Proxy-Authorization included), at
	// most MaxRecorded each: the Cut fields say when there were more.
	Sent, Received       []byte
	SentCut, ReceivedCut bool
	// Chain is the server's certificates as DER, leaf first, as sent.
	// When crypto/tls refused one it could not parse (TLS 1.2), they are
	// read from Received and HandshakeErr says why the handshake stopped.
	Chain   [][]byte
	Version tlsparse.Version // negotiated
	// Verified: Chain verifies against Options.Roots, for the SNI when one
	// was sent, else as a chain only. A probe never stops on it.
	Verified    bool
	VerifyError string // why not, as crypto/x509 says it
	// HandshakeErr is set when the handshake failed after the server's
	// certificate was read; the probe still succeeded.
	HandshakeErr error

	segs []segment // the order Sent and Received crossed the connection
}

// segment is a run of bytes one way.
type segment struct {
	dir tlsparse.Dir // 0: sent by tsid (the client), 1: received
	n   int
}

// TLSAsked is the version range offered: "TLS 1.2-1.3", or the one
// forced.
func (r *Result) TLSAsked() string {
	if r.Asked != 0 {
		return r.Asked.String()
	}
	return "TLS 1.2-1.3"
}

// Probe connects to t (through Options.Via), runs a TLS client handshake
// that verifies nothing, as a firewall's probe does, and returns what the
// server presented. The error is an *Error (one of the Err… sentinels
// under errors.Is) when no certificate came; the Result then holds what
// was learnt (addresses, bytes).
func Probe(ctx context.Context, t Target, o Options) (*Result, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	now := time.Now
	if o.Time != nil {
		now = o.Time
	}
	res := &Result{Target: t, SNI: o.SNI, Asked: o.Version, Start: now().Round(0).Truncate(time.Microsecond)}
	fail := func(msg string, kinds []error, cause error) (*Result, error) {
		return res, &Error{Target: t.String(), Msg: msg, Kinds: kinds, Err: cause}
	}
	if t.Port == 0 || t.Host == "" {
		return fail("no host or port", []error{ErrTarget}, nil)
	}
	if _, err := netip.ParseAddr(o.SNI); err == nil {
		return fail(fmt.Sprintf("SNI %q: an IP address is not sent as SNI (RFC 6066, Section 3)", o.SNI), []error{ErrTarget}, nil)
	}
	cfg, err := clientConfig(o)
	if err != nil {
		return fail(err.Error(), []error{ErrTarget}, nil)
	}
	var via *proxy
	if o.Via != "" {
		if via, err = parseVia(o.Via); err != nil {
			return fail(err.Error(), []error{ErrProxy}, err)
		}
		res.Via = via.addr
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := o.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	addr := t.String()
	if via != nil {
		addr = via.addr
	}
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		msg, kinds := connectError(err, timeout, res.Via)
		return fail(msg, kinds, err)
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	res.Local = addrPort(raw.LocalAddr())
	if via != nil {
		res.Proxy = addrPort(raw.RemoteAddr())
	} else {
		res.Server = addrPort(raw.RemoteAddr())
	}
	rec := &recorder{Conn: raw}
	defer rec.done(res)
	var conn net.Conn = rec
	if via != nil {
		if conn, err = via.connect(rec, t); err != nil {
			rec.done(res)
			msg, kinds := proxyError(err, timeout, via)
			return fail(msg, kinds, err)
		}
	}

	tc := tls.Client(conn, cfg)
	herr := tc.HandshakeContext(ctx)
	if herr != nil {
		var rh tls.RecordHeaderError
		if errors.As(herr, &rh) {
			dl, _ := ctx.Deadline()
			rec.readLine(dl) // more of what the server said, to name it
		}
	}
	rec.done(res)
	if herr == nil {
		st := tc.ConnectionState()
		res.Version = tlsparse.Version(st.Version)
		for _, c := range st.PeerCertificates {
			res.Chain = append(res.Chain, c.Raw)
		}
	} else {
		hs := res.Handshake()
		if hs.Status != tlsparse.CertPresent || len(hs.Chain) == 0 {
			msg, kinds := handshakeError(herr, timeout, hs, res.Received, o.SNI)
			return fail(msg, kinds, herr)
		}
		// TLS 1.2: the certificate came in clear before crypto/tls gave up
		// (one it could not parse): a firewall's probe has it too.
		res.HandshakeErr = herr
		res.Version = hs.Version
		for _, c := range hs.Chain {
			res.Chain = append(res.Chain, c.Raw)
		}
	}
	res.Verified, res.VerifyError = verify(res.Chain, o.SNI, o.Roots, res.Start)
	return res, nil
}

// clientConfig is the probe's ClientHello: every cipher suite and curve
// crypto/tls has without post-quantum key shares, so that an old server
// answers too and the hello stays one segment; no verification (the
// firewall's probe does not verify); the SNI only when one is wanted.
func clientConfig(o Options) (*tls.Config, error) {
	cfg := &tls.Config{
		InsecureSkipVerify: true, // a firewall's probe does not verify either; Result.Verified says
		ServerName:         o.SNI,
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         tls.VersionTLS13,
		CurvePreferences:   []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521},
	}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, cs := range list {
			cfg.CipherSuites = append(cfg.CipherSuites, cs.ID)
		}
	}
	switch o.Version {
	case 0:
	case tlsparse.VersionTLS12, tlsparse.VersionTLS13:
		cfg.MinVersion, cfg.MaxVersion = uint16(o.Version), uint16(o.Version)
	default:
		return nil, fmt.Errorf("TLS version %s: want TLS 1.2 or TLS 1.3", o.Version)
	}
	return cfg, nil
}

// publicRoots is the public roots, built once.
var publicRoots = sync.OnceValue(func() *x509.CertPool { return roots.Pool(nil) })

// verify checks chain against pool (nil: the public roots) at now, for
// the SNI when one was sent.
func verify(chain [][]byte, sni string, pool *x509.CertPool, now time.Time) (bool, string) {
	if len(chain) == 0 {
		return false, "no certificate"
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return false, err.Error()
	}
	if pool == nil {
		pool = publicRoots()
	}
	inter := x509.NewCertPool()
	for _, der := range chain[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: sni, CurrentTime: now})
	if err != nil {
		return false, err.Error()
	}
	return true, ""
}

// addrPort is a connection end as an AddrPort (IPv4 unmapped); the zero
// AddrPort when it is not an IP address.
func addrPort(a net.Addr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Outcome is one target's probe, as All returns it.
type Outcome struct {
	Result *Result
	Err    error
}

// All probes the targets, MaxParallel at a time, each with the options
// opts gives it, and returns the outcomes in the order of the targets.
func All(ctx context.Context, targets []Target, opts func(Target) Options) []Outcome {
	out := make([]Outcome, len(targets))
	sem := make(chan struct{}, MaxParallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := Probe(ctx, t, opts(t))
			out[i] = Outcome{Result: r, Err: err}
		})
	}
	wg.Wait()
	return out
}
