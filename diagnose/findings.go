package diagnose

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/tlsparse"
)

// The finding codes (issue 14; README "Why did it fail?").
const (
	CodeDNSNXDomain          = "dns-nxdomain"
	CodeDNSServFail          = "dns-servfail"
	CodeDNSRefused           = "dns-refused"
	CodeDNSNoAnswer          = "dns-no-answer"
	CodeDNSNoAddress         = "dns-no-address"
	CodeTCPNoAnswer          = "tcp-no-answer"
	CodeTCPRefused           = "tcp-refused"
	CodeTCPReset             = "tcp-reset"
	CodeTLSAlertPrefix       = "tls-alert:" // + the alert's RFC name
	CodeTLSStalled           = "tls-stalled"
	CodeCertUntrusted        = "cert-untrusted"
	CodeCertExpired          = "cert-expired"
	CodeCertNotYetValid      = "cert-not-yet-valid"
	CodeCertNameMismatch     = "cert-name-mismatch"
	CodeCertUnexpectedIssuer = "cert-unexpected-issuer"
	CodeProxyConnect         = "proxy-connect"
	CodeProxyRefusedPrefix   = "proxy-refused:" // + the status code
)

// Name sources (Destination.NameFrom).
const (
	FromSNI     = "sni"
	FromConnect = "connect"
	FromDNS     = "dns"
	FromAddress = "address"
)

// How long a capture must go on after a question for the lack of an
// answer to mean something: a SYN is retransmitted after 1 s, a resolver
// answers within a few seconds, a server answers a ClientHello at once.
const (
	synWait   = 3 * time.Second
	dnsWait   = 3 * time.Second
	helloWait = 10 * time.Second
)

// DNS response codes (RFC 1035, Section 4.1.1).
const (
	rcodeNoError  = 0
	rcodeServFail = 2
	rcodeNXDomain = 3
	rcodeRefused  = 5
)

// DNS question types that ask for addresses.
const (
	typeA    = 1
	typeAAAA = 28
)

func where(t time.Time, client, server, file string) Where {
	return Where{Time: analysis.Time(t.UTC()), Client: client, Server: server, File: file}
}

// judgeLookup turns one DNS lookup into a finding on the destination of
// its name, when it failed.
func (d *Diagnoser) judgeLookup(f *fileRun, l *pcaps.DNSLookup) {
	if l.Type != typeA && l.Type != typeAAAA {
		return
	}
	x := d.destination(l.Name, FromDNS)
	x.Lookups++
	w := where(l.First, l.Client.String(), l.Server.String(), f.name)
	q := fmt.Sprintf("%s? %s from %s", typeName(l.Type), l.Name, l.Server.Addr())
	switch {
	case !l.Answered:
		// A repeated query says the client got no answer wherever the
		// capture was taken; a single one only when the capture shows
		// both directions and went on long enough for an answer.
		if l.Queries < 2 && (f.last.Sub(l.First) < dnsWait || !f.twoWay) {
			return
		}
		x.add(Finding{Code: CodeDNSNoAnswer, First: w, Failure: true,
			Evidence: fmt.Sprintf("%s: %d %s over %s, no response", q, l.Queries, plural(l.Queries, "query", "queries"), dur(f.last.Sub(l.First))),
			Advice:   "check the DNS server address in the client's settings and that UDP/TCP 53 to it is permitted"})
	case l.RCode == rcodeNXDomain:
		x.add(Finding{Code: CodeDNSNXDomain, First: w, Failure: true,
			Evidence: q + ": NXDOMAIN (the name does not exist for this server)",
			Advice:   "check the name and the DNS server the client uses: this server does not know the name"})
	case l.RCode == rcodeServFail:
		x.add(Finding{Code: CodeDNSServFail, First: w, Failure: true,
			Evidence: q + ": SERVFAIL (the server could not resolve it)",
			Advice:   "check the DNS server's upstream resolution (forwarders, internet access), or use another DNS server"})
	case l.RCode == rcodeRefused:
		x.add(Finding{Code: CodeDNSRefused, First: w, Failure: true,
			Evidence: q + ": REFUSED (the server will not answer this client)",
			Advice:   "check the DNS server address in the client's settings: this server refuses to resolve for it"})
	case l.RCode == rcodeNoError && len(l.Addrs) == 0:
		x.add(Finding{Code: CodeDNSNoAddress, First: w, Failure: true,
			Evidence: q + ": answered without an address",
			Advice:   "the name has no " + typeName(l.Type) + " record at this server: check the name, or the DNS server"})
	}
}

