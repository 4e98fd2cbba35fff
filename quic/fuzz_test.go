package quic

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// splitDatagrams reads fuzz input as datagrams: a direction byte (bit 0:
// from the client), a 2-byte length, then the payload (cut at the end).
func splitDatagrams(b []byte) []datagram {
	var ds []datagram
	for len(b) >= 3 {
		n := min(int(binary.BigEndian.Uint16(b[1:3])), len(b)-3)
		ds = append(ds, datagram{b[3 : 3+n], b[0]&1 == 1})
		b = b[3+n:]
	}
	return ds
}

// joinDatagrams is the inverse of splitDatagrams, for seeds.
func joinDatagrams(ds ...datagram) []byte {
	var b []byte
	for _, d := range ds {
		dir := byte(0)
		if d.fromClient {
			dir = 1
		}
		b = append(b, dir)
		b = binary.BigEndian.AppendUint16(b, uint16(len(d.b)))
		b = append(b, d.b...)
	}
	return b
}

func FuzzConn(f *testing.F) {
	ch := rfcClientHello(f)
	dcid := []byte{1, 2, 3, 4}
	f.Add(joinDatagrams(
		datagram{readHex(f, "rfc9001-a2-client.hex"), true},
		datagram{readHex(f, "rfc9001-a3-server.hex"), false}))
	f.Add(joinDatagrams(
		datagram{readHex(f, "rfc9369-a2-client.hex"), true},
		datagram{readHex(f, "rfc9369-a3-server.hex"), false}))
	f.Add(joinDatagrams(
		datagram{readHex(f, "rfc9001-a2-client.hex"), true},
		datagram{readHex(f, "rfc9001-a4-retry.hex"), false}))
	f.Add(joinDatagrams(
		datagram{sealInitial(initialPacket{version: V1, dcid: dcid, pn: 1, pnLen: 1, payload: cryptoFrame(100, ch[100:])}), true},
		datagram{append(sealInitial(initialPacket{version: V1, dcid: dcid, payload: cryptoFrame(0, ch[:100])}), handshakePacket(dcid, 20)...), true}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds := splitDatagrams(b)
		c1, c2 := NewConn(), NewConn()
		feed(c1, ds)
		feed(c2, ds)
		if diff := cmp.Diff(resultOf(c1), resultOf(c2)); diff != "" {
			t.Fatalf("different answers on replay (-first +second):\n%s", diff)
		}
		for _, d := range c1.dirs {
			if len(d.stream.buf) > maxCryptoData || len(d.stream.have) > maxSpans {
				t.Fatalf("unbounded stream: %d bytes, %d spans", len(d.stream.buf), len(d.stream.have))
			}
		}
		a := c1.Anomalies()
		slices.Sort(a)
		if len(slices.Compact(a)) != len(c1.Anomalies()) {
			t.Fatalf("repeated anomalies: %v", c1.Anomalies())
		}
		if c1.ClientHello() != nil && !c1.Decrypted() {
			t.Fatal("ClientHello without decryption")
		}
	})
}
