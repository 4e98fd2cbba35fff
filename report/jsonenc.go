package report

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/tsid-project/tsid/analysis"
)

// A record's JSON, written field by field in the order and with the
// names of analysis.Record's tags, byte for byte what encoding/json
// writes with HTML escaping off: encoding/json spends its time on
// reflection, and a busy capture has hundreds of thousands of records.
// The nested objects, rare and many-shaped, still go through
// encoding/json. A test holds the two equal on every sample and on
// records with every field set.

// recordEncoder writes records as JSON; its buffers are reused.
type recordEncoder struct {
	sub    bytes.Buffer
	subEnc *json.Encoder

	// The certificate object of each certificate, written once: a
	// certificate comes back in every connection to its server, and its
	// object is most of a record's JSON. Records share one CertRecord per
	// certificate (analysis keeps one per certificate and never changes
	// it), so the pointer is the key; the SHA-256 is checked too, against
	// a CertRecord changed in place by a caller building records itself.
	certs     map[*analysis.CertRecord]certJSON
	certBytes int // held in certs
}

// certJSON is a certificate object as written, and the hash it was for.
type certJSON struct {
	sha256 string
	b      []byte
}

// Bounds on the certificate objects kept: objects beyond maxCertJSON (a
// certificate with thousands of names) are written each time.
const (
	maxCertJSON      = 16 << 10
	maxCertJSONTotal = 4 << 20
)

// appendCertOnce appends c's object, from certs when it was written before.
func (e *recordEncoder) appendCertOnce(b []byte, c *analysis.CertRecord) []byte {
	if m, ok := e.certs[c]; ok && m.sha256 == c.SHA256 {
		return append(b, m.b...)
	}
	start := len(b)
	b = appendCert(b, c)
	if n := len(b) - start; n <= maxCertJSON {
		if e.certs == nil || e.certBytes+n > maxCertJSONTotal {
			e.certs, e.certBytes = map[*analysis.CertRecord]certJSON{}, 0
		}
		e.certs[c] = certJSON{c.SHA256, bytes.Clone(b[start:])}
		e.certBytes += n
	}
	return b
}

func newRecordEncoder() *recordEncoder {
	e := &recordEncoder{}
	e.subEnc = json.NewEncoder(&e.sub)
	e.subEnc.SetEscapeHTML(false)
	return e
}

