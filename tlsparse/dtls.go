package tlsparse

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
)

// DTLS framing (RFC 6347, Sections 4.1 and 4.2.2; RFC 4347, the same for
// DTLS 1.0).
const (
	// dtlsRecordHeaderLen: type, version, epoch (2), sequence_number (6),
	// length (2).
	dtlsRecordHeaderLen = 13
	// dtlsHandshakeHeaderLen: msg_type, length (3), message_seq (2),
	// fragment_offset (3), fragment_length (3).
	dtlsHandshakeHeaderLen = 12
	// TypeHelloVerifyRequest is the server's stateless cookie exchange
	// (RFC 6347, Section 4.2.1).
	TypeHelloVerifyRequest uint8 = 3
	// MaxDTLSBuffered caps the handshake bytes a DTLS observer keeps per
	// direction (message bodies and their fragment maps): a Certificate
	// larger than this is not read.
	MaxDTLSBuffered = 64 << 10
	// maxDTLSMsgs is how many handshake messages a direction tracks at a
	// time: a flight has at most a handful (ServerHello, Certificate,
	// CertificateStatus, ServerKeyExchange, CertificateRequest,
	// ServerHelloDone).
	maxDTLSMsgs = 12
	// maxDTLSAnomalies caps Handshake.Anomalies: every datagram of a peer
	// may repeat a fault, and the distinct faults tell the story.
	maxDTLSAnomalies = 32
)

// dtlsVersion reports whether the record-layer version bytes are DTLS 1.0
// ({254,255}) or DTLS 1.2 ({254,253}); DTLS 1.3 keeps {254,253} as the
// legacy record version of its plaintext records (RFC 9147, Section 4).
func dtlsVersion(major, minor byte) bool {
	return major == 0xfe && (minor == 0xff || minor == 0xfd)
}

// LooksDTLS reports cheaply (no allocation) whether a UDP payload starts
// with a DTLS handshake record (content type 22, a DTLS version, a
// plausible length). At epoch 0 the first fragment header must also fit
// its message.
func LooksDTLS(b []byte) bool {
	if len(b) < dtlsRecordHeaderLen || b[0] != RecordHandshake || !dtlsVersion(b[1], b[2]) {
		return false
	}
	n := int(b[11])<<8 | int(b[12])
	if n < dtlsHandshakeHeaderLen || n > MaxRecordLen || dtlsRecordHeaderLen+n > len(b) {
		return false
	}
	if b[3] != 0 || b[4] != 0 {
		return true // encrypted (a Finished): nothing more to check
	}
	h := b[dtlsRecordHeaderLen:]
	length, off, flen := uint24(h[1:]), uint24(h[6:]), uint24(h[9:])
	return off+flen <= length && flen <= n-dtlsHandshakeHeaderLen
}

// DTLS follows the handshake of one DTLS association (DTLS 1.0, RFC 4347;
// DTLS 1.2, RFC 6347): both directions' UDP payloads, in capture order.
// Handshake messages are reassembled from their fragments by message_seq
// and fragment_offset, retransmissions are ignored, and messages are read
// in message_seq order, so a flight reordered on the wire is read as sent.
// Handshake.ClientDir is 0: Encrypted[0] is the client's. A DTLS is not
// safe for concurrent use.
type DTLS struct {
	hs      Handshake
	d       [2]dtlsDir // 0: the client, 1: the server
	chDone  bool       // a ClientHello was read (or failed to parse)
	shDone  bool       // a ServerHello was read
	decided bool       // Status is set
	plain   bool       // a record of epoch 0 came from either side
	scratch []byte
}

// dtlsDir is the reassembly state of one direction.
type dtlsDir struct {
	msgs     [maxDTLSMsgs]dtlsMsg
	next     uint16 // the message_seq read next; lower ones were read
	started  bool   // next is known: a hello set it
	spoke    bool   // a DTLS record came from this direction
	dead     bool   // nothing more is parsed (cut, or past the decision)
	cut      bool   // dead because bytes were over a cap or malformed
	ccs      bool   // sent ChangeCipherSpec
	buffered int    // bytes held by msgs' bodies and fragment maps
	lastMsg  uint8  // type of the last handshake message read (Alert.After)
}

