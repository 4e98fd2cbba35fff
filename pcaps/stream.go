package pcaps

import (
	"net/netip"
	"time"
)

// Dir is the direction of a byte stream within one TCP connection.
type Dir uint8

const (
	// AtoB is data sent by ConnInfo.A (the initiator when the SYN was seen).
	AtoB Dir = 0
	// BtoA is data sent by ConnInfo.B.
	BtoA Dir = 1
)

// String returns "A->B" or "B->A".
func (d Dir) String() string {
	if d == AtoB {
		return "A->B"
	}
	return "B->A"
}

// ConnInfo describes one TCP connection. The Assembler never changes it
// after the StreamFactory has seen it.
type ConnInfo struct {
	// ID is 1, 2, 3, … in order of the connection's first packet within one
	// Assembler.
	ID uint64
	// A is the SYN sender if the SYN was seen, else the first packet's sender.
	A, B netip.AddrPort
	// SYN says the initial SYN was captured.
	SYN bool
	// First is the capture time of the connection's first packet.
	First time.Time
	// Outer is the outermost IP pair (A's side first) of the first packet
	// when it came through a tunnel (GRE, ERSPAN, VXLAN, …); zero if not.
	Outer [2]netip.Addr
}

// EndReason says why a connection ended.
type EndReason uint8

const (
	// EndClosed: FIN both ways (with all data up to the FINs seen) or RST.
	EndClosed EndReason = iota + 1
	// EndIdle: no packet for Config.IdleTimeout of capture time.
	EndIdle
	// EndEvicted: Config.MaxConns was reached and this connection was the
	// least recently active.
	EndEvicted
	// EndEOF: the capture ended (Assembler.Close).
	EndEOF
	// EndReused: a new SYN started another connection on the same 5-tuple.
	EndReused
)

var endNames = [...]string{
	EndClosed:  "closed",
	EndIdle:    "idle",
	EndEvicted: "evicted",
	EndEOF:     "eof",
	EndReused:  "reused",
}

func (r EndReason) String() string {
	if int(r) < len(endNames) && endNames[r] != "" {
		return endNames[r]
	}
	return "EndReason(" + itoa(int(r)) + ")"
}

// Ending says how a connection ended and what the capture saw of it.
type Ending struct {
	Reason EndReason
	Time   time.Time // capture time of the end
	// Packets counts the TCP segments captured from each side (index Dir).
	// 0 means the capture holds nothing that side sent: a one-way capture
	// (asymmetric routing, a SPAN of one direction), not a silent peer.
	Packets [2]uint64
}

// Stream consumes the two reassembled byte streams of one TCP connection.
type Stream interface {
	// Data delivers the next in-order payload bytes of one direction. b is
	// only valid during the call. Returning false means the consumer needs no
	// more payload of this connection (either direction): the assembler frees
	// its buffers and from then on only tracks the connection's end.
	Data(dir Dir, b []byte, ts time.Time) bool
	// Gap says bytes of dir were lost (n > 0 known count, n < 0 unknown)
	// before the next Data.
	Gap(dir Dir, n int)
	// Anomaly reports a TCP-level oddity (e.g. "overlap-conflict",
	// "buffer-cap").
	Anomaly(dir Dir, what string)
	// End is called exactly once.
	End(e Ending)
}

// StreamFactory makes the Stream of a new connection. *ConnInfo stays valid
// and unchanged for the connection's life.
type StreamFactory func(c *ConnInfo) Stream

// itoa avoids strconv in String methods that may run on hot paths of callers.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
