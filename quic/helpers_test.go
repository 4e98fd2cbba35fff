package quic

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rfcDCID is the client's first DCID of the RFC 9001 and RFC 9369 vectors.
var rfcDCID = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}

// readHex reads a testdata file of hex digits; '#' starts a comment line.
func readHex(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var sb strings.Builder
	for line := range strings.SplitSeq(string(raw), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return b
}

// rfcClientHello is the ClientHello of RFC 9001, Appendix A.2 (CRYPTO
// frame header 06 00 40f1 removed).
func rfcClientHello(tb testing.TB) []byte {
	return readHex(tb, "rfc9001-a2-client-crypto.hex")[4:]
}

func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return binary.BigEndian.AppendUint16(b, uint16(v)|0x4000)
	case v < 1<<30:
		return binary.BigEndian.AppendUint32(b, uint32(v)|0x80000000)
	}
	return binary.BigEndian.AppendUint64(b, v|0xc000000000000000)
}

// cryptoFrame encodes a CRYPTO frame (RFC 9000, Section 19.6).
func cryptoFrame(off uint64, data []byte) []byte {
	b := appendVarint([]byte{frameCrypto}, off)
	b = appendVarint(b, uint64(len(data)))
	return append(b, data...)
}

// initialPacket describes an Initial packet for sealInitial.
type initialPacket struct {
	version    uint32
	dcid, scid []byte
	keyDCID    []byte // the DCID the keys derive from; dcid when nil
	server     bool
	pn         uint64
	pnLen      int // 1..4; 4 when 0
	payload    []byte
}

// sealInitial protects an Initial packet as a QUIC endpoint would (RFC
// 9001, Sections 5.3 and 5.4), padding the payload to at least 20 bytes.
func sealInitial(p initialPacket) []byte {
	if p.pnLen == 0 {
		p.pnLen = 4
	}
	if p.keyDCID == nil {
		p.keyDCID = p.dcid
	}
	payload := bytes.Clone(p.payload)
	for len(payload) < 20 {
		payload = append(payload, framePadding)
	}
	typeBits := byte(0)
	if p.version == V2 {
		typeBits = 1
	}
	hdr := []byte{0xc0 | typeBits<<4 | byte(p.pnLen-1)}
	hdr = binary.BigEndian.AppendUint32(hdr, p.version)
	hdr = append(hdr, byte(len(p.dcid)))
	hdr = append(hdr, p.dcid...)
	hdr = append(hdr, byte(len(p.scid)))
	hdr = append(hdr, p.scid...)
	hdr = append(hdr, 0) // token length
	length := p.pnLen + len(payload) + tagLen
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(length)|0x4000)
	pnOffset := len(hdr)
	for i := p.pnLen - 1; i >= 0; i-- {
		hdr = append(hdr, byte(p.pn>>(8*i)))
	}
	k := initialKeys(p.version, p.keyDCID, p.server)
	nonce := k.iv
	for i := range 8 {
		nonce[ivLen-1-i] ^= byte(p.pn >> (8 * i))
	}
	pkt := k.aead.Seal(hdr, nonce[:], payload, hdr)
	var mask [16]byte
	k.hp.Encrypt(mask[:], pkt[pnOffset+4:pnOffset+4+sampleLen])
	pkt[0] ^= mask[0] & 0x0f
	for i := range p.pnLen {
		pkt[pnOffset+i] ^= mask[1+i]
	}
	return pkt
}

// handshakePacket is a long header Handshake packet of v1 with an opaque
// payload (an observer cannot decrypt it anyway).
func handshakePacket(dcid []byte, n int) []byte {
	b := []byte{0xe0}
	b = binary.BigEndian.AppendUint32(b, V1)
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(n)|0x4000)
	return append(b, bytes.Repeat([]byte{0xaa}, n)...)
}
