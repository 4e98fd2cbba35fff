package pcaps

import (
	"bytes"
	"cmp"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/google/gopacket"
)

// Defaults and caps of the Assembler.
const (
	DefaultMaxConns         = 100_000
	DefaultMaxBuffered      = 256 << 10
	DefaultMaxBufferedTotal = 256 << 20
	DefaultIdleTimeout      = 5 * time.Minute

	// segOverhead is charged per buffered piece so that many tiny segments
	// count against the caps too.
	segOverhead = 64
	// maxSeqAhead: segments and ACKs further ahead than this are ignored
	// rather than turned into a huge gap.
	maxSeqAhead = 1 << 30
	// fragTimeout drops IPv4 fragments that never completed.
	fragTimeout = 30 * time.Second
	// flushEvery is how much capture time passes between idle checks.
	flushEvery = time.Second
	// closedLinger is how long a closed connection's entry stays to absorb
	// late packets (the last ACK, a retransmitted FIN) before a packet of
	// the same addresses would start a new connection.
	closedLinger = 4 * time.Second
)

// Config tunes an Assembler; zero fields take the defaults.
type Config struct {
	// MaxConns caps tracked connections; beyond it the least recently active
	// one ends with EndEvicted.
	MaxConns int
	// MaxBuffered caps out-of-order bytes buffered per direction; on
	// overflow the oldest hole becomes a Gap ("buffer-cap" anomaly).
	MaxBuffered int
	// MaxBufferedTotal caps out-of-order bytes over all connections.
	MaxBufferedTotal int
	// IdleTimeout ends connections quiet for this much capture time.
	IdleTimeout time.Duration
	// MaxDNS caps the DNS table entries.
	MaxDNS int
	// DNSLookups, when not nil, receives each DNS lookup over UDP once:
	// when its response arrives, or, for a query never answered, at Close
	// (or when it is older than IdleTimeout of capture time). At most
	// MaxDNSPending unanswered lookups are held; past that the oldest is
	// handed on unanswered. When nil, queries are not even parsed.
	DNSLookups func(DNSLookup)
	// Datagrams, when not nil, receives every UDP datagram that is not DNS
	// and was captured whole (QUIC, DTLS): the consumer keeps per-flow
	// state only for the flows it recognises. When nil, nothing is done.
	Datagrams func(Datagram)
}

// Datagram is one UDP datagram (Config.Datagrams). Payload is only valid
// during the call.
type Datagram struct {
	Src, Dst netip.AddrPort
	Payload  []byte
	Time     time.Time
	Outer    [2]netip.Addr // the tunnel's outermost addresses (source first); zero if untunnelled
}

// Stats counts what the Assembler saw.
type Stats struct {
	Packets       uint64 // packets given to Packet
	NonIP         uint64 // no IPv4/IPv6 on the link layer (ARP, unknown link type, …)
	NonTCPUDP     uint64 // IP carrying neither TCP nor UDP
	DecodeErrors  uint64 // malformed or cut headers
	Truncated     uint64 // TCP/UDP packets cut by the snap length
	IPv4Fragments uint64 // IPv4 fragments handed to the defragmenter
	IPv6Fragments uint64 // IPv6 fragments dropped (not reassembled)
	TCP           uint64 // TCP segments
	UDP           uint64 // UDP datagrams
	DNSResponses  uint64 // DNS responses parsed
	DNSQueries    uint64 // DNS queries parsed (only with Config.DNSLookups)
	Conns         uint64 // TCP connections started
	Stray         uint64 // segments without payload of no known connection (ignored)
	Evicted       uint64 // connections ended because of MaxConns
	Gaps          uint64 // Gap calls
	Anomalies     uint64 // Anomaly calls
	// Decap counts the tunnel headers and tags taken off.
	Decap DecapStats
}

type connKey struct{ lo, hi netip.AddrPort }

// recentSize slots remember connections by their ports: a lookup there
// costs a fraction of one in the map (whose key is 64 bytes to hash),
// and most packets belong to one of a few hundred busy connections.
const recentSize = 1024

// recentEntry is a connection in the recent cache and its key's ports:
// a slot taken by another connection is told by the ports alone, without
// reading that connection (which, when a flood of new connections evicts
// old ones, is no longer in the processor's cache).
type recentEntry struct {
	c     *conn
	ports uint32
}

