package tlsparse

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash/maphash"
	"math/big"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/cryptobyte"
)

func TestParseCertificate(t *testing.T) {
	ca, caKey := testCA(t)
	key := testKey(3)
	u, _ := url.Parse("https://u.example/x")
	cn := func(s string) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: s}
	}
	for _, tt := range []struct {
		name string
		tmpl *x509.Certificate
		self bool
		want Certificate // compared fields only
	}{
		{"multi cn ou o, mixed san order", &x509.Certificate{
			Subject: pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Org A"},
				{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Unit 1"},
				cn("first.example"),
				{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "Unit 2"},
				cn("second.example"),
				{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "me@example.com"},
			}},
			DNSNames:       []string{"toos.example.com", "tools.example.com"},
			IPAddresses:    []net.IP{net.ParseIP("192.0.2.1"), net.ParseIP("2001:db8::1")},
			EmailAddresses: []string{"a@example.com"},
			URIs:           []*url.URL{u},
		}, false, Certificate{
			CN: "first.example", CNs: []string{"first.example", "second.example"},
			OUs: []string{"Unit 1", "Unit 2"}, Os: []string{"Org A"},
			// crypto/x509 encodes SANs grouped by type: DNS, email, IP, URI.
			SANs: []SAN{{"dns", "toos.example.com"}, {"dns", "tools.example.com"}, {"email", "a@example.com"},
				{"ip", "192.0.2.1"}, {"ip", "2001:db8::1"}, {"uri", "https://u.example/x"}},
			DNSNames: []string{"toos.example.com", "tools.example.com"},
			IPs:      []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")},
			Issuer:   "CN=Test Root CA,O=Test Org",
		}},
		{"no cn, no san", &x509.Certificate{Subject: pkix.Name{Organization: []string{"Only, Org"}}}, false,
			Certificate{Os: []string{"Only, Org"}, Issuer: "CN=Test Root CA,O=Test Org"}},
		{"wildcard, expired", &x509.Certificate{Subject: pkix.Name{CommonName: "*.example.com"}, DNSNames: []string{"*.example.com"},
			NotBefore: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)}, false,
			Certificate{CN: "*.example.com", CNs: []string{"*.example.com"}, SANs: []SAN{{"dns", "*.example.com"}},
				DNSNames: []string{"*.example.com"}, Issuer: "CN=Test Root CA,O=Test Org",
				NotBefore: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"self-signed leaf without CA flag", &x509.Certificate{Subject: pkix.Name{CommonName: "self"}}, true,
			Certificate{CN: "self", CNs: []string{"self"}, Issuer: "CN=self", SelfSigned: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var der []byte
			if tt.self {
				der = makeCert(t, tt.tmpl, nil, key, nil)
			} else {
				der = makeCert(t, tt.tmpl, ca, key, caKey)
			}
			got, err := ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			xc, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Subject = rdnString(t, xc.RawSubject)
			if want.NotBefore.IsZero() {
				want.NotBefore, want.NotAfter = testNotBefore, testNotAfter
			}
			check(t, &want, got)
			if got.X509Error != "" || got.SHA256 == "" || string(got.Raw) != string(der) {
				t.Errorf("X509Error %q, SHA256 %q", got.X509Error, got.SHA256)
			}
			again, _ := ParseCertificate(der)
			if again != got {
				t.Error("second parse did not come from the cache")
			}
		})
	}
}

// rdnString is the reference RFC 4514 form: pkix.RDNSequence.String.
func rdnString(t *testing.T, raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		t.Fatal(err)
	}
	return seq.String()
}

func check(t *testing.T, want, got *Certificate) {
	t.Helper()
	g := *got
	g.Raw, g.SHA256, g.X509Error, g.Anomalies = nil, "", "", nil
	if diff := cmp.Diff(*want, g, ignoreEmpty, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestSubjectEscaping(t *testing.T) {
	key := testKey(4)
	names := pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: " lead#,+\"\\<>; trail "},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "#hash"},
		{Type: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: "plain"},
		{Type: asn1.ObjectIdentifier{1, 2, 3, 5}, Value: "ütf8*"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "DE"},
	}}
	der := makeCert(t, &x509.Certificate{Subject: names}, nil, key, nil)
	got, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	xc, _ := x509.ParseCertificate(der)
	if want := rdnString(t, xc.RawSubject); got.Subject != want {
		t.Errorf("Subject\n got %s\nwant %s", got.Subject, want)
	}
}

