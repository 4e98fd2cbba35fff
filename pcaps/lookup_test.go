package pcaps

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/net/dns/dnsmessage"
)

var (
	dnsClient   = netip.MustParseAddrPort("192.168.1.10:40000")
	dnsResolver = netip.MustParseAddrPort("192.168.1.1:53")
	dnsOther    = netip.MustParseAddrPort("8.8.8.8:53")
)

// dnsmsg describes one DNS message for tests.
type dnsmsg struct {
	id       uint16
	opcode   dnsmessage.OpCode
	response bool
	name     string // "" for no question section
	typ      dnsmessage.Type
	rcode    dnsmessage.RCode
	tc       bool
	answers  []dnsmessage.Resource
	auth     []dnsmessage.Resource
}

func (d dnsmsg) pack(t testing.TB) []byte {
	t.Helper()
	m := dnsmessage.Message{
		Header:      dnsmessage.Header{ID: d.id, OpCode: d.opcode, Response: d.response, RCode: d.rcode, Truncated: d.tc, RecursionDesired: true},
		Answers:     d.answers,
		Authorities: d.auth,
	}
	if d.name != "" {
		m.Questions = []dnsmessage.Question{{Name: dnsmessage.MustNewName(d.name), Type: d.typ, Class: dnsmessage.ClassINET}}
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func query(id uint16, name string, typ dnsmessage.Type) dnsmsg {
	return dnsmsg{id: id, name: name, typ: typ}
}

func answer(id uint16, name string, typ dnsmessage.Type, rcode dnsmessage.RCode, rrs ...dnsmessage.Resource) dnsmsg {
	return dnsmsg{id: id, response: true, name: name, typ: typ, rcode: rcode, answers: rrs}
}

// udp is one DNS datagram sent at ms milliseconds after t0.
type udp struct {
	from, to netip.AddrPort
	ms       int
	payload  []byte
}

func ask(ms int, m dnsmsg, t testing.TB) udp { return udp{dnsClient, dnsResolver, ms, m.pack(t)} }
func reply(ms int, m dnsmsg, t testing.TB) udp {
	return udp{dnsResolver, dnsClient, ms, m.pack(t)}
}

func a4(s string) dnsmessage.ResourceBody {
	return &dnsmessage.AResource{A: netip.MustParseAddr(s).As4()}
}

func cname(s string) dnsmessage.ResourceBody {
	return &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(s)}
}

var soa = rr("example.com.", &dnsmessage.SOAResource{NS: dnsmessage.MustNewName("ns.example.com."),
	MBox: dnsmessage.MustNewName("admin.example.com."), Serial: 1, Refresh: 60, Retry: 60, Expire: 60, MinTTL: 60})

// lookupsOf runs datagrams through an Assembler with Config.DNSLookups and
// returns the lookups in the order handed on.
func lookupsOf(t *testing.T, pkts []udp) []DNSLookup {
	t.Helper()
	var got []DNSLookup
	a := NewAssembler((&recorders{}).factory, Config{DNSLookups: func(l DNSLookup) { got = append(got, l) }})
	for _, u := range pkts {
		b := udpPacket(t, u.from, u.to, u.payload)
		a.Packet(b, ci(u.ms, b), LinkRaw)
	}
	a.Close()
	return got
}

var cmpAddrs = cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{})