func (k *connKey) ports() uint32 { return uint32(k.lo.Port())<<16 | uint32(k.hi.Port()) }

func (k *connKey) recentSlot() int {
	return int(uint32(k.lo.Port())*0x9e3779b1^uint32(k.hi.Port())) & (recentSize - 1)
}

// lookup finds the connection with key k.
func (a *Assembler) lookup(k *connKey) *conn {
	slot := &a.recent[k.recentSlot()]
	ports := k.ports()
	if slot.ports == ports && slot.c != nil && slot.c.is(k) {
		return slot.c
	}
	c := a.conns.get(k)
	if c != nil {
		*slot = recentEntry{c, ports}
	}
	return c
}

func makeKey(a, b netip.AddrPort) connKey {
	if a.Compare(b) > 0 {
		a, b = b, a
	}
	return connKey{a, b}
}

type seg struct {
	seq  seqNum
	data []byte
	ts   time.Time
}

func (s *seg) end() seqNum { return s.seq.plus(len(s.data)) }

// half is one direction of a connection. Its fields are ordered so that
// it packs small: every tracked connection holds two (see conn).
type half struct {
	next      seqNum // next sequence number to deliver
	isn       seqNum
	ackTo     seqNum // highest acknowledgment the peer sent for this direction
	finSeq    seqNum
	recentEnd seqNum // where recent ends
	sentEnd   seqNum // where the payload sent so far ends (see sent)
	// packets counts segments captured from this side. 32 bits keep the
	// half small; 2^32 segments of one connection is a capture of
	// hundreds of gigabytes, and the count stops there rather than wrap.
	packets  uint32
	started  bool // next is known
	synSeen  bool
	ackValid bool // ackTo holds an ACK from the peer ahead of next
	fin      bool

	segs     []seg // out-of-order pieces, sorted, non-overlapping, all after next
	buffered int   // bytes charged for segs

	// recent holds the last bytes delivered (at most recentWindow), up to
	// recentEnd, while the stream is wanted: a retransmission that
	// disagrees with them is an overlap-conflict as much as one that
	// disagrees with buffered data.
	recent []byte

	// bytes is the payload sequence space sent (Ending.Bytes), counted
	// whether or not the stream is still wanted.
	bytes uint64
}

// sent counts n bytes of payload at seq: the part beyond sentEnd is new.
// sentEnd starts at the SYN's ISN+1 (see segment) or, without a SYN, at
// the first payload, so bytes counts each sequence number once whatever
// the order, the retransmissions and the holes of the capture.
func (h *half) sent(seq seqNum, n int) {
	if !h.synSeen && h.bytes == 0 {
		h.sentEnd = seq
	}
	end := seq.plus(n)
	if d := uint32(end - h.sentEnd); seqGT(end, h.sentEnd) && d < maxSeqAhead {
		h.bytes = addSat(h.bytes, uint64(d))
		h.sentEnd = end
	}
}

// addSat is x+y, or the largest uint64 if that overflows.
func addSat(x, y uint64) uint64 {
	if s := x + y; s >= x {
		return s
	}
	return math.MaxUint64
}

// incSat is x+1, or x if that overflows: counters stop rather than wrap.
func incSat(x uint32) uint32 {
	if x == math.MaxUint32 {
		return x
	}
	return x + 1
}

// recentWindow is how many delivered bytes per direction are kept to check
// retransmissions against. Evasion rewrites what was just sent; older
// bytes are not checked.
const recentWindow = 1024

// recentSmall is the least a new recent window holds.
const recentSmall = 64

// maxSpare bounds the recent windows kept for reuse.
const maxSpare = 1024