func TestManySANs(t *testing.T) {
	var dns []string
	for i := range 10000 {
		dns = append(dns, fmt.Sprintf("h%05d.example.com", i))
	}
	der := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "many"}, DNSNames: dns}, nil, testKey(5), nil)
	got, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.SANs) != 10000 || got.SANs[9999].Value != dns[9999] || !cmp.Equal(got.DNSNames, dns) {
		t.Errorf("got %d SANs", len(got.SANs))
	}
}

// patchDER replaces every occurrence of old in der by new (same length,
// so no length needs fixing; issuer and subject change alike).
func patchDER(t *testing.T, der, old, new []byte) []byte {
	t.Helper()
	if !strings.Contains(string(der), string(old)) || len(old) != len(new) {
		t.Fatalf("pattern %x not found or lengths differ", old)
	}
	return []byte(strings.ReplaceAll(string(der), string(old), string(new)))
}

func TestNonDERCertificates(t *testing.T) {
	key := testKey(6)
	tmpl := func() *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(0x55), Subject: pkix.Name{CommonName: "legacy.example"},
			DNSNames: []string{"legacy.example"}}
	}
	der := makeCert(t, tmpl(), nil, key, nil)
	cnUTF8 := append([]byte{0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 14}, "legacy.example"...)
	for _, tt := range []struct {
		name  string
		der   []byte
		cn    string
		x509  string // substring of the expected X509Error
		after time.Time
	}{
		// encoding/asn1 and crypto/x509 refuse negative serials since Go 1.23.
		{"negative serial", patchDER(t, der, []byte{0x02, 0x01, 0x55}, []byte{0x02, 0x01, 0x85}), "legacy.example", "negative serial", testNotAfter},
		// UniversalString is not among crypto/x509's string types; 14 bytes
		// are not UCS-4, so the bytes are kept as they are.
		{"universal string", patchDER(t, der, cnUTF8, append([]byte{0x06, 0x03, 0x55, 0x04, 0x03, 0x1c, 14}, "legacy.example"...)),
			"legacy.example", "", testNotAfter},
		// Invalid UTF-8 in a UTF8String: kept raw.
		{"invalid utf8", patchDER(t, der, cnUTF8, append([]byte{0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 14}, "legacy\xffexample"...)),
			"legacy\xffexample", "", testNotAfter},
		// A damaged notAfter: x509 refuses, the other fields remain.
		{"bad utctime", patchDER(t, der, []byte("340102030405Z"), []byte("3401020304Z\x00\x00")), "legacy.example", "", time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := x509.ParseCertificate(tt.der); err == nil {
				t.Fatal("crypto/x509 accepted the patched certificate")
			}
			got, err := ParseCertificate(tt.der)
			if err != nil {
				t.Fatal(err)
			}
			if got.X509Error == "" || !strings.Contains(got.X509Error, tt.x509) {
				t.Errorf("X509Error = %q", got.X509Error)
			}
			if got.CN != tt.cn {
				t.Errorf("CN = %q, want %q", got.CN, tt.cn)
			}
			if len(got.DNSNames) != 1 || got.DNSNames[0] != "legacy.example" {
				t.Errorf("DNSNames = %q", got.DNSNames)
			}
			if !got.SelfSigned {
				t.Error("subject == issuer: SelfSigned expected when x509 refuses")
			}
			if !got.NotAfter.Equal(tt.after) {
				t.Errorf("NotAfter = %v, want %v", got.NotAfter, tt.after)
			}
		})
	}
}

func TestCertificateStrings(t *testing.T) {
	for _, tt := range []struct {
		tag  byte
		in   string
		want string
	}{
		{0x13, "Printable", "Printable"},
		{0x16, "ia5", "ia5"},
		{0x14, "caf\xe9", "café"},                 // T61 read as Latin-1
		{0x1e, "\x00c\x00a\x00f\x00\xe9", "café"}, // BMPString
		{0x1c, "\x00\x00\x00c\x00\x00\x00\xe9", "cé"},
		{0x0c, "raw\x01\xff", "raw\x01\xff"},
	} {
		got, ok := decodeString(cbTag(tt.tag), []byte(tt.in))
		if !ok || got != tt.want {
			t.Errorf("decodeString(%#x, %q) = %q, %v; want %q", tt.tag, tt.in, got, ok, tt.want)
		}
	}
}

