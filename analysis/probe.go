package analysis

import (
	"net/netip"
	"slices"
	"time"

	"github.com/tsid-project/tsid/tlsparse"
)

// TSID probes. With TLS Server Identity Discovery, FTD holds the client's
// ClientHello, opens its own TLS connection to the server from the same
// address and port with a ClientHello mimicking the client's, reads the
// certificate and tears that connection down. A capture on the server's
// side then shows a second handshake on the client connection's 5-tuple
// shortly after it. tsid labels that connection role "tsid-probe" with
// probe_of, gives the client connection probe, leaves the probe out of the
// connection counts, and, when the client connection's certificate is not
// in the capture (TLS 1.3, resumption) and the probe's is, predicts the
// client connection's host from the probe's certificate (cert_status
// from-probe): the certificate TSID itself decides on.
//
// A probe is a TLS connection that
//   - has the same client address and port and server address and port as
//     an earlier TLS connection of the same file (a new SYN: another
//     connection to the assembler),
//   - starts at most probeWindow after that connection's first packet,
//   - sends the same SNI, and the same cipher suites and extension types
//     once those only TLS 1.3 uses (and GREASE, padding, session tickets)
//     are set aside: the probe may offer TLS 1.2 only,
//   - got the server's hello.
//
// tsid stops reading a connection once its handshake is decided, so that
// the probe was torn down before any client data is not checked.
//
// Records are written in order of first packet and the probe comes after
// its client connection, so each file holds its records back for
// probeWindow of capture time (at most maxProbeHold of them; past that the
// oldest go out, and a probe of one of them is not linked). The output is
// the same as without holding, but for the labels; reading a live capture
// (stdin), a connection's record comes once a connection 5 s younger has
// one, or at the end.

// probeWindow is how long after a client connection's first packet its
// probe may start.
const probeWindow = 5 * time.Second

// maxProbeHold bounds the records a file holds back for probes.
const maxProbeHold = 4096

// probeFacts is what matching a probe needs of a TLS connection's record.
type probeFacts struct {
	client, server netip.AddrPort
	first          time.Time
	sni            string //
	// offer is a hash of the sorted, distinct cipher suites without TLS
	// 1.3 suites and GREASE, and of the extension types without TLS
	// 1.3-only types, GREASE, padding and session tickets: what a probe
	// copies of its client's hello, compared for equality only.
	offer       uint64
	serverHello bool
	certSeen    bool
	chain       []*tlsparse.Certificate
	version     string // negotiated, as Record.TLSVersion
	status      string // as Record.CertStatus
	// job is the connection whose certificate a probe may still bring: its
	// record is then built again with it (withProbeCert); nil when it has
	// its own.
	job *job
}

// held is a record waiting for probeWindow to pass.
type held struct {
	r *Record
	f *probeFacts // nil: no ClientHello read whole, so not matchable
}

// newProbeFacts returns what matching needs of j; nil when its ClientHello
// was not read whole: such a connection can be neither a probe nor the
// connection of one.
func newProbeFacts(j *job) *probeFacts {
	hs := j.hs
	ch := hs.ClientHello
	if ch == nil {
		return nil
	}
	client, server := (&connStream{info: &j.info}).endpoints(hs)
	f := &probeFacts{client: client, server: server, first: j.info.First,
		serverHello: hs.ServerHello != nil, chain: hs.Chain, status: string(hs.Status),
		certSeen: hs.Status == tlsparse.CertPresent && len(hs.Chain) > 0}
	if hs.Version != 0 {
		f.version = hs.Version.String()
	}
	f.sni = ch.SNI
	var buf [256]uint16 // on the stack for any usual hello
	suites := buf[:0]
	for _, s := range ch.CipherSuites {
		if s>>8 != 0x13 && !grease(s) {
			suites = append(suites, s)
		}
	}
	h := offerHash(fnvOffset, suites)
	exts := buf[:0]
	for _, e := range ch.Extensions {
		if !tls13Only(e) && !grease(e) {
			exts = append(exts, e)
		}
	}
	f.offer = offerHash(h, exts)
	if !f.certSeen && (hs.Status == tlsparse.CertEncrypted || hs.Status == tlsparse.CertResumed) {
		jc := *j
		f.job = &jc
	}
	return f
}

// FNV-1a, 64 bits (offerHash).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// offerHash sorts vs and folds its distinct values into h, ending the
// list with a separator so that two lists cannot run into each other.
func offerHash(h uint64, vs []uint16) uint64 {
	slices.Sort(vs)
	for i, v := range vs {
		if i > 0 && v == vs[i-1] {
			continue
		}
		h = (h ^ uint64(v)) * fnvPrime
	}
	return (h ^ 1<<16) * fnvPrime
}