// remember keeps b, delivered at seq, in the recent window.
func (a *Assembler) remember(h *half, seq seqNum, b []byte) {
	if len(h.recent) > 0 && seq != h.recentEnd {
		h.recent = h.recent[:0] // after a gap the old bytes are not next to these
	}
	if cap(h.recent) == 0 {
		if a.buffered+recentWindow > a.cfg.MaxBufferedTotal {
			return // over the memory cap: do without the check
		}
		if n := len(a.spare); n > 0 && len(b) > recentSmall {
			h.recent, a.spare = a.spare[n-1], a.spare[:n-1]
		} else {
			// Most handshakes' first bytes are one small hello: start
			// small, append grows it up to the window.
			h.recent = make([]byte, 0, min(recentWindow, max(recentSmall, len(b))))
		}
		a.buffered += recentWindow // counted against the total cap only
	}
	if len(b) >= recentWindow {
		h.recent = append(h.recent[:0], b[len(b)-recentWindow:]...)
	} else {
		if over := len(h.recent) + len(b) - recentWindow; over > 0 {
			h.recent = h.recent[:copy(h.recent, h.recent[over:])]
		}
		h.recent = append(h.recent, b...)
	}
	h.recentEnd = seq.plus(len(b))
}

// disagrees reports whether b at seq differs from the remembered delivered
// bytes it overlaps.
func (h *half) disagrees(seq seqNum, b []byte) bool {
	start := h.recentEnd.plus(-len(h.recent))
	lo, hi := seq, seq.plus(len(b))
	if seqLT(lo, start) {
		lo = start
	}
	if seqGT(hi, h.recentEnd) {
		hi = h.recentEnd
	}
	if !seqLT(lo, hi) {
		return false
	}
	return !bytes.Equal(b[lo-seq:hi-seq], h.recent[lo-start:hi-start])
}

// conn is one tracked connection. A busy capture tracks up to
// Config.MaxConns of them, so its size is what such a capture costs (a
// test keeps it within 416 bytes): its key is worked out from info, not
// kept twice, its times are plain counts of nanoseconds, and the facts
// of the Ending are kept in their smallest form (the flags fill what
// would be padding) and spelled out only at End.
type conn struct {
	info       ConnInfo
	s          Stream
	h          [2]half
	last       int64 // last activity (Unix nanoseconds); once ended, when it ended
	prev, next *conn // LRU list of live connections, head = most recently active
	// firstSYN and lastSYN are when A's first and last SYN were captured
	// (Unix nanoseconds), valid when syns[AtoB] > 0.
	firstSYN, lastSYN int64
	syns              [2]uint32 // SYN segments per side (Ending.SYNs)
	done              bool      // Data returned false
	ended             bool      // End was called; the entry only absorbs stray packets
	synAck            bool      // B sent a SYN-ACK
	up                [2]bool   // the side sent a segment with ACK or payload, neither SYN nor RST
	resetBy           Dir       // the side whose RST ended the connection, or NoDir
}

// key is c's key in the connection map.
func (c *conn) key() connKey { return makeKey(c.info.A, c.info.B) }

// is reports whether c is the connection of key k.
func (c *conn) is(k *connKey) bool {
	a, b := c.info.A, c.info.B
	return a == k.lo && b == k.hi || a == k.hi && b == k.lo
}

// since is how long before now c was last active.
func (c *conn) since(now time.Time) time.Duration { return time.Duration(now.UnixNano() - c.last) }

// Assembler decodes packets, reassembles TCP connections into per-direction
// byte streams and collects DNS answers. It is not safe for concurrent use.
type Assembler struct {
	// DNS holds the answers of the DNS responses seen so far.
	DNS *DNSTable

	factory    StreamFactory
	cfg        Config
	lookups    *lookupLog   // nil without Config.DNSLookups
	dnsAddrs   []netip.Addr // reused for the addresses of each DNS response
	dec        decoder
	stats      Stats
	conns      connTable
	recent     [recentSize]recentEntry // a cache in front of conns, by recentSlot
	head, tail *conn
	closed     []*conn  // ended connections lingering, oldest first
	spare      [][]byte // recent windows to reuse
	slab       []conn   // where the next connections are made
	nextID     uint64
	buffered   int
	now        time.Time
	flushAt    time.Time // Packet calls Flush once capture time passes it
}

