package quic

import "bytes"

// maxCryptoData bounds the CRYPTO data kept per direction: the Initial
// CRYPTO stream carries only the ClientHello or the ServerHello, which are a
// few KiB even with post-quantum key shares.
const maxCryptoData = 64 << 10

// maxSpans bounds the disjoint ranges of CRYPTO data awaiting their gaps, so
// that hostile one-byte frames at scattered offsets cost bounded work.
const maxSpans = 64

// handshakeHeaderLen is the TLS handshake message header: type and a 24-bit
// length (RFC 8446, Section 4).
const handshakeHeaderLen = 4

// TLS handshake types each direction's Initial CRYPTO stream starts with
// (RFC 8446, Section 4).
const (
	typeClientHello = 1
	typeServerHello = 2
)

// span is a received range [start, end) of the CRYPTO stream.
type span struct{ start, end int }

// cryptoStream reassembles one direction's Initial CRYPTO stream by offset
// (RFC 9000, Section 19.6). Bytes once received are never rewritten, so the
// hello slice handed out stays valid.
type cryptoStream struct {
	buf   []byte // grows to at most maxCryptoData
	have  []span // sorted, disjoint and not adjacent
	hello []byte // the complete first handshake message, once known
}

// add stores data at offset off and returns the anomaly it shows, or "".
func (s *cryptoStream) add(off uint64, data []byte) string {
	if off > maxCryptoData || uint64(len(data)) > maxCryptoData-off {
		return AnomalyCryptoOffsetTooLarge
	}
	if len(data) == 0 {
		return ""
	}
	start, end := int(off), int(off)+len(data)
	// Spans i..j-1 overlap or touch [start, end) and merge with it.
	i := 0
	for i < len(s.have) && s.have[i].end < start {
		i++
	}
	j := i
	for j < len(s.have) && s.have[j].start <= end {
		j++
	}
	if len(s.have)-(j-i)+1 > maxSpans {
		return AnomalyCryptoFragmented
	}
	if end > len(s.buf) {
		s.grow(end)
	}
	anomaly := ""
	pos := start
	for _, sp := range s.have[i:j] {
		lo, hi := max(sp.start, start), min(sp.end, end)
		if lo < hi && !bytes.Equal(s.buf[lo:hi], data[lo-start:hi-start]) {
			// Keep what came first, as a TLS stack's CRYPTO buffer does.
			anomaly = AnomalyCryptoOverlapConflict
		}
		if sp.start > pos {
			copy(s.buf[pos:sp.start], data[pos-start:])
		}
		pos = max(pos, sp.end)
	}
	if pos < end {
		copy(s.buf[pos:end], data[pos-start:])
	}
	merged := span{start, end}
	if i < j {
		merged.start = min(merged.start, s.have[i].start)
		merged.end = max(merged.end, s.have[j-1].end)
	}
	if s.have == nil {
		s.have = make([]span, 0, maxSpans)
	}
	// Replace spans i..j-1 by merged, in place (cap is maxSpans).
	tail := len(s.have) - j
	s.have = s.have[:i+1+tail]
	copy(s.have[i+1:], s.have[j:j+tail])
	s.have[i] = merged
	return anomaly
}

// grow makes buf at least n bytes long, doubling to amortise; a new array is
// allocated so that hello slices handed out keep their bytes.
func (s *cryptoStream) grow(n int) {
	size := max(n, 2*len(s.buf), 2048)
	size = min(size, maxCryptoData)
	buf := make([]byte, size)
	copy(buf, s.buf)
	s.buf = buf
}

// complete sets hello once the first handshake message, of type typ, is
// whole, and returns the anomaly it shows, or "".
func (s *cryptoStream) complete(typ byte) string {
	if s.hello != nil || len(s.have) == 0 || s.have[0].start != 0 || s.have[0].end < handshakeHeaderLen {
		return ""
	}
	if s.buf[0] != typ {
		return AnomalyUnexpectedHandshake
	}
	n := handshakeHeaderLen + (int(s.buf[1])<<16 | int(s.buf[2])<<8 | int(s.buf[3]))
	if n > maxCryptoData {
		return AnomalyHelloTooLarge
	}
	if s.have[0].end >= n {
		s.hello = s.buf[:n:n]
	}
	return ""
}