func TestCertificateMalformed(t *testing.T) {
	der := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}}, nil, testKey(7), nil)
	for i := 0; i < len(der); i++ {
		c, err := ParseCertificate(der[:i])
		if err == nil && c.CN != "x" {
			t.Fatalf("prefix %d: CN %q", i, c.CN)
		}
	}
	for _, bad := range [][]byte{nil, {0x30}, {0x30, 0x80, 0x00, 0x00}, {0x30, 0x81, 0x01, 0x00}, []byte("not a certificate")} {
		if _, err := ParseCertificate(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
}

func TestReadTime(t *testing.T) {
	for _, tt := range []struct {
		tag  byte
		in   string
		want time.Time
	}{
		{0x17, "340102030405Z", time.Date(2034, 1, 2, 3, 4, 5, 0, time.UTC)},
		{0x17, "990102030405Z", time.Date(1999, 1, 2, 3, 4, 5, 0, time.UTC)},
		{0x17, "5001020304Z", time.Date(1950, 1, 2, 3, 4, 0, 0, time.UTC)}, // no seconds
		{0x17, "340102030405+0100", time.Date(2034, 1, 2, 2, 4, 5, 0, time.UTC)},
		{0x18, "20500102030405Z", time.Date(2050, 1, 2, 3, 4, 5, 0, time.UTC)},
		{0x18, "20500102030405.5Z", time.Date(2050, 1, 2, 3, 4, 5, 5e8, time.UTC)},
		{0x18, "garbage", time.Time{}},
		{0x04, "340102030405Z", time.Time{}},
	} {
		s := cryptobyte.String(append([]byte{tt.tag, byte(len(tt.in))}, tt.in...))
		got, ok := readTime(&s)
		if !got.Equal(tt.want) || ok == tt.want.IsZero() {
			t.Errorf("readTime(%#x %q) = %v, %v; want %v", tt.tag, tt.in, got, ok, tt.want)
		}
	}
}

func TestSelfSignedNeedsOwnSignature(t *testing.T) {
	// Same subject and issuer name, but signed by another key: not self-signed.
	name := pkix.Name{CommonName: "same"}
	otherKey := testKey(8)
	parent := &x509.Certificate{Subject: name, SerialNumber: big.NewInt(1), NotBefore: testNotBefore, NotAfter: testNotAfter,
		IsCA: true, BasicConstraintsValid: true}
	der := makeCert(t, &x509.Certificate{Subject: name}, parent, testKey(9), otherKey)
	c, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.SelfSigned || c.Subject != c.Issuer || c.X509Error != "" {
		t.Errorf("SelfSigned %v, Subject %q, Issuer %q, X509Error %q", c.SelfSigned, c.Subject, c.Issuer, c.X509Error)
	}
	ca, _ := testCA(t)
	if c, _ := ParseCertificate(ca.Raw); !c.SelfSigned {
		t.Error("self-signed CA not reported as self-signed")
	}
}

// TestCertificateCache: the same DER gives the same shared Certificate;
// DER that differs in one byte is another certificate, with its own hash,
// even when a cache entry is found under its key.
func TestCertificateCache(t *testing.T) {
	der := makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "tools.cisco.com"}, DNSNames: []string{"toos.cisco.com"}}, nil, testKey(7), nil)
	a, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParseCertificate(bytes.Clone(der))
	if a != b {
		t.Errorf("the same certificate parsed twice gave two values")
	}
	other := bytes.Clone(der)
	other[len(other)-1] ^= 0xff // the signature's last byte
	c, err := ParseCertificate(other)
	if err != nil {
		t.Fatal(err)
	}
	if c == a || c.SHA256 == a.SHA256 {
		t.Fatalf("a different certificate was taken for the cached one")
	}
	// An entry under the key of other that holds another certificate (as
	// a hash collision would) is not returned for it.
	key := maphash.Bytes(cache.seed, other)
	cache.Lock()
	cache.m[key] = a
	cache.Unlock()
	if d, _ := ParseCertificate(other); d == a || !bytes.Equal(d.Raw, other) {
		t.Errorf("a colliding cache entry was returned for another certificate")
	}
}
