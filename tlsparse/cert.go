package tlsparse

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// MaxSANs caps the subjectAltName entries read from one certificate.
const MaxSANs = 1 << 16

// certCacheSize bounds the per-process certificate cache.
const certCacheSize = 1024

// ErrCertificate: a certificate whose framing (DER) is broken.
var ErrCertificate = errors.New("tlsparse: malformed certificate")

// SAN is one subjectAltName entry (RFC 5280, Section 4.2.1.6).
type SAN struct {
	Type  string // "dns" "ip" "email" "uri" "other"
	Value string // raw for dns/email/uri; address text for ip; a description for other
}

// Certificate holds the naming fields of an X.509 certificate. Values
// returned by ParseCertificate are shared (cached) and must not be
// modified. Strings are raw: they may hold invalid UTF-8 or control bytes.
type Certificate struct {
	Raw       []byte
	SHA256    string // lowercase hex of SHA-256(Raw)
	Subject   string // RFC 4514, as pkix.RDNSequence.String formats it
	Issuer    string
	CN        string   // first commonName in encoding order
	CNs       []string // all commonNames, in order
	OUs       []string // all organizationalUnitNames, in order
	Os        []string // all organizationNames, in order
	SANs      []SAN    // all subjectAltName entries, in order
	DNSNames  []string // the dNSName entries of SANs
	IPs       []netip.Addr
	NotBefore time.Time
	NotAfter  time.Time
	// SelfSigned: subject equals issuer (byte for byte) and, when
	// crypto/x509 could parse the certificate, its signature verifies with
	// its own key.
	SelfSigned bool
	// X509Error is crypto/x509's error when it refused the certificate;
	// the fields then come from the raw DER alone.
	X509Error string
	Anomalies []string
}

// cache holds parsed certificates by a hash of their DER: maphash, whose
// speed is that of memory, where SHA-256 cost a microsecond a certificate
// on every handshake; a hit is compared byte for byte, so two
// certificates of the same hash are never taken for each other.
var cache = struct {
	sync.Mutex
	seed maphash.Seed
	m    map[uint64]*Certificate
}{seed: maphash.MakeSeed(), m: make(map[uint64]*Certificate)}

// ParseCertificate parses a DER certificate. The fields are read from the
// raw DER, leniently; crypto/x509 is consulted for X509Error and the
// self-signature. It fails only when not even the subject can be read.
// Results are cached and shared between callers.
func ParseCertificate(der []byte) (*Certificate, error) {
	key := maphash.Bytes(cache.seed, der)
	cache.Lock()
	c := cache.m[key]
	cache.Unlock()
	if c != nil && bytes.Equal(c.Raw, der) {
		return c, nil
	}
	c, err := parseCertificate(der, sha256.Sum256(der))
	if err != nil {
		return nil, err
	}
	cache.Lock()
	if old := cache.m[key]; old != nil && bytes.Equal(old.Raw, der) {
		c = old // parsed concurrently; keep one shared value
	} else {
		if len(cache.m) >= certCacheSize {
			for k := range cache.m { // evict an arbitrary entry
				delete(cache.m, k)
				break
			}
		}
		cache.m[key] = c
	}
	cache.Unlock()
	return c, nil
}

func parseCertificate(der []byte, sum [32]byte) (*Certificate, error) {
	c := &Certificate{Raw: bytes.Clone(der), SHA256: hex.EncodeToString(sum[:])}
	subject, issuer, ok := c.unmarshal(c.Raw)
	if !ok {
		return nil, ErrCertificate
	}
	xc, err := x509.ParseCertificate(c.Raw)
	if err != nil {
		c.X509Error = err.Error()
	}
	if bytes.Equal(subject, issuer) {
		c.SelfSigned = xc == nil || selfSignature(xc)
	}
	return c, nil
}

// selfSignature reports whether xc's signature verifies with its own key.
// CheckSignatureFrom is not used: it demands the CA flag, which many
// self-signed server certificates lack. Signatures crypto/x509 deems
// insecure (SHA-1, MD5) are still checked, as old appliances use them.
func selfSignature(xc *x509.Certificate) bool {
	err := xc.CheckSignature(xc.SignatureAlgorithm, xc.RawTBSCertificate, xc.Signature)
	if err == nil {
		return true
	}
	var insecure x509.InsecureAlgorithmError
	if !errors.As(err, &insecure) {
		return false
	}
	var h crypto.Hash
	var digest []byte
	switch xc.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1:
		s := sha1.Sum(xc.RawTBSCertificate)
		h, digest = crypto.SHA1, s[:]
	case x509.MD5WithRSA:
		s := md5.Sum(xc.RawTBSCertificate)
		h, digest = crypto.MD5, s[:]
	default:
		return false
	}
	switch pub := xc.PublicKey.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, h, digest, xc.Signature) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(pub, digest, xc.Signature)
	}
	return false
}