// NewAssembler returns an Assembler that makes one Stream per connection.
func NewAssembler(f StreamFactory, cfg Config) *Assembler {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.MaxBuffered <= 0 {
		cfg.MaxBuffered = DefaultMaxBuffered
	}
	if cfg.MaxBufferedTotal <= 0 {
		cfg.MaxBufferedTotal = DefaultMaxBufferedTotal
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	a := &Assembler{
		DNS:     NewDNSTable(cfg.MaxDNS),
		factory: f,
		cfg:     cfg,
	}
	if cfg.DNSLookups != nil {
		a.lookups = newLookupLog(cfg.DNSLookups, cfg.IdleTimeout)
	}
	a.dec.stats = &a.stats
	a.dec.defrag = newDefragmenter()
	return a
}

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats {
	s := a.stats
	s.Decap = a.dec.decap
	return s
}

// Packet decodes one captured frame and feeds it to reassembly. data is not
// retained after the call.
func (a *Assembler) Packet(data []byte, ci gopacket.CaptureInfo, link LinkType) {
	a.stats.Packets++
	ts := ci.Timestamp
	if ts.After(a.now) {
		a.now = ts
		if a.now.After(a.flushAt) { // not now.Sub: 12 ns a packet
			a.Flush(a.now)
		}
	}
	switch a.dec.decode(data, link, ts) {
	case resNonIP:
		a.stats.NonIP++
		return
	case resOther:
		a.stats.NonTCPUDP++
		return
	case resError:
		a.stats.DecodeErrors++
		return
	case resFragment:
		return
	}
	p := &a.dec.p
	if p.missing > 0 || ci.CaptureLength < ci.Length {
		a.stats.Truncated++
	}
	if p.proto == protoUDP {
		a.stats.UDP++
		switch {
		case p.missing != 0:
		case p.sport == dnsPort || p.dport == dnsPort:
			if p.sport == dnsPort || a.lookups != nil {
				a.dns(p, ts)
			}
		case a.cfg.Datagrams != nil:
			a.cfg.Datagrams(Datagram{Src: netip.AddrPortFrom(p.src, p.sport), Dst: netip.AddrPortFrom(p.dst, p.dport),
				Payload: p.payload, Time: ts, Outer: p.outer})
		}
		return
	}
	a.stats.TCP++
	a.tcp(p, ts)
}

// dns takes a DNS message over UDP: responses into the DNSTable, queries
// and responses into the lookup log.
func (a *Assembler) dns(p *packet, ts time.Time) {
	m := dnsMsg{addrs: a.dnsAddrs}
	ok := parseDNS(p.payload, &m)
	a.dnsAddrs = m.addrs[:0] // the lookup log copies what it keeps
	if !ok {
		return
	}
	if p.sport == dnsPort && a.DNS.addResponse(&m, p.dst, ts) {
		a.stats.DNSResponses++
	}
	if a.lookups != nil {
		if !m.response && m.opQuery && m.hasQuestion && p.dport == dnsPort {
			a.stats.DNSQueries++
		}
		a.lookups.packet(&m, netip.AddrPortFrom(p.src, p.sport), netip.AddrPortFrom(p.dst, p.dport), ts)
	}
}

// NextID takes the next connection ID (ConnInfo.ID), for a flow the
// caller follows itself (a QUIC or DTLS flow over UDP), so that its IDs
// and the TCP connections' share one order: that of their first packet.
func (a *Assembler) NextID() uint64 {
	a.nextID++
	return a.nextID
}

// Flush ends connections idle for Config.IdleTimeout at capture time now.
// Packet calls it as capture time advances; call it yourself only to force
// an earlier check.
func (a *Assembler) Flush(now time.Time) {
	a.flushAt = now.Add(flushEvery)
	a.dec.defrag.discardOlderThan(now.Add(-fragTimeout))
	if a.lookups != nil {
		a.lookups.flush(now)
	}
	for c := a.tail; c != nil && c.since(now) >= a.cfg.IdleTimeout; c = a.tail {
		a.end(c, EndIdle, now)
		a.remove(c)
	}
	for len(a.closed) > 0 {
		c := a.closed[0]
		if k := c.key(); a.conns.get(&k) == c && c.since(now) < closedLinger {
			break
		}
		a.remove(c)
		a.closed[0] = nil
		a.closed = a.closed[1:]
	}
}

// Close ends all live connections with EndEOF, in ID order, then hands on
// the unanswered DNS lookups, oldest first. Call it at the end of the
// input; the Assembler is empty afterwards.
func (a *Assembler) Close() {
	var live []*conn
	for c := a.head; c != nil; c = c.next {
		live = append(live, c)
	}
	slices.SortFunc(live, func(x, y *conn) int {
		return cmp.Compare(x.info.ID, y.info.ID)
	})
	for _, c := range live {
		a.end(c, EndEOF, a.now)
	}
	a.conns.clear()
	clear(a.recent[:])
	a.closed = nil
	if a.lookups != nil {
		a.lookups.close()
	}
}

// seqNum is a TCP sequence number: arithmetic modulo 2^32, compared by
// the sign of the difference (RFC 9293, Section 3.4).
type seqNum uint32

// plus is s advanced by n bytes (n may be negative).
func (s seqNum) plus(n int) seqNum { return s + seqNum(uint32(n)) }

func seqLT(a, b seqNum) bool { return int32(a-b) < 0 }
func seqGT(a, b seqNum) bool { return int32(a-b) > 0 }

func (a *Assembler) tcp(p *packet, ts time.Time) {
	src := netip.AddrPortFrom(p.src, p.sport)
	dst := netip.AddrPortFrom(p.dst, p.dport)
	k := makeKey(src, dst)
	syn, ack := p.flags&flagSYN != 0, p.flags&flagACK != 0
	c := a.lookup(&k)
	if c != nil && syn {
		var reuse bool
		switch {
		case c.ended:
			reuse = !p.isRST() // a new handshake after FIN/RST
		case !ack:
			// A pure SYN with an unknown ISN starts a new connection; the
			// same ISN is a retransmission.
			h := &c.h[c.dir(src)]
			reuse = !(h.synSeen && h.isn == p.seq)
		}
		if reuse {
			if !c.ended {
				a.end(c, EndReused, ts)
			}
			a.remove(c)
			c = nil
		}
	}
	if c == nil {
		if !syn && len(p.payload) == 0 && p.missing == 0 {
			// An ACK, FIN or RST of a connection that ended or was never
			// seen: nothing to reassemble, so no entry is made for it.
			a.stats.Stray++
			return
		}
		c = a.newConn(k, src, dst, syn, ack, ts)
	}
	if !c.ended {
		a.touch(c, ts)
		a.segment(c, c.dir(src), p, ts)
	}
}

func (p *packet) isRST() bool { return p.flags&flagRST != 0 }

func (c *conn) dir(src netip.AddrPort) Dir {
	if src == c.info.A {
		return AtoB
	}
	return BtoA
}

func (a *Assembler) newConn(k connKey, src, dst netip.AddrPort, syn, ack bool, ts time.Time) *conn {
	// At the cap, the entry made room for is the new connection's: its
	// Stream has ended (its *ConnInfo is valid for the connection's life
	// only) and nothing here points at it any more. A capture that keeps
	// Config.MaxConns connections tracked then takes no new memory for
	// them, which a million half-open connections made the kernel hand
	// out page by page.
	var reuse *conn
	for a.conns.len() >= a.cfg.MaxConns && len(a.closed) > 0 {
		old := a.closed[0]
		a.closed[0] = nil
		a.closed = a.closed[1:]
		if k := old.key(); a.conns.get(&k) == old {
			a.remove(old)
			reuse = old // in neither the map, the cache, the lists nor the queue
		}
	}
	for a.conns.len() >= a.cfg.MaxConns && a.tail != nil {
		old := a.tail
		a.stats.Evicted++
		a.end(old, EndEvicted, ts)
		a.remove(old)
		// An evicted entry need not linger (it is out of the map): off
		// the closed queue, where end put it last.
		if n := len(a.closed); n > 0 && a.closed[n-1] == old {
			a.closed[n-1] = nil
			a.closed = a.closed[:n-1]
			reuse = old
		}
	}
	a.nextID++
	var c *conn
	if reuse != nil {
		c = reuse
		*c = conn{}
	} else {
		if len(a.slab) == 0 {
			a.slab = make([]conn, connSlab)
		}
		c = &a.slab[0]
		a.slab = a.slab[1:]
	}
	c.info = ConnInfo{ID: a.nextID, A: src, B: dst, SYN: syn && !ack, First: ts, Outer: a.dec.p.outer}
	c.resetBy = NoDir
	if syn && ack { // SYN-ACK first: its receiver initiated
		c.info.A, c.info.B = dst, src
		c.info.Outer[0], c.info.Outer[1] = c.info.Outer[1], c.info.Outer[0]
	}
	a.conns.set(&k, c)
	a.stats.Conns++
	c.s = a.factory(&c.info)
	return c
}

// touch marks c as the most recently active connection.
func (a *Assembler) touch(c *conn, ts time.Time) {
	if t := ts.UnixNano(); t > c.last {
		c.last = t
	}
	if a.head == c {
		return
	}
	if c.prev != nil || c.next != nil || a.tail == c {
		a.unlink(c)
	}
	c.next = a.head
	if a.head != nil {
		a.head.prev = c
	}
	a.head = c
	if a.tail == nil {
		a.tail = c
	}
}

func (a *Assembler) unlink(c *conn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		a.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		a.tail = c.prev
	}
	c.prev, c.next = nil, nil
}

