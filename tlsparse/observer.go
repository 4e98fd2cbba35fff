package tlsparse

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
)

// Handshake is what an Observer learned about one connection.
type Handshake struct {
	IsTLS     bool
	ClientDir Dir // the direction the client sent; DirUnknown when not known
	// ClientHello is the first ClientHello, set only when it was read
	// whole and parsed: nil means nothing of it is known (see SNIStatus).
	ClientHello *ClientHello
	// SNIStatus says whether the SNI is known: present or absent when the
	// ClientHello was read whole, else unknown; "" for a connection that is
	// not TLS.
	SNIStatus   SNIStatus
	ServerHello *ServerHello   // the ServerHello (a HelloRetryRequest until the real one comes)
	Chain       []*Certificate // leaf first; shared, do not modify
	Version     Version        // negotiated (ServerHello.Selected); 0 unseen
	Resumed     bool
	Status      CertStatus // "" for a connection that is not TLS
	Incomplete  bool       // handshake bytes were lost or cut off
	// ServerDone: the server's flight was seen to its end: ServerHelloDone
	// (TLS <= 1.2), the Finished after its ChangeCipherSpec in an
	// abbreviated handshake, or in TLS 1.3 the ServerHello followed by
	// encrypted records. Without Follow it is seen only when it comes
	// before the certificate decision (an anonymous suite, no Certificate).
	ServerDone bool
	// Encrypted, indexed by Dir: the direction reached encrypted records
	// (those after its ChangeCipherSpec in TLS <= 1.2, application_data
	// records in TLS 1.3), so alerts it sent later cannot be read.
	Encrypted [2]bool
	// ClientFinished: after the server's flight, the client sent
	// ChangeCipherSpec and then an encrypted handshake record, its Finished
	// (TLS <= 1.2); a client that refused the certificate would have sent
	// an alert instead. Always false in TLS 1.3, where the client's Finished
	// and an alert it encrypts look alike.
	ClientFinished bool
	Anomalies      []string
	Alerts         []Alert  // plaintext alerts in the order seen (at most 8 kept)
	Connect        *Connect // an HTTP CONNECT before TLS, also when no TLS followed; nil when none
}

// Alert is one plaintext TLS alert (RFC 8446, Section 6; RFC 5246, Section
// 7.2).
type Alert struct {
	FromClient  bool  // sent by the client (else by the server); decided from the direction's role
	Level       uint8 // AlertLevelWarning or AlertLevelFatal
	Description uint8 // see Name
	// After is the last handshake message type the peer had sent before the
	// alert (TypeCertificate, TypeServerHelloDone, TypeClientHello, ...), 0
	// when none; it lets a caller say "the client refused the certificate"
	// or "the server refused the ClientHello". Only messages the Observer
	// read count: without Follow, nothing the server sent after the
	// certificate decision.
	After uint8
}

// Alert levels (RFC 5246, Section 7.2).
const (
	AlertLevelWarning uint8 = 1
	AlertLevelFatal   uint8 = 2
)

// maxAlerts caps Handshake.Alerts: a peer may send warnings without end,
// and the first few tell why a handshake failed.
const maxAlerts = 8

// Name is the description in lower_snake_case as RFC 8446 and RFC 5246 name
// it ("unknown_ca", "handshake_failure", ...; the reserved ones without
// their _RESERVED suffix), "alert(N)" for numbers they do not name.
func (a Alert) Name() string {
	if n := alertName(a.Description); n != "" {
		return n
	}
	return "alert(" + strconv.Itoa(int(a.Description)) + ")"
}

// Connect is an HTTP CONNECT request through an explicit proxy (RFC 9110,
// Section 9.3.6) seen before TLS, and the proxy's answer. Only the first
// line of each direction is read.
type Connect struct {
	Authority string // host:port of the request line, as sent (visible ASCII; cut at 255 bytes)
	Status    int    // the proxy's status code (200, 403, 407, ...); 0 when no answer was captured
	Reason    string // the reason phrase, cut at 64 bytes; HTAB becomes ' ', bytes above 0x7e '?'
}

// Host is the authority's host, without the port and an IPv6 literal's
// brackets ("tools.cisco.com:443" gives "tools.cisco.com"): the name the
// client meant.
func (c *Connect) Host() string {
	a := c.Authority
	if i := strings.LastIndexByte(a, ':'); i >= 0 && !strings.Contains(a[i:], "]") {
		a = a[:i]
	}
	return strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
}

type role uint8

const (
	roleUnknown role = iota
	roleClient
	roleServer
	roleNotTLS
)

// classifyLen is how many leading bytes of a direction decide its role:
// a record header plus the handshake type.
const classifyLen = RecordHeaderLen + 1

type dirState struct {
	// The small fields first, together: every tracked connection holds
	// two of these, and their size is its memory (see Observer).
	head    [classifyLen]byte // leading bytes until classified
	hdr     [RecordHeaderLen]byte
	alert   [2]byte
	carry   [helloSigLen - 1]byte
	role    role
	recType uint8
	lastMsg uint8     // type of the last handshake message read (Alert.After)
	line    lineState // reading the first line of a plain-text preamble
	late    uint8     // anomalies added past the decision in Follow mode
	dead    bool      // no more parsing of this direction
	cut     bool      // dead because bytes were lost, damaged or over a cap
	sslv2   bool      // the next record is an SSLv2 hello
	ccs     bool
	pre     bool // scanning a plain-text preamble for a hello

	headN    int
	hdrN     int // == RecordHeaderLen while inside a record
	recLeft  int
	msgNeed  int // full length of the buffered message once known
	skipLeft int // body bytes of an unbuffered message still to skip
	alertN   int
	preN     int // preamble bytes scanned
	carryN   int

	msg    []byte  // buffered handshake message, SSLv2 record or preamble line; reused
	msgBox *[]byte // msg's holder in msgBuffers, when it came from there
}

