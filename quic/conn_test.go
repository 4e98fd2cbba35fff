package quic

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// result is what a Conn shows after a sequence of datagrams.
type result struct {
	ClientHello, ServerHello []byte
	Version                  uint32
	Decrypted                bool
	Anomalies                []string
}

func resultOf(c *Conn) result {
	return result{c.ClientHello(), c.ServerHello(), c.Version(), c.Decrypted(), c.Anomalies()}
}

// datagram is one UDP payload and its direction.
type datagram struct {
	b          []byte
	fromClient bool
}

func feed(c *Conn, ds []datagram) {
	for _, d := range ds {
		c.Datagram(d.b, d.fromClient)
	}
}

func TestRFCVectors(t *testing.T) {
	tests := []struct {
		name                         string
		version                      uint32
		client, clientCrypto         string
		server, serverPayload, retry string
	}{
		{"RFC 9001 A.2 A.3", V1, "rfc9001-a2-client.hex", "rfc9001-a2-client-crypto.hex", "rfc9001-a3-server.hex", "rfc9001-a3-server-payload.hex", "rfc9001-a4-retry.hex"},
		{"RFC 9369 A.2 A.3", V2, "rfc9369-a2-client.hex", "rfc9369-a2-client-crypto.hex", "rfc9369-a3-server.hex", "rfc9369-a3-server-payload.hex", "rfc9369-a4-retry.hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := readHex(t, tt.client), readHex(t, tt.server)
			clientFrame := readHex(t, tt.clientCrypto)
			serverPayload := readHex(t, tt.serverPayload)

			// The decrypted payloads are those the RFC lists: the CRYPTO
			// frame and PADDING to 1162 bytes; ACK and CRYPTO.
			c := NewConn()
			wantClient := append(bytes.Clone(clientFrame), make([]byte, 1162-len(clientFrame))...)
			for _, p := range []struct {
				pkt    []byte
				dir    int
				want   []byte
				wantPN int64
			}{{client, dirClient, wantClient, 2}, {server, dirServer, serverPayload, 1}} {
				h, r := parseLong(p.pkt)
				if r != parseOK || h.typ != typeInitial || h.version != tt.version {
					t.Fatalf("parseLong = %+v, %v", h, r)
				}
				c.dirs[p.dir].keys = initialKeys(tt.version, rfcDCID, p.dir == dirServer)
				got, pn, a := c.open(p.pkt, &h, &c.dirs[p.dir])
				if a != "" || pn != p.wantPN {
					t.Fatalf("open: pn %d, anomaly %q", pn, a)
				}
				if diff := cmp.Diff(p.want, got); diff != "" {
					t.Errorf("payload mismatch (-want +got):\n%s", diff)
				}
			}

			// Through the API: the CRYPTO payload bytes are the hellos.
			c = NewConn()
			c.Datagram(client, true)
			c.Datagram(server, false)
			want := result{ClientHello: clientFrame[4:], ServerHello: serverPayload[9:], Version: tt.version, Decrypted: true}
			if diff := cmp.Diff(want, resultOf(c)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if !LooksInitial(client) || !LooksInitial(server) {
				t.Error("LooksInitial = false for an RFC Initial")
			}

			// The RFC's Retry answers the client Initial: its tag checks out
			// against the first DCID.
			retry := readHex(t, tt.retry)
			h, r := parseLong(retry)
			if r != parseOK || h.typ != typeRetry || !validRetry(tt.version, rfcDCID, retry) {
				t.Errorf("Retry: %+v %v, valid %v", h, r, validRetry(tt.version, rfcDCID, retry))
			}
		})
	}
}

