package quic

import (
	"bytes"
	"crypto/aes"
	"slices"
)

// Anomalies a Conn reports (see Conn.Anomalies).
const (
	// AnomalyUndecryptable: an Initial failed to decrypt (keys unknown, a
	// corrupted packet, or not QUIC at all).
	AnomalyUndecryptable = "quic-undecryptable"
	// AnomalyBadLength: a length field runs past the datagram, or a packet
	// is too short to hold its header protection sample and AEAD tag.
	AnomalyBadLength = "quic-bad-length"
	// AnomalyBadCIDLength: a connection ID over 20 bytes in a version that
	// forbids it (RFC 9000, Section 17.2).
	AnomalyBadCIDLength = "quic-bad-cid-length"
	// AnomalyCryptoOffsetTooLarge: CRYPTO data beyond 64 KiB of the stream.
	AnomalyCryptoOffsetTooLarge = "quic-crypto-offset-too-large"
	// AnomalyCryptoOverlapConflict: CRYPTO data resent with other bytes at
	// the same offsets; the first bytes are kept.
	AnomalyCryptoOverlapConflict = "quic-crypto-overlap-conflict"
	// AnomalyCryptoFragmented: too many disjoint CRYPTO ranges at once.
	AnomalyCryptoFragmented = "quic-crypto-fragmented"
	// AnomalyUnexpectedHandshake: the Initial CRYPTO stream does not start
	// with a ClientHello (client) or a ServerHello (server).
	AnomalyUnexpectedHandshake = "quic-unexpected-handshake-type"
	// AnomalyHelloTooLarge: the hello announces more than 64 KiB.
	AnomalyHelloTooLarge = "quic-hello-too-large"
	// AnomalyBadFrame: a frame runs past the end of its packet.
	AnomalyBadFrame = "quic-bad-frame"
	// AnomalyUnexpectedFrame: a frame type not allowed in Initial packets
	// (RFC 9000, Section 12.4); the rest of that packet is skipped.
	AnomalyUnexpectedFrame = "quic-unexpected-frame"
	// AnomalyConnectionClose: an Initial carried a CONNECTION_CLOSE frame
	// (0x1c), for instance a TLS alert sent as a QUIC error.
	AnomalyConnectionClose = "quic-connection-close"
	// AnomalyServerFirst: a server Initial came before any client Initial,
	// so its keys are unknown.
	AnomalyServerFirst = "quic-server-initial-first"
	// AnomalyRetryIgnored: a Retry a client would drop (RFC 9000, Section
	// 17.2.5.2): from the client, a second one, one after the server's
	// Initial, or one whose integrity tag is wrong (RFC 9001, Section 5.8).
	AnomalyRetryIgnored = "quic-retry-ignored"
)

// Frame types allowed in Initial packets (RFC 9000, Section 12.4, Table 3).
const (
	framePadding         = 0x00 // Section 19.1
	framePing            = 0x01 // Section 19.2
	frameACK             = 0x02 // Section 19.3
	frameACKECN          = 0x03
	frameCrypto          = 0x06 // Section 19.6
	frameConnectionClose = 0x1c // Section 19.19 (QUIC layer)
)

// maxDerivations bounds the Initial key derivations of one Conn: a real
// connection needs two (four with compatible version negotiation, more after
// a Retry), while a flood of Initials with ever new DCIDs or alternating
// versions would otherwise cost a key schedule each.
const maxDerivations = 16

// Directions, as indexes of Conn.dirs.
const (
	dirClient = 0
	dirServer = 1
)

// direction is the state of one side's Initial packet number space.
type direction struct {
	keys    *keys
	largest int64 // largest packet number decrypted; -1 before one
	stream  cryptoStream
}

// Conn follows the Initial packets of one QUIC connection in both
// directions. The zero Conn is not ready for use: call NewConn.
type Conn struct {
	version uint32
	dcid    []byte // the client's first DCID (or the Retry's SCID); owned copy
	// locked: dcid is confirmed by a decrypted Initial or a valid Retry, so
	// later client DCIDs (the server's chosen CID) are ignored.
	locked          bool
	clientDecrypted bool
	serverDecrypted bool
	retried         bool
	derivations     int // key derivations so far, bounded by maxDerivations
	dirs            [2]direction
	// retryHello is the ClientHello completed before a Retry, kept in case
	// the client's Initial after the Retry is not captured.
	retryHello []byte
	anomalies  []string

	// Per-packet scratch, reused so that steady state allocates nothing.
	scratch []byte
	nonce   [ivLen]byte
	mask    [aes.BlockSize]byte
}

// NewConn returns a Conn that has seen nothing.
func NewConn() *Conn {
	c := new(Conn)
	c.dirs[dirClient].largest = -1
	c.dirs[dirServer].largest = -1
	return c
}

