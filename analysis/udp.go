package analysis

import (
	"net/netip"
	"time"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/quic"
	"github.com/tsid-project/tsid/tlsparse"
)

// TLS over UDP: QUIC (its Initial packets decrypt with keys anyone can
// derive) and DTLS. A UDP flow gets state only when its first datagram
// from the client is a QUIC Initial or a DTLS handshake record, so UDP
// traffic that is neither costs one cheap look per datagram.

// Record.Transport values.
const (
	TransportTCP  = "tcp"
	TransportQUIC = "quic"
	TransportDTLS = "udp" // DTLS over UDP
)

// maxUDPFlows bounds the UDP flows followed at once per file.
const maxUDPFlows = 10000

// udpIdle ends a UDP flow quiet for this much capture time: UDP has no
// close, and a QUIC or DTLS handshake takes well under a second.
const udpIdle = 30 * time.Second

type udpKey struct{ a, b netip.AddrPort }

func makeUDPKey(x, y netip.AddrPort) udpKey {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return udpKey{x, y}
}

// udpFlow is one QUIC connection or DTLS association being followed.
type udpFlow struct {
	info pcaps.ConnInfo // A is the client
	quic *quic.Conn
	dtls *tlsparse.DTLS
	// gQUIC (Q0xx): the version, and the CHLO's server name once read.
	gquic      string
	gquicHello bool
	gquicSNI   string
	last       time.Time
	ended      bool // its record was handed on
	// The server sent a datagram: without one, what it answered is
	// unknown (a one-way capture, or one cut short).
	serverSeen bool
}

// udpFlows are a file's UDP flows.
type udpFlows struct {
	fr    *fileRun
	flows map[udpKey]*udpFlow
	sweep time.Time
	full  int // flows not followed because maxUDPFlows were
}

func (u *udpFlows) datagram(d pcaps.Datagram) {
	k := makeUDPKey(d.Src, d.Dst)
	f := u.flows[k]
	if f == nil {
		f = u.start(d)
		if f == nil {
			return
		}
		u.flows[k] = f
	}
	f.last = d.Time
	if f.ended {
		return
	}
	fromClient := d.Src == f.info.A
	f.serverSeen = f.serverSeen || !fromClient
	switch {
	case f.quic != nil:
		f.quic.Datagram(d.Payload, fromClient)
		if f.quic.ClientHello() != nil && f.quic.ServerHello() != nil {
			u.finish(f, 0)
		}
	case f.dtls != nil:
		f.dtls.Datagram(d.Payload, fromClient)
		if f.dtls.Done() {
			u.finish(f, 0)
		}
	case f.gquic != "" && fromClient:
		if sni, _, ok := quic.GoogleHello(d.Payload); ok {
			f.gquicHello, f.gquicSNI = true, sni
			u.finish(f, 0) // the first CHLO names the server; its certificate is not read
		}
	}
	if d.Time.Sub(u.sweep) > time.Second {
		u.sweep = d.Time
		u.endIdle(d.Time)
	}
}

// start makes the flow of a datagram that opens a QUIC connection or a
// DTLS handshake; nil for anything else.
func (u *udpFlows) start(d pcaps.Datagram) *udpFlow {
	var f *udpFlow
	switch {
	case quic.LooksInitial(d.Payload):
		f = &udpFlow{quic: quic.NewConn()}
	case tlsparse.LooksDTLS(d.Payload):
		f = &udpFlow{dtls: tlsparse.NewDTLS()}
	default:
		v, ok := quic.GoogleVersion(d.Payload)
		if !ok {
			return nil
		}
		f = &udpFlow{gquic: v}
	}
	if len(u.flows) >= maxUDPFlows {
		u.full++
		return nil
	}
	// The sender of the first datagram seen is the client: a QUIC Initial
	// or DTLS hello from the server would come second.
	f.info = pcaps.ConnInfo{ID: u.fr.asm.NextID(), A: d.Src, B: d.Dst, First: d.Time, Outer: d.Outer}
	return f
}

// endIdle hands on the flows quiet for udpIdle.
func (u *udpFlows) endIdle(now time.Time) {
	for k, f := range u.flows {
		if now.Sub(f.last) > udpIdle {
			u.finish(f, pcaps.EndIdle)
			delete(u.flows, k)
		}
	}
}

