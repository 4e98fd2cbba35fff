package synth

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"
)

// Config describes one TLS connection to record.
type Config struct {
	Client, Server netip.AddrPort

	// ServerName is the SNI the client sends; "" sends none.
	ServerName string
	// MinVersion and MaxVersion bound the TLS version on both sides
	// (tls.VersionTLS12, ...); zero means crypto/tls's default.
	MinVersion, MaxVersion uint16

	// Cert is the server's certificate; its issuers are sent too. Only a
	// server that never gets to send it (Reply) may go without.
	Cert *Identity
	// Verify makes the client check the chain against Cert's root (or
	// Roots) and, when ServerName is set, the name. Otherwise the client
	// skips verification (InsecureSkipVerify), as for a spoofed SNI or an
	// expired certificate.
	Verify bool
	// Roots, when set, are the roots a verifying client trusts instead of
	// Cert's root: a chain that leads elsewhere (an inspection device's
	// CA) is refused, with an alert.
	Roots []*x509.Certificate
	// ClientTLS and ServerTLS, when set, adjust each side's tls.Config
	// after Handshake has filled it (a version floor, GetCertificate):
	// the side then behaves as crypto/tls does with that configuration.
	ClientTLS, ServerTLS func(*tls.Config)

	// ProxyRequest, when set, makes Server an explicit HTTP proxy: the
	// client first sends ProxyRequest ("CONNECT host:443 HTTP/1.1 ...")
	// and the proxy answers ProxyResponse. With a 2xx status the TLS
	// handshake follows in the same connection; otherwise the proxy
	// closes and so does the client.
	ProxyRequest, ProxyResponse []byte
	// Reply is what the server does once the ClientHello has arrived
	// (default ReplyTLS); GiveUp is how long, with ReplySilence, the
	// client waits before it closes (default 10s).
	Reply  Reply
	GiveUp time.Duration

	// Sessions is the client's session cache; pass the same cache to two
	// Handshakes to resume the first session in the second.
	Sessions tls.ClientSessionCache
	// TicketKey encrypts session tickets; fixed so that a second
	// Handshake's server accepts the first one's ticket.
	TicketKey [32]byte

	// Time is the clock of both sides (certificate validity, tickets).
	Time time.Time
	// Seed seeds the TLS randomness of both sides (see the package doc).
	Seed string

	// Request and Response are the application data exchanged after the
	// handshake; nil means a small HTTP/1.1 GET and its answer.
	Request, Response []byte
}

