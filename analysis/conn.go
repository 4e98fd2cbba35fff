package analysis

import (
	"net/netip"
	"slices"
	"time"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/tlsparse"
)

// The packet side of one connection: its bytes go to a TLS observer, and
// the finished handshake, with what only the packet side knows, to the
// record stage.

// connStream feeds one TCP connection to a TLS observer. The observer
// comes with the connection's first bytes and goes back to the file's
// spares once the handshake is read: a flood of SYNs costs no observers.
type connStream struct {
	fr        *fileRun
	info      *pcaps.ConnInfo
	obs       *tlsparse.Observer
	early     *earlyBytes // the first bytes, while too few to be worth an observer
	anomalies []string
	done      bool
	socks     *socksState // the client's first bytes while they may be a SOCKS request
}

// earlyBytes holds a connection's first few bytes, both directions in the
// order they came, until they no longer fit (then an observer reads them
// and what follows) or the connection ends. A scan, a slow-hello attack or
// the busy outside interface of a firewall holds many connections that
// sent a few bytes and nothing more: each costs these 128 bytes, which the
// collector does not scan, instead of an observer's 416 and its buffers.
// Each piece is a header byte (the direction, and earlyGap for a gap) and
// a length byte, then its bytes.
type earlyBytes struct {
	n int
	b [earlyCap]byte
}

const (
	earlyCap = 120
	earlyGap = 2 // header bit: a gap, no bytes
)

// keepEarly keeps b, when it fits with what came before, and reports
// whether it did.
func (c *connStream) keepEarly(dir pcaps.Dir, b []byte, gap bool) bool {
	if c.obs != nil {
		return false
	}
	e := c.early
	if e == nil {
		if 2+len(b) > earlyCap {
			return false
		}
		fr := c.fr
		if n := len(fr.spareEarly); n > 0 {
			e, fr.spareEarly = fr.spareEarly[n-1], fr.spareEarly[:n-1]
			e.n = 0
		} else {
			e = &earlyBytes{}
		}
		c.early = e
	}
	if e.n+2+len(b) > earlyCap {
		return false
	}
	h := byte(dir)
	if gap {
		h |= earlyGap
	}
	e.b[e.n], e.b[e.n+1] = h, byte(len(b))
	e.n += 2 + copy(e.b[e.n+2:], b)
	return true
}

// replayEarly feeds the bytes kept to o in their order and forgets them;
// true when o decided on them (what came after would not have reached it).
func (c *connStream) replayEarly(o *tlsparse.Observer) bool {
	e := c.early
	if e == nil {
		return false
	}
	c.early = nil
	if len(c.fr.spareEarly) < maxSpareEarly {
		defer func() { c.fr.spareEarly = append(c.fr.spareEarly, e) }()
	}
	for b := e.b[:e.n]; len(b) >= 2; {
		h, n := b[0], int(b[1])
		dir := tlsparse.Dir(h &^ earlyGap)
		piece := b[2 : 2+n]
		b = b[2+n:]
		if h&earlyGap != 0 {
			o.Gap(dir)
			continue
		}
		if o.Data(dir, piece) {
			return true
		}
	}
	return false
}

// socksState reads the target of a SOCKS request (tlsparse.SOCKSTarget)
// from the first bytes the connection's initiator sent.
type socksState struct {
	buf  []byte
	host string // the domain asked for, once read
	done bool
}

// notSOCKS marks every connection whose first bytes are no SOCKS request:
// one shared value, so that they cost no allocation.
var notSOCKS = &socksState{done: true}

// socksData feeds the initiator's first bytes to the SOCKS reader.
func (c *connStream) socksData(dir pcaps.Dir, b []byte) {
	if dir != pcaps.AtoB {
		return
	}
	st := c.socks
	if st == nil {
		if len(b) == 0 || b[0] != 4 && b[0] != 5 {
			c.socks = notSOCKS
			return
		}
		st = &socksState{}
		c.socks = st
	}
	if st.done {
		return
	}
	st.buf = append(st.buf, b[:min(len(b), tlsparse.MaxSOCKSPreamble-len(st.buf))]...)
	host, _, domain, complete, ok := tlsparse.SOCKSTarget(st.buf)
	switch {
	case !ok:
		st.done, st.buf = true, nil
	case complete:
		if domain {
			st.host = host
		}
		st.done, st.buf = true, nil
	case len(st.buf) >= tlsparse.MaxSOCKSPreamble:
		st.done, st.buf = true, nil
	}
}

// socksHost is the domain the client asked its SOCKS proxy for, if any.
func (c *connStream) socksHost() string {
	if c.socks == nil {
		return ""
	}
	return c.socks.host
}

// maxSpareObservers and maxSpareEarly bound the observers and early byte
// buffers kept for reuse per file: connections end and begin about one
// for one, so a few suffice.
const (
	maxSpareObservers = 256
	maxSpareEarly     = 256
)

// observer returns the connection's observer, taking one when it has none
// and feeding it the bytes kept until then; decided: it decided on them.
func (c *connStream) observer() (o *tlsparse.Observer, decided bool) {
	if c.obs == nil {
		fr := c.fr
		if n := len(fr.spareObs); n > 0 {
			c.obs, fr.spareObs = fr.spareObs[n-1], fr.spareObs[:n-1]
		} else {
			c.obs = tlsparse.NewObserver()
		}
		decided = c.replayEarly(c.obs)
	}
	return c.obs, decided
}