func typeName(t uint16) string {
	if t == typeAAAA {
		return "AAAA"
	}
	return "A"
}

// judgeConn turns one TCP connection into its destination's counts and
// findings.
func (d *Diagnoser) judgeConn(f *fileRun, c *connFacts) {
	if c.info.A.Port() == 53 || c.info.B.Port() == 53 {
		return // DNS over TCP: a resolver, not a destination (pcaps reads DNS over UDP only)
	}
	client, server, ca, sa := sides(c)
	name, from := d.meant(c, sa)
	x := d.destination(name, from)
	x.Connections++
	x.servers[sa.String()] = true
	w := where(c.info.First, ca.String(), sa.String(), f.name)
	fail := func(code, evidence, advice string) {
		x.add(Finding{Code: code, First: w, Evidence: evidence, Advice: advice, Failure: true})
	}
	switch d.outcome(f, c, client, server, ca, sa, name, from, fail, x, w) {
	case outcomeOK:
		x.OK++
	case outcomeFailed:
		x.Failed++
	default:
		x.Unknown++
	}
}

type outcome uint8

const (
	outcomeUnknown outcome = iota
	outcomeOK
	outcomeFailed
)

// outcome decides what happened to c, raising its findings through fail.
func (d *Diagnoser) outcome(f *fileRun, c *connFacts, client, server pcaps.Dir, ca, sa netip.AddrPort, name, from string,
	fail func(code, evidence, advice string), x *dest, w Where) outcome {
	e, hs := &c.end, c.hs
	addr := sa.String()
	// TCP: the opening.
	if !e.Established {
		switch {
		case e.ResetBy == server:
			fail(CodeTCPRefused, fmt.Sprintf("the SYN to %s was answered with a reset", addr),
				"permit TCP "+strconv.Itoa(int(sa.Port()))+" to "+sa.Addr().String()+" and check that the server listens on it: a firewall in the path or the server rejects the connection")
			return outcomeFailed
		case e.SYNs[client] > 0 && e.SYNs[server] == 0 && e.Bytes[server] == 0:
			waited := f.last.Sub(e.FirstSYN)
			// A retransmitted SYN says no answer reached the client; a
			// single SYN only when the capture shows both directions and
			// went on long enough for the answer.
			if e.SYNs[client] < 2 && (!f.twoWay || f.last.Sub(e.LastSYN) < synWait) {
				return outcomeUnknown
			}
			fail(CodeTCPNoAnswer, fmt.Sprintf("%d %s to %s over %s, no answer", e.SYNs[client], plural(int(e.SYNs[client]), "SYN", "SYNs"), addr, dur(waited)),
				"permit TCP "+strconv.Itoa(int(sa.Port()))+" to "+sa.Addr().String()+" (firewall, ACL, route, proxy settings): the SYNs get no answer")
			return outcomeFailed
		}
		if e.Packets[server] == 0 {
			return outcomeUnknown // one-way capture, or the opening was not captured
		}
	}
	// An explicit proxy.
	if hs != nil && hs.Connect != nil {
		cn := hs.Connect
		switch {
		case cn.Status == 0:
			if e.Bytes[server] == 0 && e.Reason == pcaps.EndEOF {
				return outcomeUnknown
			}
		case cn.Status < 200 || cn.Status > 299:
			code := CodeProxyRefusedPrefix + strconv.Itoa(cn.Status)
			adv := "check the proxy's rules for " + cn.Host()
			if cn.Status == 407 {
				adv = "configure the proxy's user name and password in the client (the proxy wants authentication)"
			}
			fail(code, fmt.Sprintf("CONNECT %s through the proxy %s answered %d %s", cn.Authority, addr, cn.Status, cn.Reason), adv)
			return outcomeFailed
		default:
			x.add(Finding{Code: CodeProxyConnect, First: w, Failure: false,
				Evidence: fmt.Sprintf("CONNECT %s through the proxy %s: %d %s", cn.Authority, addr, cn.Status, cn.Reason),
				Advice:   "the connection goes through an explicit proxy: what follows is between the client and " + cn.Host() + " through it"})
		}
	}
	if hs == nil || !hs.IsTLS {
		return d.plainOutcome(c, client, server, fail, addr)
	}
	// TLS alerts, plaintext.
	for _, a := range hs.Alerts {
		if a.Level != tlsparse.AlertLevelFatal {
			continue
		}
		who, peer := "server", "client"
		if a.FromClient {
			who, peer = "client", "server"
		}
		fail(CodeTLSAlertPrefix+a.Name(), fmt.Sprintf("the %s sent a fatal alert %s (%d)%s", who, a.Name(), a.Description, afterText(a.After, peer)), alertAdvice(a))
		d.certFindings(c, hs, name, from, x, w, true)
		return outcomeFailed
	}
	// Reset before the handshake completed.
	completed := tlsCompleted(hs, client, server, c.turns)
	if e.ResetBy != pcaps.NoDir && !completed {
		who := "server"
		if e.ResetBy == client {
			who = "client"
		}
		fail(CodeTCPReset, resetText(who, e, client, server, hs, addr),
			"a device in the path (firewall, IPS, proxy, SSL decryption) or the server ended the connection: check its logs for "+sa.Addr().String())
		d.certFindings(c, hs, name, from, x, w, true)
		return outcomeFailed
	}
	// The ClientHello without an answer.
	if hs.ClientHello != nil && e.Bytes[server] == 0 {
		if e.Reason == pcaps.EndEOF && e.Time.Sub(c.info.First) < helloWait || !f.twoWay || e.Packets[server] == 0 && e.SYNs[server] == 0 {
			return outcomeUnknown
		}
		fail(CodeTLSStalled, fmt.Sprintf("the ClientHello to %s got no answer in %s", addr, dur(e.Time.Sub(c.info.First))),
			"a device in the path drops the TLS connection after TCP is up (URL filtering, IPS, proxy): check its logs for this name and "+sa.Addr().String())
		return outcomeFailed
	}
	if d.certFindings(c, hs, name, from, x, w, false) {
		return outcomeFailed // an unexpected issuer
	}
	if completed {
		return outcomeOK
	}
	return outcomeUnknown
}