// Handshake runs a crypto/tls client and server against each other as cfg
// says, exchanges Request and Response, closes (server first, as an HTTP
// server with "Connection: close" does) and returns everything both sides
// wrote.
//
// A connection that does not complete (a certificate the client refuses,
// a version the server refuses, a proxy's refusal, a Reply other than
// ReplyTLS) returns a *HandshakeError with the conversation as recorded up
// to the failure: crypto/tls's alert, then each side's FIN (or the RST).
func Handshake(cfg Config) (Conversation, error) {
	conv := Conversation{Client: cfg.Client, Server: cfg.Server}
	if cfg.Cert == nil && cfg.Reply == ReplyTLS {
		return conv, errors.New("synth: Config without Cert")
	}
	if cfg.ProxyRequest != nil && proxyStatus(cfg.ProxyResponse) == 0 {
		return conv, fmt.Errorf("synth: ProxyResponse %q without an HTTP status line", cfg.ProxyResponse)
	}
	req, resp := cfg.Request, cfg.Response
	if req == nil {
		req = defaultRequest(cfg.ServerName, cfg.Server.Addr())
	}
	if resp == nil {
		resp = []byte("HTTP/1.1 204 No Content\r\nServer: tsidgen\r\nConnection: close\r\n\r\n")
	}

	clock := func() time.Time { return cfg.Time }
	// X25519 only: the ML-KEM hybrid draws from the global random source,
	// which no seed controls.
	curves := []tls.CurveID{tls.X25519, tls.CurveP256}
	srv := &tls.Config{
		MinVersion:       cfg.MinVersion,
		MaxVersion:       cfg.MaxVersion,
		CurvePreferences: curves,
		SessionTicketKey: cfg.TicketKey,
		Time:             clock,
		Rand:             newSeededRand(cfg.Seed + "/server"),
	}
	cli := &tls.Config{
		ServerName:         cfg.ServerName,
		MinVersion:         cfg.MinVersion,
		MaxVersion:         cfg.MaxVersion,
		CurvePreferences:   curves,
		ClientSessionCache: cfg.Sessions,
		Time:               clock,
		Rand:               newSeededRand(cfg.Seed + "/client"),
		InsecureSkipVerify: !cfg.Verify || cfg.ServerName == "",
	}
	if cfg.Cert != nil {
		srv.Certificates = []tls.Certificate{cfg.Cert.TLSCertificate()}
	}
	if cfg.Verify {
		roots := x509.NewCertPool()
		for _, r := range cfg.Roots {
			roots.AddCert(r)
		}
		if cfg.Roots == nil && cfg.Cert != nil {
			roots.AddCert(cfg.Cert.Root())
		}
		cli.RootCAs = roots
		if cfg.ServerName == "" {
			// crypto/tls needs a name to verify; check the chain alone.
			cli.VerifyConnection = func(cs tls.ConnectionState) error {
				inter := x509.NewCertPool()
				for _, c := range cs.PeerCertificates[1:] {
					inter.AddCert(c)
				}
				_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
					Roots: roots, Intermediates: inter, CurrentTime: cfg.Time,
				})
				return err
			}
		}
	}
	if cfg.ClientTLS != nil {
		cfg.ClientTLS(cli)
	}
	if cfg.ServerTLS != nil {
		cfg.ServerTLS(srv)
	}

	var state, sstate tls.ConnectionState
	cerr, serr := newTurns(&conv).run(
		func(c net.Conn) error {
			if cfg.ProxyRequest != nil {
				if err := connectClient(c, cfg.ProxyRequest, cfg.ProxyResponse); err != nil {
					c.Close()
					return err
				}
			}
			tc := tls.Client(c, cli)
			defer tc.Close()
			if err := tc.Handshake(); err != nil {
				return err
			}
			state = tc.ConnectionState()
			if _, err := tc.Write(req); err != nil {
				return err
			}
			got, err := io.ReadAll(tc)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, resp) {
				return fmt.Errorf("synth: client read %q, want %q", got, resp)
			}
			return nil
		},
		func(c net.Conn) error {
			if cfg.ProxyRequest != nil {
				if open, err := connectServer(c, cfg.ProxyRequest, cfg.ProxyResponse); !open || err != nil {
					c.Close()
					return err
				}
			}
			if cfg.Reply != ReplyTLS {
				return replyOther(c, cfg.Reply)
			}
			tc := tls.Server(c, srv)
			defer tc.Close()
			if err := tc.Handshake(); err != nil {
				return err
			}
			sstate = tc.ConnectionState()
			got := make([]byte, len(req))
			if _, err := io.ReadFull(tc, got); err != nil {
				return err
			}
			if !bytes.Equal(got, req) {
				return fmt.Errorf("synth: server read %q, want %q", got, req)
			}
			_, err := tc.Write(resp)
			return err
		},
	)
	if cfg.Reply == ReplySilence {
		giveUp(&conv, cfg.GiveUp)
		if errors.Is(cerr, errDeadlock) {
			cerr = errGaveUp
		}
	}
	if cerr != nil || serr != nil {
		return conv, &HandshakeError{Client: cerr, Server: serr}
	}
	conv.Version = state.Version
	conv.Resumed = state.DidResume
	conv.SNI = sstate.ServerName
	return conv, nil
}

// seededRand is a deterministic random source for tls.Config.Rand.
type seededRand struct{ r *rand.ChaCha8 }

func newSeededRand(seed string) io.Reader {
	return &seededRand{rand.NewChaCha8(sha256.Sum256([]byte(seed)))}
}

// Read fills b from the seeded stream. One-byte reads do not advance the
// stream: crypto/internal/randutil.MaybeReadByte reads one byte at random
// (by design) to stop callers from relying on the stream, which would make
// every later byte depend on the Go scheduler.
func (s *seededRand) Read(b []byte) (int, error) {
	if len(b) == 1 {
		b[0] = 0
		return 1, nil
	}
	return s.r.Read(b)
}