// remove forgets c; a live c is taken off the LRU list (an ended one is on
// the closed queue, which drops it lazily).
func (a *Assembler) remove(c *conn) {
	if !c.ended {
		a.unlink(c)
	}
	k := c.key()
	a.conns.delete(&k, c)
	if slot := &a.recent[k.recentSlot()]; slot.c == c {
		*slot = recentEntry{}
	}
	a.free(c)
}

// free drops the buffered data of both directions.
func (a *Assembler) free(c *conn) {
	for i := range c.h {
		h := &c.h[i]
		a.buffered -= h.buffered
		h.buffered = 0
		h.segs = nil
		if cap(h.recent) > 0 {
			a.buffered -= recentWindow
			if len(a.spare) < maxSpare && cap(h.recent) >= recentWindow {
				a.spare = append(a.spare, h.recent[:0])
			}
		}
		h.recent = nil
	}
}

// end delivers what is still buffered (holes become gaps), then calls End.
func (a *Assembler) end(c *conn, reason EndReason, ts time.Time) {
	for d := AtoB; d <= BtoA; d++ {
		for !c.done && len(c.h[d].segs) > 0 {
			a.skipHole(c, d)
		}
	}
	c.ended = true
	a.free(c)
	c.s.End(c.ending(reason, ts))
	// The entry lingers on the closed queue without the stream's state.
	c.s = nil
	a.unlink(c)
	c.last = ts.UnixNano()
	a.closed = append(a.closed, c)
}

