// Package tlsparse reads the cleartext part of TLS handshakes: record
// framing, ClientHello (including the SSLv2-compatible form), ServerHello,
// the TLS 1.2 Certificate message and the X.509 certificates in it, down to
// the fields a firewall uses to name a server (SNI, subjectAltName, subject
// CN/OU/O).
//
// The parsers are strict about framing and lenient about meaning: a length
// that runs past its container is an error, while oddities a TLS endpoint
// would reject (duplicate extensions, several server names, non-DER
// certificates) are kept and listed in an Anomalies field. "Need more bytes"
// (ErrNeedMore) is distinct from "malformed" (ErrClientHello,
// ErrServerHello, ErrCertificateMsg, ErrCertificate, …).
//
// Certificates are parsed twice: the fields are always read from the raw
// DER with cryptobyte, and crypto/x509 is asked as well; when x509 refuses a
// certificate its error is kept in Certificate.X509Error and the raw fields
// remain. Parsed certificates are cached per process by their SHA-256, so a
// server certificate seen on many connections is parsed once.
//
// An Observer follows one TCP connection, fed with the two in-order byte
// streams. It decides from content alone which side is the client and
// whether the connection is TLS at all, buffers only handshake bytes, and
// stops as soon as the certificate status is known (present, encrypted,
// resumed, missing or incomplete). What it did not see whole it does not
// report: Handshake.ClientHello is set only from a ClientHello read whole,
// and Handshake.SNIStatus says "unknown", not "absent", when the hello was
// not captured, lost in a gap, cut short or could not be parsed.
//
// The Observer also keeps what tells why a handshake failed: the plaintext
// alerts, typed, with the side that sent them and the last message its peer
// had sent (Handshake.Alerts), and an HTTP CONNECT through an explicit
// proxy before TLS with the proxy's status (Handshake.Connect, also when no
// TLS followed). With Follow it reads on after the certificate decision,
// bodies skipped, until both directions' records are encrypted, so that a
// client's alert about the certificate (TLS <= 1.2) is seen, and says
// whether the server's flight ended (ServerDone), which directions went
// encrypted (Encrypted: later alerts cannot be read) and whether the client
// finished (ClientFinished). Follow changes none of the fields decided
// without it.
//
// Caps, all named constants: a record is at most MaxRecordLen bytes
// (2^14+2048, RFC 8446 Section 5.2); a ClientHello or ServerHello at most
// MaxHelloLen (64 KiB); a Certificate message at most MaxCertificateMsgLen
// (1 MiB); other handshake messages are skipped without buffering. A
// certificate holds at most MaxSANs subjectAltName entries.
package tlsparse
