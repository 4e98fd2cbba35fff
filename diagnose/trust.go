package diagnose

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/tsid-project/tsid/internal/roots"
)

// rootPool is the public roots (the Mozilla bundle that
// golang.org/x/crypto/x509roots/fallback embeds, the same on every
// machine, unlike a system store) and the extra ones.
func rootPool(extra []*x509.Certificate) *x509.CertPool { return roots.Pool(extra) }

// ErrNoCertificate: a --trust file holds no PEM certificate.
var ErrNoCertificate = errors.New("diagnose: no PEM certificate in the file")

// ParseRoots reads the PEM certificates of a --trust file.
func ParseRoots(pemData []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, pemData = pem.Decode(pemData)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return out, fmt.Errorf("diagnose: PEM block %d: %v", n, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, ErrNoCertificate
	}
	return out, nil
}
