package tlsparse

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// MaxChainCerts caps the certificates kept from one Certificate message;
// later ones are counted but not returned.
const MaxChainCerts = 64

// ErrCertificateMsg: a Certificate message whose framing is broken.
var ErrCertificateMsg = errors.New("tlsparse: malformed Certificate message")

// CertificateMsg is a Certificate handshake message. Certs alias the
// parsed bytes: copy them (ParseCertificate does) to keep them.
type CertificateMsg struct {
	Context []byte   // certificate_request_context (TLS 1.3 only)
	Certs   [][]byte // DER certificates, leaf first, at most MaxChainCerts
	Total   int      // certificates in the message, including those not kept
}

// ParseCertificateMsg parses a Certificate handshake message starting with
// its 4-byte header: the TLS 1.2 form (RFC 5246, Section 7.4.2) or, with
// tls13, the TLS 1.3 form with per-certificate extensions (RFC 8446,
// Section 4.4.2). Bytes after the message are ignored.
func ParseCertificateMsg(msg []byte, tls13 bool) (*CertificateMsg, error) {
	body, err := handshakeBody(msg, TypeCertificate, MaxCertificateMsgLen, ErrCertificateMsg)
	if err != nil {
		return nil, err
	}
	m := new(CertificateMsg)
	if !m.unmarshal(body, tls13) {
		return nil, ErrCertificateMsg
	}
	return m, nil
}

func (m *CertificateMsg) unmarshal(body []byte, tls13 bool) bool {
	s := cryptobyte.String(body)
	if tls13 {
		var ctx cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&ctx) {
			return false
		}
		m.Context = ctx
	}
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return false
	}
	for !list.Empty() {
		var cert cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&cert) || len(cert) == 0 {
			return false
		}
		if tls13 {
			var exts cryptobyte.String
			if !list.ReadUint16LengthPrefixed(&exts) {
				return false
			}
		}
		if m.Total < MaxChainCerts {
			m.Certs = append(m.Certs, cert)
		}
		m.Total++
	}
	return true
}
