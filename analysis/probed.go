package analysis

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/tsid-project/tsid/tlsparse"
)

// Asking the server for the certificate the capture could not show
// (Options.ProbeMissing, tsid analyze --probe-missing). With TSID, FTD
// reads a TLS 1.3 server's certificate from a connection of its own to
// the server, with the client's SNI (model §5); tsid does the same, once
// per server address and SNI, and decides the connection on that
// certificate: cert_status "probed", probed_at the time, flag probed.
//
// What is probed: TCP connections whose certificate TLS kept from the
// capture (encrypted: TLS 1.3; resumed: no Certificate message), whose
// ClientHello was read whole (the SNI to mimic is known) and that did not
// go through an explicit proxy (HTTP CONNECT, SOCKS: TSID does not probe
// those, and the server address is the proxy's). A certificate the capture
// lost (incomplete, missing) is the capture's problem, not TLS's: not
// probed. Nor is QUIC or DTLS.
//
// A probe that fails leaves the record as it was; the CertSource says so
// to the user. The analysis itself stays offline: the network is the
// CertSource's, which the caller gives. When the capture also holds the
// firewall's own probe of the connection (probe.go), the record is built
// again on that certificate (cert_status from-probe): what the firewall
// saw then beats what tsid sees now.

// CertSource fetches the certificate chain a server presents to a TLS
// connection with the given SNI ("" for none): the chain leaf first, and
// when it was read. It is called at most once per server and SNI per
// Analyzer, on goroutines of its own while the capture is read: up to 8
// at once for different servers, one at a time and in the order the
// connections ended for the same server. It must bound its own time
// (package probe's Options.Timeout). An error, or an empty chain, leaves
// the connections to that server as they were.
type CertSource func(server netip.AddrPort, sni string) (*ProbedCert, error)

// ProbedCert is what a CertSource found of a server.
type ProbedCert struct {
	Chain []*tlsparse.Certificate // leaf first
	At    time.Time               // when it was read
	// Probe, when not nil, says how the probe went (what it asked, whether
	// the chain verifies against the public roots): each record decided
	// on Chain gets a copy as Record.Probed.
	Probe *Probed
}

// probeKey is what a probe mimics of a connection.
type probeKey struct {
	server netip.AddrPort
	sni    string
}

// probeCall is one probe, done or under way: later askers wait for it.
type probeCall struct {
	done chan struct{}
	pc   *ProbedCert
	err  error
}

// maxProbes bounds the probes under way at once: a capture of many TLS 1.3
// servers is probed in parallel, not one after the other.
const maxProbes = 8

// probeCache holds the probes of a run, so that each server and SNI is
// probed once even when several files ask at once. The zero value is ready.
type probeCache struct {
	mu   sync.Mutex
	m    map[probeKey]*probeCall
	last map[netip.AddrPort]*probeCall // each server's latest call, which its next one waits for
	sem  chan struct{}                 // room for maxProbes under way
}

// start returns the call for k, starting it on a goroutine of its own when
// nobody asked for k before. A server is asked one SNI at a time, in the
// order they were asked for (so that a server that refused is not asked
// again; see the CertSource), different servers at once, at most
// maxProbes of them. The packet side starts each probe as soon as a
// connection needs one, so that the probes run while the capture is read.
func (c *probeCache) start(k probeKey, src CertSource) *probeCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	if call := c.m[k]; call != nil {
		return call
	}
	if c.m == nil {
		c.m = map[probeKey]*probeCall{}
		c.last = map[netip.AddrPort]*probeCall{}
		c.sem = make(chan struct{}, maxProbes)
	}
	call := &probeCall{done: make(chan struct{})}
	c.m[k] = call
	prev := c.last[k.server]
	c.last[k.server] = call
	go func() {
		defer close(call.done) // also when src panics: the waiters must not hang
		if prev != nil {
			<-prev.done
		}
		c.sem <- struct{}{}
		defer func() { <-c.sem }()
		defer func() {
			if p := recover(); p != nil {
				call.pc, call.err = nil, fmt.Errorf("%w: %v", errNoAnswer, p)
			}
		}()
		call.err = errNoAnswer
		call.pc, call.err = src(k.server, k.sni)
	}()
	return call
}

// get returns the answer for k, asking src only when no other caller has.
func (c *probeCache) get(k probeKey, src CertSource) *probeCall {
	call := c.start(k, src)
	<-call.done
	return call
}

// errNoAnswer stands for a CertSource that panicked, for the waiters.
var errNoAnswer = errors.New("analysis: the certificate source did not answer")

// prefetchProbe starts the probe j will need, if any, as the packet side
// hands j on: the record stage then finds it under way or done.
func (an *Analyzer) prefetchProbe(j *job) {
	if src := an.opts.ProbeMissing; src != nil {
		if k, ok := probeTarget(j); ok {
			an.probes.start(k, src)
		}
	}
}

// probeTarget returns what a probe of j's server mimics, and whether j is a
// connection to probe (see the top of this file).
func probeTarget(j *job) (probeKey, bool) {
	hs := j.hs
	switch {
	case hs == nil || j.transport != "" && j.transport != TransportTCP || j.gquic:
		return probeKey{}, false
	case hs.Status != tlsparse.CertEncrypted && hs.Status != tlsparse.CertResumed, len(hs.Chain) > 0:
		return probeKey{}, false
	case hs.ClientHello == nil, firstHostName(hs.ClientHello) != hs.ClientHello.SNI:
		// The SNI to send is unknown, or is not all the client sent (cut
		// at a NUL): the probe could not mimic it.
		return probeKey{}, false
	case hs.Connect != nil || j.socks != "": // the server address is a proxy's
		return probeKey{}, false
	}
	_, server := (&connStream{info: &j.info}).endpoints(hs)
	if !server.IsValid() {
		return probeKey{}, false
	}
	return probeKey{server: server, sni: hs.ClientHello.SNI}, true
}

// withProbedCert is the record of j decided on the certificate
// Options.ProbeMissing gets from its server, nil when j is not to be
// probed or the probe brought no certificate (the record is then made as
// without it).
func (an *Analyzer) withProbedCert(fr *fileRun, j *job) *Record {
	src := an.opts.ProbeMissing
	if src == nil {
		return nil
	}
	k, ok := probeTarget(j)
	if !ok {
		return nil
	}
	call := an.probes.get(k, src)
	pc := call.pc
	if call.err != nil || pc == nil || len(pc.Chain) == 0 {
		return nil
	}
	hs := *j.hs
	hs.Chain = pc.Chain
	hs.Status = tlsparse.CertProbed // not probed again: only encrypted and resumed are
	jj := *j
	jj.hs = &hs
	r := an.record(fr, &jj)
	r.ProbedAt = Time(pc.At)
	if pc.Probe != nil {
		p := *pc.Probe
		r.Probed = &p
	}
	return r
}