// pending reports whether the direction stopped inside a record or message.
func (d *dirState) pending() bool {
	return d.headN > 0 && d.role == roleUnknown || d.hdrN > 0 || len(d.msg) > 0 || d.skipLeft > 0
}

// Observer follows the TLS handshake of one TCP connection. Feed it the
// two in-order byte streams with Data and report lost bytes with Gap; it
// works out which side is the client from the content. The zero value is
// ready to use; Reset readies it for another connection, keeping its
// buffers. An Observer is not safe for concurrent use.
type Observer struct {
	hs       Handshake
	d        [2]dirState
	started  bool
	nonTLS   bool
	decided  bool
	chDone   bool // the first ClientHello was read (or failed to parse)
	shDone   bool // a ServerHello other than a HelloRetryRequest was read
	hrr      bool
	certSeen bool
	follow   bool // read on after the fields are decided (Follow)
}

// Follow makes the Observer read on after the handshake's fields are
// decided, until the records are encrypted, so that plaintext alerts after
// the certificate are seen (Handshake.Alerts), and the end of the server's
// flight (ServerDone) and of the client's (ClientFinished). What it reads
// on does not change the fields decided before (Status, Chain, SNI,
// Incomplete, ...); it may add anomalies. Memory stays bounded: after the
// decision no message is buffered, bodies are skipped. Set it before the
// first Data; Reset keeps it.
func (o *Observer) Follow() { o.follow = true }

// NewObserver returns a ready Observer.
func NewObserver() *Observer {
	o := new(Observer)
	o.start()
	return o
}

// Reset forgets the connection but keeps the buffers and the Follow mode.
func (o *Observer) Reset() {
	m0, m1 := o.d[0].msg[:0], o.d[1].msg[:0]
	b0, b1 := o.d[0].msgBox, o.d[1].msgBox
	follow := o.follow
	*o = Observer{}
	o.d[0].msg, o.d[1].msg = m0, m1
	o.d[0].msgBox, o.d[1].msgBox = b0, b1
	o.follow = follow
	o.start()
}

func (o *Observer) start() {
	o.started = true
	o.hs.ClientDir = DirUnknown
}

// Data feeds the next in-order bytes sent in direction dir (0 or 1). b is
// only read during the call. It reports done once the handshake fields are
// decided (or the connection is not TLS); later bytes are not needed. With
// Follow it reports done only when nothing more can be learned: both
// directions reached encrypted records or stopped being readable (not TLS,
// a gap, malformed records). A handshake that fails with an alert is
// usually never done then: the connection's end says it is over.
func (o *Observer) Data(dir Dir, b []byte) (done bool) {
	if !o.started {
		o.start()
	}
	if dir != 0 && dir != 1 {
		return o.done()
	}
	if o.data(dir, b) {
		o.release()
		return true
	}
	return false
}

// msgBuffers recycles the message buffers of finished Observers: a busy
// capture has many connections but few handshakes in flight at a time.
var msgBuffers sync.Pool // of *[]byte

// release gives the message buffers back once nothing more is parsed.
func (o *Observer) release() {
	for i := range o.d {
		d := &o.d[i]
		if cap(d.msg) == 0 {
			continue
		}
		box := d.msgBox
		if box == nil {
			box = new([]byte)
		}
		*box = d.msg[:0]
		msgBuffers.Put(box)
		d.msg, d.msgBox = nil, nil
	}
}

// appendMsg appends p to dir's message buffer, taking a recycled one when
// it has none.
func (d *dirState) appendMsg(p []byte) {
	if d.msg == nil {
		if box, ok := msgBuffers.Get().(*[]byte); ok {
			d.msg, d.msgBox = (*box)[:0], box
		}
	}
	d.msg = append(d.msg, p...)
}

func (o *Observer) data(dir Dir, b []byte) bool {
	d := &o.d[dir]
	if o.done() || d.dead || len(b) == 0 {
		return o.done()
	}
	if d.pre {
		o.preamble(dir, b)
		return o.done()
	}
	if d.role == roleUnknown {
		n := copy(d.head[d.headN:], b)
		d.headN += n
		r, more := classify(d.head[:d.headN])
		if r == roleNotTLS && o.d[1-dir].role == roleClient {
			// A server may answer a ClientHello with an alert or other
			// record instead of a ServerHello.
			r, more = classifyReply(d.head[:d.headN])
		}
		if more {
			return false
		}
		// Bytes of this call beyond the head that were not needed.
		used := n
		if r == roleNotTLS && !o.hs.IsTLS {
			if d.headN < RecordHeaderLen && o.couldBeMidStream(dir) {
				return false // wait for a whole record header
			}
			if o.midStream(dir) {
				return o.done()
			}
			d.pre = true
			o.preamble(dir, d.head[:d.headN])
			if d.pre && !d.dead {
				o.preamble(dir, b[used:])
			}
			return o.done()
		}
		if r == roleNotTLS {
			o.notTLS(dir)
			return o.done()
		}
		o.setRole(dir, r)
		if d.dead {
			return o.done()
		}
		o.feed(dir, d.head[:d.headN])
		b = b[used:]
	}
	if !d.dead {
		o.feed(dir, b)
	}
	return o.done()
}