// ending spells out what c's entry kept of the connection.
func (c *conn) ending(reason EndReason, ts time.Time) Ending {
	a, b := &c.h[AtoB], &c.h[BtoA]
	e := Ending{
		Reason:      reason,
		Time:        ts,
		Packets:     [2]uint64{uint64(a.packets), uint64(b.packets)},
		SYNs:        c.syns,
		Bytes:       [2]uint64{a.bytes, b.bytes},
		Established: c.synAck || c.up[AtoB] && c.up[BtoA],
		ResetBy:     c.resetBy,
		FIN:         [2]bool{a.fin, b.fin},
	}
	if c.syns[AtoB] > 0 {
		// In the location of the capture's times (UTC from Reader).
		e.FirstSYN = time.Unix(0, c.firstSYN).In(ts.Location())
		e.LastSYN = time.Unix(0, c.lastSYN).In(ts.Location())
	}
	if c.resetBy != NoDir {
		// The RST ended the connection (segment): now is when it came.
		e.ResetAt, e.ResetAfter = ts, e.Bytes
	}
	return e
}

func (a *Assembler) segment(c *conn, d Dir, p *packet, ts time.Time) {
	h, o := &c.h[d], &c.h[1-d]
	h.packets = incSat(h.packets)
	if p.isRST() {
		c.resetBy = d
		a.end(c, EndClosed, ts) // the entry stays to absorb late packets
		return
	}
	seq := p.seq
	if p.flags&flagSYN != 0 {
		c.syn(d, p.flags&flagACK != 0, ts)
		// A repeated SYN-ACK with a new ISN replaces the old one while no
		// data has been seen (servers answering retransmitted SYNs).
		if !h.started || (h.synSeen && h.isn != seq && h.next == h.isn+1 && len(h.segs) == 0) {
			h.started, h.synSeen, h.isn, h.next = true, true, seq, seq+1
			if h.bytes == 0 {
				h.sentEnd = seq + 1 // payload is counted from here
			}
		}
		seq++ // the SYN occupies one sequence number (RFC 9293, Section 3.4)
		if p.flags&flagACK != 0 && !o.started {
			o.started, o.next = true, p.ack
		}
	} else if p.flags&flagACK != 0 || len(p.payload) > 0 || p.missing > 0 {
		c.up[d] = true
	}
	if n := len(p.payload) + p.missing; n > 0 {
		h.sent(seq, n)
	}
	if p.flags&flagACK != 0 && o.started && seqGT(p.ack, o.next) && uint32(p.ack-o.next) < maxSeqAhead {
		if !o.ackValid || seqGT(p.ack, o.ackTo) {
			o.ackTo, o.ackValid = p.ack, true
		}
	}
	if !c.done && (len(p.payload) > 0 || p.missing > 0) {
		a.data(c, d, seq, p.payload, p.missing, ts)
	}
	if p.flags&flagFIN != 0 && !h.fin {
		h.fin, h.finSeq = true, seq.plus(len(p.payload)+p.missing)
		if !h.started {
			h.started, h.next = true, h.finSeq
		}
	}
	if !c.done && o.ackValid {
		a.advance(c, 1-d)
	}
	if !c.done && h.fin && h.ackValid {
		a.advance(c, d)
	}
	if h.fin && o.fin && (c.done || (h.next == h.finSeq && o.next == o.finSeq)) {
		a.end(c, EndClosed, ts)
	}
}