// tlsCompleted reports whether the capture shows the handshake finished:
// both sides reached encrypted records after a ServerHello, and in TLS
// 1.3, where the server's flight is encrypted at once and a client that
// refuses it sends an encrypted alert, the server spoke again after the
// client's second turn (its Finished): a session ticket, an answer.
func tlsCompleted(hs *tlsparse.Handshake, client, server pcaps.Dir, turns int) bool {
	if hs.ServerHello == nil || !hs.Encrypted[client] || !hs.Encrypted[server] {
		return false
	}
	return hs.Version != tlsparse.VersionTLS13 || turns >= tls13Turns
}

// tls13Turns: ClientHello, the server's flight, the client's Finished,
// the server again.
const tls13Turns = 4

// plainOutcome judges a connection that is not TLS.
func (d *Diagnoser) plainOutcome(c *connFacts, client, server pcaps.Dir, fail func(code, evidence, advice string), addr string) outcome {
	e := &c.end
	if e.ResetBy != pcaps.NoDir && (e.Bytes[client] == 0 || e.Bytes[server] == 0) {
		who := "server"
		if e.ResetBy == client {
			who = "client"
		}
		fail(CodeTCPReset, fmt.Sprintf("the %s reset the connection to %s after %d bytes from the client and %d from the server", who, addr, e.ResetAfter[client], e.ResetAfter[server]),
			"a device in the path or the server ended the connection: check its logs")
		return outcomeFailed
	}
	if e.Bytes[client] > 0 && e.Bytes[server] > 0 {
		return outcomeOK
	}
	return outcomeUnknown
}