// dtlsMsg is one handshake message being reassembled, or read and kept to
// compare retransmissions with.
type dtlsMsg struct {
	used  bool
	read  bool // delivered in message_seq order
	typ   uint8
	seq   uint16
	len   int
	buf   []byte // the message in TLS form: 4-byte header, then the body; nil when skipped
	have  []byte // bit map of the body bytes received
	haveN int    // body bytes received
	bad   bool   // a conflicting overlap was reported
}

// size is what m holds of the direction's MaxDTLSBuffered.
func (m *dtlsMsg) size() int { return len(m.buf) + len(m.have) }

// complete reports whether every body byte arrived; a message whose body
// is skipped is complete at its first fragment, which tells its type.
func (m *dtlsMsg) complete() bool { return m.buf == nil || m.haveN == m.len }

// NewDTLS returns a DTLS ready for an association's first datagram.
func NewDTLS() *DTLS {
	d := new(DTLS)
	d.hs.ClientDir = DirUnknown
	return d
}

const (
	dtlsClient = 0
	dtlsServer = 1
)

// Datagram feeds one UDP payload sent by the client (fromClient) or the
// server. Never an error: problems become anomalies. b is only read during
// the call.
func (d *DTLS) Datagram(b []byte, fromClient bool) {
	dir := dtlsServer
	if fromClient {
		dir = dtlsClient
	}
	s := &d.d[dir]
	for len(b) > 0 && !s.dead {
		// RFC 6347, Section 4.1: records never span datagrams, and a
		// datagram may hold several.
		if len(b) < dtlsRecordHeaderLen {
			d.anomaly("dtls-record-truncated")
			return
		}
		typ := b[0]
		epoch := uint16(b[3])<<8 | uint16(b[4])
		n := int(b[11])<<8 | int(b[12])
		if typ < RecordChangeCipherSpec || typ > RecordHeartbeat || !dtlsVersion(b[1], b[2]) || n > MaxRecordLen {
			// Not a DTLS record (or one of DTLS 1.3's unified headers,
			// after a ServerHello that decided already): the rest of the
			// datagram cannot be framed.
			d.anomaly("dtls-record-malformed")
			return
		}
		if d.hs.ClientDir == DirUnknown {
			d.hs.ClientDir = dtlsClient
		}
		d.hs.IsTLS = true
		s.spoke = true
		if epoch == 0 {
			d.plain = true
		}
		if dtlsRecordHeaderLen+n > len(b) {
			// Cut by the snap length, or a broken sender.
			d.anomaly("dtls-record-truncated")
			return
		}
		payload := b[dtlsRecordHeaderLen : dtlsRecordHeaderLen+n]
		b = b[dtlsRecordHeaderLen+n:]
		if epoch > 0 {
			d.encrypted(dir, typ)
			return
		}
		switch typ {
		case RecordHandshake:
			d.handshakeRecord(dir, payload)
		case RecordAlert:
			d.alerts(dir, payload)
		case RecordChangeCipherSpec:
			d.changeCipherSpec(dir)
		}
	}
}

// encrypted handles dir's first record of an epoch above 0: its keys
// changed (RFC 6347, Section 4.1), nothing more of it can be read.
func (d *DTLS) encrypted(dir int, typ uint8) {
	s := &d.d[dir]
	d.hs.Encrypted[dir] = true
	s.dead = true
	finished := s.ccs && typ == RecordHandshake // RFC 5246, Section 7.4.9
	if dir == dtlsClient {
		d.hs.ClientFinished = finished && d.hs.ServerDone
		return
	}
	if finished {
		d.hs.ServerDone = true
	}
	if !d.decided {
		d.keysChanged(CertIncomplete)
	}
}

// changeCipherSpec handles a plaintext ChangeCipherSpec record.
func (d *DTLS) changeCipherSpec(dir int) {
	d.d[dir].ccs = true
	if dir == dtlsServer && !d.decided {
		if !d.shDone {
			d.anomaly("ccs-before-serverhello")
		}
		d.keysChanged(CertMissing)
	}
}

