package analysis

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/tlsparse"
)

// Record is one TLS connection as tsid reports it. Its JSON form is the
// contract documented in the README: keys are only ever added.
type Record struct {
	File       string              `json:"file"`
	Time       Time                `json:"time"`
	Client     string              `json:"client"`
	Server     string              `json:"server"`
	Outer      *Outer              `json:"outer,omitempty"` // the tunnel's outermost addresses, when tunnelled
	SNI        string              `json:"sni"`
	SNIStatus  string              `json:"sni_status"` // present, absent, or unknown: the ClientHello was not read whole
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
	SNIUnicode  string     `json:"sni_unicode,omitempty"`  // the SNI with its IDNA A-labels decoded
	HostUnicode string     `json:"host_unicode,omitempty"` // the host with its IDNA A-labels decoded
	ServerNames []string   `json:"server_names,omitempty"` // every server_name entry: several, or the SNI cut at a NUL
	ALPN        []string   `json:"alpn"`                   // null when the ClientHello was not read whole
	Offered     []string   `json:"offered_versions,omitempty"`
	CipherSuite string     `json:"cipher_suite,omitempty"`
	Chain       []string   `json:"chain,omitempty"` // one line per certificate, leaf first
	Anomalies   []string   `json:"anomalies,omitempty"`
	Explain     *Explained `json:"explain,omitempty"`

	// With URL rules (--rules and the SI lists): what the policy does with
	// the logged host, and with the name the client meant.
	Verdict         *Verdict `json:"verdict,omitempty"`
	IntendedVerdict *Verdict `json:"intended_verdict,omitempty"`

	// TSID probes (see probe.go): Role "tsid-probe" and ProbeOf on the
	// firewall's own connection, Probe on the client connection it served.
	Role    string    `json:"role,omitempty"`
	ProbeOf *ConnRef  `json:"probe_of,omitempty"`
	Probe   *ProbeRef `json:"probe,omitempty"`

	// With --join: the ClientHello random (hex), and the capture points of
	// a connection seen in several files, this record's own first.
	ClientRandom string         `json:"client_random,omitempty"`
	Captures     []CapturePoint `json:"captures,omitempty"`
}

// Outer is the outermost IP pair of a tunnelled connection (GRE, ERSPAN,
// VXLAN, …), oriented like the record: the client's side first.
type Outer struct {
	Client string `json:"client"`
	Server string `json:"server"`
}

// Verdict is what the URL policy does with one name. Its strings are
// escaped for display (escapeNonUTF8) when it is made; records share it.
type Verdict struct {
	Name string `json:"name"`           // the name evaluated: the logged host ("" when none), or the SNI or DNS name meant
	From string `json:"from,omitempty"` // intended_verdict: "sni" or "dns"
	// Action is the first action the connection may get; Actions, when
	// there are several, every one of them (the verdict depends on what the
	// vendor does not document: flag rule-unspecified).
	Action    string    `json:"action"`
	Actions   []string  `json:"actions,omitempty"`
	Rule      *RuleRef  `json:"rule"`                // the rule that matches or may match; null: the default action
	Uncertain []RuleRef `json:"uncertain,omitempty"` // rules reached whose match is undocumented
	Monitors  []RuleRef `json:"monitors,omitempty"`  // monitor rules that logged the connection
	Why       string    `json:"why"`
	// Others: the client resolved several names that get different
	// actions; Name is the first of them, these are the rest.
	Others []NameVerdict `json:"others,omitempty"`
}

// NameVerdict is the short verdict of another name the client resolved.
type NameVerdict struct {
	Name    string   `json:"name"`
	Action  string   `json:"action"`
	Actions []string `json:"actions,omitempty"`
	Rule    *RuleRef `json:"rule"`
}

// RuleRef names a rule: where it is written and what it says.
type RuleRef struct {
	Layer  string `json:"layer"`          // access, si or dns
	Source string `json:"source"`         // file:line
	Text   string `json:"text"`           // the line; for an FMC rule a Summary
	Name   string `json:"name,omitempty"` // the FMC rule's name
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
	NotBefore  Time       `json:"not_before"`
	NotAfter   Time       `json:"not_after"`
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
	Host       string   `json:"host"`
	HostSource string   `json:"host_source"`
	Unknown    string   `json:"unknown,omitempty"`
	Verdict    *Verdict `json:"verdict,omitempty"` // with URL rules: the verdict for Host
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

// Time marshals as RFC 3339 in UTC with fractional seconds.
type Time time.Time

func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte(`""`), nil
	}
	return []byte(`"` + formatTime(tt) + `"`), nil
}

// String is the time as JSON has it, without the quotes; "" for zero.
func (t Time) String() string {
	if time.Time(t).IsZero() {
		return ""
	}
	return formatTime(time.Time(t))
}