// classify decides a direction's role from its first bytes: a handshake
// record carrying a ClientHello or ServerHello, or an SSLv2 ClientHello
// (RFC 5246, Appendix E.2). more means more bytes are needed.
func classify(h []byte) (r role, more bool) {
	switch {
	case h[0] == RecordHandshake:
		if len(h) >= 3 && (h[1] != 3 || h[2] > 4) {
			return roleNotTLS, false
		}
		if len(h) >= 5 && int(h[3])<<8|int(h[4]) == 0 {
			return roleNotTLS, false
		}
		if len(h) < classifyLen {
			return roleUnknown, true
		}
		// A hello in a record longer than TLS allows is still a hello:
		// the record layer reports the framing error (record-malformed).
		switch h[5] {
		case TypeClientHello:
			return roleClient, false
		case TypeServerHello:
			return roleServer, false
		}
		return roleNotTLS, false
	case h[0]&0x80 != 0:
		if len(h) < 5 {
			if len(h) >= 3 && h[2] != 1 {
				return roleNotTLS, false
			}
			return roleUnknown, true
		}
		n := int(h[0]&0x7f)<<8 | int(h[1])
		v := Version(h[3])<<8 | Version(h[4])
		if n < 9 || h[2] != 1 || v != VersionSSL20 && (v < VersionSSL30 || v > VersionTLS13) {
			return roleNotTLS, false
		}
		return roleClient, false
	}
	return roleNotTLS, false
}

// classifyReply accepts any sane record header as the server's answer to
// a ClientHello.
func classifyReply(h []byte) (r role, more bool) {
	if len(h) < RecordHeaderLen {
		if h[0] < RecordChangeCipherSpec || h[0] > RecordHeartbeat || len(h) >= 2 && h[1] != 3 {
			return roleNotTLS, false
		}
		return roleUnknown, true
	}
	if _, err := ParseRecordHeader(h); err != nil {
		return roleNotTLS, false
	}
	return roleServer, false
}

func (o *Observer) setRole(dir Dir, r role) {
	d := &o.d[dir]
	other := &o.d[1-dir]
	if other.role == r {
		// Both sides claim the same role; trust the first.
		if r == roleClient {
			o.anomaly("both-sides-client")
		} else {
			o.anomaly("both-sides-server")
		}
		d.role = roleNotTLS
		d.dead = true
		return
	}
	d.role = r
	o.hs.IsTLS = true
	if r == roleClient {
		o.hs.ClientDir = dir
		d.sslv2 = d.head[0]&0x80 != 0
	} else {
		o.hs.ClientDir = 1 - dir
	}
}

// notTLS handles a direction whose first bytes are not TLS.
func (o *Observer) notTLS(dir Dir) {
	d := &o.d[dir]
	d.role = roleNotTLS
	d.dead = true
	if !o.hs.IsTLS {
		o.nonTLS = true
		return
	}
	if o.d[1-dir].role == roleClient {
		o.anomaly("server-not-tls")
		o.decide(CertMissing)
	} else {
		o.anomaly("client-not-tls")
	}
}

// done reports whether nothing more is to be learned from the connection.
func (o *Observer) done() bool {
	// Small enough to inline: it runs for every packet of a long
	// connection.
	return o.fieldsDone() && (!o.follow || o.followDone())
}

// followDone reports whether nothing more can be read in Follow mode: each
// direction stopped, or its records are encrypted.
func (o *Observer) followDone() bool {
	return o.nonTLS || (o.d[0].dead || o.hs.Encrypted[0]) && (o.d[1].dead || o.hs.Encrypted[1])
}

// beyond reports whether dir is past what is read without Follow: the
// handshake's fields are decided, or the server's side of them is and dir
// is the server. What Follow reads there must leave the fields alone.
func (o *Observer) beyond(dir Dir) bool {
	return o.fieldsDone() || o.decided && o.d[dir].role == roleServer
}

// fieldsDone reports whether the handshake's fields are decided (or the
// connection is not TLS): what Data reports as done without Follow.
func (o *Observer) fieldsDone() bool {
	if o.nonTLS || o.d[0].dead && o.d[1].dead {
		return true
	}
	if !o.decided {
		return false
	}
	if o.chDone || o.hs.ClientDir < 0 {
		return true
	}
	// The server's flight is decided but the ClientHello is still to
	// come: captures merged from two interfaces, or taken on a multi-queue
	// NIC, can show the server's answer first. Wait for the client's bytes;
	// if they never come, Handshake says so.
	return o.d[o.hs.ClientDir].dead
}

// Decided reports whether the server's side of the handshake is settled:
// the certificate fields, or why there are none. Data may still be waiting
// for the client's first bytes.
func (o *Observer) Decided() bool { return o.decided }

func (o *Observer) anomaly(a string) { o.hs.Anomalies = append(o.hs.Anomalies, a) }

// maxLateAnomalies caps the anomalies each direction adds past the decision
// in Follow mode, where a peer may repeat a record without end.
const maxLateAnomalies = 8

// anomalyFrom adds an anomaly about what dir sent, within maxLateAnomalies
// once Follow reads past the decision.
func (o *Observer) anomalyFrom(dir Dir, a string) {
	if o.follow && o.beyond(dir) {
		d := &o.d[dir]
		if d.late >= maxLateAnomalies {
			return
		}
		d.late++
	}
	o.anomaly(a)
}

func (o *Observer) decide(s CertStatus) {
	if o.decided {
		return
	}
	o.decided = true
	o.hs.Status = s
	if s == CertIncomplete {
		o.hs.Incomplete = true
	}
	if o.hs.ClientDir >= 0 && !o.follow {
		o.d[1-o.hs.ClientDir].dead = true
	}
}

// fail stops parsing dir because its bytes cannot be trusted any more.
func (o *Observer) fail(dir Dir, why string) {
	d := &o.d[dir]
	if d.dead {
		return
	}
	if o.follow && o.beyond(dir) {
		// Only Follow reads this far: stop reading dir, but the fields
		// decided before stay as they are (not Incomplete).
		d.dead = true
		o.anomaly(why)
		return
	}
	d.dead, d.cut = true, true
	o.anomaly(why)
	o.hs.Incomplete = true
	if d.role == roleServer {
		o.decide(CertIncomplete)
	}
}