// resetText says who reset and after what.
func resetText(who string, e *pcaps.Ending, client, server pcaps.Dir, hs *tlsparse.Handshake, addr string) string {
	cb, sb := e.ResetAfter[client], e.ResetAfter[server]
	var after string
	switch {
	case cb > 0 && sb == 0 && hs.ClientHello != nil:
		after = "right after the ClientHello"
	case sb > 0 && hs.ServerDone:
		after = "after the server's handshake messages"
	case sb > 0:
		after = fmt.Sprintf("after %d bytes from the server", sb)
	case cb == 0:
		after = "before any data"
	default:
		after = fmt.Sprintf("after %d bytes from the client", cb)
	}
	return fmt.Sprintf("the %s reset the connection to %s %s", who, addr, after)
}

// afterText says what the alert answered.
func afterText(msg uint8, peer string) string {
	switch msg {
	case 0:
		return ""
	case tlsparse.TypeClientHello:
		return " after the ClientHello"
	case tlsparse.TypeServerHello:
		return " after the ServerHello"
	case tlsparse.TypeCertificate:
		return " after the " + peer + "'s Certificate"
	case tlsparse.TypeServerHelloDone:
		return " after the server's handshake messages"
	}
	return " after handshake message " + strconv.Itoa(int(msg))
}

// alertAdvice is the next step for an alert.
func alertAdvice(a tlsparse.Alert) string {
	switch a.Name() {
	case "unknown_ca", "bad_certificate", "certificate_unknown", "unsupported_certificate":
		if a.FromClient {
			return "the client does not trust the server's certificate chain: if an SSL decryption device re-signs it, bypass decryption for this name or make the client trust its CA; else check the client's trust store"
		}
		return "the server refused the client's certificate: check the client certificate"
	case "certificate_expired":
		if a.FromClient {
			return "the client finds the certificate expired: check the client's clock (NTP), then the server's certificate"
		}
	case "certificate_revoked":
		return "the certificate is revoked: the server needs a new one (or an inspection device presents a revoked one)"
	case "protocol_version", "insufficient_security", "inappropriate_fallback":
		return "the two sides share no TLS version or cipher suite: check the TLS settings of the client, the server and any device that inspects TLS"
	case "handshake_failure":
		if !a.FromClient {
			return "the server refused the ClientHello (no common cipher suite or version, or a policy in the path): check the TLS settings"
		}
	case "unrecognized_name":
		return "the server does not serve the name in the SNI: check the name the client uses"
	}
	return "see RFC 8446, Section 6 for what the alert means; check the TLS settings of both sides and of any inspecting device"
}

