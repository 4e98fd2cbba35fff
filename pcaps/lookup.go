package pcaps

import (
	"net/netip"
	"slices"
	"time"
)

// DNS lookup log caps.
const (
	// MaxDNSPending caps the unanswered lookups held for
	// Config.DNSLookups; past it the oldest is handed on unanswered.
	MaxDNSPending = 10_000
	// dnsPort is where DNS servers listen (RFC 1035, Section 4.2.1).
	dnsPort = 53
	// dnsLinger is how long an answered lookup stays to absorb a second
	// copy of its response (a capture holding each packet twice, a
	// server answering a retransmitted query too) rather than hand it on
	// as a response without a query.
	dnsLinger = closedLinger
	// maxIDScan is how many of the latest unanswered lookups a response
	// without a question is matched against by ID alone.
	maxIDScan = 64
)

// DNSLookup is one DNS question from a client to a server: its queries
// (retransmissions included) and the response, if one was captured.
type DNSLookup struct {
	// Client sent the queries; Server is where they went (port 53), the
	// response's source.
	Client, Server netip.AddrPort
	ID             uint16
	// Name is the question name, as in the query (lower case, no
	// trailing dot).
	Name string
	// Type is the question type (1 A, 28 AAAA, …).
	Type uint16
	// Queries counts the queries seen (0 when only the response was
	// captured).
	Queries int
	// First is when the first query was captured (or the response, when
	// no query was).
	First time.Time
	// Answered: a response was captured; AnswerAt is when.
	Answered bool
	AnswerAt time.Time
	// RCode is the response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN,
	// 5 REFUSED; RFC 1035, Section 4.1.1), meaningful when Answered. Only
	// the header's 4 bits: an EDNS extended code is not read.
	RCode uint8
	// Addrs are the A/AAAA answers on the CNAME chain from Name, as the
	// DNSTable takes them. The slice is the receiver's.
	Addrs []netip.Addr
	// Truncated is the response's TC bit: the answer did not fit and the
	// client should ask again over TCP, which the Assembler does not read.
	Truncated bool
	// Malformed: the response could not be read to the end of its
	// answers; Addrs holds those read before the fault.
	Malformed bool
}

// lookupKey matches a response to its query as a resolver does (RFC
// 1035, Section 7.3; RFC 5452, Section 3), the class aside.
type lookupKey struct {
	client, server netip.AddrPort
	id, qtype      uint16
	name           string
}

// lookupEntry is a lookup held by the log, on one of its two lists.
type lookupEntry struct {
	DNSLookup
	prev, next *lookupEntry
}

func (e *lookupEntry) key() lookupKey {
	return lookupKey{e.Client, e.Server, e.ID, e.Type, e.Name}
}

// lookupList is a list of entries in the order they were pushed.
type lookupList struct {
	head, tail *lookupEntry
	n          int
}

func (l *lookupList) push(e *lookupEntry) {
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
	l.n++
}

func (l *lookupList) remove(e *lookupEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
	l.n--
}

// lookupLog pairs DNS queries with their responses for Config.DNSLookups.
// Every entry is in m (unless a newer lookup of the same key replaced it
// there) and on one list: pending while unanswered, answered while it
// lingers.
type lookupLog struct {
	emit     func(DNSLookup)
	idle     time.Duration
	m        map[lookupKey]*lookupEntry
	pending  lookupList // unanswered, by first query
	answered lookupList // by answer time
}

func newLookupLog(emit func(DNSLookup), idle time.Duration) *lookupLog {
	return &lookupLog{emit: emit, idle: idle, m: make(map[lookupKey]*lookupEntry)}
}

// packet takes the DNS message of a UDP datagram from src to dst.
func (l *lookupLog) packet(m *dnsMsg, src, dst netip.AddrPort, ts time.Time) {
	if !m.opQuery {
		return // NOTIFY, UPDATE, …: not lookups
	}
	switch {
	case !m.response && dst.Port() == dnsPort && m.hasQuestion:
		l.query(lookupKey{src, dst, m.id, m.qtype, m.name}, ts)
	case m.response && src.Port() == dnsPort:
		l.response(m, dst, src, ts)
	}
}

func (l *lookupLog) query(k lookupKey, ts time.Time) {
	if e := l.m[k]; e != nil && !e.Answered {
		e.Queries++ // a retransmission
		return
	}
	// New, or asked again after the answer: a new lookup.
	e := &lookupEntry{DNSLookup: DNSLookup{Client: k.client, Server: k.server, ID: k.id, Name: k.name, Type: k.qtype, Queries: 1, First: ts}}
	l.m[k] = e
	l.pending.push(e)
	if l.pending.n > MaxDNSPending {
		l.giveUp(l.pending.head)
	}
}

func (l *lookupLog) response(m *dnsMsg, client, server netip.AddrPort, ts time.Time) {
	var e *lookupEntry
	if m.hasQuestion {
		e = l.m[lookupKey{client, server, m.id, m.qtype, m.name}]
	} else {
		// Some servers leave the question out of an error response
		// (FORMERR, REFUSED): the ID alone names the query, looked for
		// among the latest (a flood of such responses must not cost a
		// walk of all pending lookups each).
		n := 0
		for p := l.pending.tail; p != nil && n < maxIDScan; p, n = p.prev, n+1 {
			if p.Client == client && p.Server == server && p.ID == m.id {
				e = p
				break
			}
		}
		if e == nil {
			return // nothing says what it answers
		}
	}
	switch {
	case e != nil && e.Answered && ts.Sub(e.AnswerAt) < dnsLinger:
		return // a second copy of the response
	case e != nil && !e.Answered:
		l.pending.remove(e)
	default:
		e = &lookupEntry{DNSLookup: DNSLookup{Client: client, Server: server, ID: m.id, Name: m.name, Type: m.qtype, First: ts}}
		l.m[e.key()] = e
	}
	e.Answered, e.AnswerAt = true, ts
	e.RCode, e.Truncated, e.Malformed = m.rcode, m.truncated, m.malformed()
	if len(m.addrs) > 0 {
		e.Addrs = slices.Clone(m.addrs) // m.addrs is the Assembler's buffer
	}
	l.emit(e.DNSLookup)
	e.Addrs = nil // the receiver's now; the entry only absorbs copies
	l.answered.push(e)
	if l.answered.n > MaxDNSPending {
		l.forget(l.answered.head)
	}
}

// giveUp hands on the unanswered lookup e and forgets it.
func (l *lookupLog) giveUp(e *lookupEntry) {
	l.pending.remove(e)
	if k := e.key(); l.m[k] == e {
		delete(l.m, k)
	}
	l.emit(e.DNSLookup)
}

// forget drops the answered lookup e.
func (l *lookupLog) forget(e *lookupEntry) {
	l.answered.remove(e)
	if k := e.key(); l.m[k] == e {
		delete(l.m, k)
	}
}

// flush hands on the lookups unanswered for the idle timeout at capture
// time now, and drops the answered ones done lingering.
func (l *lookupLog) flush(now time.Time) {
	for e := l.pending.head; e != nil && now.Sub(e.First) >= l.idle; e = l.pending.head {
		l.giveUp(e)
	}
	for e := l.answered.head; e != nil && now.Sub(e.AnswerAt) >= dnsLinger; e = l.answered.head {
		l.forget(e)
	}
}

// close hands on every unanswered lookup, oldest first, and forgets all.
func (l *lookupLog) close() {
	for l.pending.head != nil {
		l.giveUp(l.pending.head)
	}
	clear(l.m)
	l.answered = lookupList{}
}