// grease reports an RFC 8701 GREASE value (0x0a0a, 0x1a1a, …).
func grease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// tls13Only reports extension types a hello limited to TLS 1.2 leaves out
// (pre_shared_key, early_data, supported_versions, cookie,
// psk_key_exchange_modes, post_handshake_auth, key_share), and those that
// differ between two hellos of one client anyway (padding, session_ticket).
func tls13Only(e uint16) bool {
	switch e {
	case 41, 42, 43, 44, 45, 49, 51, 21, 35:
		return true
	}
	return false
}

// probeOf returns the held client connection p is a probe of, or nil, and
// the evidence.
func (fr *fileRun) probeOf(p *probeFacts) (*held, []string) {
	if p == nil || !p.serverHello {
		return nil, nil
	}
	// Only the held records of the same endpoints, newest first: a busy
	// capture holds thousands of records.
	same := fr.holdBy[[2]netip.AddrPort{p.client, p.server}]
	for i := len(same) - 1; i >= 0; i-- {
		h := same[i]
		c := h.f
		if c == nil || h.r.Role != "" || h.r.Probe != nil {
			continue
		}
		if d := p.first.Sub(c.first); d < 0 || d > probeWindow {
			continue
		}
		if c.sni != p.sni || c.offer != p.offer {
			continue
		}
		ev := []string{"same-5-tuple", "within-" + probeWindow.String(), "same-sni", "same-cipher-suites", "same-extensions"}
		if p.certSeen {
			ev = append(ev, "certificate-received")
		} else {
			ev = append(ev, "server-hello-received")
		}
		return h, ev
	}
	return nil, nil
}

// holdForProbes takes the next record in order: it labels a probe and its
// client connection, and passes on the records probeWindow older than r.
func (fr *fileRun) holdForProbes(r *Record, f *probeFacts) {
	if c, ev := fr.probeOf(f); c != nil {
		r.Role = RoleProbe
		r.ProbeOf = &ConnRef{Time: c.r.Time, Client: c.r.Client, Server: c.r.Server}
		parent := c.r
		if c.f.job != nil && f.certSeen {
			parent = fr.withProbeCert(c.f.job, f.chain)
			ev = append(ev, "certificate-used")
		}
		parent.Probe = &ProbeRef{Time: r.Time, Client: r.Client, Server: r.Server,
			TLSVersion: f.version, CertStatus: f.status, Evidence: ev}
		c.r = parent
		c.f.job = nil
	}
	if len(fr.hold) == 0 && f == nil {
		fr.out(r) // nothing to wait for: it cannot have a probe
		return
	}
	h := &held{r: r, f: f}
	fr.hold = append(fr.hold, h)
	if f != nil {
		if fr.holdBy == nil {
			fr.holdBy = map[[2]netip.AddrPort][]*held{}
		}
		k := [2]netip.AddrPort{f.client, f.server}
		fr.holdBy[k] = append(fr.holdBy[k], h)
	}
	t := time.Time(r.Time)
	n := 0
	for n < len(fr.hold) && (len(fr.hold)-n > maxProbeHold || time.Time(fr.hold[n].r.Time).Add(probeWindow).Before(t)) {
		fr.release(fr.hold[n])
		fr.hold[n] = nil
		n++
	}
	fr.hold = fr.hold[n:]
}

// release passes on a held record and forgets it; records leave in the
// order they came, so it is the oldest of its endpoints.
func (fr *fileRun) release(h *held) {
	fr.out(fr.realize(h))
	if h.f == nil {
		return
	}
	k := [2]netip.AddrPort{h.f.client, h.f.server}
	if same := fr.holdBy[k]; len(same) > 0 && same[0] == h {
		if len(same) == 1 {
			delete(fr.holdBy, k)
		} else {
			fr.holdBy[k] = same[1:]
		}
	}
}

// realize is the record of a held connection, once no probe can come: the
// connection is forgotten, which a probe's certificate would have rebuilt
// the record from (withProbeCert).
func (fr *fileRun) realize(h *held) *Record {
	if h.f != nil {
		h.f.job = nil
	}
	return h.r
}

// flushHeld passes on every record held, at the end of the file.
func (fr *fileRun) flushHeld() {
	for i, h := range fr.hold {
		fr.release(h)
		fr.hold[i] = nil
	}
	fr.hold = nil
	fr.holdBy = nil
}

// withProbeCert builds the record of j as if the probe's certificate had
// been in the connection: the profiles decide on it, and cert_status says
// where it came from.
func (fr *fileRun) withProbeCert(j *job, chain []*tlsparse.Certificate) *Record {
	hs := *j.hs
	hs.Chain = chain
	hs.Status = tlsparse.CertPresent
	jj := *j
	jj.hs = &hs
	r := fr.an.record(fr, &jj)
	r.CertStatus = CertFromProbe
	return r
}