// certFindings checks the chain the server sent (plaintext, TLS <= 1.2)
// against the public roots and --trust, the capture's time, the name
// meant and --expect-issuer, and reports whether it raised a failure.
// failed: the connection failed (an alert, a reset), and the chain's
// problems are why; otherwise they are notes: the client went on all the
// same (it trusts the CA, or does not verify), or the capture does not
// show what it did. An unexpected issuer is a failure either way: the user
// said which issuer to expect.
func (d *Diagnoser) certFindings(c *connFacts, hs *tlsparse.Handshake, name, from string,
	x *dest, w Where, failed bool) bool {
	raised := false
	fail := func(code, evidence, advice string) {
		if !failed {
			evidence += "; the client went on (it trusts the CA or does not verify), or the capture does not show what it did"
		}
		x.add(Finding{Code: code, First: w, Evidence: evidence, Advice: advice, Failure: failed})
		raised = raised || failed
	}
	if len(hs.Chain) == 0 {
		return false
	}
	leaf := hs.Chain[0]
	cert, err := x509.ParseCertificate(leaf.Raw)
	if err != nil {
		return false
	}
	at := c.info.First
	found := false // a date problem: the chain is judged apart from the dates
	if at.After(cert.NotAfter) {
		fail(CodeCertExpired, fmt.Sprintf("the certificate of %s expired on %s, before the capture's time %s", name, cert.NotAfter.UTC().Format(time.DateOnly), at.UTC().Format(time.DateTime)),
			"check the client's clock (NTP: a capture taken on the client shares its clock); if it is right, the server's certificate is expired")
		found = true
	} else if at.Before(cert.NotBefore) {
		fail(CodeCertNotYetValid, fmt.Sprintf("the certificate of %s is valid from %s, after the capture's time %s", name, cert.NotBefore.UTC().Format(time.DateOnly), at.UTC().Format(time.DateTime)),
			"check the client's clock (NTP): it is behind; the certificate is not valid yet at the client's time")
		found = true
	}
	inter := x509.NewCertPool()
	for _, ch := range hs.Chain[1:] {
		if ic, err := x509.ParseCertificate(ch.Raw); err == nil {
			inter.AddCert(ic)
		}
	}
	vt := at
	if found { // judge the chain apart from the dates
		vt = cert.NotBefore.Add(time.Minute)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: d.roots, Intermediates: inter, CurrentTime: vt, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		if errors.As(err, new(x509.UnknownAuthorityError)) {
			fail(CodeCertUntrusted, fmt.Sprintf("the chain of %s (issuer %s) does not lead to a public root or a --trust root", name, issuerText(cert)),
				"if an SSL decryption device re-signs this connection, bypass decryption for "+name+" or trust its CA (--trust FILE shows whether that is all); else the server's chain is incomplete or private")
		}
	}
	if from != FromAddress && cert.VerifyHostname(name) != nil {
		fail(CodeCertNameMismatch, fmt.Sprintf("the certificate (CN %q, %d DNS names) does not cover %s", cert.Subject.CommonName, len(cert.DNSNames), name),
			"the server presents a certificate for other names: check the name the client uses and whether a device in the path answers instead of the server")
	}
	for _, r := range d.opts.ExpectIssuer {
		if nameMatches(r.Name, name) && !strings.Contains(strings.ToLower(cert.Issuer.String()), strings.ToLower(r.Substring)) {
			x.add(Finding{Code: CodeCertUnexpectedIssuer, First: w, Failure: true,
				Evidence: fmt.Sprintf("the certificate of %s is issued by %s, not by one with %q", name, issuerText(cert), r.Substring),
				Advice:   "a device in the path (SSL decryption, a proxy) presents its own certificate: bypass decryption for " + name})
			raised = true
		}
	}
	return raised
}

func issuerText(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return "CN=" + c.Issuer.CommonName
	}
	return c.Issuer.String()
}

// nameMatches matches a --expect-issuer name: exact, or "*.example.com"
// for example.com's subdomains.
func nameMatches(pattern, name string) bool {
	pattern, name = strings.ToLower(pattern), strings.ToLower(name)
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(name, "."+rest)
	}
	return pattern == name
}

// meant is the name the client meant for c: its SNI, else the CONNECT
// authority, else a name it resolved to the server address, else the
// address.
func (d *Diagnoser) meant(c *connFacts, server netip.AddrPort) (string, string) {
	hs := c.hs
	if hs != nil && hs.ClientHello != nil && hs.ClientHello.SNI != "" {
		return strings.ToLower(hs.ClientHello.SNI), FromSNI
	}
	if hs != nil && hs.Connect != nil && hs.Connect.Authority != "" {
		return strings.ToLower(hs.Connect.Host()), FromConnect
	}
	if names := d.resolved[server.Addr()]; len(names) > 0 {
		return names[0], FromDNS
	}
	return server.Addr().String(), FromAddress
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// dur prints a duration to the tenth of a second.
func dur(d time.Duration) string {
	return d.Round(100 * time.Millisecond).String()
}