// Datagram feeds one UDP payload sent by the client (fromClient) or the
// server. Coalesced packets are walked; packets other than Initial
// (Handshake, 0-RTT, short header) are skipped; a Retry packet from the
// server makes the keys derive again from its new SCID as the client's next
// DCID. Errors are never returned for the connection's data: problems are
// anomalies. b is only read, and not kept after the call.
func (c *Conn) Datagram(b []byte, fromClient bool) {
	for len(b) > 0 {
		if b[0]&headerFormLong == 0 {
			// A short header packet takes the rest of the datagram (RFC
			// 9000, Section 12.2); so does the zero padding some stacks
			// append after coalesced packets.
			return
		}
		h, r := parseLong(b)
		switch r {
		case parseUnknown:
			return
		case parseBadCID:
			c.anomaly(AnomalyBadCIDLength)
			return
		case parseBadLength:
			c.anomaly(AnomalyBadLength)
			return
		}
		pkt := b[:h.size]
		b = b[h.size:]
		switch h.typ {
		case typeInitial:
			c.initial(pkt, &h, fromClient)
		case typeRetry:
			c.retry(pkt, &h, fromClient)
		}
		// 0-RTT and Handshake packets use keys no observer has.
	}
}

// ClientHello returns the whole ClientHello handshake message (4-byte
// handshake header included) reassembled from the client's CRYPTO frames, or
// nil while it is not complete. The slice belongs to the Conn and must not be
// modified; later datagrams do not change its bytes. After a HelloRetryRequest
// it is still the first ClientHello; after a Retry it is the ClientHello sent
// again under the new keys once that is complete, the earlier one until then.
func (c *Conn) ClientHello() []byte {
	if h := c.dirs[dirClient].stream.hello; h != nil {
		return h
	}
	return c.retryHello
}

// ServerHello returns the whole ServerHello handshake message (4-byte
// handshake header included) reassembled from the server's Initial CRYPTO
// frames, or nil while it is not complete. A HelloRetryRequest is a
// ServerHello too (RFC 8446, Section 4.1.3). Ownership as for ClientHello.
func (c *Conn) ServerHello() []byte { return c.dirs[dirServer].stream.hello }

// Version returns the version of the client's first Initial; 0 before one.
// When no client Initial decrypted yet, it is that of the first one that
// parsed; then it is that of the first one that decrypted.
func (c *Conn) Version() uint32 { return c.version }

// Decrypted reports whether at least one Initial decrypted (else: not QUIC,
// or keys unknown).
func (c *Conn) Decrypted() bool { return c.clientDecrypted || c.serverDecrypted }

// Anomalies returns what was odd in the datagrams seen, in the order first
// seen, each at most once (the Anomaly constants). The slice is the caller's.
func (c *Conn) Anomalies() []string { return slices.Clone(c.anomalies) }

func (c *Conn) anomaly(a string) {
	if a != "" && !slices.Contains(c.anomalies, a) {
		c.anomalies = append(c.anomalies, a)
	}
}

// initial decrypts one Initial packet and reads its frames.
func (c *Conn) initial(pkt []byte, h *longHeader, fromClient bool) {
	dir := dirServer
	if fromClient {
		dir = dirClient
		if c.version == 0 {
			c.version = h.version
		}
		// Keys come from the client's first DCID (RFC 9001, Section 5.2).
		// Until one decrypts, the capture may have missed that first
		// Initial, so each new DCID gets its chance.
		if c.dcid == nil || !c.locked && !bytes.Equal(c.dcid, h.dcid) {
			c.setDCID(h.dcid)
		}
	} else if c.dcid == nil {
		c.anomaly(AnomalyServerFirst)
		return
	}
	d := &c.dirs[dir]
	// Keys follow the packet's version: after compatible version
	// negotiation (RFC 9369, Section 4.1) the server's CRYPTO frames come in
	// the negotiated version, keyed from the same DCID.
	if d.keys == nil || d.keys.version != h.version {
		if c.derivations >= maxDerivations {
			c.anomaly(AnomalyUndecryptable)
			return
		}
		c.derivations++
		d.keys = initialKeys(h.version, c.dcid, dir == dirServer)
	}
	payload, pn, a := c.open(pkt, h, d)
	if a != "" {
		c.anomaly(a)
		return
	}
	d.largest = max(d.largest, pn)
	c.locked = true
	if fromClient {
		if !c.clientDecrypted {
			c.version = h.version
		}
		c.clientDecrypted = true
	} else {
		c.serverDecrypted = true
	}
	c.frames(payload, d)
	want := byte(typeServerHello)
	if dir == dirClient {
		want = typeClientHello
	}
	c.anomaly(d.stream.complete(want))
}

// setDCID makes dcid the source of the Initial keys.
func (c *Conn) setDCID(dcid []byte) {
	c.dcid = append(c.dcid[:0], dcid...)
	if c.dcid == nil {
		c.dcid = []byte{} // a zero-length DCID is still a DCID
	}
	c.dirs[dirClient].keys = nil
	c.dirs[dirServer].keys = nil
}

