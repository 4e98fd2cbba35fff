package synth

import (
	"errors"
	"net/netip"
	"time"

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

	// Type is the question type; zero means A or AAAA as Addrs say. It
	// must be set when Addrs is empty: a failed lookup, or a NOERROR
	// answer that holds no address (only CNAMEs, or nothing: NODATA).
	Type layers.DNSType
	// RCode is the response code (RFC 1035, Section 4.1.1): zero is
	// NOERROR; layers.DNSResponseCodeNXDomain (3), ServFail (2) and
	// Refused (5) are the failures a client sees.
	RCode layers.DNSResponseCode
	// Queries is how many times the client sends the query (default 1),
	// Retry apart (default 1s), as a stub resolver does while no response
	// comes; all copies carry the same ID and port.
	Queries int
	Retry   time.Duration
	// NoResponse leaves the response out: the resolver never answers, or
	// the capture does not see its answers.
	NoResponse bool
}

// defaultRetry is how long a stub resolver waits before it sends a query
// again (glibc's resolv.conf "timeout" is 5 s; Windows starts at 1 s).
const defaultRetry = time.Second

// WriteDNS writes the query (Queries times) and, one step later, the
// response unless NoResponse.
func (w *Writer) WriteDNS(d DNS) error {
	if d.Name == "" {
		return errors.New("synth: DNS without name")
	}
	qtype := d.Type
	if qtype == 0 {
		if len(d.Addrs) == 0 {
			return errors.New("synth: DNS without addresses or question type")
		}
		qtype = layers.DNSTypeA
		if d.Addrs[0].Is6() {
			qtype = layers.DNSTypeAAAA
		}
	}
	if len(d.Addrs) > 0 && qtype != layers.DNSTypeA && qtype != layers.DNSTypeAAAA {
		return errors.New("synth: DNS addresses answer only an A or AAAA question")
	}
	port := d.ClientPort
	if port == 0 {
		port = 53000
	}
	q := []layers.DNSQuestion{{Name: []byte(d.Name), Type: qtype, Class: layers.DNSClassIN}}
	query := &layers.DNS{ID: d.ID, RD: true, OpCode: layers.DNSOpCodeQuery, Questions: q}
	resp := &layers.DNS{ID: d.ID, QR: true, RD: true, RA: true, OpCode: layers.DNSOpCodeQuery, ResponseCode: d.RCode, Questions: q}
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
	retry := d.Retry
	if retry == 0 {
		retry = defaultRetry
	}
	for i := range max(d.Queries, 1) {
		if i > 0 {
			w.after(retry)
		}
		up := &layers.UDP{SrcPort: layers.UDPPort(port), DstPort: 53}
		if err := w.writeIP(Client, d.Client, d.Resolver, layers.IPProtocolUDP, up, nil, d.VLANs, query); err != nil {
			return err
		}
	}
	if d.NoResponse {
		return nil
	}
	down := &layers.UDP{SrcPort: 53, DstPort: layers.UDPPort(port)}
	return w.writeIP(Server, d.Resolver, d.Client, layers.IPProtocolUDP, down, nil, d.VLANs, resp)
}
