package tlsparse

// Dir is one direction of a connection's bytes, 0 or 1, numbered as the
// caller numbers them (pcaps.Dir: 0 from the connection's initiator).
type Dir int8

// DirUnknown is Handshake.ClientDir while neither side's bytes told.
const DirUnknown Dir = -1

// CertStatus says whether the server certificate could be read from a
// handshake, and if not, why.
type CertStatus string

// Certificate statuses.
const (
	CertPresent    CertStatus = "present"    // Certificate message read (TLS <= 1.2)
	CertEncrypted  CertStatus = "encrypted"  // TLS 1.3: the Certificate message is encrypted
	CertResumed    CertStatus = "resumed"    // abbreviated handshake, no certificate sent
	CertIncomplete CertStatus = "incomplete" // bytes missing or cut before the decision
	CertMissing    CertStatus = "missing"    // the server sent no certificate (or nothing)
	// CertProbed: the connection did not show its certificate (TLS 1.3,
	// resumption) and Chain is what the server presented to a connection
	// of tsid's own (package probe). An Observer never decides it.
	CertProbed CertStatus = "probed"
)

// SNIStatus says what the capture showed of the client's server_name. Only
// a ClientHello read whole can tell that an SNI is absent: one that was not
// captured, lost in a gap, cut by the snap length or left unfinished might
// have carried one.
type SNIStatus string

// SNI statuses.
const (
	SNIPresent SNIStatus = "present" // the ClientHello was read whole and has a host_name
	SNIAbsent  SNIStatus = "absent"  // the ClientHello was read whole and has none
	SNIUnknown SNIStatus = "unknown" // the ClientHello was not read whole (or not parsed)
)
