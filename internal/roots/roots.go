// Package roots is the public trust anchors tsid checks certificate chains
// against: the Mozilla bundle that golang.org/x/crypto/x509roots/fallback
// embeds, the same on every machine, unlike a system store.
package roots

import (
	"crypto/x509"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Pool returns a new pool of the public roots and the extra ones (a
// --trust file's). Roots the bundle constrains keep their constraint.
func Pool(extra []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for r := range bundle.Roots() {
		c, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			continue
		}
		if r.Constraint != nil {
			p.AddCertWithConstraint(c, r.Constraint)
		} else {
			p.AddCert(c)
		}
	}
	for _, c := range extra {
		p.AddCert(c)
	}
	return p
}