// keysChanged decides a server that changed keys before any certificate:
// an abbreviated handshake (RFC 5246, Section 7.3) when its flight was
// read to there, else its Certificate may be in a lost datagram. Before
// any ServerHello it decides noHello: CertMissing for a ChangeCipherSpec,
// as the TCP Observer does, CertIncomplete for encrypted records, which
// say the capture missed the handshake.
func (d *DTLS) keysChanged(noHello CertStatus) {
	s := &d.d[dtlsServer]
	switch {
	case d.shDone && !s.pending():
		d.hs.Resumed = true
		d.decide(CertResumed)
	case d.shDone:
		d.anomaly("dtls-handshake-lost")
		d.decide(CertIncomplete)
	default:
		d.decide(noHello)
	}
}

// pending reports whether messages of the direction wait for fragments or
// for an earlier message_seq.
func (s *dtlsDir) pending() bool {
	for i := range s.msgs {
		if m := &s.msgs[i]; m.used && !m.read {
			return true
		}
	}
	return false
}

// alerts reads a plaintext alert record (RFC 5246, Section 7.2).
func (d *DTLS) alerts(dir int, p []byte) {
	if len(p)%2 != 0 {
		d.anomaly("dtls-alert-malformed")
	}
	for ; len(p) >= 2; p = p[2:] {
		level, desc := p[0], p[1]
		name := alertName(desc)
		if name == "" {
			name = strconv.Itoa(int(desc))
		}
		d.anomaly("alert:" + name)
		if len(d.hs.Alerts) < maxAlerts {
			d.hs.Alerts = append(d.hs.Alerts, Alert{
				FromClient:  dir == dtlsClient,
				Level:       level,
				Description: desc,
				After:       d.d[1-dir].lastMsg,
			})
		}
		if level == AlertLevelFatal && dir == dtlsServer {
			d.decide(CertMissing)
		}
	}
}

// handshakeRecord splits a handshake record into its fragments (RFC 6347,
// Section 4.2.2): a record holds one or more, each with a 12-byte header.
func (d *DTLS) handshakeRecord(dir int, p []byte) {
	s := &d.d[dir]
	if len(p) == 0 {
		d.anomaly("empty-handshake-record") // RFC 8446, Section 5.1
	}
	for len(p) > 0 && !s.dead {
		if len(p) < dtlsHandshakeHeaderLen {
			d.anomaly("dtls-handshake-truncated")
			return
		}
		typ := p[0]
		length := uint24(p[1:])
		seq := uint16(p[4])<<8 | uint16(p[5])
		off, flen := uint24(p[6:]), uint24(p[9:])
		if flen > len(p)-dtlsHandshakeHeaderLen {
			d.anomaly("dtls-handshake-truncated")
			return
		}
		frag := p[dtlsHandshakeHeaderLen : dtlsHandshakeHeaderLen+flen]
		p = p[dtlsHandshakeHeaderLen+flen:]
		if off+flen > length {
			d.anomaly("dtls-fragment-malformed")
			continue
		}
		d.fragment(dir, typ, length, seq, off, frag)
	}
}

// dtlsMsgCap is the largest message of type typ that dir buffers; 0 means
// only its type is read. The caps are the TCP Observer's.
func dtlsMsgCap(dir int, typ uint8) int {
	if dir == dtlsClient {
		if typ == TypeClientHello {
			return MaxHelloLen
		}
		return 0
	}
	switch typ {
	case TypeServerHello:
		return MaxHelloLen
	case TypeCertificate:
		return MaxCertificateMsgLen
	}
	return 0
}