func (c *Certificate) anomaly(a string) { c.Anomalies = append(c.Anomalies, a) }

var (
	tagVersion   = cbasn1.Tag(0).Constructed().ContextSpecific()
	tagIssuerUID = cbasn1.Tag(1).ContextSpecific()
	tagSubjUID   = cbasn1.Tag(2).ContextSpecific()
	tagExts      = cbasn1.Tag(3).Constructed().ContextSpecific()
)

// unmarshal reads the certificate fields (RFC 5280, Section 4.1). Framing
// up to the subject must hold; later damage only adds anomalies.
func (c *Certificate) unmarshal(der []byte) (subject, issuer []byte, ok bool) {
	in := cryptobyte.String(der)
	var cert, tbs, serial, validity cryptobyte.String
	var subj, iss cryptobyte.String
	var tag cbasn1.Tag
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
		!tbs.SkipOptionalASN1(tagVersion) ||
		!tbs.ReadAnyASN1(&serial, &tag) || // any INTEGER, negative or not
		!tbs.SkipASN1(cbasn1.SEQUENCE) || // signature AlgorithmIdentifier
		!tbs.ReadASN1Element(&iss, cbasn1.SEQUENCE) ||
		!tbs.ReadASN1(&validity, cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&subj, cbasn1.SEQUENCE) {
		return nil, nil, false
	}
	if !in.Empty() {
		c.anomaly("trailing-data")
	}
	if tag != cbasn1.INTEGER {
		c.anomaly("serial-not-integer")
	}
	var n name
	if !n.parse(subj) {
		return nil, nil, false
	}
	c.Subject, c.CNs, c.OUs, c.Os = n.str, n.cns, n.ous, n.os
	if len(c.CNs) > 0 {
		c.CN = c.CNs[0]
	}
	var in2 name
	if in2.parse(iss) {
		c.Issuer = in2.str
	} else {
		c.anomaly("issuer-malformed")
	}
	var ok1, ok2 bool
	c.NotBefore, ok1 = readTime(&validity)
	c.NotAfter, ok2 = readTime(&validity)
	if !ok1 || !ok2 {
		c.anomaly("validity-malformed")
	}
	if !tbs.SkipASN1(cbasn1.SEQUENCE) { // subjectPublicKeyInfo
		c.anomaly("spki-malformed")
		return subj, iss, true
	}
	if !tbs.SkipOptionalASN1(tagIssuerUID) || !tbs.SkipOptionalASN1(tagIssuerUID.Constructed()) ||
		!tbs.SkipOptionalASN1(tagSubjUID) || !tbs.SkipOptionalASN1(tagSubjUID.Constructed()) {
		c.anomaly("uid-malformed")
		return subj, iss, true
	}
	if !tbs.PeekASN1Tag(tagExts) {
		return subj, iss, true
	}
	var exts cryptobyte.String
	if !tbs.ReadASN1(&exts, tagExts) || !exts.ReadASN1(&exts, cbasn1.SEQUENCE) {
		c.anomaly("extensions-malformed")
		return subj, iss, true
	}
	sanSeen := false
	for !exts.Empty() {
		var ext, oid, value cryptobyte.String
		// RFC 5280, Section 4.1: Extension ::= SEQUENCE { extnID, critical
		// BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }.
		if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) ||
			!ext.SkipOptionalASN1(cbasn1.BOOLEAN) || !ext.ReadASN1(&value, cbasn1.OCTET_STRING) {
			c.anomaly("extensions-malformed")
			break
		}
		if !bytes.Equal(oid, oidSAN) {
			continue
		}
		if sanSeen {
			c.anomaly("duplicate-san-extension")
			continue
		}
		sanSeen = true
		c.readSANs(value)
	}
	return subj, iss, true
}

var oidSAN = []byte{0x55, 0x1d, 0x11} // 2.5.29.17

