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
	// NoDir is neither side: Ending.ResetBy when no RST was captured. It is
	// not an index of the [2] arrays.
	NoDir Dir = 2
)

// String returns "A->B", "B->A" or "none".
func (d Dir) String() string {
	switch d {
	case AtoB:
		return "A->B"
	case BtoA:
		return "B->A"
	case NoDir:
		return "none"
	}
	return "Dir(" + itoa(int(d)) + ")"
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

// Ending says how a connection ended and what the capture saw of it. The
// arrays are indexed by Dir. Late packets absorbed after the end (a last
// ACK, a retransmitted FIN) are not counted.
type Ending struct {
	Reason EndReason
	Time   time.Time // capture time of the end
	// Packets counts the TCP segments captured from each side (index Dir).
	// 0 means the capture holds nothing that side sent: a one-way capture
	// (asymmetric routing, a SPAN of one direction), not a silent peer.
	// It stops at 2^32-1 (the Assembler keeps 32 bits per side).
	Packets [2]uint64
	// SYNs counts the SYN segments each side sent: A's SYNs
	// (retransmissions included) and B's SYN-ACKs. A RST with the SYN bit
	// is a RST, not counted here. It stops at 2^32-1.
	SYNs [2]uint32
	// FirstSYN and LastSYN are the capture times of A's first and last SYN
	// (zero when no SYN from A was captured): several SYNs over seconds
	// and no SYN-ACK is a server that does not answer (Zeek's S0).
	FirstSYN, LastSYN time.Time
	// Bytes counts the payload bytes each side sent: the sequence space
	// its payload covered from its SYN (or first payload) to the furthest
	// byte seen, so a retransmission counts once and bytes the capture
	// missed in between count too. It stops at 2^64-1.
	Bytes [2]uint64
	// Established: B answered with a SYN-ACK, or both sides sent a segment
	// (neither SYN nor RST) with an ACK or payload, showing the connection
	// was up. A one-way capture of A's side after an uncaptured SYN-ACK is
	// therefore not Established: the capture cannot show it.
	Established bool
	// ResetBy is the side that sent the first RST, NoDir when no RST was
	// captured. A RST ends the connection, so ResetAt is Time and
	// ResetAfter is Bytes when ResetBy is a side; they are spelled out so
	// that a caller can say "the server reset right after the ClientHello"
	// (ResetAfter[client] > 0, ResetAfter[server] == 0) without knowing
	// that.
	ResetBy    Dir
	ResetAt    time.Time // capture time of the RST; zero if none
	ResetAfter [2]uint64 // Bytes when the RST came; zero if none
	// FIN says which sides sent a FIN.
	FIN [2]bool
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
// and unchanged for the connection's life, until its Stream's End returns:
// then the Assembler may reuse it for another connection, so a Stream
// that keeps what it holds copies it.
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