// close hands on every flow still open, in order of their IDs (the
// record stage puts the records in order anyway).
func (u *udpFlows) close() {
	for k, f := range u.flows {
		u.finish(f, pcaps.EndEOF)
		delete(u.flows, k)
	}
}

// finish hands the flow's record to the record stage once; why is how the
// flow ended when the capture (idle, EOF) let go of it, 0 when its
// handshake was decided.
func (u *udpFlows) finish(f *udpFlow, why pcaps.EndReason) {
	if f.ended {
		return
	}
	f.ended = true
	j := job{id: f.info.ID, info: f.info}
	switch {
	case f.quic != nil:
		j.transport = TransportQUIC
		j.hs = quicHandshake(f.quic)
	case f.dtls != nil:
		j.transport = TransportDTLS
		j.hs = f.dtls.Handshake()
	case f.gquic != "":
		j.transport, j.gquic = TransportQUIC, true
		j.hs = gquicHandshake(f)
	}
	if j.hs != nil && !j.hs.IsTLS {
		j.hs = nil // no hello read: no record
	}
	// As for TCP (connStream.End): a DTLS handshake the capture let go of
	// undecided, or whose server never spoke, is unknown from there on.
	// QUIC's certificate is encrypted whatever the capture shows.
	if j.hs != nil && f.dtls != nil && !f.dtls.Done() {
		if why != 0 {
			j.anomalies = unfinished(j.hs, j.anomalies, unfinishedBy(why))
		}
		if !f.serverSeen {
			j.anomalies = unfinished(j.hs, j.anomalies, AnomalyServerNotCaptured)
		}
	}
	if j.hs != nil {
		if dns := u.fr.asm.DNS; dns != nil {
			j.dns = dns.Names(f.info.A.Addr(), f.info.B.Addr(), f.info.First)
		}
	}
	if !u.fr.stage.add(j) {
		u.fr.broken = true
	}
}

// quicHandshake is what a QUIC connection's Initials showed, in the form
// of a TLS handshake: TLS 1.3, the certificate encrypted (it travels in
// Handshake packets, whose keys no observer has).
func quicHandshake(c *quic.Conn) *tlsparse.Handshake {
	hs := &tlsparse.Handshake{ClientDir: 0, Anomalies: append([]string(nil), c.Anomalies()...)}
	if !c.Decrypted() {
		return hs // not QUIC after all, or a version without known keys
	}
	hs.IsTLS = true
	hs.SNIStatus = tlsparse.SNIUnknown
	if msg := c.ClientHello(); msg != nil {
		if ch, err := tlsparse.ParseClientHello(msg); err == nil {
			hs.ClientHello = ch
			hs.SNIStatus = tlsparse.SNIAbsent
			if ch.SNI != "" {
				hs.SNIStatus = tlsparse.SNIPresent
			}
		} else {
			hs.Anomalies = append(hs.Anomalies, "quic-clienthello-malformed")
		}
	}
	hs.Status = tlsparse.CertEncrypted
	if msg := c.ServerHello(); msg != nil {
		if sh, err := tlsparse.ParseServerHello(msg); err == nil {
			hs.ServerHello = sh
			hs.Version = sh.Selected
		}
	}
	if hs.Version == 0 && hs.ClientHello != nil {
		hs.Version = tlsparse.VersionTLS13 // QUIC is TLS 1.3 (RFC 9001, Section 4.2)
	}
	if hs.ClientHello == nil {
		hs.Incomplete = true
	}
	return hs
}

// gquicHandshake is what a gQUIC flow's CHLO showed: the server name, in
// the form of a handshake without a TLS ClientHello's other fields. The
// server's certificate (in its REJ message) is not read: unknown.
func gquicHandshake(f *udpFlow) *tlsparse.Handshake {
	if !f.gquicHello {
		return &tlsparse.Handshake{ClientDir: 0}
	}
	hs := &tlsparse.Handshake{IsTLS: true, ClientDir: 0, Status: tlsparse.CertIncomplete, Incomplete: true,
		Anomalies: []string{"gquic:" + f.gquic}}
	hs.ClientHello = &tlsparse.ClientHello{SNI: f.gquicSNI}
	hs.SNIStatus = tlsparse.SNIAbsent
	if f.gquicSNI != "" {
		hs.ClientHello.ServerNames = []tlsparse.ServerName{{Type: 0, Name: f.gquicSNI}}
		hs.SNIStatus = tlsparse.SNIPresent
	}
	return hs
}
