package pcaps

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/net/dns/dnsmessage"
)

func dnsResponse(t *testing.T, q string, answers ...dnsmessage.Resource) []byte {
	t.Helper()
	m := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: 1, Response: true},
		Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(q), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}},
		Answers:   answers,
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rr(name string, body dnsmessage.ResourceBody) dnsmessage.Resource {
	return dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 60}, Body: body}
}

func udpPacket(t testing.TB, src, dst netip.AddrPort, payload []byte) []byte {
	ipl, nl, _ := ipLayer(src.Addr(), dst.Addr(), layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	u.SetNetworkLayerForChecksum(nl)
	return serialize(t, ipl, u, gopacket.Payload(payload))
}

func TestDNSCNAMEChain(t *testing.T) {
	client := netip.MustParseAddrPort("192.168.1.10:5353")
	resolver := netip.MustParseAddrPort("192.168.1.1:53")
	msg := dnsResponse(t, "WWW.Example.com.",
		rr("www.example.com.", &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName("edge.cdn.net.")}),
		rr("edge.cdn.net.", &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName("e1.cdn.net.")}),
		rr("e1.cdn.net.", &dnsmessage.AResource{A: [4]byte{203, 0, 113, 7}}),
		rr("e1.cdn.net.", &dnsmessage.AAAAResource{AAAA: netip.MustParseAddr("2001:db8::7").As16()}),
		rr("unrelated.org.", &dnsmessage.AResource{A: [4]byte{198, 51, 100, 1}}), // not on the chain
	)
	msg2 := dnsResponse(t, "api.example.com.", rr("api.example.com.", &dnsmessage.AResource{A: [4]byte{203, 0, 113, 7}}))
	query := dnsResponse(t, "evil.com.", rr("evil.com.", &dnsmessage.AResource{A: [4]byte{203, 0, 113, 7}}))
	query[2] &^= 0x80 // QR=0: a query, ignored

	a := NewAssembler((&recorders{}).factory, Config{})
	for i, b := range [][]byte{msg, msg2, msg, query} {
		p := udpPacket(t, resolver, client, b)
		a.Packet(p, ci(i*1000, p), LinkRaw)
	}
	a.Close()
	c, srv := client.Addr(), netip.MustParseAddr("203.0.113.7")
	tests := []struct {
		name           string
		client, server netip.Addr
		before         time.Time
		want           []string
	}{
		{"both names, first-answer order", c, srv, t0.Add(time.Hour), []string{"www.example.com", "api.example.com"}},
		{"before the second answer", c, srv, t0.Add(500 * time.Millisecond), []string{"www.example.com"}},
		{"before any answer", c, srv, t0.Add(-time.Second), nil},
		{"AAAA", c, netip.MustParseAddr("2001:db8::7"), t0.Add(time.Hour), []string{"www.example.com"}},
		{"address off the chain", c, netip.MustParseAddr("198.51.100.1"), t0.Add(time.Hour), nil},
		{"other client", netip.MustParseAddr("192.168.1.11"), srv, t0.Add(time.Hour), nil},
		{"IPv4-mapped address", c, netip.MustParseAddr("::ffff:203.0.113.7"), t0.Add(time.Hour), []string{"www.example.com", "api.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, a.DNS.Names(tt.client, tt.server, tt.before)); diff != "" {
				t.Errorf("Names (-want +got):\n%s", diff)
			}
		})
	}
	if st := a.Stats(); st.DNSResponses != 3 || st.UDP != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestDNSTableBounded(t *testing.T) {
	tab := NewDNSTable(3)
	c := netip.MustParseAddr("10.0.0.1")
	for i := range 5 {
		tab.Add(c, netip.AddrFrom4([4]byte{1, 1, 1, byte(i % 2)}), "n"+itoa(i), t0)
	}
	if tab.Len() != 3 {
		t.Errorf("Len = %d, want 3", tab.Len())
	}
	if diff := cmp.Diff([]string{"n2", "n4"}, tab.Names(c, netip.AddrFrom4([4]byte{1, 1, 1, 0}), t0)); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	var zero DNSTable // zero value usable
	zero.Add(c, c, "self", t0)
	if got := zero.Names(c, c, t0); len(got) != 1 {
		t.Errorf("zero table: %v", got)
	}
}
