// Package probe asks a server what a firewall's TLS Server Identity
// Discovery (TSID) would see: it connects, sends a ClientHello with or
// without SNI, reads the certificate chain the server presents and
// returns it with the bytes each way, so that tsid can predict the
// hostname a firewall logs for connections to that server without a
// capture, and fill what TLS 1.3 hides from one (tsid-model.md §5: with no
// certificate in sight, FTD opens a connection of its own to the server,
// mimicking the client's ClientHello, and reads the certificate).
//
// A probe verifies nothing, as a firewall's probe does not: a chain that
// does not verify is still the chain the firewall decides on.
// Result.Verified says whether it verifies against the public roots (the
// Mozilla bundle of golang.org/x/crypto/x509roots/fallback, the same on
// every machine) for the SNI sent, or as a chain only without one.
//
// The ClientHello is crypto/tls's, with InsecureSkipVerify: TLS 1.2 and
// 1.3 (Options.Version forces one), every cipher suite crypto/tls knows,
// classic curves only so that the hello stays one segment, and the SNI
// only when Options.SNI is set (crypto/tls sends none for an empty name or
// an IP address). Through an HTTP proxy (Options.Via) the probe asks for a
// tunnel with CONNECT; the server's address is then the proxy's to know.
//
// Result.Handshake reads the recorded bytes through tlsparse's Observer,
// as tsid reads a capture, and adds what TLS 1.3 encrypts: tsid, the
// client, has the certificate (status tlsparse.CertProbed).
//
// Timeouts: Options.Timeout bounds the whole probe (lookup, connection,
// proxy, handshake). Failures are an *Error naming the target and what
// happened in a few words ("probe 10.1.1.1:443: connection refused"),
// matched by errors.Is against ErrRefused, ErrTimeout, ErrUnreachable,
// ErrNoSuchHost, ErrNotTLS, ErrProxy and ErrHandshake.
//
//	t, err := probe.ParseTarget("tools.cisco.com")
//	res, err := probe.Probe(ctx, t, probe.Options{}) // no SNI: what TSID reads for a client that sends none
//	hs := res.Handshake()                            // hs.Chain[0].DNSNames[0] is the first SAN
package probe