// open removes header protection (RFC 9001, Section 5.4) and packet
// protection (Section 5.3) from a copy of pkt in c.scratch, and returns the
// plaintext payload and the full packet number, or an anomaly.
func (c *Conn) open(pkt []byte, h *longHeader, d *direction) (payload []byte, pn int64, anomaly string) {
	// RFC 9001, Section 5.4.2: the sample starts 4 bytes after the packet
	// number field; packets too short for it are discarded.
	sampleAt := h.pnOffset + maxPNLen
	if len(pkt) < sampleAt+sampleLen {
		return nil, 0, AnomalyBadLength
	}
	if cap(c.scratch) < len(pkt) {
		c.scratch = make([]byte, len(pkt))
	}
	buf := c.scratch[:len(pkt)]
	copy(buf, pkt)
	d.keys.hp.Encrypt(c.mask[:], buf[sampleAt:sampleAt+sampleLen])
	buf[0] ^= c.mask[0] & 0x0f // long header: 4 bits protected
	pnLen := int(buf[0]&0x03) + 1
	var truncated uint64
	for i := range pnLen {
		buf[h.pnOffset+i] ^= c.mask[1+i]
		truncated = truncated<<8 | uint64(buf[h.pnOffset+i])
	}
	full := decodePacketNumber(d.largest, truncated, pnLen)
	// The nonce is the IV XORed with the packet number, left-padded
	// (RFC 9001, Section 5.3).
	c.nonce = d.keys.iv
	for i := range 8 {
		c.nonce[ivLen-1-i] ^= byte(full >> (8 * i))
	}
	hdrEnd := h.pnOffset + pnLen
	out, err := d.keys.aead.Open(buf[hdrEnd:hdrEnd], c.nonce[:], buf[hdrEnd:], buf[:hdrEnd])
	if err != nil {
		return nil, 0, AnomalyUndecryptable
	}
	return out, int64(full), ""
}

// frames walks the frames of a decrypted Initial payload (RFC 9000,
// Section 19) and feeds CRYPTO data to the direction's stream.
func (c *Conn) frames(p []byte, d *direction) {
	for len(p) > 0 {
		typ, n := readVarint(p)
		if n == 0 {
			c.anomaly(AnomalyBadFrame)
			return
		}
		p = p[n:]
		var ok bool
		switch typ {
		case framePadding:
			for len(p) > 0 && p[0] == 0 {
				p = p[1:]
			}
			ok = true
		case framePing:
			ok = true
		case frameACK, frameACKECN:
			p, ok = skipACK(p, typ == frameACKECN)
		case frameCrypto:
			var off, length uint64
			if off, p, ok = varint(p); ok {
				if length, p, ok = varint(p); ok && length <= uint64(len(p)) {
					c.anomaly(d.stream.add(off, p[:length]))
					p = p[length:]
				} else {
					ok = false
				}
			}
		case frameConnectionClose:
			c.anomaly(AnomalyConnectionClose)
			p, ok = skipConnectionClose(p)
		default:
			c.anomaly(AnomalyUnexpectedFrame)
			return
		}
		if !ok {
			c.anomaly(AnomalyBadFrame)
			return
		}
	}
}

// varint reads a variable-length integer and returns the rest of p.
func varint(p []byte) (uint64, []byte, bool) {
	v, n := readVarint(p)
	return v, p[n:], n != 0
}

// skipACK skips the body of an ACK frame (RFC 9000, Section 19.3). The loop
// over ranges is bounded by p: each range takes at least two bytes.
func skipACK(p []byte, ecn bool) ([]byte, bool) {
	var count uint64
	ok := true
	for i := 0; i < 4 && ok; i++ { // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range
		var v uint64
		v, p, ok = varint(p)
		if i == 2 {
			count = v
		}
	}
	for ; ok && count > 0; count-- {
		_, p, ok = varint(p) // Gap
		if ok {
			_, p, ok = varint(p) // ACK Range Length
		}
	}
	if ecn {
		for i := 0; i < 3 && ok; i++ { // ECT0, ECT1, ECN-CE counts
			_, p, ok = varint(p)
		}
	}
	return p, ok
}

// skipConnectionClose skips the body of a CONNECTION_CLOSE frame of type
// 0x1c (RFC 9000, Section 19.19).
func skipConnectionClose(p []byte) ([]byte, bool) {
	var reasonLen uint64
	ok := true
	for i := 0; i < 3 && ok; i++ { // Error Code, Frame Type, Reason Phrase Length
		reasonLen, p, ok = varint(p)
	}
	if !ok || reasonLen > uint64(len(p)) {
		return p, false
	}
	return p[reasonLen:], true
}

// retry handles a Retry packet (RFC 9000, Section 17.2.5.2): the client's
// next Initials go to the Retry's SCID, and their keys derive from it.
func (c *Conn) retry(pkt []byte, h *longHeader, fromClient bool) {
	if fromClient || c.dcid == nil || c.retried || c.serverDecrypted || !validRetry(h.version, c.dcid, pkt) {
		c.anomaly(AnomalyRetryIgnored)
		return
	}
	c.retried = true
	c.setDCID(h.scid)
	c.locked = true
	// The client sends its ClientHello again from offset 0 under the new
	// keys; its packet numbers go on (RFC 9000, Section 17.2.5.3).
	if c.retryHello == nil {
		c.retryHello = c.dirs[dirClient].stream.hello
	}
	c.dirs[dirClient].stream = cryptoStream{}
}