// readSANs reads GeneralNames (RFC 5280, Section 4.2.1.6).
func (c *Certificate) readSANs(value cryptobyte.String) {
	var seq cryptobyte.String
	if !value.ReadASN1(&seq, cbasn1.SEQUENCE) {
		c.anomaly("san-malformed")
		return
	}
	for !seq.Empty() {
		var v cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&v, &tag) {
			c.anomaly("san-malformed")
			return
		}
		if len(c.SANs) >= MaxSANs {
			c.anomaly("san-too-many")
			return
		}
		san := SAN{Type: "other"}
		if tag&0xc0 != 0x80 { // not context-specific
			san.Value = "tag:" + strconv.Itoa(int(tag))
			c.SANs = append(c.SANs, san)
			continue
		}
		switch tag & 0x1f {
		case sanOtherName: // SEQUENCE { type-id OID, [0] EXPLICIT value }
			san.Value = "othername"
			if oid, ok := readOID(&v); ok {
				san.Value += ":" + oid
			}
		case sanRFC822Name:
			san = SAN{Type: "email", Value: string(v)}
		case sanDNSName:
			san = SAN{Type: "dns", Value: string(v)}
			c.DNSNames = append(c.DNSNames, san.Value)
		case sanX400Address:
			san.Value = "x400"
		case sanDirectoryName: // EXPLICIT: [4] { Name }
			var n name
			var inner cryptobyte.String
			if v.ReadASN1Element(&inner, cbasn1.SEQUENCE) && n.parse(inner) {
				san.Value = "dirname:" + n.str
			} else {
				san.Value = "dirname"
			}
		case sanEDIPartyName:
			san.Value = "edipartyname"
		case sanURI:
			san = SAN{Type: "uri", Value: string(v)}
		case sanIPAddress:
			if a, ok := netip.AddrFromSlice(v); ok {
				san = SAN{Type: "ip", Value: a.String()}
				c.IPs = append(c.IPs, a)
			} else {
				san.Value = "ip:" + hex.EncodeToString(v)
			}
		case sanRegisteredID:
			san.Value = "rid:" + oidString(v)
		default:
			san.Value = "tag:" + strconv.Itoa(int(tag&0x1f))
		}
		c.SANs = append(c.SANs, san)
	}
}

// readOID reads an OBJECT IDENTIFIER from the start of a SEQUENCE body.
func readOID(s *cryptobyte.String) (string, bool) {
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1ObjectIdentifier(&oid) {
		return "", false
	}
	return oid.String(), true
}

func readOIDElement(el []byte) (string, bool) {
	s := cryptobyte.String(el)
	return readOID(&s)
}

// oidString formats the contents of an OBJECT IDENTIFIER in dotted form,
// or as hex when its arcs do not fit.
func oidString(contents []byte) string {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(contents) })
	if el, err := b.Bytes(); err == nil {
		if s, ok := readOIDElement(el); ok {
			return s
		}
	}
	return "#" + hex.EncodeToString(contents)
}

// readTime reads a UTCTime or GeneralizedTime leniently: seconds and the
// zone may be missing, offsets are honoured (RFC 5280, Section 4.1.2.5).
func readTime(s *cryptobyte.String) (time.Time, bool) {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) {
		return time.Time{}, false
	}
	str := string(v)
	var layouts []string
	switch tag {
	case cbasn1.UTCTime:
		layouts = []string{"060102150405Z0700", "0601021504Z0700", "060102150405", "0601021504"}
	case cbasn1.GeneralizedTime:
		layouts = []string{"20060102150405Z0700", "20060102150405", "200601021504Z0700"}
	default:
		return time.Time{}, false
	}
	for _, l := range layouts {
		t, err := time.Parse(l, str)
		if err != nil {
			continue
		}
		if tag == cbasn1.UTCTime && t.Year() >= 2050 {
			t = t.AddDate(-100, 0, 0) // RFC 5280: YY >= 50 is 19YY
		}
		return t.UTC(), true
	}
	return time.Time{}, false
}

// name accumulates a parsed Name (RFC 5280, Section 4.1.2.4).
type name struct {
	str          string
	cns, ous, os []string
}

// Attribute types with a short name in RFC 4514 output, as
// crypto/x509/pkix names them (OID 2.5.4.x).
var attrNames = [...]string{3: "CN", 5: "SERIALNUMBER", 6: "C", 7: "L", 8: "ST", 9: "STREET", 10: "O", 11: "OU", 17: "POSTALCODE"}

// parse reads a Name element and formats it the way
// pkix.RDNSequence.String does: RDNs in reverse order separated by ",",
// attributes of one RDN joined by "+", unknown types as OID=#hex.
func (n *name) parse(el cryptobyte.String) bool {
	var seq cryptobyte.String
	if !el.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return false
	}
	var rdns []string
	for !seq.Empty() {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, cbasn1.SET) {
			return false
		}
		var rdn strings.Builder
		for !set.Empty() {
			var atv, oid, val cryptobyte.String
			var tag cbasn1.Tag
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) ||
				!atv.ReadAnyASN1(&val, &tag) {
				return false
			}
			if rdn.Len() > 0 {
				rdn.WriteByte('+')
			}
			text, isText := decodeString(tag, val)
			short := ""
			if len(oid) == 3 && oid[0] == 0x55 && oid[1] == 0x04 && int(oid[2]) < len(attrNames) {
				short = attrNames[oid[2]]
			}
			if isText && short != "" {
				switch oid[2] {
				case attrCommonName:
					n.cns = append(n.cns, text)
				case attrOrganization:
					n.os = append(n.os, text)
				case attrOrganizationalUnit:
					n.ous = append(n.ous, text)
				}
			}
			if short == "" || !isText {
				if short == "" {
					short = oidString(oid)
				}
				rdn.WriteString(short)
				rdn.WriteString("=#")
				rdn.WriteString(hex.EncodeToString(valueDER(tag, val, text, isText)))
				continue
			}
			rdn.WriteString(short)
			rdn.WriteByte('=')
			escapeValue(&rdn, text)
		}
		rdns = append(rdns, rdn.String())
	}
	var sb strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		sb.WriteString(rdns[i])
		if i > 0 {
			sb.WriteByte(',')
		}
	}
	n.str = sb.String()
	return true
}