// fragment adds one handshake fragment of dir, then reads every message
// that became readable in message_seq order.
func (d *DTLS) fragment(dir int, typ uint8, length int, seq uint16, off int, frag []byte) {
	s := &d.d[dir]
	m := s.find(seq)
	if m == nil && s.started && seq < s.next {
		return // a retransmission of a message read and no longer kept
	}
	if m != nil {
		if m.typ != typ || m.len != length {
			d.anomaly("dtls-fragment-mismatch")
			return
		}
		d.fill(m, off, frag)
		if m.read {
			return // a retransmission
		}
	} else {
		max := dtlsMsgCap(dir, typ)
		if dir == dtlsServer && d.decided {
			max = 0 // only the type of what follows the decision matters
		}
		if max > 0 && length > max {
			d.fail(dir, "handshake-too-large:"+strconv.Itoa(int(typ)))
			return
		}
		if m = d.slot(dir, max > 0, length); m == nil {
			return
		}
		m.used, m.typ, m.seq, m.len = true, typ, seq, length
		if max > 0 {
			m.buf = make([]byte, 4+length)
			m.buf[0] = typ
			m.buf[1], m.buf[2], m.buf[3] = byte(length>>16), byte(length>>8), byte(length)
			m.have = make([]byte, (length+7)/8)
			s.buffered += m.size()
		}
		d.fill(m, off, frag)
	}
	d.deliver(dir)
}

// find returns dir's message with message_seq seq, nil when none is kept.
func (s *dtlsDir) find(seq uint16) *dtlsMsg {
	for i := range s.msgs {
		if m := &s.msgs[i]; m.used && m.seq == seq {
			return m
		}
	}
	return nil
}

// slot returns a free message slot of dir with room for a body of length
// bytes when buffered, evicting messages already read (the oldest first).
// It returns nil, having failed dir, when the caps leave no room.
func (d *DTLS) slot(dir int, buffered bool, length int) *dtlsMsg {
	s := &d.d[dir]
	need := 0
	if buffered {
		need = 4 + length + (length+7)/8
	}
	for {
		var free, oldest *dtlsMsg
		for i := range s.msgs {
			m := &s.msgs[i]
			switch {
			case !m.used:
				if free == nil {
					free = m
				}
			case m.read && (oldest == nil || m.seq < oldest.seq):
				oldest = m
			}
		}
		if free != nil && s.buffered+need <= MaxDTLSBuffered {
			return free
		}
		if oldest == nil {
			if free == nil {
				d.fail(dir, "dtls-too-many-messages")
			} else {
				d.fail(dir, "dtls-buffer-full")
			}
			return nil
		}
		s.drop(oldest)
	}
}

// drop frees a message slot.
func (s *dtlsDir) drop(m *dtlsMsg) {
	s.buffered -= m.size()
	*m = dtlsMsg{}
}

// fill copies a fragment into m. Bytes already received are kept: an
// overlap carrying the same bytes is a retransmission, one carrying other
// bytes an anomaly (the first bytes win, as most stacks keep them).
func (d *DTLS) fill(m *dtlsMsg, off int, frag []byte) {
	if m.buf == nil {
		return
	}
	body := m.buf[4:]
	for i, c := range frag {
		j := off + i
		bit := byte(1) << (j & 7)
		if m.have[j>>3]&bit != 0 {
			if body[j] != c && !m.bad {
				m.bad = true
				d.anomaly("dtls-fragment-overlap-conflict")
			}
			continue
		}
		m.have[j>>3] |= bit
		body[j] = c
		m.haveN++
	}
}

// deliver reads dir's messages that are complete, in message_seq order. A
// hello starts (or restarts) the order: the first message of a direction
// the capture may have missed, and after a HelloVerifyRequest the client's
// second ClientHello and the server's ServerHello carry message_seq 1
// (RFC 6347, Section 4.2.2).
func (d *DTLS) deliver(dir int) {
	s := &d.d[dir]
	for !s.dead {
		m := s.readable(dir)
		if m == nil {
			return
		}
		if s.started && m.seq > s.next {
			d.anomaly("dtls-handshake-lost")
		}
		s.started, s.next = true, m.seq+1
		m.read = true
		// Messages the order has passed will never be read.
		for i := range s.msgs {
			if c := &s.msgs[i]; c.used && !c.read && c.seq < s.next {
				s.drop(c)
			}
		}
		d.message(dir, m)
	}
}