// Gap reports that bytes of dir were lost before the next Data. Nothing
// after a gap is parsed in that direction.
func (o *Observer) Gap(dir Dir) {
	if !o.started {
		o.start()
	}
	if dir != 0 && dir != 1 || o.nonTLS {
		return
	}
	d := &o.d[dir]
	if d.dead {
		return
	}
	if d.role == roleUnknown && o.hs.ClientDir >= 0 {
		if dir == o.hs.ClientDir {
			d.role = roleClient
		} else {
			d.role = roleServer
		}
	}
	if o.decided && (d.role == roleServer || o.chDone) {
		d.dead = true
		if o.follow && !o.hs.Encrypted[dir] {
			// Alerts or the flight's end may have been in the lost bytes.
			o.anomaly("gap-after-decision")
		}
		return
	}
	o.fail(dir, "gap")
}

// feed runs the record layer over b (RFC 5246, Section 6.2.1).
func (o *Observer) feed(dir Dir, b []byte) {
	d := &o.d[dir]
	// Stop as soon as the connection is decided, so that the answer does
	// not depend on how the bytes were split into calls.
	for len(b) > 0 && !d.dead && !o.done() {
		if d.sslv2 {
			b = o.feedSSLv2(dir, b)
			continue
		}
		if d.hdrN < RecordHeaderLen {
			n := copy(d.hdr[d.hdrN:], b)
			d.hdrN += n
			b = b[n:]
			if d.hdrN < RecordHeaderLen {
				return
			}
			h, err := ParseRecordHeader(d.hdr[:])
			if err != nil {
				o.fail(dir, "record-malformed")
				return
			}
			d.recType, d.recLeft = h.Type, h.Length
			o.recordStart(dir, h)
			if d.dead {
				return
			}
			if d.recLeft == 0 {
				d.hdrN = 0
				continue
			}
		}
		n := min(d.recLeft, len(b))
		p := b[:n]
		b = b[n:]
		d.recLeft -= n
		if d.recLeft == 0 {
			d.hdrN = 0
		}
		switch d.recType {
		case RecordHandshake:
			o.feedHandshake(dir, p)
		case RecordAlert:
			o.feedAlert(dir, p)
		}
	}
}

// recordStart acts on a record header.
func (o *Observer) recordStart(dir Dir, h RecordHeader) {
	d := &o.d[dir]
	tls13 := o.hs.Version.TLS13()
	// TLS <= 1.2 encrypts what follows ChangeCipherSpec (RFC 5246, Section
	// 7.1); TLS 1.3 sends every encrypted record as application_data and
	// its ChangeCipherSpec is a dummy (RFC 8446, Section 5 and Appendix D.4).
	afterCCS := d.ccs && !o.hrr && !tls13 && h.Type != RecordChangeCipherSpec
	if (afterCCS || h.Type == RecordApplicationData) && !o.hs.Encrypted[dir] {
		o.encrypted(dir, h.Type, afterCCS, tls13)
	}
	switch h.Type {
	case RecordHandshake:
		if d.ccs && !o.hrr {
			// TLS <= 1.2: handshake records after ChangeCipherSpec are
			// encrypted (Finished); nothing more to read here.
			d.dead = true
			return
		}
		if h.Length == 0 {
			o.anomalyFrom(dir, "empty-handshake-record") // RFC 8446, Section 5.1
		}
		if h.Length > MaxPlaintextLen {
			o.anomalyFrom(dir, "record-overflow")
		}
	case RecordChangeCipherSpec:
		o.changeCipherSpec(dir)
	case RecordApplicationData:
		if d.role == roleServer && !o.decided {
			if o.shDone {
				o.anomaly("appdata-before-certificate")
				o.decide(CertMissing)
			} else {
				o.fail(dir, "appdata-before-serverhello")
			}
		}
	}
}

// encrypted notes dir's first encrypted record, of type typ: the end of a
// flight when it is the Finished (the first record after ChangeCipherSpec,
// RFC 5246, Section 7.4.9) or, in TLS 1.3, the start of the server's
// encrypted flight after its ServerHello (RFC 8446, Section 2).
func (o *Observer) encrypted(dir Dir, typ uint8, afterCCS, tls13 bool) {
	o.hs.Encrypted[dir] = true
	finished := afterCCS && typ == RecordHandshake
	switch o.d[dir].role {
	case roleServer:
		if finished || typ == RecordApplicationData && o.shDone && tls13 {
			o.hs.ServerDone = true
		}
	case roleClient:
		if finished && o.hs.ServerDone {
			o.hs.ClientFinished = true
		}
	}
}

func (o *Observer) changeCipherSpec(dir Dir) {
	d := &o.d[dir]
	if o.hrr {
		// TLS 1.3 middlebox compatibility (RFC 8446, Appendix D.4): a
		// dummy ChangeCipherSpec around a HelloRetryRequest.
		return
	}
	d.ccs = true
	if d.role != roleServer {
		return
	}
	if !o.shDone {
		o.anomalyFrom(dir, "ccs-before-serverhello")
		o.decide(CertMissing)
		return
	}
	o.resumed()
}

// resumed handles a ServerHello followed by ChangeCipherSpec or
// NewSessionTicket without Certificate: an abbreviated handshake (RFC 5246,
// Section 7.3; RFC 5077, Section 3.1).
func (o *Observer) resumed() {
	if o.decided {
		return
	}
	sh, ch := o.hs.ServerHello, o.hs.ClientHello
	echoed := ch != nil && sh != nil && len(ch.SessionID) > 0 && bytes.Equal(ch.SessionID, sh.SessionID)
	ticket := false
	if sh != nil {
		for _, e := range sh.Extensions {
			ticket = ticket || e == extSessionTicket
		}
	}
	if ch != nil && !ticket {
		for _, e := range ch.Extensions {
			ticket = ticket || e == extSessionTicket || e == extPreSharedKey
		}
	}
	if !echoed && !ticket {
		o.anomaly("resumed-without-session")
	}
	o.hs.Resumed = true
	o.decide(CertResumed)
}

