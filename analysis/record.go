package analysis

import (
	"time"

	"github.com/tsid-project/tsid/sniid"
)

// Record is one TLS connection as tsid reports it. Its JSON form is the
// contract documented in the README: keys are only ever added.
type Record struct {
	File   string `json:"file"`
	Time   Time   `json:"time"`
	Client string `json:"client"`
	Server string `json:"server"`
	// Transport is tcp, quic (TLS inside QUIC's Initial packets) or udp
	// (DTLS).
	Transport  string      `json:"transport"`
	Outer      *Outer      `json:"outer,omitempty"` // the tunnel's outermost addresses, when tunnelled
	SNI        string      `json:"sni"`
	SNIStatus  string      `json:"sni_status"` // present, absent, or unknown: the ClientHello was not read whole
	TLSVersion string      `json:"tls_version"`
	CertStatus string      `json:"cert_status"`
	Cert       *CertRecord `json:"cert"`
	DNSNames   []string    `json:"dns_names"`
	// ConnectName is the host of the HTTP CONNECT the client sent through
	// an explicit proxy before TLS: a name it meant, like DNSNames.
	ConnectName string              `json:"connect_name,omitempty"`
	Profile     string              `json:"profile"`
	Host        string              `json:"host"`
	HostSource  string              `json:"host_source"`
	URL         string              `json:"url"`
	Flags       []string            `json:"flags"`
	Profiles    map[string]HostPick `json:"profiles,omitempty"`
	// Logged is what the firewall logged of this connection (Options.Events).
	Logged *Logged `json:"logged,omitempty"`

	// Beyond the contract's minimum: useful detail, stable names.
	HostUnknown string   `json:"host_unknown,omitempty"` // why the profile could not decide
	SNIUnicode  string   `json:"sni_unicode,omitempty"`  // the SNI with its IDNA A-labels decoded
	HostUnicode string   `json:"host_unicode,omitempty"` // the host with its IDNA A-labels decoded
	ServerNames []string `json:"server_names,omitempty"` // every server_name entry: several, or the SNI cut at a NUL
	ALPN        []string `json:"alpn"`                   // null when the ClientHello was not read whole
	Offered     []string `json:"offered_versions,omitempty"`
	CipherSuite string   `json:"cipher_suite,omitempty"`
	// Client and server fingerprints: JA3 and JA4 of the ClientHello read
	// whole, JA3S of the ServerHello (MD5 hex for JA3, as Wireshark).
	JA3       string     `json:"ja3,omitempty"`
	JA3S      string     `json:"ja3s,omitempty"`
	JA4       string     `json:"ja4,omitempty"`
	Chain     []string   `json:"chain,omitempty"` // one line per certificate, leaf first
	Anomalies []string   `json:"anomalies,omitempty"`
	Explain   *Explained `json:"explain,omitempty"`

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

	// tsid's own connection to the server (tsid probe, analyze
	// --probe-missing; see probed.go): Probed says what tsid's probe asked
	// and found (whether the chain verifies), on the records of tsid probe
	// and on those whose certificate --probe-missing fetched; ProbedAt is
	// when it read the certificate, on a record whose certificate is the
	// probe's, not the connection's (cert_status probed).
	Probed   *Probed `json:"probed,omitempty"`
	ProbedAt Time    `json:"probed_at,omitzero"`

	// NamesEscaped: a name held bytes that are not UTF-8 and is shown
	// escaped (the anomalies name-not-utf8:<key> say which), so it cannot
	// be written back as sent, in a rule for example. Not in the JSON: the
	// anomalies are.
	NamesEscaped bool `json:"-"`
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
	From string `json:"from,omitempty"` // intended_verdict: "sni", "connect" or "dns"; verdict: "log" when Name is the logged host
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
	Text   string `json:"text"`           // the line; for an FMC rule a summary
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
	Agrees     *bool    `json:"agrees,omitempty"`  // with events: Host is the logged host; null when either is unknown
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

// IsZero reports whether t is the zero time (for omitzero).
func (t Time) IsZero() bool { return time.Time(t).IsZero() }

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
// Every record has a time or two: the digits are put in place directly,
// a sixth of what time.Format takes to read its layout, for the years
// RFC 3339 has; any other year goes through time.Format.
func formatTime(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		layout := "2006-01-02T15:04:05.000000Z"
		if ns%1000 != 0 {
			layout = "2006-01-02T15:04:05.000000000Z"
		}
		return t.Format(layout)
	}
	hour, minute, sec := t.Clock()
	var buf [len("2006-01-02T15:04:05.000000000Z")]byte
	digits(buf[0:4], year)
	buf[4] = '-'
	digits(buf[5:7], int(month))
	buf[7] = '-'
	digits(buf[8:10], day)
	buf[10] = 'T'
	digits(buf[11:13], hour)
	buf[13] = ':'
	digits(buf[14:16], minute)
	buf[16] = ':'
	digits(buf[17:19], sec)
	buf[19] = '.'
	n := 26 // microseconds
	if ns%1000 != 0 {
		digits(buf[20:29], ns)
		n = 29
	} else {
		digits(buf[20:26], ns/1000)
	}
	buf[n] = 'Z'
	return string(buf[:n+1])
}

// digits writes v into b in decimal, zero-padded to len(b).
func digits(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// ConnRef names another connection of the same capture.
type ConnRef struct {
	Time   Time   `json:"time"`
	Client string `json:"client"`
	Server string `json:"server"`
}

// Probed is what tsid's own probe of a server asked and found (tsid
// probe): the certificate the record decides on is the one the server
// presented to it.
type Probed struct {
	Target string `json:"target"`        // the target probed, host:port ([v6]:port), the port added when not given
	Via    string `json:"via,omitempty"` // the HTTP proxy tsid connected through (CONNECT), host:port
	// TLSAsked is the version range the probe offered: "TLS 1.2-1.3", or
	// one version when forced ("TLS 1.3").
	TLSAsked string `json:"tls_asked"`
	// Verified: the chain the server sent verifies against the public
	// roots (and the roots the user trusts), for the SNI sent or, without
	// one, as a chain only. tsid's probe, like the firewall's, does not
	// stop on a chain that does not verify.
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"` // why not
	// HandshakeError: the handshake failed after the server's certificate
	// (TLS 1.2; crypto/tls refused a certificate it could not parse): the
	// chain is what the server sent, read from its bytes.
	HandshakeError string `json:"handshake_error,omitempty"`
	// Cut: the bytes recorded of the connection reached the cap
	// (probe.MaxRecorded) before the handshake ended.
	Cut bool `json:"bytes_cut,omitempty"`
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