func TestConn(t *testing.T) {
	ch := rfcClientHello(t)
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	scid := []byte{9, 9, 9, 9}
	serverCID := []byte{7, 7, 7, 7, 7}
	sh := []byte{typeServerHello, 0, 0, 6, 3, 3, 1, 2, 3, 4}
	client := func(pn uint64, frames ...[]byte) []byte {
		return sealInitial(initialPacket{version: V1, dcid: dcid, scid: scid, pn: pn, pnLen: 1, payload: bytes.Join(frames, nil)})
	}
	serverInitial := sealInitial(initialPacket{version: V1, dcid: scid, scid: serverCID, keyDCID: dcid, server: true, pn: 0, payload: cryptoFrame(0, sh)})
	retrySCID := []byte{0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5}
	rfcRetry := readHex(t, "rfc9001-a4-retry.hex")
	badRetry := bytes.Clone(rfcRetry)
	badRetry[len(badRetry)-1] ^= 1
	afterRetry := sealInitial(initialPacket{version: V1, dcid: retrySCID, scid: scid, pn: 3, payload: cryptoFrame(0, ch)})
	huge := client(0, cryptoFrame(1<<62-10, []byte("x")))

	// Shuffled CRYPTO frames in one packet, as Chrome sends them.
	var shuffled [][]byte
	for off := 0; off < len(ch); off += 20 {
		shuffled = append(shuffled, cryptoFrame(uint64(off), ch[off:min(off+20, len(ch))]))
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	shuffled = append(shuffled, []byte{framePadding, framePadding, framePing, framePadding})

	tests := []struct {
		name string
		in   []datagram
		want result
	}{
		{"one Initial", []datagram{{client(0, cryptoFrame(0, ch)), true}},
			result{ClientHello: ch, Version: V1, Decrypted: true}},
		{"split over two Initials in reverse order", []datagram{
			{client(1, cryptoFrame(100, ch[100:])), true},
			{client(0, cryptoFrame(0, ch[:100])), true},
		}, result{ClientHello: ch, Version: V1, Decrypted: true}},
		{"first half only", []datagram{{client(0, cryptoFrame(0, ch[:100])), true}},
			result{Version: V1, Decrypted: true}},
		{"CRYPTO frames shuffled in one packet", []datagram{{client(0, shuffled...), true}},
			result{ClientHello: ch, Version: V1, Decrypted: true}},
		{"ACK frames and CONNECTION_CLOSE", []datagram{
			{client(0, []byte{frameACK, 5, 0, 2, 1, 0, 0, 1, 1}, []byte{frameACKECN, 5, 0, 0, 1, 3, 2, 1}, cryptoFrame(0, ch)), true},
			{sealInitial(initialPacket{version: V1, dcid: scid, scid: serverCID, keyDCID: dcid, server: true, payload: []byte{frameConnectionClose, 0x41, 0x28, 6, 3, 'b', 'a', 'd'}}), false},
		}, result{ClientHello: ch, Version: V1, Decrypted: true, Anomalies: []string{AnomalyConnectionClose}}},
		{"coalesced Initial and Handshake", []datagram{
			{client(0, cryptoFrame(0, ch)), true},
			{append(bytes.Clone(serverInitial), handshakePacket(scid, 300)...), false},
		}, result{ClientHello: ch, ServerHello: sh, Version: V1, Decrypted: true}},
		{"Handshake before Initial, then zero padding", []datagram{
			{client(0, cryptoFrame(0, ch)), true},
			{append(append(handshakePacket(scid, 40), serverInitial...), make([]byte, 50)...), false},
		}, result{ClientHello: ch, ServerHello: sh, Version: V1, Decrypted: true}},
		{"later client DCID is ignored", []datagram{
			{client(0, cryptoFrame(0, ch[:100])), true},
			{serverInitial, false},
			{sealInitial(initialPacket{version: V1, dcid: serverCID, keyDCID: dcid, scid: scid, pn: 1, payload: cryptoFrame(100, ch[100:])}), true},
		}, result{ClientHello: ch, ServerHello: sh, Version: V1, Decrypted: true}},
		{"packet numbers past a one-byte window", []datagram{
			{sealInitial(initialPacket{version: V1, dcid: dcid, pn: 0x1fe, pnLen: 2, payload: cryptoFrame(0, ch[:100])}), true},
			{sealInitial(initialPacket{version: V1, dcid: dcid, pn: 0x200, pnLen: 1, payload: cryptoFrame(100, ch[100:])}), true},
			{sealInitial(initialPacket{version: V1, dcid: dcid, pn: 0x1ff, pnLen: 1, payload: cryptoFrame(0, ch)}), true},
		}, result{ClientHello: ch, Version: V1, Decrypted: true}},
		{"Retry", []datagram{
			{readHex(t, "rfc9001-a2-client.hex"), true},
			{rfcRetry, false},
			{afterRetry, true},
		}, result{ClientHello: ch, Version: V1, Decrypted: true}},
		{"Initial under old keys after Retry", []datagram{
			{readHex(t, "rfc9001-a2-client.hex"), true},
			{rfcRetry, false},
			{readHex(t, "rfc9001-a2-client.hex"), true},
		}, result{ClientHello: ch, Version: V1, Decrypted: true, Anomalies: []string{AnomalyUndecryptable}}},
		{"Retry with a bad tag", []datagram{
			{readHex(t, "rfc9001-a2-client.hex"), true},
			{badRetry, false},
			{afterRetry, true},
		}, result{ClientHello: ch, Version: V1, Decrypted: true, Anomalies: []string{AnomalyRetryIgnored, AnomalyUndecryptable}}},
		{"server first", []datagram{{serverInitial, false}},
			result{Anomalies: []string{AnomalyServerFirst}}},
		{"huge offset", []datagram{{huge, true}},
			result{Version: V1, Decrypted: true, Anomalies: []string{AnomalyCryptoOffsetTooLarge}}},
		{"overlap conflict keeps the first bytes", []datagram{
			{client(0, cryptoFrame(0, ch[:100])), true},
			{client(1, cryptoFrame(50, bytes.Repeat([]byte{'z'}, 40))), true},
			{client(2, cryptoFrame(100, ch[100:])), true},
		}, result{ClientHello: ch, Version: V1, Decrypted: true, Anomalies: []string{AnomalyCryptoOverlapConflict}}},
		{"STREAM frame in an Initial", []datagram{{client(0, cryptoFrame(0, ch), []byte{0x08, 0, 1, 'x'}), true}},
			result{ClientHello: ch, Version: V1, Decrypted: true, Anomalies: []string{AnomalyUnexpectedFrame}}},
		{"truncated CRYPTO frame", []datagram{{client(0, cryptoFrame(0, ch)[:50]), true}},
			result{Version: V1, Decrypted: true, Anomalies: []string{AnomalyBadFrame}}},
		{"not a ClientHello", []datagram{{client(0, cryptoFrame(0, sh)), true}},
			result{Version: V1, Decrypted: true, Anomalies: []string{AnomalyUnexpectedHandshake}}},
		{"draft-29", []datagram{{sealInitial(initialPacket{version: Draft29, dcid: dcid, payload: cryptoFrame(0, ch)}), true}},
			result{ClientHello: ch, Version: Draft29, Decrypted: true}},
		{"v2 server after v1 client", []datagram{
			{client(0, cryptoFrame(0, ch)), true},
			{sealInitial(initialPacket{version: V2, dcid: scid, scid: serverCID, keyDCID: dcid, server: true, payload: cryptoFrame(0, sh)}), false},
		}, result{ClientHello: ch, ServerHello: sh, Version: V1, Decrypted: true}},
		{"wrong keys", []datagram{{sealInitial(initialPacket{version: V1, dcid: dcid, keyDCID: scid, payload: cryptoFrame(0, ch)}), true}},
			result{Version: V1, Anomalies: []string{AnomalyUndecryptable}}},
		{"DCID over 20 bytes", []datagram{{append([]byte{0xc0, 0, 0, 0, 1, 21}, make([]byte, 40)...), true}},
			result{Anomalies: []string{AnomalyBadCIDLength}}},
		{"length past the datagram", []datagram{{client(0, cryptoFrame(0, ch))[:200], true}},
			result{Anomalies: []string{AnomalyBadLength}}},
		{"garbage", []datagram{{[]byte("GET / HTTP/1.1\r\n\r\n"), true}, {bytes.Repeat([]byte{0xff}, 100), false}, {nil, true}},
			result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConn()
			feed(c, tt.in)
			if diff := cmp.Diff(tt.want, resultOf(c)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrefixes feeds every strict prefix of valid datagrams: no panic, no
// hello, and no decryption (the AEAD tag is cut).
func TestPrefixes(t *testing.T) {
	ch := rfcClientHello(t)
	dcid := []byte{1, 2, 3, 4}
	coalesced := append(sealInitial(initialPacket{version: V2, dcid: dcid, payload: cryptoFrame(0, ch)}), handshakePacket(dcid, 30)...)
	for _, name := range []string{"rfc9001-a2-client.hex", "rfc9001-a3-server.hex", "rfc9369-a2-client.hex", "rfc9001-a4-retry.hex"} {
		b := readHex(t, name)
		for n := range len(b) {
			for _, fromClient := range []bool{true, false} {
				c := NewConn()
				c.Datagram(b[:n], fromClient)
				if c.ClientHello() != nil || c.Decrypted() {
					t.Fatalf("%s[:%d]: decrypted", name, n)
				}
			}
		}
	}
	for n := range len(coalesced) {
		c := NewConn()
		c.Datagram(coalesced[:n], true)
	}
}

func TestDecodePacketNumber(t *testing.T) {
	tests := []struct {
		largest   int64
		truncated uint64
		pnLen     int
		want      uint64
	}{
		{0xa82f30ea, 0x9b32, 2, 0xa82f9b32}, // RFC 9000, Appendix A.3
		{-1, 0, 1, 0},
		{-1, 5, 4, 5},
		{0xff, 0x00, 1, 0x100},
		{0x100, 0xff, 1, 0xff},
		{0x17f, 0x00, 1, 0x200},
		{1<<62 - 2, 0xff, 1, 1<<62 - 1},
	}
	for _, tt := range tests {
		if got := decodePacketNumber(tt.largest, tt.truncated, tt.pnLen); got != tt.want {
			t.Errorf("decodePacketNumber(%#x, %#x, %d) = %#x, want %#x", tt.largest, tt.truncated, tt.pnLen, got, tt.want)
		}
	}
}

func TestLooksInitial(t *testing.T) {
	v1 := readHex(t, "rfc9001-a2-client.hex")
	handshake := handshakePacket([]byte{1}, 30)
	withVersion := func(b []byte, v uint32) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint32(b[1:5], v)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"v1 client", v1, true},
		{"v2 client", readHex(t, "rfc9369-a2-client.hex"), true},
		{"v1 server", readHex(t, "rfc9001-a3-server.hex"), true},
		{"draft-29", withVersion(v1, Draft29), true},
		{"unknown version", withVersion(v1, 0xfaceb002), false},
		{"v1 type bits read as v2", withVersion(v1, V2), false},
		{"version negotiation", withVersion(v1, 0), false},
		{"handshake", handshake, false},
		{"v1 Retry", readHex(t, "rfc9001-a4-retry.hex"), false},
		{"short header", []byte{0x40, 1, 2, 3, 4, 5, 6, 7}, false},
		{"DNS", []byte{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0}, false},
		{"DCID over 20", append([]byte{0xc0, 0, 0, 0, 1, 21}, make([]byte, 30)...), false},
		{"cut in the DCID", v1[:10], false},
		{"header only", v1[:15], true},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := LooksInitial(tt.b); got != tt.want {
			t.Errorf("%s: LooksInitial = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestStreamBounds checks that hostile CRYPTO offsets cost bounded memory.
func TestStreamBounds(t *testing.T) {
	var s cryptoStream
	tests := []struct {
		off  uint64
		n    int
		want string
	}{
		{1<<62 - 1, 1, AnomalyCryptoOffsetTooLarge},
		{maxCryptoData, 1, AnomalyCryptoOffsetTooLarge},
		{maxCryptoData - 1, 1, ""},
		{0, 0, ""},
	}
	for _, tt := range tests {
		if got := s.add(tt.off, make([]byte, tt.n)); got != tt.want {
			t.Errorf("add(%d, %d bytes) = %q, want %q", tt.off, tt.n, got, tt.want)
		}
	}
	if len(s.buf) > maxCryptoData {
		t.Errorf("buffer of %d bytes", len(s.buf))
	}
	var f cryptoStream
	var got string
	for i := range 2 * maxSpans {
		if a := f.add(uint64(4*i), []byte{1}); a != "" {
			got = a
		}
	}
	if got != AnomalyCryptoFragmented || len(f.have) > maxSpans {
		t.Errorf("scattered bytes: anomaly %q, %d spans", got, len(f.have))
	}
	// Filling the gaps merges the spans again.
	for i := range 4 * maxSpans {
		f.add(uint64(i), []byte{1})
	}
	if diff := cmp.Diff([]span{{0, 4 * maxSpans}}, f.have, cmp.AllowUnexported(span{})); diff != "" {
		t.Errorf("spans mismatch (-want +got):\n%s", diff)
	}
}

// TestDerivationBound checks that Initials with ever new DCIDs, none of
// which decrypts, stop costing key derivations.
func TestDerivationBound(t *testing.T) {
	c := NewConn()
	for i := range 100 {
		dcid := []byte{byte(i), 1, 2, 3}
		c.Datagram(sealInitial(initialPacket{version: V1, dcid: dcid, keyDCID: []byte{9}, payload: []byte{framePing}}), true)
	}
	if c.derivations != maxDerivations {
		t.Errorf("%d key derivations, want %d", c.derivations, maxDerivations)
	}
	if diff := cmp.Diff([]string{AnomalyUndecryptable}, c.Anomalies()); diff != "" {
		t.Errorf("anomalies mismatch (-want +got):\n%s", diff)
	}
}