// feedAlert reads plaintext alerts (RFC 8446, Section 6).
func (o *Observer) feedAlert(dir Dir, p []byte) {
	d := &o.d[dir]
	if d.ccs && !o.hs.Version.TLS13() {
		// Encrypted. In TLS 1.3 an alert record is plaintext even after
		// the dummy ChangeCipherSpec: encrypted ones are application_data.
		return
	}
	for _, c := range p {
		if o.done() {
			return
		}
		d.alert[d.alertN] = c
		d.alertN++
		if d.alertN < 2 {
			continue
		}
		d.alertN = 0
		o.alert(dir, d.alert[0], d.alert[1])
		if d.dead {
			return
		}
	}
}

// alert records one whole alert from dir.
func (o *Observer) alert(dir Dir, level, desc uint8) {
	d := &o.d[dir]
	name := alertName(desc)
	if name == "" {
		name = strconv.Itoa(int(desc))
	}
	o.anomalyFrom(dir, "alert:"+name)
	if len(o.hs.Alerts) < maxAlerts {
		o.hs.Alerts = append(o.hs.Alerts, Alert{
			FromClient:  d.role == roleClient,
			Level:       level,
			Description: desc,
			After:       o.d[1-dir].lastMsg,
		})
	}
	if level == AlertLevelFatal && d.role == roleServer {
		o.decide(CertMissing)
	}
}

// feedHandshake reassembles handshake messages split over records and
// splits records holding several messages (RFC 8446, Section 5.1).
func (o *Observer) feedHandshake(dir Dir, p []byte) {
	d := &o.d[dir]
	for len(p) > 0 && !d.dead && !o.done() {
		if d.skipLeft > 0 {
			n := min(d.skipLeft, len(p))
			d.skipLeft -= n
			p = p[n:]
			continue
		}
		if len(d.msg) == 0 && len(p) >= 4 {
			// Fast path: the whole message is in the caller's slice.
			n := uint24(p[1:])
			if max := o.maxMsg(dir, p[0]); 4+n <= len(p) && (max == 0 || n <= max) {
				o.message(dir, p[0], p[:4+n])
				p = p[4+n:]
				continue
			}
		}
		if len(d.msg) < 4 {
			n := min(4-len(d.msg), len(p))
			d.appendMsg(p[:n])
			p = p[n:]
			if len(d.msg) < 4 {
				return
			}
			typ := d.msg[0]
			n = uint24(d.msg[1:])
			max := o.maxMsg(dir, typ)
			if max == 0 {
				o.message(dir, typ, d.msg)
				d.msg = d.msg[:0]
				d.skipLeft = n
				continue
			}
			if n > max {
				o.fail(dir, "handshake-too-large:"+strconv.Itoa(int(typ)))
				return
			}
			d.msgNeed = 4 + n
		}
		n := min(d.msgNeed-len(d.msg), len(p))
		d.appendMsg(p[:n])
		p = p[n:]
		if len(d.msg) == d.msgNeed {
			o.message(dir, d.msg[0], d.msg)
			d.msg, d.msgNeed = d.msg[:0], 0
		}
	}
}

// maxMsg is the buffering cap of a message type in dir; 0 means the body
// is skipped unread.
func (o *Observer) maxMsg(dir Dir, typ uint8) int {
	if o.follow && o.beyond(dir) {
		return 0 // only the message types matter now
	}
	switch o.d[dir].role {
	case roleClient:
		if typ == TypeClientHello {
			return MaxHelloLen
		}
		return 0
	case roleServer:
		return maxMsgLen(typ)
	}
	return 0
}

// feedSSLv2 buffers and parses the SSLv2 ClientHello record; the rest of
// the stream is TLS records.
func (o *Observer) feedSSLv2(dir Dir, b []byte) []byte {
	d := &o.d[dir]
	if len(d.msg) == 0 && len(b) >= 2 {
		if n := 2 + (int(b[0]&0x7f)<<8 | int(b[1])); n <= len(b) {
			o.sslv2Hello(b[:n])
			return b[n:]
		}
	}
	if len(d.msg) < 2 {
		n := min(2-len(d.msg), len(b))
		d.appendMsg(b[:n])
		b = b[n:]
		if len(d.msg) < 2 {
			return b
		}
		d.msgNeed = 2 + (int(d.msg[0]&0x7f)<<8 | int(d.msg[1]))
	}
	n := min(d.msgNeed-len(d.msg), len(b))
	d.appendMsg(b[:n])
	b = b[n:]
	if len(d.msg) == d.msgNeed {
		o.sslv2Hello(d.msg)
		d.msg, d.msgNeed = d.msg[:0], 0
	}
	return b
}

func (o *Observer) sslv2Hello(rec []byte) {
	o.d[o.hs.ClientDir].sslv2 = false
	o.d[o.hs.ClientDir].lastMsg = TypeClientHello
	ch, err := ParseSSLv2ClientHello(rec)
	o.clientHello(ch, err)
}

func (o *Observer) clientHello(ch *ClientHello, err error) {
	if o.chDone {
		o.anomaly("second-clienthello") // the engines keep the first
		return
	}
	o.chDone = true
	if err != nil {
		// Nothing of it can be read: like a hello the capture lost, its
		// SNI is unknown and the handshake was not read completely.
		o.anomaly("clienthello-malformed")
		o.hs.Incomplete = true
		return
	}
	o.hs.ClientHello = ch
}