// syn counts a SYN segment of direction d captured at ts.
func (c *conn) syn(d Dir, ack bool, ts time.Time) {
	c.syns[d] = incSat(c.syns[d])
	switch {
	case d == AtoB:
		t := ts.UnixNano()
		if c.syns[AtoB] == 1 {
			c.firstSYN = t
		}
		c.lastSYN = t
	case ack:
		c.synAck = true
	}
}

// data handles payload at seq of direction d.
func (a *Assembler) data(c *conn, d Dir, seq seqNum, b []byte, missing int, ts time.Time) {
	h := &c.h[d]
	if !h.started {
		h.started, h.next = true, seq // SYN not captured: start here
	}
	end := seq.plus(len(b))
	if seqLT(seq, h.next) && len(h.recent) > 0 && h.disagrees(seq, b) {
		// First data wins: what was delivered stays; the rewrite is
		// reported, as evasion looks like this.
		a.anomaly(c, d, "overlap-conflict")
	}
	if !seqGT(end, h.next) {
		return // retransmission of delivered bytes (or only uncaptured bytes)
	}
	if seqLT(seq, h.next) {
		b = b[h.next-seq:]
		seq = h.next
	}
	if seq-h.next >= maxSeqAhead {
		a.anomaly(c, d, "out-of-window")
		return
	}
	if seq == h.next && len(h.segs) == 0 {
		// In-order fast path: deliver straight from the packet.
		a.remember(h, seq, b)
		h.next = end
		if !c.s.Data(d, b, ts) {
			a.stop(c)
			return
		}
		if missing > 0 {
			// The snap length cut the segment: its remainder is lost.
			a.gap(c, d, missing)
			h.next = h.next.plus(missing)
		}
		return
	}
	a.insert(c, d, seq, b, ts)
	a.advance(c, d)
	if h.buffered > a.cfg.MaxBuffered || a.buffered > a.cfg.MaxBufferedTotal {
		a.anomaly(c, d, "buffer-cap")
		for !c.done && len(h.segs) > 0 &&
			(h.buffered > a.cfg.MaxBuffered || a.buffered > a.cfg.MaxBufferedTotal) {
			a.skipHole(c, d)
		}
	}
}