func TestDNSLookups(t *testing.T) {
	const (
		tA    = dnsmessage.TypeA
		tAAAA = dnsmessage.TypeAAAA
	)
	base := DNSLookup{Client: dnsClient, Server: dnsResolver, ID: 7, Name: "tools.cisco.com", Type: 1, Queries: 1, First: ms(0)}
	with := func(f func(l *DNSLookup)) DNSLookup {
		l := base
		f(&l)
		return l
	}
	answered := func(rcode uint8, addrs ...string) func(*DNSLookup) {
		return func(l *DNSLookup) {
			l.Answered, l.AnswerAt, l.RCode = true, ms(20), rcode
			for _, s := range addrs {
				l.Addrs = append(l.Addrs, netip.MustParseAddr(s))
			}
		}
	}
	// malformed: the last answer's address cut in half.
	malformed := answer(7, "tools.cisco.com.", tA, 0,
		rr("tools.cisco.com.", a4("72.163.4.38")), rr("tools.cisco.com.", a4("173.37.145.8"))).pack(t)
	malformed = malformed[:len(malformed)-2]

	tests := []struct {
		name string
		pkts []udp
		want []DNSLookup
	}{
		{"answered A, through a CNAME", []udp{
			ask(0, query(7, "Tools.Cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, 0,
				rr("tools.cisco.com.", cname("tools.cisco.com.akadns.net.")),
				rr("tools.cisco.com.akadns.net.", a4("72.163.4.38")),
				rr("unrelated.org.", a4("198.51.100.1"))), t),
		}, []DNSLookup{with(answered(0, "72.163.4.38"))}},
		{"answered AAAA", []udp{
			ask(0, query(7, "tools.cisco.com.", tAAAA), t),
			reply(20, answer(7, "tools.cisco.com.", tAAAA, 0,
				rr("tools.cisco.com.", &dnsmessage.AAAAResource{AAAA: netip.MustParseAddr("2001:db8::7").As16()})), t),
		}, []DNSLookup{with(func(l *DNSLookup) { answered(0, "2001:db8::7")(l); l.Type = 28 })}},
		{"NXDOMAIN", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, dnsmsg{id: 7, response: true, name: "tools.cisco.com.", typ: tA, rcode: dnsmessage.RCodeNameError, auth: []dnsmessage.Resource{soa}}, t),
		}, []DNSLookup{with(answered(3))}},
		{"SERVFAIL", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, dnsmessage.RCodeServerFailure), t),
		}, []DNSLookup{with(answered(2))}},
		{"REFUSED", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, dnsmessage.RCodeRefused), t),
		}, []DNSLookup{with(answered(5))}},
		// Some servers leave the question out of an error: the ID names
		// the query.
		{"REFUSED without a question section", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, dnsmsg{id: 7, response: true, rcode: dnsmessage.RCodeRefused}, t),
		}, []DNSLookup{with(answered(5))}},
		{"NOERROR, only a CNAME", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, 0, rr("tools.cisco.com.", cname("gone.example.net."))), t),
		}, []DNSLookup{with(answered(0))}},
		{"NOERROR, only an SOA (no data)", []udp{
			ask(0, query(7, "tools.cisco.com.", tAAAA), t),
			reply(20, dnsmsg{id: 7, response: true, name: "tools.cisco.com.", typ: tAAAA, auth: []dnsmessage.Resource{soa}}, t),
		}, []DNSLookup{with(func(l *DNSLookup) { answered(0)(l); l.Type = 28 })}},
		{"truncated: TC", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, dnsmsg{id: 7, response: true, name: "tools.cisco.com.", typ: tA, tc: true}, t),
		}, []DNSLookup{with(func(l *DNSLookup) { answered(0)(l); l.Truncated = true })}},
		{"repeated 3 times, never answered", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			ask(1000, query(7, "tools.cisco.com.", tA), t),
			ask(3000, query(7, "tools.cisco.com.", tA), t),
		}, []DNSLookup{with(func(l *DNSLookup) { l.Queries = 3 })}},
		{"retransmitted, then answered", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			ask(10, query(7, "tools.cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, 0, rr("tools.cisco.com.", a4("72.163.4.38"))), t),
		}, []DNSLookup{with(func(l *DNSLookup) { answered(0, "72.163.4.38")(l); l.Queries = 2 })}},
		{"response without query", []udp{
			reply(20, answer(7, "tools.cisco.com.", tA, 0, rr("tools.cisco.com.", a4("72.163.4.38"))), t),
		}, []DNSLookup{with(func(l *DNSLookup) { answered(0, "72.163.4.38")(l); l.Queries, l.First = 0, ms(20) })}},
		// A second copy of a response (the capture holds it twice, or the
		// server answered a retransmission too) is the same lookup.
		{"duplicate response absorbed", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, 0, rr("tools.cisco.com.", a4("72.163.4.38"))), t),
			reply(21, answer(7, "tools.cisco.com.", tA, 0, rr("tools.cisco.com.", a4("72.163.4.38"))), t),
		}, []DNSLookup{with(answered(0, "72.163.4.38"))}},
		{"response long after: a new one", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, 0), t),
			reply(9000, answer(7, "tools.cisco.com.", tA, 0), t),
		}, []DNSLookup{with(answered(0)), with(func(l *DNSLookup) {
			answered(0)(l)
			l.Queries, l.First, l.AnswerAt = 0, ms(9000), ms(9000)
		})}},
		{"asked again after the answer: a new one", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			reply(20, answer(7, "tools.cisco.com.", tA, 0), t),
			ask(30, query(7, "tools.cisco.com.", tA), t),
		}, []DNSLookup{with(answered(0)), with(func(l *DNSLookup) { l.First = ms(30) })}},
		// Matching is by client, server, ID, name and type.
		{"interleaved lookups", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			ask(1, query(8, "tools.cisco.com.", tAAAA), t),
			ask(2, query(9, "example.com.", tA), t),
			reply(20, answer(8, "tools.cisco.com.", tAAAA, dnsmessage.RCodeSuccess), t),
			reply(21, answer(7, "tools.cisco.com.", tAAAA, 0), t), // wrong type for ID 7
			reply(22, answer(9, "example.com.", tA, dnsmessage.RCodeNameError), t),
		}, []DNSLookup{
			with(func(l *DNSLookup) { answered(0)(l); l.ID, l.Type, l.First = 8, 28, ms(1) }),
			with(func(l *DNSLookup) { answered(0)(l); l.Type, l.Queries, l.First, l.AnswerAt = 28, 0, ms(21), ms(21) }),
			with(func(l *DNSLookup) {
				answered(3)(l)
				l.ID, l.Name, l.First, l.AnswerAt = 9, "example.com", ms(2), ms(22)
			}),
			base, // handed on unanswered at Close
		}},
		{"response from another server", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			{dnsOther, dnsClient, 20, answer(7, "tools.cisco.com.", tA, 0).pack(t)},
		}, []DNSLookup{
			with(func(l *DNSLookup) { answered(0)(l); l.Server, l.Queries, l.First = dnsOther, 0, ms(20) }),
			base,
		}},
		// What can be read is handed on: the header, the question and the
		// answers before the fault.
		{"malformed response", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			{dnsResolver, dnsClient, 20, malformed},
		}, []DNSLookup{with(func(l *DNSLookup) { answered(0, "72.163.4.38")(l); l.Malformed = true })}},
		// Not even a header: nothing to match, skipped.
		{"response shorter than a header", []udp{
			ask(0, query(7, "tools.cisco.com.", tA), t),
			{dnsResolver, dnsClient, 20, []byte{0, 7, 0x81, 0x80, 0, 1}},
		}, []DNSLookup{base}},
		{"response without a question, no query pending", []udp{
			reply(20, dnsmsg{id: 7, response: true, rcode: dnsmessage.RCodeFormatError}, t),
		}, nil},
		{"queries that are not lookups", []udp{
			{dnsClient, dnsResolver, 0, dnsmsg{id: 5, opcode: 4, name: "example.com.", typ: dnsmessage.TypeSOA}.pack(t)}, // NOTIFY (RFC 1996)
			{dnsClient, dnsResolver, 0, dnsmsg{id: 7}.pack(t)},                                                           // no question
			{dnsResolver, dnsClient, 1, query(7, "x.example.", tA).pack(t)},                                              // a query from port 53 to the client's port
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lookupsOf(t, tt.pkts)
			if diff := cmp.Diff(tt.want, got, cmpAddrs); diff != "" {
				t.Errorf("lookups (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDNSLookupsIdle: a query unanswered for the idle timeout of capture
// time is handed on then, not at Close.
func TestDNSLookupsIdle(t *testing.T) {
	var got []DNSLookup
	a := NewAssembler((&recorders{}).factory, Config{IdleTimeout: time.Minute, DNSLookups: func(l DNSLookup) { got = append(got, l) }})
	send := func(u udp) {
		b := udpPacket(t, u.from, u.to, u.payload)
		a.Packet(b, ci(u.ms, b), LinkRaw)
	}
	send(ask(0, query(7, "tools.cisco.com.", dnsmessage.TypeA), t))
	send(ask(30_000, query(8, "example.com.", dnsmessage.TypeA), t))
	send(ask(61_000, query(9, "example.org.", dnsmessage.TypeA), t))
	if len(got) != 1 || got[0].ID != 7 || got[0].Answered {
		t.Fatalf("after a minute: %+v, want lookup 7 unanswered", got)
	}
	// A late answer to it is a response without a query.
	send(reply(62_000, answer(7, "tools.cisco.com.", dnsmessage.TypeA, 0), t))
	a.Close()
	var ids []uint16
	var queries []int
	for _, l := range got {
		ids, queries = append(ids, l.ID), append(queries, l.Queries)
	}
	if diff := cmp.Diff([]uint16{7, 7, 8, 9}, ids); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 0, 1, 1}, queries); diff != "" {
		t.Errorf("Queries (-want +got):\n%s", diff)
	}
}

// TestDNSLookupsPendingCap: past MaxDNSPending unanswered lookups the
// oldest is handed on at once.
func TestDNSLookupsPendingCap(t *testing.T) {
	var got []DNSLookup
	a := NewAssembler((&recorders{}).factory, Config{DNSLookups: func(l DNSLookup) { got = append(got, l) }})
	for i := range MaxDNSPending + 2 {
		b := udpPacket(t, dnsClient, dnsResolver, query(uint16(i), "example.com.", dnsmessage.TypeA).pack(t))
		a.Packet(b, ci(0, b), LinkRaw)
	}
	if len(got) != 2 || got[0].ID != 0 || got[1].ID != 1 {
		t.Fatalf("handed on %d lookups before Close, want IDs 0 and 1", len(got))
	}
	if n := a.lookups.pending.n; n != MaxDNSPending {
		t.Errorf("%d pending, want %d", n, MaxDNSPending)
	}
	a.Close()
	if len(got) != MaxDNSPending+2 {
		t.Errorf("%d lookups after Close, want %d", len(got), MaxDNSPending+2)
	}
	if len(a.lookups.m) != 0 || a.lookups.pending.n != 0 {
		t.Errorf("after Close: %d entries, %d pending", len(a.lookups.m), a.lookups.pending.n)
	}
	if st := a.Stats(); st.DNSQueries != MaxDNSPending+2 {
		t.Errorf("DNSQueries %d", st.DNSQueries)
	}
}

// TestDNSLookupsNil: without Config.DNSLookups queries are not parsed and
// nothing is kept; the DNSTable works as before.
func TestDNSLookupsNil(t *testing.T) {
	a := NewAssembler((&recorders{}).factory, Config{})
	for i, u := range []udp{
		ask(0, query(7, "tools.cisco.com.", dnsmessage.TypeA), t),
		reply(20, answer(7, "tools.cisco.com.", dnsmessage.TypeA, 0, rr("tools.cisco.com.", a4("72.163.4.38"))), t),
	} {
		b := udpPacket(t, u.from, u.to, u.payload)
		a.Packet(b, ci(i, b), LinkRaw)
	}
	a.Close()
	if a.lookups != nil {
		t.Error("a lookup log without Config.DNSLookups")
	}
	if st := a.Stats(); st.DNSQueries != 0 || st.DNSResponses != 1 {
		t.Errorf("DNSQueries %d DNSResponses %d, want 0 and 1", st.DNSQueries, st.DNSResponses)
	}
	if got := a.DNS.Names(dnsClient.Addr(), netip.MustParseAddr("72.163.4.38"), t0.Add(time.Hour)); len(got) != 1 {
		t.Errorf("DNSTable names %v", got)
	}
}

// TestDNSTableMalformed: the table keeps the rule it always had: a
// response whose answer data cannot be read adds nothing.
func TestDNSTableMalformed(t *testing.T) {
	good := answer(7, "tools.cisco.com.", dnsmessage.TypeA, 0, rr("tools.cisco.com.", a4("72.163.4.38")), rr("tools.cisco.com.", a4("173.37.145.8"))).pack(t)
	a := NewAssembler((&recorders{}).factory, Config{})
	b := udpPacket(t, dnsResolver, dnsClient, good[:len(good)-2])
	a.Packet(b, ci(0, b), LinkRaw)
	a.Close()
	if a.DNS.Len() != 0 || a.Stats().DNSResponses != 0 {
		t.Errorf("malformed response: %d entries, %d responses", a.DNS.Len(), a.Stats().DNSResponses)
	}
}