// message handles one complete handshake message (or, for types whose
// body is skipped, its 4-byte header).
func (o *Observer) message(dir Dir, typ uint8, msg []byte) {
	d := &o.d[dir]
	d.lastMsg = typ
	if d.role == roleServer && typ == TypeServerHelloDone {
		o.hs.ServerDone = true // RFC 5246, Section 7.4.5
	}
	if o.follow && o.beyond(dir) {
		return // the fields are decided: reading on for the facts above
	}
	if d.role == roleClient {
		if typ == TypeClientHello {
			o.clientHello(ParseClientHello(msg))
		}
		return
	}
	switch typ {
	case TypeServerHello:
		sh, err := ParseServerHello(msg)
		if err != nil {
			o.fail(dir, "serverhello-malformed")
			return
		}
		if sh.HelloRetry {
			o.hrr = true
			o.anomaly("hello-retry-request")
			if !o.shDone {
				o.hs.ServerHello = sh
			}
			return
		}
		if o.shDone {
			o.anomaly("second-serverhello")
			return
		}
		o.shDone = true
		o.hs.ServerHello = sh
		o.hs.Version = sh.Selected
		if sh.Selected.TLS13() {
			o.decide(CertEncrypted)
		}
	case TypeHelloRetryRequest:
		o.hrr = true
		o.anomaly("hello-retry-request")
	case TypeCertificate:
		o.certificate(dir, msg)
	case TypeNewSessionTicket:
		if o.shDone {
			o.resumed()
		}
	case TypeHelloRequest:
	case TypeServerKeyExchange, TypeCertificateRequest, TypeServerHelloDone, TypeCertificateStatus:
		if !o.shDone {
			o.anomaly("unexpected-handshake:" + strconv.Itoa(int(typ)))
		}
		o.decide(CertMissing) // RFC 5246, Section 7.3: Certificate comes first
	default:
		o.anomaly("unexpected-handshake:" + strconv.Itoa(int(typ)))
		if o.shDone {
			o.decide(CertMissing)
		}
	}
}

// certificate reads the server's Certificate message; every certificate
// is parsed on its own, so one bad certificate does not drop the chain.
func (o *Observer) certificate(dir Dir, msg []byte) {
	if !o.shDone {
		o.anomaly("certificate-before-serverhello")
	}
	m, err := ParseCertificateMsg(msg, false)
	if err != nil {
		if m, err = ParseCertificateMsg(msg, true); err == nil {
			o.anomaly("certificate-tls13-format")
		}
	}
	if err != nil {
		o.fail(dir, "certificate-msg-malformed")
		return
	}
	o.certSeen = true
	o.decide(readChain(m, &o.hs, o.anomaly))
}

// readChain adds the certificates of a Certificate message to hs.Chain,
// each parsed on its own so that one bad certificate does not drop the
// chain, and returns the status the message decides: present, or missing
// for an empty one. Shared by the TCP and the DTLS observers.
func readChain(m *CertificateMsg, hs *Handshake, anomaly func(string)) CertStatus {
	if m.Total > len(m.Certs) {
		anomaly("chain-too-long")
	}
	for i, der := range m.Certs {
		c, err := ParseCertificate(der)
		if err != nil {
			anomaly("certificate-malformed:" + strconv.Itoa(i))
			continue
		}
		hs.Chain = append(hs.Chain, c)
	}
	if m.Total == 0 {
		anomaly("empty-certificate")
		return CertMissing
	}
	return CertPresent
}