// valueDER is the DER that pkix prints after "#" for an attribute of
// unknown type: a decoded string re-encoded the way encoding/asn1 marshals
// a Go string (PrintableString when it can, else UTF8String); any other
// value as it was encoded.
func valueDER(tag cbasn1.Tag, val []byte, text string, isText bool) []byte {
	var b cryptobyte.Builder
	switch {
	case isText && utf8.ValidString(text):
		t := cbasn1.PrintableString
		for i := 0; i < len(text); i++ {
			if !printable(text[i]) {
				t = cbasn1.UTF8String
				break
			}
		}
		b.AddASN1(t, func(b *cryptobyte.Builder) { b.AddBytes([]byte(text)) })
	default:
		b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes(val) })
	}
	out, err := b.Bytes()
	if err != nil {
		return val
	}
	return out
}

// printable is encoding/asn1's PrintableString alphabet.
func printable(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		'\'' <= c && c <= ')' || '+' <= c && c <= '/' || c == ' ' || c == ':' || c == '=' || c == '?'
}

// escapeValue escapes an attribute value as pkix.RDNSequence.String does,
// byte by byte so that invalid UTF-8 survives unchanged.
func escapeValue(sb *strings.Builder, v string) {
	for k := 0; k < len(v); k++ {
		c := v[k]
		esc := false
		switch c {
		case ',', '+', '"', '\\', '<', '>', ';':
			esc = true
		case ' ':
			esc = k == 0 || k == len(v)-1
		case '#':
			esc = k == 0
		}
		if esc {
			sb.WriteByte('\\')
		}
		sb.WriteByte(c)
	}
}

// GeneralName tags of subjectAltName entries (RFC 5280, Section 4.2.1.6).
const (
	sanOtherName     = 0
	sanRFC822Name    = 1
	sanDNSName       = 2
	sanX400Address   = 3
	sanDirectoryName = 4
	sanEDIPartyName  = 5
	sanURI           = 6
	sanIPAddress     = 7
	sanRegisteredID  = 8
)

// The last arc of the X.520 attribute types read from a subject
// (id-at, 2.5.4.x; RFC 5280, Appendix A).
const (
	attrCommonName         = 3
	attrOrganization       = 10
	attrOrganizationalUnit = 11
)

// ASN.1 string types that cryptobyte/asn1 has no name for (X.680, 8.6).
const (
	tagNumericString   = cbasn1.Tag(18)
	tagVisibleString   = cbasn1.Tag(26)
	tagGraphicString   = cbasn1.Tag(25)
	tagUniversalString = cbasn1.Tag(28)
	tagBMPString       = cbasn1.Tag(30)
)

// decodeString turns the ASN.1 string types into text. Bytes that are not
// valid in their type are kept raw rather than rejected.
func decodeString(tag cbasn1.Tag, v []byte) (string, bool) {
	switch tag {
	case cbasn1.UTF8String, cbasn1.PrintableString, cbasn1.IA5String,
		tagNumericString, tagGraphicString, tagVisibleString, cbasn1.GeneralString:
		return string(v), true
	case cbasn1.T61String:
		// Latin-1, as crypto/x509 and BoringSSL read it.
		buf := make([]byte, 0, len(v))
		for _, b := range v {
			buf = utf8.AppendRune(buf, rune(b))
		}
		return string(buf), true
	case tagBMPString: // UCS-2 big-endian
		if len(v)%2 != 0 {
			return string(v), true
		}
		u := make([]uint16, len(v)/2)
		for i := range u {
			u[i] = uint16(v[2*i])<<8 | uint16(v[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case tagUniversalString: // UCS-4 big-endian
		if len(v)%4 != 0 {
			return string(v), true
		}
		buf := make([]byte, 0, len(v)/4)
		for i := 0; i < len(v); i += 4 {
			r := rune(v[i])<<24 | rune(v[i+1])<<16 | rune(v[i+2])<<8 | rune(v[i+3])
			buf = utf8.AppendRune(buf, r)
		}
		return string(buf), true
	}
	return "", false
}