// insert buffers b at seq (seq >= next) where no earlier data is buffered;
// where it overlaps buffered data the first data wins.
func (a *Assembler) insert(c *conn, d Dir, seq seqNum, b []byte, ts time.Time) {
	h := &c.h[d]
	off := func(s seqNum) uint32 { return uint32(s - h.next) }
	i, _ := slices.BinarySearchFunc(h.segs, off(seq), func(s seg, t uint32) int {
		if off(s.end()) <= t {
			return -1
		}
		return 1
	})
	conflict := false
	for len(b) > 0 {
		if i == len(h.segs) || off(h.segs[i].seq) >= off(seq)+uint32(len(b)) {
			a.store(h, i, seq, b, ts)
			break
		}
		if sseq := h.segs[i].seq; off(sseq) > off(seq) {
			n := off(sseq) - off(seq)
			a.store(h, i, seq, b[:n], ts)
			i++
			b, seq = b[n:], sseq
		}
		s := &h.segs[i]
		// seq is inside s: compare the overlap, keep s.
		o := uint32(seq - s.seq)
		n := min(uint32(len(s.data))-o, uint32(len(b)))
		if !bytes.Equal(s.data[o:o+n], b[:n]) {
			conflict = true
		}
		b, seq = b[n:], seq.plus(int(n))
		i++
	}
	if conflict {
		a.anomaly(c, d, "overlap-conflict")
	}
}

func (a *Assembler) store(h *half, i int, seq seqNum, b []byte, ts time.Time) {
	cp := append([]byte(nil), b...)
	h.segs = slices.Insert(h.segs, i, seg{seq: seq, data: cp, ts: ts})
	n := len(cp) + segOverhead
	h.buffered += n
	a.buffered += n
}

// advance delivers buffered data that has become contiguous and turns holes
// the peer has acknowledged past into gaps.
func (a *Assembler) advance(c *conn, d Dir) {
	h := &c.h[d]
	for !c.done {
		n := 0
		for n < len(h.segs) && !seqGT(h.segs[n].seq, h.next) && !c.done {
			s := &h.segs[n]
			if seqGT(s.end(), h.next) {
				b := s.data[h.next-s.seq:]
				a.remember(h, h.next, b)
				h.next = s.end()
				if !c.s.Data(d, b, s.ts) {
					a.stop(c)
					return
				}
			}
			n++
		}
		if n > 0 {
			for _, s := range h.segs[:n] {
				h.buffered -= len(s.data) + segOverhead
				a.buffered -= len(s.data) + segOverhead
			}
			h.segs = slices.Delete(h.segs, 0, n)
		}
		// A hole the peer acknowledged past will never be filled: the
		// capture missed it.
		var holeEnd seqNum
		switch {
		case len(h.segs) > 0:
			holeEnd = h.segs[0].seq
		case h.fin && seqGT(h.finSeq, h.next):
			holeEnd = h.finSeq
		default:
			h.ackValid = h.ackValid && seqGT(h.ackTo, h.next)
			return
		}
		if !h.ackValid || !seqGT(h.ackTo, h.next) {
			h.ackValid = false
			return
		}
		if seqLT(h.ackTo, holeEnd) {
			holeEnd = h.ackTo
		}
		a.gap(c, d, int(holeEnd-h.next))
		h.next = holeEnd
	}
}

// skipHole gives up on the hole before the first buffered piece.
func (a *Assembler) skipHole(c *conn, d Dir) {
	h := &c.h[d]
	if len(h.segs) == 0 {
		return
	}
	if n := h.segs[0].seq - h.next; seqGT(h.segs[0].seq, h.next) {
		a.gap(c, d, int(n))
		h.next = h.segs[0].seq
	}
	valid, to := h.ackValid, h.ackTo
	h.ackValid = false // deliver only the contiguous run
	a.advance(c, d)
	h.ackValid, h.ackTo = valid && seqGT(to, h.next), to
}

// stop is called when Data returned false.
func (a *Assembler) stop(c *conn) {
	c.done = true
	a.free(c)
}

func (a *Assembler) gap(c *conn, d Dir, n int) {
	a.stats.Gaps++
	c.s.Gap(d, n)
}

func (a *Assembler) anomaly(c *conn, d Dir, what string) {
	a.stats.Anomalies++
	c.s.Anomaly(d, what)
}

// connSlab is how many connections are allocated at once: one allocation
// instead of 64 makes a new connection cheaper for the allocator and the
// collector, and costs at most 63 unused entries.
const connSlab = 64
