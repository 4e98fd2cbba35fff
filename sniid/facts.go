package sniid

import (
	"net/netip"
	"time"
)

// Source says which candidate string a profile logged.
type Source string

// Sources of a logged host. SourceNone means no host was logged (or the
// result is unknown, see Decision.Unknown).
const (
	SourceNone Source = ""
	SourceSNI  Source = "sni"
	SourceSAN  Source = "san"
	SourceCN   Source = "cn"
	SourceOU   Source = "ou"
)

// Certificate status values for Facts.CertStatus. They are the strings of
// tlsparse.CertStatus; sniid keeps its own copy so it depends on no parser.
// Only CertPresent and CertProbed make the certificate fields of Facts
// usable: with any other value (the empty string included) they are
// ignored.
const (
	CertPresent    = "present"    // the server's Certificate message was read
	CertEncrypted  = "encrypted"  // TLS 1.3: the Certificate message is encrypted
	CertResumed    = "resumed"    // abbreviated handshake: no Certificate message was sent
	CertIncomplete = "incomplete" // the capture lost part of the handshake
	CertMissing    = "missing"    // no Certificate message in the capture, cause unknown
	// CertProbed: the connection did not show its certificate on the wire
	// (TLS 1.3, or a resumed session; Facts.Resumed tells which), and the
	// certificate fields are those the server presented to a connection of
	// tsid's own, as TSID's probe connection reads them (model §5). A
	// profile whose engine reads only the wire (Profile.WireOnly) decides
	// as if the certificate were still not there.
	CertProbed = "probed"
)

// SNI status values for Facts.SNIStatus: the strings of tlsparse.SNIStatus.
const (
	SNIPresent = "present" // the ClientHello was read whole and has a host_name
	SNIAbsent  = "absent"  // the ClientHello was read whole and has none
	SNIUnknown = "unknown" // the ClientHello was not read whole: whether it had an SNI is unknown
)

// ChainCert is what the chain walk of open-source Snort reads from one
// certificate of the chain.
type ChainCert struct {
	CN string `json:"cn,omitempty"` // first commonName of the subject, raw
	OU string `json:"ou,omitempty"` // first organizationalUnitName of the subject, raw
}

// Facts is everything the model needs about one connection, as plain values.
// The zero value is a connection whose ClientHello had no SNI and whose
// certificate is not in the capture.
type Facts struct {
	// SNI is the first host_name entry of the first ClientHello, raw (model
	// §1): not lower-cased, trailing dot kept, cut at the first NUL. "" =
	// absent, or unknown when SNIStatus says so.
	SNI string

	// SNIStatus is one of the SNI… constants. SNIUnknown means the capture
	// did not show the ClientHello whole (not captured, lost, cut by the
	// snap length, unfinished): SNI is then ignored, a step that needs it
	// cannot decide, and no-sni is not flagged. "" is read from SNI: present
	// when it is not empty, else absent.
	SNIStatus string

	// CertStatus is one of the Cert… constants. The certificate fields below
	// are used only when it is CertPresent or CertProbed.
	CertStatus string

	SANDNS []string     // the leaf's dNSName SANs in encoding order, wildcards as written
	SANIP  []netip.Addr // the leaf's iPAddress SANs in encoding order
	CNs    []string     // the leaf subject's commonNames in encoding order
	OUs    []string     // the leaf subject's organizationalUnitNames in encoding order

	// Chain is the certificate chain as sent, leaf first, for snort-open's
	// chain walk. Chain[0] should describe the same certificate as CNs/OUs;
	// when Chain is empty the walk uses CNs alone.
	Chain []ChainCert

	// DNSNames are names the client resolved to the server address just
	// before connecting (what the client meant when it sent no SNI).
	DNSNames []string
	// ConnectName is the host of the HTTP CONNECT the client sent through
	// an explicit proxy before TLS: what it meant, the server address
	// being the proxy's.
	ConnectName string

	SelfSigned          bool
	NotBefore, NotAfter time.Time // leaf validity; zero = unknown
	Time                time.Time // when the connection happened; zero = skip validity checks

	ECH        bool // the ClientHello carried encrypted_client_hello: SNI is the outer name
	Resumed    bool // abbreviated (resumed) handshake
	SSLv2      bool // SSLv2-compatible ClientHello (it has no SNI)
	Incomplete bool // the handshake was not seen completely
}

// Blank reports whether f holds nothing but SNIStatus, CertStatus,
// Resumed, Incomplete and Time: no name, no certificate field, no flag
// of the hello. Its assessment then depends on those four alone (Time
// matters only against a certificate's validity), so a caller deciding
// many such connections (a scan: a SYN, a SYN-ACK and a few bytes each)
// may decide one of each kind and reuse the answer.
func (f *Facts) Blank() bool {
	return f.SNI == "" && len(f.SANDNS) == 0 && len(f.SANIP) == 0 && len(f.CNs) == 0 && len(f.OUs) == 0 &&
		len(f.Chain) == 0 && len(f.DNSNames) == 0 && f.ConnectName == "" && !f.SelfSigned &&
		f.NotBefore.IsZero() && f.NotAfter.IsZero() && !f.ECH && !f.SSLv2
}

// certPresent reports whether the certificate fields may be used.
func (f *Facts) certPresent() bool { return f.CertStatus == CertPresent || f.CertStatus == CertProbed }

// sniUnknown reports whether the capture did not show the SNI.
func (f *Facts) sniUnknown() bool { return f.SNIStatus == SNIUnknown }

// sni is the SNI as far as it is known: "" when absent or unknown.
func (f *Facts) sni() string {
	if f.SNIStatus == SNIUnknown || f.SNIStatus == SNIAbsent {
		return ""
	}
	return f.SNI
}

// Meant returns the names the client meant (model §7): its SNI when present
// (known: an SNI the capture did not show whole is left out), then the
// host of its HTTP CONNECT through a proxy, then its DNS names, each once (ASCII case-insensitive, one trailing dot
// ignored), in that order, at most maxMeant of them.
func (f *Facts) Meant() []string { return f.appendMeant(nil) }

// appendMeant appends the names of Meant to out: Assess gives it room on
// its stack, so that a connection costs no allocation for them.
func (f *Facts) appendMeant(out []string) []string {
	start := len(out)
	add := func(s string) {
		if s == "" || len(out)-start >= maxMeant {
			return
		}
		for _, o := range out[start:] {
			if sameName(o, s) {
				return
			}
		}
		out = append(out, s)
	}
	add(f.sni())
	add(f.ConnectName)
	for _, n := range f.DNSNames {
		add(n)
	}
	return out
}