// formatTime prints microseconds, or nanoseconds when the capture has them.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()%1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// certRecord converts the parsed leaf to its JSON form. Names that are
// not UTF-8 are escaped (see escapeNonUTF8); bad lists the keys, as
// "cert.cn", that were.
func certRecord(c *tlsparse.Certificate) (r *CertRecord, bad []string) {
	r = &CertRecord{
		Subject:    c.Subject,
		CN:         c.CN,
		OU:         nonNil(c.OUs),
		O:          nonNil(c.Os),
		SANDNS:     nonNil(c.DNSNames),
		SANIP:      []string{},
		SANs:       make([]SANEntry, 0, len(c.SANs)),
		Issuer:     c.Issuer,
		NotBefore:  Time(c.NotBefore),
		NotAfter:   Time(c.NotAfter),
		SHA256:     c.SHA256,
		SelfSigned: c.SelfSigned,
		X509Error:  c.X509Error,
	}
	for _, ip := range c.IPs {
		r.SANIP = append(r.SANIP, ip.String())
	}
	var u utf8Check
	for _, s := range c.SANs {
		e := SANEntry{Type: s.Type, Value: s.Value}
		u.str("cert.sans", &e.Value)
		r.SANs = append(r.SANs, e)
	}
	u.str("cert.subject", &r.Subject)
	u.str("cert.cn", &r.CN)
	u.list("cert.ou", &r.OU)
	u.list("cert.o", &r.O)
	u.list("cert.san_dns", &r.SANDNS)
	u.str("cert.issuer", &r.Issuer)
	u.str("cert.x509_error", &r.X509Error)
	return r, u.bad
}

// chainLine is the one-line Summary of a chain certificate, escaped with
// escapeNonUTF8; bad says whether it needed it.
func chainLine(c *tlsparse.Certificate) (line string, bad bool) {
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
	return escapeNonUTF8(b.String())
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// escapeNonUTF8 writes every byte of s that is not part of valid UTF-8 as
// the four characters \xNN, as the table shows it, and reports whether
// there was one. JSON cannot carry such bytes: encoding/json would put
// U+FFFD in their place, and the user would read another name than the
// one sent, with no sign of it. A name holding the text "\xff" itself
// looks the same; the name-not-utf8 anomaly tells them apart.
func escapeNonUTF8(s string) (string, bool) {
	if utf8.ValidString(s) {
		return s, false
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, '\\', 'x', hex[s[i]>>4], hex[s[i]&0xf])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b), true
}

// utf8Check escapes the strings of a record with escapeNonUTF8 and
// remembers which keys needed it, each once.
type utf8Check struct{ bad []string }

func (u *utf8Check) note(key string) {
	for _, k := range u.bad {
		if k == key {
			return
		}
	}
	u.bad = append(u.bad, key)
}

func (u *utf8Check) str(key string, s *string) {
	if e, changed := escapeNonUTF8(*s); changed {
		*s = e
		if key != "" {
			u.note(key)
		}
	}
}

// list escapes the elements of *l, copying the slice first when one
// changes: it may be the parser's, which is shared.
func (u *utf8Check) list(key string, l *[]string) {
	copied := false
	for i, s := range *l {
		e, changed := escapeNonUTF8(s)
		if !changed {
			continue
		}
		if !copied {
			*l = append([]string(nil), *l...)
			copied = true
		}
		(*l)[i] = e
		if key != "" {
			u.note(key)
		}
	}
}

// oddName reports whether a name the firewall compares holds a byte that
// is not printable ASCII (a space is printable): NUL, control characters,
// escape sequences, DEL, bytes that are not UTF-8, or raw UTF-8, which is
// not a valid host_name (RFC 6066, Section 3: A-labels only). IDNA
// A-labels are ASCII and fine, unless they decode (uni) to a rune that is
// not printable, such as a right-to-left override.
func oddName(raw, uni string) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] >= 0x7f {
			return true
		}
	}
	for _, r := range uni {
		if !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// unicodeName returns name with its IDNA A-labels ("xn--", in any case)
// decoded to Unicode, or "" when it has none. Decoding is punycode only
// (idna.Punycode): no mapping and no validation, so an odd but real name
// is shown rather than refused. ok is false when an A-label does not
// decode: bad punycode, bytes that are not UTF-8, a result in ASCII, or a
// code point that is no character (a surrogate, which Go would turn into
// U+FFFD without a word).
func unicodeName(name string) (uni string, ok bool) {
	labels := strings.Split(name, ".")
	ace := false
	for i, l := range labels {
		if len(l) < 4 || !strings.EqualFold(l[:4], "xn--") {
			continue
		}
		ace = true
		if !utf8.ValidString(l) {
			return "", false
		}
		// idna knows only the lower-case prefix; the rest of a label is
		// case-insensitive punycode already.
		u, err := idna.Punycode.ToUnicode("xn--" + l[4:])
		if err != nil || u == "" || strings.ContainsRune(u, utf8.RuneError) {
			return "", false
		}
		labels[i] = u
	}
	if !ace {
		return "", true
	}
	return strings.Join(labels, "."), true
}

// ConnRef names another connection of the same capture.
type ConnRef struct {
	Time   Time   `json:"time"`
	Client string `json:"client"`
	Server string `json:"server"`
}

// ProbeRef is the firewall's TSID probe of a client connection: when it
// started, what it negotiated, and the signs it was recognised by.
type ProbeRef struct {
	Time       Time     `json:"time"`
	Client     string   `json:"client"`
	Server     string   `json:"server"`
	TLSVersion string   `json:"tls_version"`
	CertStatus string   `json:"cert_status"`
	Evidence   []string `json:"evidence"`
}