// handshake returns what the observer found and gives the observer back.
func (c *connStream) handshake() (hs *tlsparse.Handshake, decided bool) {
	if c.obs == nil && c.early == nil {
		return &tlsparse.Handshake{ClientDir: tlsparse.DirUnknown}, false // no bytes: not TLS
	}
	c.observer() // the bytes kept, if that is all there was
	hs, decided = c.obs.Handshake(), c.obs.Decided()
	if len(c.fr.spareObs) < maxSpareObservers {
		c.obs.Reset()
		c.fr.spareObs = append(c.fr.spareObs, c.obs)
	}
	c.obs = nil
	return hs, decided
}

func (c *connStream) Data(dir pcaps.Dir, b []byte, ts time.Time) bool {
	if c.done {
		return false
	}
	if c.socks == nil || !c.socks.done {
		c.socksData(dir, b)
	}
	if c.keepEarly(dir, b, false) {
		return true
	}
	o, decided := c.observer()
	if decided || o.Data(tlsparse.Dir(dir), b) {
		c.finish()
		return false
	}
	return true
}

func (c *connStream) Gap(dir pcaps.Dir, n int) {
	if c.done || c.keepEarly(dir, nil, true) {
		return
	}
	if o, decided := c.observer(); decided {
		c.finish()
	} else {
		o.Gap(tlsparse.Dir(dir))
	}
}

func (c *connStream) Anomaly(dir pcaps.Dir, what string) {
	if len(c.anomalies) < 16 && !slices.Contains(c.anomalies, what) {
		c.anomalies = append(c.anomalies, what)
	}
}

func (c *connStream) End(e pcaps.Ending) {
	if c.done {
		return
	}
	c.done = true
	hs, decided := c.handshake()
	switch e.Reason {
	case pcaps.EndEOF, pcaps.EndIdle, pcaps.EndEvicted:
		// The handshake was still undecided when the capture (or tsid's
		// tracking) let go of the connection: what came next is unknown,
		// which is not the same as a server that sent no certificate.
		if hs.IsTLS && !decided {
			c.anomalies = unfinished(hs, c.anomalies, unfinishedBy(e.Reason))
		}
	}
	if hs.IsTLS && !decided && hs.ClientDir >= 0 && e.Packets[1-hs.ClientDir] == 0 {
		c.anomalies = unfinished(hs, c.anomalies, AnomalyServerNotCaptured)
	}
	c.record(hs)
}

// unfinishedBy is the anomaly of a handshake left undecided when the
// connection ended for reason r: a string per reason, not per connection.
func unfinishedBy(r pcaps.EndReason) string {
	switch r {
	case pcaps.EndEOF:
		return unfinishedEOF
	case pcaps.EndIdle:
		return unfinishedIdle
	case pcaps.EndEvicted:
		return unfinishedEvicted
	}
	return "handshake-unfinished:" + r.String()
}

var (
	unfinishedEOF     = "handshake-unfinished:" + pcaps.EndEOF.String()
	unfinishedIdle    = "handshake-unfinished:" + pcaps.EndIdle.String()
	unfinishedEvicted = "handshake-unfinished:" + pcaps.EndEvicted.String()
)

// unfinished marks a handshake the capture did not show to its decision:
// incomplete, and a certificate not seen is unknown, not missing. It
// returns anomalies with why added.
func unfinished(hs *tlsparse.Handshake, anomalies []string, why string) []string {
	hs.Incomplete = true
	if hs.Status == tlsparse.CertMissing {
		hs.Status = tlsparse.CertIncomplete
	}
	return append(anomalies, why)
}

func (c *connStream) finish() {
	c.done = true
	hs, _ := c.handshake()
	c.record(hs)
}

// record hands the finished connection to the record stage, with what
// only the packet side knows: which side is the client, and the DNS
// answers seen before it.
func (c *connStream) record(hs *tlsparse.Handshake) {
	j := job{id: c.info.ID, info: *c.info}
	if hs.IsTLS {
		j.hs, j.anomalies, j.socks = hs, c.anomalies, c.socksHost()
		client, server := c.endpoints(hs)
		if dns := c.fr.asm.DNS; dns != nil && client.IsValid() {
			j.dns = dns.Names(client.Addr(), server.Addr(), c.info.First)
		}
		c.fr.an.prefetchProbe(&j)
	}
	if !c.fr.stage.add(j) {
		c.fr.broken = true
	}
}

// endpoints returns the client and server sides of the connection.
func (c *connStream) endpoints(hs *tlsparse.Handshake) (client, server netip.AddrPort) {
	info := c.info
	switch {
	case hs.ClientDir == 1:
		return info.B, info.A
	case hs.ClientDir < 0 && !info.SYN:
		// No hello and no SYN (the capture began mid-connection): the
		// side on a well-known port is most likely the server.
		if info.A.Port() < 1024 && info.B.Port() >= 1024 {
			return info.B, info.A
		}
	}
	return info.A, info.B
}
