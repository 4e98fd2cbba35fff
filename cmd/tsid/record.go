package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/tlsparse"
)

// Record is one TLS connection as tsid reports it. Its JSON form is the
// contract documented in the README: keys are only ever added.
type Record struct {
	File       string              `json:"file"`
	Time       jsonTime            `json:"time"`
	Client     string              `json:"client"`
	Server     string              `json:"server"`
	SNI        string              `json:"sni"`
	TLSVersion string              `json:"tls_version"`
	CertStatus string              `json:"cert_status"`
	Cert       *CertRecord         `json:"cert"`
	DNSNames   []string            `json:"dns_names"`
	Profile    string              `json:"profile"`
	Host       string              `json:"host"`
	HostSource string              `json:"host_source"`
	URL        string              `json:"url"`
	Flags      []string            `json:"flags"`
	Profiles   map[string]HostPick `json:"profiles,omitempty"`

	// Beyond the contract's minimum: useful detail, stable names.
	HostUnknown string     `json:"host_unknown,omitempty"` // why the profile could not decide
	ServerNames []string   `json:"server_names,omitempty"` // every server_name entry, when more than one
	ALPN        []string   `json:"alpn"`
	Offered     []string   `json:"offered_versions,omitempty"`
	CipherSuite string     `json:"cipher_suite,omitempty"`
	Chain       []string   `json:"chain,omitempty"` // one line per certificate, leaf first
	Anomalies   []string   `json:"anomalies,omitempty"`
	Explain     *Explained `json:"explain,omitempty"`
}

// CertRecord is the leaf certificate's fields.
type CertRecord struct {
	Subject    string     `json:"subject"`
	CN         string     `json:"cn"`
	OU         []string   `json:"ou"`
	O          []string   `json:"o"`
	SANDNS     []string   `json:"san_dns"`
	SANIP      []string   `json:"san_ip"`
	SANs       []SANEntry `json:"sans"`
	Issuer     string     `json:"issuer"`
	NotBefore  jsonTime   `json:"not_before"`
	NotAfter   jsonTime   `json:"not_after"`
	SHA256     string     `json:"sha256"`
	SelfSigned bool       `json:"self_signed"`
	X509Error  string     `json:"x509_error,omitempty"`
}

// SANEntry is one subjectAltName entry with its type, in certificate order.
type SANEntry struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// HostPick is one profile's result.
type HostPick struct {
	Host       string `json:"host"`
	HostSource string `json:"host_source"`
	Unknown    string `json:"unknown,omitempty"`
}

// Explained is the --explain detail: every candidate string and every step.
type Explained struct {
	Candidates []Candidate                  `json:"candidates"`
	Steps      []sniid.TraceStep            `json:"steps"`
	Profiles   map[string][]sniid.TraceStep `json:"profiles,omitempty"`
}

// Candidate is one string a firewall could log, with where it came from.
type Candidate struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// jsonTime marshals as RFC 3339 in UTC with fractional seconds.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte(`""`), nil
	}
	return []byte(`"` + formatTime(tt) + `"`), nil
}

// formatTime prints microseconds, or nanoseconds when the capture has them.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()%1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// certRecord converts the parsed leaf to its JSON form.
func certRecord(c *tlsparse.Certificate) *CertRecord {
	r := &CertRecord{
		Subject:    c.Subject,
		CN:         c.CN,
		OU:         nonNil(c.OUs),
		O:          nonNil(c.Os),
		SANDNS:     nonNil(c.DNSNames),
		SANIP:      []string{},
		SANs:       []SANEntry{},
		Issuer:     c.Issuer,
		NotBefore:  jsonTime(c.NotBefore),
		NotAfter:   jsonTime(c.NotAfter),
		SHA256:     c.SHA256,
		SelfSigned: c.SelfSigned,
		X509Error:  c.X509Error,
	}
	for _, ip := range c.IPs {
		r.SANIP = append(r.SANIP, ip.String())
	}
	for _, s := range c.SANs {
		r.SANs = append(r.SANs, SANEntry{Type: s.Type, Value: s.Value})
	}
	return r
}

// chainLine is the one-line summary of a chain certificate.
func chainLine(c *tlsparse.Certificate) string {
	var b strings.Builder
	b.WriteString("subject=")
	b.WriteString(c.Subject)
	b.WriteString(" issuer=")
	b.WriteString(c.Issuer)
	b.WriteString(" valid=")
	b.WriteString(c.NotBefore.UTC().Format("2006-01-02"))
	b.WriteString("..")
	b.WriteString(c.NotAfter.UTC().Format("2006-01-02"))
	if n := len(c.SANs); n > 0 {
		b.WriteString(" sans=")
		b.WriteString(strconv.Itoa(n))
	}
	if c.SelfSigned {
		b.WriteString(" self-signed")
	}
	b.WriteString(" sha256=")
	if len(c.SHA256) >= 16 {
		b.WriteString(c.SHA256[:16])
	} else {
		b.WriteString(c.SHA256)
	}
	return b.String()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