// readable returns the message of dir to read next: the complete one at
// the expected message_seq, else the complete hello with the lowest
// message_seq that may start the order; nil when none.
func (s *dtlsDir) readable(dir int) *dtlsMsg {
	var hello *dtlsMsg
	for i := range s.msgs {
		c := &s.msgs[i]
		if !c.used || c.read || !c.complete() {
			continue
		}
		if s.started && c.seq == s.next {
			return c
		}
		if isDTLSHello(dir, c.typ) && (!s.started || c.seq > s.next) && (hello == nil || c.seq < hello.seq) {
			hello = c
		}
	}
	return hello
}

// isDTLSHello reports whether typ starts a direction's messages.
func isDTLSHello(dir int, typ uint8) bool {
	if dir == dtlsClient {
		return typ == TypeClientHello
	}
	return typ == TypeServerHello || typ == TypeHelloVerifyRequest
}

// message reads one handshake message of dir, in message_seq order.
func (d *DTLS) message(dir int, m *dtlsMsg) {
	s := &d.d[dir]
	s.lastMsg = m.typ
	if dir == dtlsServer && m.typ == TypeServerHelloDone {
		d.hs.ServerDone = true // RFC 5246, Section 7.4.5
	}
	if dir == dtlsClient {
		if m.typ == TypeClientHello {
			d.clientHello(m.buf)
		}
		return
	}
	if d.decided {
		return
	}
	switch m.typ {
	case TypeHelloVerifyRequest:
		// RFC 6347, Section 4.2.1: the client sends its ClientHello
		// again, with the cookie; the server's state starts over.
		d.anomaly("dtls-hello-verify-request")
	case TypeServerHello:
		sh, err := ParseServerHello(m.buf)
		if err != nil {
			d.fail(dir, "serverhello-malformed")
			return
		}
		if d.shDone {
			d.anomaly("second-serverhello")
			return
		}
		d.shDone = true
		d.hs.ServerHello = sh
		d.hs.Version = sh.Selected
		if sh.Selected == VersionDTLS13 {
			// RFC 9147: everything after the ServerHello is encrypted.
			d.decide(CertEncrypted)
		}
	case TypeCertificate:
		d.certificate(m.buf)
	case TypeHelloRequest:
	case TypeServerKeyExchange, TypeCertificateRequest, TypeServerHelloDone, TypeCertificateStatus:
		if !d.shDone {
			d.anomaly("unexpected-handshake:" + strconv.Itoa(int(m.typ)))
		}
		d.decide(CertMissing) // RFC 5246, Section 7.3: Certificate comes first
	default:
		d.anomaly("unexpected-handshake:" + strconv.Itoa(int(m.typ)))
		if d.shDone {
			d.decide(CertMissing)
		}
	}
}

// clientHello reads a DTLS ClientHello given in TLS form (4-byte header,
// body): its cookie is dropped so that ParseClientHello reads the rest.
// The last ClientHello is kept: after a HelloVerifyRequest it is the one
// with the cookie, the one the server answered.
func (d *DTLS) clientHello(msg []byte) {
	second := d.chDone
	d.chDone = true
	var cookie []byte
	tlsMsg, ok := d.dropCookie(msg, &cookie)
	var ch *ClientHello
	var err error
	if ok {
		ch, err = ParseClientHello(tlsMsg)
	}
	if !ok || err != nil {
		// A ClientHello read before is kept; without one, Handshake
		// says the SNI is unknown.
		d.anomaly("clienthello-malformed")
		return
	}
	if second && len(cookie) == 0 {
		d.anomaly("second-clienthello")
	}
	d.hs.ClientHello = ch
}

// dropCookie converts a DTLS ClientHello (RFC 6347, Section 4.2.1: a
// cookie<0..2^8-1> after the session_id) into the TLS form ParseClientHello
// reads, in d's scratch buffer; cookie is set to the cookie's bytes in msg.
func (d *DTLS) dropCookie(msg []byte, cookie *[]byte) ([]byte, bool) {
	s := cryptobyte.String(msg[4:])
	var sid, c cryptobyte.String
	if !s.Skip(2+32) || !s.ReadUint8LengthPrefixed(&sid) || !s.ReadUint8LengthPrefixed(&c) {
		return nil, false
	}
	*cookie = c
	head := 4 + 2 + 32 + 1 + len(sid) // through the session_id
	n := len(msg) - 1 - len(c)
	d.scratch = append(d.scratch[:0], msg[:head]...)
	d.scratch = append(d.scratch, s...)
	body := n - 4
	d.scratch[1], d.scratch[2], d.scratch[3] = byte(body>>16), byte(body>>8), byte(body)
	return d.scratch, true
}

