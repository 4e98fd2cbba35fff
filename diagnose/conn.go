package diagnose

import (
	"net/netip"
	"slices"
	"time"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/tlsparse"
)

// fileRun is one capture being read: its connections as they end, its
// DNS lookups as they are answered (or given up on).
type fileRun struct {
	d    *Diagnoser
	name string

	conns   []connFacts // ended, in order of ending
	lookups []pcaps.DNSLookup
	// Whether the file shows both directions (a connection with packets
	// from both sides, a query with its answer): a capture of one
	// direction cannot show that an answer did not come.
	twoWay bool
	last   time.Time // the capture's last packet time so far
}

// connFacts is what one TCP connection showed.
type connFacts struct {
	info  pcaps.ConnInfo
	hs    *tlsparse.Handshake
	end   pcaps.Ending
	turns int // changes of the sending side, counting the first (see tlsCompleted)
}

// stream follows one connection's bytes with a TLS observer in Follow
// mode, so alerts after the certificate are read.
type stream struct {
	f     *fileRun
	info  *pcaps.ConnInfo
	obs   *tlsparse.Observer
	done  bool // the observer learned all it can
	turns int
	last  pcaps.Dir
}

func (f *fileRun) newStream(c *pcaps.ConnInfo) pcaps.Stream {
	o := tlsparse.NewObserver()
	o.Follow()
	return &stream{f: f, info: c, obs: o}
}

func (s *stream) Data(dir pcaps.Dir, b []byte, ts time.Time) bool {
	if s.turns == 0 || dir != s.last {
		s.turns++
		s.last = dir
	}
	if !s.done && s.obs.Data(tlsparse.Dir(dir), b) {
		s.done = true
	}
	// Once the observer is done, the turns alone still tell whether a
	// TLS 1.3 handshake went on past the client's Finished.
	return !s.done || s.turns < tls13Turns
}

func (s *stream) Gap(dir pcaps.Dir, n int) {
	if !s.done {
		s.obs.Gap(tlsparse.Dir(dir))
	}
}

func (s *stream) Anomaly(pcaps.Dir, string) {}

func (s *stream) End(e pcaps.Ending) {
	hs := s.obs.Handshake()
	if e.Packets[0] > 0 && e.Packets[1] > 0 {
		s.f.twoWay = true
	}
	s.f.conns = append(s.f.conns, connFacts{info: *s.info, hs: hs, end: e, turns: s.turns})
}

func (f *fileRun) lookup(l pcaps.DNSLookup) {
	f.lookups = append(f.lookups, l)
	if l.Answered && l.Queries > 0 {
		f.twoWay = true // a query and its answer: both directions captured
	}
	if l.Answered && l.RCode == 0 {
		d := f.d
		d.mu.Lock()
		for _, a := range l.Addrs {
			if names := d.resolved[a]; len(names) < 8 && !slices.Contains(names, l.Name) {
				d.resolved[a] = append(names, l.Name)
			}
		}
		d.mu.Unlock()
	}
}

// finish turns the file's connections and lookups into findings per
// destination.
func (f *fileRun) finish() {
	d := f.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range f.lookups {
		d.judgeLookup(f, &f.lookups[i])
	}
	for i := range f.conns {
		d.judgeConn(f, &f.conns[i])
	}
}

// sides returns the client's and server's directions and endpoints: the
// ClientHello's sender is the client, else the SYN's (ConnInfo.A).
func sides(c *connFacts) (client, server pcaps.Dir, ca, sa netip.AddrPort) {
	client = pcaps.AtoB
	if c.hs != nil && c.hs.ClientDir == tlsparse.Dir(pcaps.BtoA) {
		client = pcaps.BtoA
	}
	server = 1 - client
	ca, sa = c.info.A, c.info.B
	if client == pcaps.BtoA {
		ca, sa = sa, ca
	}
	return client, server, ca, sa
}
