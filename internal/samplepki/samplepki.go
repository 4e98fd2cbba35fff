// Package samplepki issues the certificates of the sample captures that
// live servers need too: the test CA, the field case's tools.cisco.com
// (first SAN toos.cisco.com) and www.example.com, exactly as
// testdata/samples/README.md lists them. cmd/tsidgen issues the samples'
// PKI from here, and the tests that start a TLS server on loopback (tsid
// probe, analyze --probe-missing) serve these, so that a server and a
// capture show the same certificate. Keys are Ed25519 from fixed seeds:
// the DER, and its SHA-256, never change.
package samplepki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"time"

	"github.com/tsid-project/tsid/pcaps/synth"
)

// The validity of every CA-issued leaf.
var (
	LeafFrom = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	LeafTo   = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
)

// SHA-256 of the DER of the certificates, as testdata/samples/README.md
// lists them.
const (
	CASHA256    = "6aabfa7125b859279e36e82c0cf5a26bf0dead6526a47d87aa790843709fd916"
	ToolsSHA256 = "ebbff5e73b40b6e76ae234d85eb24d5f50fab83dc2d67855f9bb10e69c31cb6b"
	WWWSHA256   = "fd5888e545bac163dbc77919af6d57f9c833c0c593eee64c4abb46f7c14934b4"
)

// CA is the samples' issuing CA: CN=Test Issuing CA,O=tsid Test PKI,C=US,
// self-signed, 2025–2035.
func CA() (*synth.Identity, error) {
	return synth.NewIdentity(synth.CertSpec{
		KeySeed: "tsid test issuing ca", Serial: 0x1001, CA: true,
		Subject:   pkix.Name{Country: []string{"US"}, Organization: []string{"tsid Test PKI"}, CommonName: "Test Issuing CA"},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}, nil)
}

// Tools is the field case's certificate, issued by ca: CN tools.cisco.com,
// SAN dNSNames toos.cisco.com (first), tools.cisco.com, tools1.cisco.com,
// tools2.cisco.com.
func Tools(ca *synth.Identity) (*synth.Identity, error) {
	return synth.NewIdentity(synth.CertSpec{
		KeySeed: "tools.cisco.com", Serial: 0x2001,
		Subject: pkix.Name{Country: []string{"US"}, Province: []string{"California"}, Locality: []string{"San Jose"},
			Organization: []string{"Cisco Systems Inc."}, CommonName: "tools.cisco.com"},
		DNSNames:  []string{"toos.cisco.com", "tools.cisco.com", "tools1.cisco.com", "tools2.cisco.com"},
		NotBefore: LeafFrom, NotAfter: LeafTo,
	}, ca)
}

// WWW is www.example.com's certificate, issued by ca: SAN dNSNames
// www.example.com, example.com.
func WWW(ca *synth.Identity) (*synth.Identity, error) {
	return synth.NewIdentity(synth.CertSpec{
		KeySeed: "www.example.com", Serial: 0x2002,
		Subject:   pkix.Name{Organization: []string{"Example Org"}, CommonName: "www.example.com"},
		DNSNames:  []string{"www.example.com", "example.com"},
		NotBefore: LeafFrom, NotAfter: LeafTo,
	}, ca)
}

// FieldCase is Tools issued by CA: what the field case's server sends.
func FieldCase() (*synth.Identity, error) {
	ca, err := CA()
	if err != nil {
		return nil, err
	}
	return Tools(ca)
}

// The files WritePEM writes.
const (
	CAFile        = "ca.pem"                   // the CA certificate: a --trust file
	ToolsFile     = "tools.cisco.com.pem"      // the field case's leaf
	ToolsKeyFile  = "tools.cisco.com.key"      // its private key (PKCS #8)
	ToolsFullFile = "tools.cisco.com-full.pem" // leaf and CA, as the server sends them
)

// WritePEM writes the field case's certificate, its key and the CA into
// dir as PEM (the files above), for a server such as openssl s_server
// (-cert ToolsFile -key ToolsKeyFile -cert_chain CAFile), and returns
// their paths in that order.
func WritePEM(dir string) ([]string, error) {
	ca, err := CA()
	if err != nil {
		return nil, err
	}
	tools, err := Tools(ca)
	if err != nil {
		return nil, err
	}
	key, err := x509.MarshalPKCS8PrivateKey(tools.Key)
	if err != nil {
		return nil, err
	}
	cert := func(id *synth.Identity) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.DER()})
	}
	var paths []string
	for _, f := range []struct {
		name string
		b    []byte
		mode os.FileMode
	}{
		{CAFile, cert(ca), 0o644},
		{ToolsFile, cert(tools), 0o644},
		{ToolsKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600},
		{ToolsFullFile, append(cert(tools), cert(ca)...), 0o644},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.b, f.mode); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