// certificate reads the server's Certificate message (RFC 5246, Section
// 7.4.2, plaintext in DTLS 1.0 and 1.2); every certificate is parsed on
// its own, so one bad certificate does not drop the chain.
func (d *DTLS) certificate(msg []byte) {
	if !d.shDone {
		d.anomaly("certificate-before-serverhello")
	}
	m, err := ParseCertificateMsg(msg, false)
	if err != nil {
		d.fail(dtlsServer, "certificate-msg-malformed")
		return
	}
	d.decide(readChain(m, &d.hs, d.anomaly))
}

// decide sets the certificate status, once; the server's messages are not
// buffered after it (see fragment).
func (d *DTLS) decide(st CertStatus) {
	if d.decided {
		return
	}
	d.decided = true
	d.hs.Status = st
	if st == CertIncomplete {
		d.hs.Incomplete = true
	}
}

// fail stops reading dir's handshake: its bytes are over a cap or broken.
func (d *DTLS) fail(dir int, why string) {
	s := &d.d[dir]
	if s.dead {
		return
	}
	s.dead, s.cut = true, true
	for i := range s.msgs {
		if s.msgs[i].used {
			s.drop(&s.msgs[i])
		}
	}
	d.anomaly(why)
	d.hs.Incomplete = true
	if dir == dtlsServer {
		d.decide(CertIncomplete)
	}
}

// anomaly records a, once, within maxDTLSAnomalies.
func (d *DTLS) anomaly(a string) {
	if len(d.hs.Anomalies) >= maxDTLSAnomalies {
		return
	}
	for _, x := range d.hs.Anomalies {
		if x == a {
			return
		}
	}
	d.hs.Anomalies = append(d.hs.Anomalies, a)
}

// Done reports whether the certificate (or its absence) is decided and the
// ClientHello was read (or the client's side stopped): later datagrams
// change none of Handshake's fields but the alerts and the flags of the
// handshake's end.
func (d *DTLS) Done() bool {
	return d.decided && (d.chDone || d.d[dtlsClient].dead)
}

// Handshake returns what was learned, in the same type as TLS over TCP:
// the last ClientHello (the one with the cookie when a HelloVerifyRequest
// came first), the ServerHello, the server's Certificate (plaintext in DTLS
// 1.0 and 1.2), Version, Status, SNIStatus and Anomalies. The result is a
// copy the caller owns; what it points to is shared and must not be
// modified.
func (d *DTLS) Handshake() *Handshake {
	h := d.hs
	if !h.IsTLS {
		h.Status = ""
		return &h
	}
	switch {
	case h.ClientHello == nil:
		h.SNIStatus = SNIUnknown
	case h.ClientHello.SNI == "":
		h.SNIStatus = SNIAbsent
	default:
		h.SNIStatus = SNIPresent
	}
	c, s := &d.d[dtlsClient], &d.d[dtlsServer]
	extra := func(a string) {
		h.Anomalies = append(h.Anomalies[:len(h.Anomalies):len(h.Anomalies)], a)
	}
	if !d.plain {
		// Only encrypted records: the handshake came before the capture.
		extra("handshake-not-captured")
		h.Status, h.Incomplete = CertIncomplete, true
		return &h
	}
	if h.ClientHello == nil {
		// Not read whole (or not parsed): its SNI is unknown.
		h.Incomplete = true
		if d.decided && !c.spoke {
			extra("clienthello-not-captured")
		}
	}
	if c.pending() {
		h.Incomplete = true // a later ClientHello was not read whole
	}
	if d.decided {
		return &h
	}
	if s.spoke || s.cut {
		// The server spoke DTLS but its flight stopped short.
		h.Status, h.Incomplete = CertIncomplete, true
	} else {
		h.Status = CertMissing
	}
	return &h
}