// appendRecord appends r's JSON and a newline to b.
func (e *recordEncoder) appendRecord(b []byte, r *analysis.Record) ([]byte, error) {
	var err error
	key := func(k string) { // ,"k":
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	obj := func(k string, v any) {
		if err != nil {
			return
		}
		key(k)
		e.sub.Reset()
		if err = e.subEnc.Encode(v); err == nil {
			b = append(b, bytes.TrimSuffix(e.sub.Bytes(), []byte{'\n'})...)
		}
	}
	str := func(k, s string) {
		key(k)
		b = appendString(b, s)
	}
	optStr := func(k, s string) { // omitempty
		if s != "" {
			str(k, s)
		}
	}
	strs := func(k string, l []string) {
		key(k)
		b = appendStrings(b, l)
	}

	b = append(b, `{"file":`...)
	b = appendString(b, r.File)
	str("time", r.Time.String())
	str("client", r.Client)
	str("server", r.Server)
	str("transport", r.Transport)
	if r.Outer != nil {
		obj("outer", r.Outer)
	}
	str("sni", r.SNI)
	str("sni_status", r.SNIStatus)
	str("tls_version", r.TLSVersion)
	str("cert_status", r.CertStatus)
	if r.Cert != nil {
		key("cert")
		b = e.appendCertOnce(b, r.Cert)
	} else {
		b = append(b, `,"cert":null`...)
	}
	strs("dns_names", r.DNSNames)
	optStr("connect_name", r.ConnectName)
	str("profile", r.Profile)
	str("host", r.Host)
	str("host_source", r.HostSource)
	str("url", r.URL)
	strs("flags", r.Flags)
	if len(r.Profiles) > 0 {
		obj("profiles", r.Profiles)
	}
	if r.Logged != nil {
		obj("logged", r.Logged)
	}
	optStr("host_unknown", r.HostUnknown)
	optStr("sni_unicode", r.SNIUnicode)
	optStr("host_unicode", r.HostUnicode)
	if len(r.ServerNames) > 0 {
		strs("server_names", r.ServerNames)
	}
	strs("alpn", r.ALPN)
	if len(r.Offered) > 0 {
		strs("offered_versions", r.Offered)
	}
	optStr("cipher_suite", r.CipherSuite)
	optStr("ja3", r.JA3)
	optStr("ja3s", r.JA3S)
	optStr("ja4", r.JA4)
	if len(r.Chain) > 0 {
		strs("chain", r.Chain)
	}
	if len(r.Anomalies) > 0 {
		strs("anomalies", r.Anomalies)
	}
	if r.Explain != nil {
		obj("explain", r.Explain)
	}
	if r.Verdict != nil {
		obj("verdict", r.Verdict)
	}
	if r.IntendedVerdict != nil {
		obj("intended_verdict", r.IntendedVerdict)
	}
	optStr("role", r.Role)
	if r.ProbeOf != nil {
		obj("probe_of", r.ProbeOf)
	}
	if r.Probe != nil {
		obj("probe", r.Probe)
	}
	optStr("client_random", r.ClientRandom)
	if len(r.Captures) > 0 {
		obj("captures", r.Captures)
	}
	if r.Probed != nil {
		obj("probed", r.Probed)
	}
	optStr("probed_at", r.ProbedAt.String())
	b = append(b, '}', '\n')
	return b, err
}

// appendCert appends the certificate object, in every record that has a
// certificate: the one nested object common enough to write by hand.
func appendCert(b []byte, c *analysis.CertRecord) []byte {
	b = append(b, `{"subject":`...)
	b = appendString(b, c.Subject)
	b = append(b, `,"cn":`...)
	b = appendString(b, c.CN)
	b = append(b, `,"ou":`...)
	b = appendStrings(b, c.OU)
	b = append(b, `,"o":`...)
	b = appendStrings(b, c.O)
	b = append(b, `,"san_dns":`...)
	b = appendStrings(b, c.SANDNS)
	b = append(b, `,"san_ip":`...)
	b = appendStrings(b, c.SANIP)
	b = append(b, `,"sans":`...)
	if c.SANs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range c.SANs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":`...)
			b = appendString(b, e.Type)
			b = append(b, `,"value":`...)
			b = appendString(b, e.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"issuer":`...)
	b = appendString(b, c.Issuer)
	b = append(b, `,"not_before":`...)
	b = appendString(b, c.NotBefore.String())
	b = append(b, `,"not_after":`...)
	b = appendString(b, c.NotAfter.String())
	b = append(b, `,"sha256":`...)
	b = appendString(b, c.SHA256)
	b = append(b, `,"self_signed":`...)
	b = strconv.AppendBool(b, c.SelfSigned)
	if c.X509Error != "" {
		b = append(b, `,"x509_error":`...)
		b = appendString(b, c.X509Error)
	}
	return append(b, '}')
}

// appendStrings appends a JSON array of strings, null for nil.
func appendStrings(b []byte, l []string) []byte {
	if l == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// SWAR constants: a byte repeated in each of a word's eight bytes.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainPrefix is the length of s's leading bytes that appendString copies
// as they are (printable ASCII but '"' and '\\'), tested eight at a time:
// most strings are host names, and this is the JSON writer's inner loop.
func plainPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if needsEscape(x) {
			break
		}
	}
	return i
}

// needsEscape reports whether any byte of x is below 0x20, '"', '\\' or
// not ASCII (the "has zero byte" and "has byte less than" tests of Bit
// Twiddling Hacks, exact when asked for any byte).
func needsEscape(x uint64) bool {
	zero := func(v uint64) uint64 { return (v - ones) &^ v & highs }
	return zero(x^(ones*'"'))|zero(x^(ones*'\\'))|((x-ones*0x20)&^x&highs)|(x&highs) != 0
}

// appendString appends s as a JSON string exactly as encoding/json does
// with HTML escaping off (encode.go, appendString): quote and backslash
// escaped, control characters as \b \f \n \r \t or \u00XX, bytes that
// are not UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	i := plainPrefix(s)
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
