package synth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// CertSpec describes a certificate to issue.
type CertSpec struct {
	// KeySeed names the Ed25519 key: the key is derived from SHA-256 of
	// the seed, so equal seeds give equal keys.
	KeySeed   string
	Serial    int64
	Subject   pkix.Name
	DNSNames  []string // SAN dNSNames in this order; none and no IPs = no SAN extension
	IPs       []net.IP
	NotBefore time.Time
	NotAfter  time.Time
	CA        bool
}

// Identity is a certificate with its private key and issuer.
type Identity struct {
	Cert   *x509.Certificate
	Key    ed25519.PrivateKey
	Issuer *Identity // nil when self-signed
}

// DER returns the certificate's DER encoding.
func (id *Identity) DER() []byte { return id.Cert.Raw }

// NewIdentity issues a certificate for spec, signed by issuer, or
// self-signed when issuer is nil.
func NewIdentity(spec CertSpec, issuer *Identity) (*Identity, error) {
	if spec.KeySeed == "" {
		return nil, errors.New("synth: CertSpec without KeySeed")
	}
	seed := sha256.Sum256([]byte(spec.KeySeed))
	key := ed25519.NewKeyFromSeed(seed[:])
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(spec.Serial),
		Subject:               spec.Subject,
		DNSNames:              spec.DNSNames,
		IPAddresses:           spec.IPs,
		NotBefore:             spec.NotBefore,
		NotAfter:              spec.NotAfter,
		BasicConstraintsValid: true,
		IsCA:                  spec.CA,
	}
	if spec.CA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	// Ed25519 signatures are deterministic, so the rand argument is unused
	// and the DER is the same on every run.
	der, err := x509.CreateCertificate(nil, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("synth: issuing %q: %w", spec.KeySeed, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("synth: issuing %q: %w", spec.KeySeed, err)
	}
	return &Identity{Cert: cert, Key: key, Issuer: issuer}, nil
}

// Chain returns the DER certificates a server sends: this certificate and
// its issuers, leaf first.
func (id *Identity) Chain() [][]byte {
	var chain [][]byte
	for c := id; c != nil; c = c.Issuer {
		chain = append(chain, c.Cert.Raw)
	}
	return chain
}

// TLSCertificate returns the identity as a server certificate with its
// whole chain.
func (id *Identity) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: id.Chain(), PrivateKey: id.Key, Leaf: id.Cert}
}

// Root returns the last certificate of the chain (the trust anchor).
func (id *Identity) Root() *x509.Certificate {
	c := id
	for c.Issuer != nil {
		c = c.Issuer
	}
	return c.Cert
}
