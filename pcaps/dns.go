package pcaps

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS caps.
const (
	// DefaultMaxDNS is the DNSTable size when none is configured.
	DefaultMaxDNS = 100_000
	// maxNamesPerPair caps the names kept for one (client, server) pair.
	maxNamesPerPair = 256
	// maxDNSRecords caps the answer records looked at in one response.
	maxDNSRecords = 256
)

type dnsKey struct{ client, server netip.Addr }

type dnsName struct {
	name string
	t    time.Time
}

// DNSTable remembers which names DNS responses mapped to which addresses,
// per client. It is bounded: beyond its size the oldest entries go.
type DNSTable struct {
	max   int
	m     map[dnsKey][]dnsName
	order []dnsKey // insertion order, oldest at order[head]
	head  int
}

// NewDNSTable returns a table holding at most max (client, server, name)
// entries; max <= 0 means DefaultMaxDNS.
func NewDNSTable(max int) *DNSTable {
	if max <= 0 {
		max = DefaultMaxDNS
	}
	return &DNSTable{max: max, m: make(map[dnsKey][]dnsName)}
}

// Len returns the number of (client, server, name) entries.
func (t *DNSTable) Len() int { return len(t.order) - t.head }

// Add records that a response sent to client at ts mapped name to server.
// A name already known for the pair keeps its first time.
func (t *DNSTable) Add(client, server netip.Addr, name string, ts time.Time) {
	if t.m == nil {
		*t = *NewDNSTable(t.max)
	}
	k := dnsKey{client.Unmap(), server.Unmap()}
	names := t.m[k]
	for _, n := range names {
		if n.name == name {
			return
		}
	}
	if len(names) >= maxNamesPerPair {
		return
	}
	t.m[k] = append(names, dnsName{name, ts})
	t.order = append(t.order, k)
	for t.Len() > t.max {
		old := t.order[t.head]
		t.head++
		if l := t.m[old]; len(l) > 1 {
			t.m[old] = l[1:] // a pair's names are in insertion order
		} else {
			delete(t.m, old)
		}
	}
	if t.head > len(t.order)/2 && t.head > 1024 {
		t.order = append(t.order[:0:0], t.order[t.head:]...)
		t.head = 0
	}
}

// Names returns the query names whose answers (A/AAAA, following CNAME chains
// from the question name) mapped a name to server in a response sent to
// client at or before before; each name once, in order of first answer.
func (t *DNSTable) Names(client, server netip.Addr, before time.Time) []string {
	var out []string
	for _, n := range t.m[dnsKey{client.Unmap(), server.Unmap()}] {
		if !n.t.After(before) {
			out = append(out, n.name)
		}
	}
	return out
}

// normName lower-cases a DNS name and drops the root dot.
func normName(n dnsmessage.Name) string {
	return strings.ToLower(strings.TrimSuffix(n.String(), "."))
}

// dnsMsg is what is read of one DNS message (RFC 1035, Section 4.1).
type dnsMsg struct {
	id        uint16
	response  bool
	opQuery   bool // opcode QUERY: a standard query or its response
	truncated bool // TC
	rcode     uint8
	// hasQuestion: name and qtype hold the first question.
	hasQuestion bool
	name        string // normName of the question name
	qtype       uint16
	// addrs are the A/AAAA answers on the CNAME chain from the question
	// name (RFC 1034, Section 3.6.2), in answer order. parseDNS appends
	// them to what addrs holds on the call (a reused buffer).
	addrs []netip.Addr
	// partial: an answer header could not be read; addrs holds what came
	// before it.
	partial bool
	// broken: the questions or an answer's data could not be read.
	broken bool
}

// malformed reports whether m could not be read to the end of its answers.
func (m *dnsMsg) malformed() bool { return m.partial || m.broken }

// parseDNS reads msg's header, first question and, for a response, its
// answers. It reports false when not even the header could be read. It
// never panics, whatever msg holds: dnsmessage checks every length.
func parseDNS(msg []byte, m *dnsMsg) bool {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return false
	}
	*m = dnsMsg{id: h.ID, response: h.Response, opQuery: h.OpCode == 0, truncated: h.Truncated, rcode: uint8(h.RCode & 0xf), addrs: m.addrs[:0]}
	q, err := p.Question()
	if err != nil {
		m.broken = err != dnsmessage.ErrSectionDone // none is not broken
		return true
	}
	m.hasQuestion, m.name, m.qtype = true, normName(q.Name), uint16(q.Type)
	if !h.Response {
		return true
	}
	if err := p.SkipAllQuestions(); err != nil {
		m.broken = true
		return true
	}
	type cname struct{ owner, target string }
	type addr struct {
		owner string
		a     netip.Addr
	}
	var cnames []cname
	var addrs []addr
	for range maxDNSRecords {
		ah, err := p.AnswerHeader()
		if err != nil {
			m.partial = err != dnsmessage.ErrSectionDone
			break
		}
		switch ah.Type {
		case dnsmessage.TypeA:
			r, err := p.AResource()
			if err != nil {
				m.broken = true
				break
			}
			addrs = append(addrs, addr{normName(ah.Name), netip.AddrFrom4(r.A)})
		case dnsmessage.TypeAAAA:
			r, err := p.AAAAResource()
			if err != nil {
				m.broken = true
				break
			}
			addrs = append(addrs, addr{normName(ah.Name), netip.AddrFrom16(r.AAAA)})
		case dnsmessage.TypeCNAME:
			r, err := p.CNAMEResource()
			if err != nil {
				m.broken = true
				break
			}
			cnames = append(cnames, cname{normName(ah.Name), normName(r.CNAME)})
		default:
			if err := p.SkipAnswer(); err != nil {
				m.broken = true
			}
		}
		if m.broken {
			break // the records after it cannot be found
		}
	}
	// Follow the CNAME chain from the question name (RFC 1034, Section
	// 3.6.2); the loop bound stops cycles.
	chain := []string{m.name}
	for range cnames {
		cur, next := chain[len(chain)-1], ""
		for _, c := range cnames {
			if c.owner == cur {
				next = c.target
				break
			}
		}
		if next == "" {
			break
		}
		chain = append(chain, next)
	}
	for _, a := range addrs {
		if slices.Contains(chain, a.owner) {
			m.addrs = append(m.addrs, a.a)
		}
	}
	return true
}

// addResponse records the addresses of response m sent to client at ts.
// It reports whether m was a response the table takes: one with a
// question whose questions and answer data could all be read (an
// unreadable answer header ends the answers, keeping those before it).
func (t *DNSTable) addResponse(m *dnsMsg, client netip.Addr, ts time.Time) bool {
	if !m.response || !m.hasQuestion || m.broken {
		return false
	}
	for _, a := range m.addrs {
		t.Add(client, a, m.name, ts)
	}
	return true
}
