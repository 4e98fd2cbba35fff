package tlsparse

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// FingerprintCache remembers the fingerprints of hellos seen before. A
// capture holds thousands of connections from a handful of TLS stacks, so
// most hellos offer exactly what an earlier one did, and their JA3, JA4
// and JA3S are the same strings: found by a hash of what the fingerprints
// are made of and checked field by field, they cost a lookup instead of
// an MD5 and two SHA-256. A nil *FingerprintCache computes every time.
// It is not safe for concurrent use.
type FingerprintCache struct {
	seed    maphash.Seed
	client  map[uint64]clientPrints
	server  map[uint64]serverPrints
	collide bool // tests: every hello hashes alike
}

// fingerprintCacheMax bounds each of the cache's maps; a full map is
// started again.
const fingerprintCacheMax = 4096

type clientPrints struct {
	ch        *ClientHello // whose fields the fingerprints were made of
	transport byte
	ja3, ja4  string
}

type serverPrints struct {
	sh   *ServerHello
	ja3s string
}

// NewFingerprintCache returns an empty cache.
func NewFingerprintCache() *FingerprintCache {
	return &FingerprintCache{seed: maphash.MakeSeed()}
}

// key hashes the fingerprints' inputs b.
func (c *FingerprintCache) key(b []byte) uint64 {
	if c.collide {
		return 42
	}
	return maphash.Bytes(c.seed, b)
}

// Client returns ch.JA3Hash() and ch.JA4(transport).
func (c *FingerprintCache) Client(ch *ClientHello, transport byte) (ja3, ja4 string) {
	if c == nil {
		return ch.JA3Hash(), ch.JA4(transport)
	}
	var buf [fingerprintBuf]byte
	k := c.key(ch.appendPrintInputs(append(buf[:0], transport)))
	if p, ok := c.client[k]; ok && p.transport == transport && sameClientPrintInputs(p.ch, ch) {
		return p.ja3, p.ja4
	}
	ja3, ja4 = ch.JA3Hash(), ch.JA4(transport)
	if len(c.client) >= fingerprintCacheMax || c.client == nil {
		c.client = make(map[uint64]clientPrints)
	}
	c.client[k] = clientPrints{ch, transport, ja3, ja4}
	return ja3, ja4
}

// Server returns sh.JA3SHash().
func (c *FingerprintCache) Server(sh *ServerHello) string {
	if c == nil {
		return sh.JA3SHash()
	}
	var buf [fingerprintBuf]byte
	k := c.key(sh.appendPrintInputs(buf[:0]))
	if p, ok := c.server[k]; ok && sameServerPrintInputs(p.sh, sh) {
		return p.ja3s
	}
	ja3s := sh.JA3SHash()
	if len(c.server) >= fingerprintCacheMax || c.server == nil {
		c.server = make(map[uint64]serverPrints)
	}
	c.server[k] = serverPrints{sh, ja3s}
	return ja3s
}

// appendPrintInputs appends every field of ch that JA3 or JA4 reads, each
// list after its length, for the cache's hash.
func (ch *ClientHello) appendPrintInputs(b []byte) []byte {
	if ch.SSLv2 {
		b = append(b, 1)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(ch.Version))
	b = appendUint16s(b, ch.CipherSuites)
	b = appendUint16s(b, ch.Extensions)
	b = appendUint16s(b, ch.SupportedGroups)
	b = append(b, byte(len(ch.PointFormats)))
	b = append(b, ch.PointFormats...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(ch.SupportedVersions)))
	for _, v := range ch.SupportedVersions {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	b = appendUint16s(b, ch.SignatureAlgorithms)
	for _, p := range ch.ALPN {
		b = append(b, byte(len(p)))
		b = append(b, p...)
	}
	return b
}

// appendPrintInputs appends every field of sh that JA3S reads.
func (sh *ServerHello) appendPrintInputs(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(sh.Version))
	b = binary.LittleEndian.AppendUint16(b, sh.CipherSuite)
	return appendUint16s(b, sh.Extensions)
}

func appendUint16s(b []byte, vs []uint16) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(vs)))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	return b
}

// sameClientPrintInputs reports whether a and b agree on every field JA3
// and JA4 read.
func sameClientPrintInputs(a, b *ClientHello) bool {
	return a.SSLv2 == b.SSLv2 && a.Version == b.Version &&
		slices.Equal(a.CipherSuites, b.CipherSuites) &&
		slices.Equal(a.Extensions, b.Extensions) &&
		slices.Equal(a.SupportedGroups, b.SupportedGroups) &&
		slices.Equal(a.PointFormats, b.PointFormats) &&
		slices.Equal(a.SupportedVersions, b.SupportedVersions) &&
		slices.Equal(a.SignatureAlgorithms, b.SignatureAlgorithms) &&
		slices.Equal(a.ALPN, b.ALPN)
}

// sameServerPrintInputs reports whether a and b agree on every field JA3S
// reads.
func sameServerPrintInputs(a, b *ServerHello) bool {
	return a.Version == b.Version && a.CipherSuite == b.CipherSuite && slices.Equal(a.Extensions, b.Extensions)
}
