package report

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tsid-project/tsid/analysis"
)

// ECSVersion is the Elastic Common Schema version the ECS writer's
// documents declare in ecs.version.
const ECSVersion = "8.11.0"

// NewECS makes a writer of JSON Lines in the Elastic Common Schema: one
// document per record, nested objects as ECS writes them (not dotted
// keys), absent values left out rather than null. The ECS fields
// (@timestamp, event, source, destination, network, tls, url) say what
// ECS has names for; what is tsid's own (the profile, flags, verdicts,
// anomalies, …) is under "tsid", with the record's JSON keys. Close
// writes nothing.
func NewECS(w io.Writer) Writer {
	e := &ecsWriter{w: w}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// ecsWriter writes ECS documents; its buffer is reused.
type ecsWriter struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func (e *ecsWriter) Write(r *analysis.Record) error {
	d, err := ecsDocument(r)
	if err != nil {
		return err
	}
	e.buf.Reset()
	if err := e.enc.Encode(d); err != nil { // one line: encoding/json escapes every newline
		return err
	}
	_, err = e.w.Write(escapeInvisible(e.buf.Bytes()))
	return err
}

func (e *ecsWriter) Close(*analysis.Summary) error { return nil }

// ecsDoc is one ECS document. Every field that may be absent is
// omitempty, so that no key is written as null.
type ecsDoc struct {
	Timestamp   string       `json:"@timestamp,omitempty"`
	ECS         ecsECS       `json:"ecs"`
	Event       ecsEvent     `json:"event"`
	Source      *ecsEndpoint `json:"source,omitempty"`
	Destination *ecsEndpoint `json:"destination,omitempty"`
	Network     *ecsNetwork  `json:"network,omitempty"`
	TLS         *ecsTLS      `json:"tls,omitempty"`
	URL         *ecsURL      `json:"url,omitempty"`
	TSID        ecsTSID      `json:"tsid"`
}

type ecsECS struct {
	Version string `json:"version"`
}

type ecsEvent struct {
	Kind     string   `json:"kind"`
	Category []string `json:"category"`
	Type     []string `json:"type"`
	Module   string   `json:"module"`
	Dataset  string   `json:"dataset"`
}

// ecsEndpoint is source or destination. Address holds the record's
// "ip:port" only when it is not one.
type ecsEndpoint struct {
	Address string `json:"address,omitempty"`
	IP      string `json:"ip,omitempty"`
	Port    uint16 `json:"port,omitempty"`
	Domain  string `json:"domain,omitempty"`
}

type ecsNetwork struct {
	Transport string `json:"transport,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
}

type ecsTLS struct {
	Version         string        `json:"version,omitempty"`
	VersionProtocol string        `json:"version_protocol,omitempty"`
	Cipher          string        `json:"cipher,omitempty"`
	Client          *ecsTLSClient `json:"client,omitempty"`
	Server          *ecsTLSServer `json:"server,omitempty"`
}

type ecsTLSClient struct {
	ServerName string `json:"server_name,omitempty"`
	JA3        string `json:"ja3,omitempty"`
}

type ecsTLSServer struct {
	JA3S string   `json:"ja3s,omitempty"`
	Hash *ecsHash `json:"hash,omitempty"`
	X509 *ecsX509 `json:"x509,omitempty"`
}

type ecsHash struct {
	SHA256 string `json:"sha256,omitempty"`
}

type ecsX509 struct {
	Subject          *ecsX509Name `json:"subject,omitempty"`
	Issuer           *ecsX509Name `json:"issuer,omitempty"`
	AlternativeNames []string     `json:"alternative_names,omitempty"`
	NotBefore        string       `json:"not_before,omitempty"`
	NotAfter         string       `json:"not_after,omitempty"`
}

// ecsX509Name is x509.subject or x509.issuer; ECS makes the attributes
// arrays.
type ecsX509Name struct {
	DistinguishedName  string   `json:"distinguished_name,omitempty"`
	CommonName         []string `json:"common_name,omitempty"`
	OrganizationalUnit []string `json:"organizational_unit,omitempty"`
	Organization       []string `json:"organization,omitempty"`
}

type ecsURL struct {
	Domain   string `json:"domain,omitempty"`
	Original string `json:"original,omitempty"`
}

// ecsTSID is what ECS has no name for, with the record's JSON keys. The
// nested objects are json.RawMessage with their nulls taken out
// (withoutNulls).
type ecsTSID struct {
	File            string          `json:"file,omitempty"`
	Transport       string          `json:"transport,omitempty"`
	Profile         string          `json:"profile,omitempty"`
	HostSource      string          `json:"host_source,omitempty"`
	HostUnknown     string          `json:"host_unknown,omitempty"`
	SNIStatus       string          `json:"sni_status,omitempty"`
	CertStatus      string          `json:"cert_status,omitempty"`
	Flags           []string        `json:"flags,omitempty"`
	Profiles        json.RawMessage `json:"profiles,omitempty"`
	Verdict         json.RawMessage `json:"verdict,omitempty"`
	IntendedVerdict json.RawMessage `json:"intended_verdict,omitempty"`
	Logged          json.RawMessage `json:"logged,omitempty"`
	Anomalies       []string        `json:"anomalies,omitempty"`
	DNSNames        []string        `json:"dns_names,omitempty"`
	ConnectName     string          `json:"connect_name,omitempty"`
	JA4             string          `json:"ja4,omitempty"`
}

// ecsDocument maps r to ECS.
func ecsDocument(r *analysis.Record) (*ecsDoc, error) {
	d := &ecsDoc{
		Timestamp: ecsTime(r.Time),
		ECS:       ecsECS{Version: ECSVersion},
		Event: ecsEvent{
			Kind:     "event",
			Category: []string{"network"},
			Type:     []string{"connection", "protocol"},
			Module:   "tsid",
			Dataset:  "tsid.tls",
		},
		Source:      ecsAddr(r.Client),
		Destination: ecsAddr(r.Server),
		Network:     ecsNet(r.Transport, r.TLSVersion),
		TLS:         ecsTLSOf(r),
		TSID: ecsTSID{
			File:        r.File,
			Transport:   r.Transport,
			Profile:     r.Profile,
			HostSource:  r.HostSource,
			HostUnknown: r.HostUnknown,
			SNIStatus:   r.SNIStatus,
			CertStatus:  r.CertStatus,
			Flags:       r.Flags,
			Anomalies:   r.Anomalies,
			DNSNames:    r.DNSNames,
			ConnectName: r.ConnectName,
			JA4:         r.JA4,
		},
	}
	if sni := ecsSNI(r); sni != "" {
		// ECS: the SNI, when there is one, is copied to destination.domain.
		if d.Destination == nil {
			d.Destination = &ecsEndpoint{}
		}
		d.Destination.Domain = sni
	}
	if r.Host != "" {
		d.URL = &ecsURL{Domain: r.Host, Original: r.URL}
	}
	var err error
	if len(r.Profiles) > 0 {
		if d.TSID.Profiles, err = withoutNulls(r.Profiles); err != nil {
			return nil, err
		}
	}
	if r.Verdict != nil {
		if d.TSID.Verdict, err = withoutNulls(r.Verdict); err != nil {
			return nil, err
		}
	}
	if r.IntendedVerdict != nil {
		if d.TSID.IntendedVerdict, err = withoutNulls(r.IntendedVerdict); err != nil {
			return nil, err
		}
	}
	if r.Logged != nil {
		if d.TSID.Logged, err = withoutNulls(r.Logged); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// ecsSNI is the SNI when the ClientHello carried a non-empty one.
func ecsSNI(r *analysis.Record) string {
	if r.SNIStatus != "present" {
		return ""
	}
	return r.SNI
}

// ecsTime is t in RFC 3339, UTC, with nanoseconds; "" for zero.
func ecsTime(t analysis.Time) string {
	tt := time.Time(t)
	if tt.IsZero() {
		return ""
	}
	return tt.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

// ecsAddr splits a record's "ip:port" ("[v6]:port"); what is not one
// stays whole in address.
func ecsAddr(s string) *ecsEndpoint {
	if s == "" {
		return nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return &ecsEndpoint{IP: ap.Addr().Unmap().String(), Port: ap.Port()}
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(h); err == nil {
			if n, err := strconv.ParseUint(p, 10, 16); err == nil {
				return &ecsEndpoint{IP: a.Unmap().String(), Port: uint16(n)}
			}
		}
	}
	return &ecsEndpoint{Address: s}
}

// ecsNet is network.transport and network.protocol: QUIC and DTLS run
// over UDP; the protocol is quic, dtls for a DTLS version, else tls.
func ecsNet(transport, version string) *ecsNetwork {
	switch transport {
	case "tcp":
		return &ecsNetwork{Transport: "tcp", Protocol: "tls"}
	case "quic":
		return &ecsNetwork{Transport: "udp", Protocol: "quic"}
	case "udp":
		p := "tls"
		if strings.HasPrefix(version, "DTLS ") {
			p = "dtls"
		}
		return &ecsNetwork{Transport: "udp", Protocol: p}
	}
	return &ecsNetwork{Protocol: "tls"}
}

// ecsVersion splits "TLS 1.2" into "1.2" and "tls" (ECS tls.version and
// tls.version_protocol); a version tsid could not name ("0x1234") gives
// neither.
func ecsVersion(v string) (num, proto string) {
	name, num, ok := strings.Cut(v, " ")
	if !ok || num == "" {
		return "", ""
	}
	return num, strings.ToLower(name)
}

func ecsTLSOf(r *analysis.Record) *ecsTLS {
	t := &ecsTLS{Cipher: r.CipherSuite}
	t.Version, t.VersionProtocol = ecsVersion(r.TLSVersion)
	if sni := ecsSNI(r); sni != "" || r.JA3 != "" {
		t.Client = &ecsTLSClient{ServerName: sni, JA3: r.JA3}
	}
	var s ecsTLSServer
	s.JA3S = r.JA3S
	if c := r.Cert; c != nil {
		if c.SHA256 != "" {
			// ECS: certificate hashes are upper-case hex.
			s.Hash = &ecsHash{SHA256: strings.ToUpper(c.SHA256)}
		}
		x := &ecsX509{
			AlternativeNames: c.SANDNS,
			NotBefore:        ecsTime(c.NotBefore),
			NotAfter:         ecsTime(c.NotAfter),
		}
		subj := &ecsX509Name{DistinguishedName: c.Subject, OrganizationalUnit: c.OU, Organization: c.O}
		if c.CN != "" {
			subj.CommonName = []string{c.CN}
		}
		if subj.DistinguishedName != "" || subj.CommonName != nil || len(subj.OrganizationalUnit) > 0 || len(subj.Organization) > 0 {
			x.Subject = subj
		}
		if c.Issuer != "" {
			x.Issuer = &ecsX509Name{DistinguishedName: c.Issuer}
		}
		if x.Subject != nil || x.Issuer != nil || len(x.AlternativeNames) > 0 || x.NotBefore != "" || x.NotAfter != "" {
			s.X509 = x
		}
	}
	if s.JA3S != "" || s.Hash != nil || s.X509 != nil {
		t.Server = &s
	}
	if *t == (ecsTLS{}) {
		return nil
	}
	return t
}

// withoutNulls is v's JSON with every null member and element taken
// out (a verdict's default-action rule, a logged event's unread time):
// absent means the same, and ECS documents hold no nulls.
func withoutNulls(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(dropNulls(x)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte{'\n'}), nil
}

func dropNulls(x any) any {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if v == nil {
				delete(x, k)
			} else {
				x[k] = dropNulls(v)
			}
		}
	case []any:
		l := x[:0]
		for _, v := range x {
			if v != nil {
				l = append(l, dropNulls(v))
			}
		}
		return l
	}
	return x
}
