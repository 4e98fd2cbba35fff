package synth

import (
	"errors"
	"net/netip"

	"github.com/google/gopacket/layers"
)

// DNS is one DNS lookup: a query from Client to Resolver and the answer.
type DNS struct {
	Client, Resolver netip.Addr
	ClientPort       uint16 // 0 means 53000
	ID               uint16
	// Name is the question name. CNAMEs, if any, is the alias chain:
	// Name → CNAMEs[0] → CNAMEs[1] …; the last name holds Addrs.
	Name   string
	CNAMEs []string
	// Addrs are the answer addresses, all IPv4 (an A query) or all IPv6
	// (an AAAA query).
	Addrs []netip.Addr
	TTL   uint32
	VLANs []uint16
}

// WriteDNS writes the query and, one step later, the response.
func (w *Writer) WriteDNS(d DNS) error {
	if len(d.Addrs) == 0 || d.Name == "" {
		return errors.New("synth: DNS without name or addresses")
	}
	qtype := layers.DNSTypeA
	if d.Addrs[0].Is6() {
		qtype = layers.DNSTypeAAAA
	}
	port := d.ClientPort
	if port == 0 {
		port = 53000
	}
	q := []layers.DNSQuestion{{Name: []byte(d.Name), Type: qtype, Class: layers.DNSClassIN}}
	query := &layers.DNS{ID: d.ID, RD: true, OpCode: layers.DNSOpCodeQuery, Questions: q}
	resp := &layers.DNS{ID: d.ID, QR: true, RD: true, RA: true, OpCode: layers.DNSOpCodeQuery, Questions: q}
	owner := d.Name
	for _, alias := range d.CNAMEs {
		resp.Answers = append(resp.Answers, layers.DNSResourceRecord{
			Name: []byte(owner), Type: layers.DNSTypeCNAME, Class: layers.DNSClassIN, TTL: d.TTL, CNAME: []byte(alias),
		})
		owner = alias
	}
	for _, a := range d.Addrs {
		if a.Is6() != (qtype == layers.DNSTypeAAAA) {
			return errors.New("synth: DNS answer mixes IPv4 and IPv6")
		}
		resp.Answers = append(resp.Answers, layers.DNSResourceRecord{
			Name: []byte(owner), Type: qtype, Class: layers.DNSClassIN, TTL: d.TTL, IP: a.AsSlice(),
		})
	}
	up := &layers.UDP{SrcPort: layers.UDPPort(port), DstPort: 53}
	if err := w.writeIP(Client, d.Client, d.Resolver, layers.IPProtocolUDP, up, nil, d.VLANs, query); err != nil {
		return err
	}
	down := &layers.UDP{SrcPort: 53, DstPort: layers.UDPPort(port)}
	return w.writeIP(Server, d.Resolver, d.Client, layers.IPProtocolUDP, down, nil, d.VLANs, resp)
}