// Handshake returns what is known so far; it is final once Data reported
// done or the connection ended. The result is a copy the caller owns,
// though the ClientHello, ServerHello, Connect and certificates it points
// to, and the arrays of its Anomalies and Alerts, are shared and must not
// be modified. Connect is set also for a connection that is not TLS.
func (o *Observer) Handshake() *Handshake {
	if !o.started {
		o.start()
	}
	h := o.hs
	if h.Connect != nil && h.Connect.Authority == "" {
		h.Connect = nil // a status line that answers no CONNECT seen
	}
	if o.nonTLS || !h.IsTLS {
		h.IsTLS, h.Status = false, ""
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
	for i := range o.d {
		if o.d[i].cut || !o.decided && !o.d[i].dead && o.d[i].pending() {
			h.Incomplete = true
		}
	}
	if o.decided {
		if h.ClientDir >= 0 && !o.chDone {
			// The server answered a ClientHello the capture does not have
			// whole: its SNI is unknown.
			h.Incomplete = true
			if o.d[h.ClientDir].headN == 0 { // none of it: one direction only, or cut
				h.Anomalies = append(h.Anomalies[:len(h.Anomalies):len(h.Anomalies)], "clienthello-not-captured")
			}
		}
		return &h
	}
	s := &o.d[1-h.ClientDir]
	switch {
	case s.cut || !s.dead && s.pending() || s.role == roleServer:
		// The server spoke TLS but its flight stopped short.
		h.Status, h.Incomplete = CertIncomplete, true
	default:
		h.Status = CertMissing
	}
	return &h
}

// alertName names an alert description as RFC 8446 (Section 6) and RFC
// 5246 (Section 7.2) do, "" for a number they do not name. The ones RFC
// 5246 marks _RESERVED keep the name of the RFC that defined them (RFC
// 2246, SSL 3.0).
func alertName(d uint8) string {
	switch d {
	case 0:
		return "close_notify"
	case 10:
		return "unexpected_message"
	case 20:
		return "bad_record_mac"
	case 21:
		return "decryption_failed"
	case 22:
		return "record_overflow"
	case 30:
		return "decompression_failure"
	case 40:
		return "handshake_failure"
	case 41:
		return "no_certificate"
	case 42:
		return "bad_certificate"
	case 43:
		return "unsupported_certificate"
	case 44:
		return "certificate_revoked"
	case 45:
		return "certificate_expired"
	case 46:
		return "certificate_unknown"
	case 47:
		return "illegal_parameter"
	case 48:
		return "unknown_ca"
	case 49:
		return "access_denied"
	case 50:
		return "decode_error"
	case 51:
		return "decrypt_error"
	case 60:
		return "export_restriction"
	case 70:
		return "protocol_version"
	case 71:
		return "insufficient_security"
	case 80:
		return "internal_error"
	case 86:
		return "inappropriate_fallback"
	case 90:
		return "user_canceled"
	case 100:
		return "no_renegotiation"
	case 109:
		return "missing_extension"
	case 110:
		return "unsupported_extension"
	case 112:
		return "unrecognized_name"
	case 113:
		return "bad_certificate_status_response"
	case 115:
		return "unknown_psk_identity"
	case 116:
		return "certificate_required"
	case 120:
		return "no_application_protocol"
	}
	return ""
}

// Some protocols speak plain text before TLS: RDP's X.224 negotiation,
// STARTTLS in SMTP, IMAP, POP3, XMPP, LDAP. A direction whose first bytes
// are not TLS is scanned, without buffering, for the start of a
// ClientHello or ServerHello record within its first maxPreamble bytes.
const (
	maxPreamble = 16 << 10
	helloSigLen = 10 // record header, handshake header, legacy_version major
)

// looksLikeHello checks the first helloSigLen bytes of a candidate
// ClientHello or ServerHello record (RFC 5246, Sections 6.2.1 and 7.4).
func looksLikeHello(h []byte) bool {
	if h[0] != RecordHandshake || h[1] != 3 || h[2] > 4 || h[5] != TypeClientHello && h[5] != TypeServerHello {
		return false
	}
	rec := int(h[3])<<8 | int(h[4])
	msg := uint24(h[6:])
	// The shortest hello body is 38 bytes; a long one may span records.
	return rec >= 4+38 && rec <= MaxRecordLen && msg >= 38 && msg <= MaxHelloLen && h[9] == 3
}

// preamble scans b, the next plain-text bytes of dir, for a hello record.
func (o *Observer) preamble(dir Dir, b []byte) {
	d := &o.d[dir]
	if d.line <= lineCollect && len(b) > 0 {
		o.firstLine(dir, b)
	}
	// Positions that start in the carried tail of earlier bytes.
	var j [2*helloSigLen - 2]byte
	jn := copy(j[:], d.carry[:d.carryN])
	jn += copy(j[jn:], b)
	for i := 0; i < d.carryN && i+helloSigLen <= jn; i++ {
		if looksLikeHello(j[i : i+helloSigLen]) {
			rest := append(append([]byte(nil), d.carry[i:d.carryN]...), b...)
			o.afterPreamble(dir, rest, d.preN-(d.carryN-i))
			return
		}
	}
	// Candidates start with the handshake record type: IndexByte jumps
	// to them, where a byte loop was most of a non-TLS stream's cost.
	for i := 0; i+helloSigLen <= len(b); i++ {
		k := bytes.IndexByte(b[i:len(b)-helloSigLen+1], RecordHandshake)
		if k < 0 {
			break
		}
		if i += k; looksLikeHello(b[i : i+helloSigLen]) {
			o.afterPreamble(dir, b[i:], d.preN+i)
			return
		}
	}
	d.preN += len(b)
	if jn >= len(d.carry) {
		d.carryN = copy(d.carry[:], j[jn-len(d.carry):jn])
		if len(b) > len(d.carry) {
			d.carryN = copy(d.carry[:], b[len(b)-len(d.carry):])
		}
	} else {
		d.carryN = copy(d.carry[:], j[:jn])
	}
	if d.preN > maxPreamble {
		d.pre = false
		if o.hs.IsTLS {
			o.notTLS(dir)
			return
		}
		// One side talked this long without TLS: not a TLS connection.
		o.nonTLS = true
		d.role, d.dead = roleNotTLS, true
	}
}

// afterPreamble restarts dir at a hello found after skipped plain bytes.
func (o *Observer) afterPreamble(dir Dir, rest []byte, skipped int) {
	d := &o.d[dir]
	d.pre, d.headN, d.carryN, d.role = false, 0, 0, roleUnknown
	if d.line == lineCollect {
		// A hello before the line's end: it was no HTTP line.
		d.line, d.msg = lineOther, d.msg[:0]
	}
	o.anomaly("tls-after-plaintext:" + strconv.Itoa(skipped))
	o.Data(dir, rest)
}

// couldBeMidStream reports whether the first bytes of dir, fewer than a
// record header, may still begin a record midStream accepts.
func (o *Observer) couldBeMidStream(dir Dir) bool {
	h := o.d[dir].head[:o.d[dir].headN]
	return !o.d[1-dir].pre && h[0] >= RecordChangeCipherSpec && h[0] <= RecordApplicationData &&
		(len(h) < 2 || h[1] == 3) && (len(h) < 3 || h[2] <= 4)
}

// midStream recognises a connection whose handshake happened before the
// capture began: the direction's first bytes are a TLS record other than
// a hello. Nothing about the handshake can be known then.
func (o *Observer) midStream(dir Dir) bool {
	h := o.d[dir].head[:o.d[dir].headN]
	if len(h) < RecordHeaderLen || o.d[1-dir].pre {
		return false
	}
	n := int(h[3])<<8 | int(h[4])
	switch {
	case h[1] != 3 || h[2] > 4 || n == 0 || n > MaxRecordLen:
		return false
	case h[0] == RecordChangeCipherSpec && n == 1,
		h[0] == RecordAlert && n >= 2,
		h[0] == RecordApplicationData,
		h[0] == RecordHandshake: // an encrypted or later handshake message
	default:
		return false
	}
	o.hs.IsTLS = true
	o.anomaly("handshake-not-captured")
	o.decide(CertIncomplete)
	o.d[0].dead, o.d[1].dead = true, true
	return true
}

// An explicit proxy is asked with an HTTP CONNECT request before TLS
// (RFC 9110, Section 9.3.6):
//
//	CONNECT tools.example.com:443 HTTP/1.1\r\n   (the client)
//	HTTP/1.1 407 Proxy Authentication Required\r\n   (the proxy)
//
// The first line of a direction in plain text is read when it starts like
// one of those; the rest of the preamble is only scanned for a hello. A
// line split over Data calls is carried in the direction's message buffer,
// which holds nothing else before TLS, at most maxLine bytes.
const (
	maxLine       = 512 // a longer first line is not read
	maxAuthority  = 255 // Connect.Authority is cut there (a DNS name is at most 253 bytes)
	maxReason     = 64  // Connect.Reason is cut there
	connectMethod = "CONNECT "
	httpVersion   = "HTTP/1." // and one digit: RFC 9112, Section 2.3
)

// lineState is how far the first line of a plain-text direction was read.
type lineState uint8

const (
	lineStart   lineState = iota // no plain-text byte of the direction seen
	lineCollect                  // reading it; a start split over calls is in msg
	lineConnect                  // a CONNECT request line was read
	lineStatus                   // a status line was read
	lineOther                    // anything else: not looked at again
)

// firstLine reads b, the next plain-text bytes of dir, for the direction's
// first line. b is not empty.
func (o *Observer) firstLine(dir Dir, b []byte) {
	d := &o.d[dir]
	if d.line == lineStart {
		if !o.lineWanted(dir, b[0]) {
			d.line = lineOther
			return
		}
		d.line = lineCollect
	}
	i := bytes.IndexByte(b, '\n')
	n := i
	if i < 0 {
		n = len(b)
	}
	if len(d.msg)+n >= maxLine || !linePrefix(d.msg, b[:n]) {
		d.line, d.msg = lineOther, d.msg[:0]
		return
	}
	if i < 0 {
		d.appendMsg(b)
		return
	}
	line := b[:i]
	if len(d.msg) > 0 {
		d.appendMsg(line)
		line = d.msg
	}
	d.line = o.parseLine(line)
	d.msg = d.msg[:0]
}

// lineWanted reports whether a first line starting with c may be one this
// Observer reads: one CONNECT request, and one status line unless the
// other direction's first line is known to be something else (a GET's
// answer is no proxy's).
func (o *Observer) lineWanted(dir Dir, c byte) bool {
	other := o.d[1-dir].line
	switch c {
	case connectMethod[0]:
		return other != lineConnect
	case httpVersion[0]:
		return other == lineStart || other == lineCollect || other == lineConnect
	}
	return false
}

// linePrefix reports whether more, following the carried bytes of a line,
// still agrees with the start of a CONNECT request or status line.
func linePrefix(carried, more []byte) bool {
	first := carried
	if len(first) == 0 {
		first = more
	}
	if len(first) == 0 {
		return true
	}
	want := connectMethod
	if first[0] == httpVersion[0] {
		want = httpVersion
	}
	n := len(carried)
	if n >= len(want) {
		return true
	}
	k := min(len(more), len(want)-n)
	return string(more[:k]) == want[n:n+k]
}

// parseLine reads a whole first line (without its LF) and says what it
// was. Strict about framing, lenient about meaning: the authority is not
// checked to be host:port, but no control byte is let pass (RFC 9112,
// Sections 3 and 4), which keeps the bytes of a hello out of any line.
func (o *Observer) parseLine(line []byte) lineState {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > len(connectMethod) && string(line[:len(connectMethod)]) == connectMethod {
		// request-line = method SP request-target SP HTTP-version
		// (RFC 9112, Section 3), the target in authority-form.
		rest := line[len(connectMethod):]
		sp := bytes.IndexByte(rest, ' ')
		if sp <= 0 || !isHTTPVersion(rest[sp+1:]) {
			return lineOther
		}
		auth := rest[:sp]
		for _, c := range auth {
			if c <= ' ' || c > '~' {
				return lineOther
			}
		}
		c := o.connect()
		c.Authority = string(auth[:min(len(auth), maxAuthority)])
		return lineConnect
	}
	// status-line = HTTP-version SP status-code SP [ reason-phrase ]
	// (RFC 9112, Section 4); a missing SP before an empty reason is let
	// pass, as clients do.
	v := len(httpVersion) + 1
	if len(line) < v+4 || !isHTTPVersion(line[:v]) || line[v] != ' ' {
		return lineOther
	}
	code := line[v+1 : v+4]
	rest := line[v+4:]
	if code[0] < '1' || code[0] > '5' || !isDigit(code[1]) || !isDigit(code[2]) || len(rest) > 0 && rest[0] != ' ' {
		return lineOther // RFC 9110, Section 15: 100 to 599
	}
	if len(rest) > 0 {
		rest = rest[1:]
	}
	// reason-phrase = *( HTAB / SP / VCHAR / obs-text ). A control byte
	// means this is no status line; it also rejects a line that runs into
	// a hello (0x16), so the answer does not depend on whether the scan
	// or the line's end came first.
	for _, c := range rest {
		if c < ' ' && c != '\t' || c == 0x7f {
			return lineOther
		}
	}
	var reason [maxReason]byte
	n := copy(reason[:], rest)
	for i, c := range reason[:n] {
		switch {
		case c == '\t':
			reason[i] = ' '
		case c > '~':
			reason[i] = '?' // obs-text: kept printable
		}
	}
	c := o.connect()
	c.Status = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	c.Reason = string(reason[:n])
	return lineStatus
}

// connect returns a Connect to fill in: a copy of the one so far, since a
// Handshake handed out earlier may point to that.
func (o *Observer) connect() *Connect {
	c := new(Connect)
	if o.hs.Connect != nil {
		*c = *o.hs.Connect
	}
	o.hs.Connect = c
	return c
}

// isHTTPVersion reports whether b is "HTTP/1." and a digit.
func isHTTPVersion(b []byte) bool {
	return len(b) == len(httpVersion)+1 && string(b[:len(httpVersion)]) == httpVersion && isDigit(b[len(httpVersion)])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
