package synth

import (
	"bytes"
	"net"
	"net/netip"
	"time"
)

// Dir is the sender of a chunk.
type Dir uint8

const (
	Client Dir = 0 // the side that opens the connection
	Server Dir = 1
)

// String returns "client" or "server".
func (d Dir) String() string {
	if d == Client {
		return "client"
	}
	return "server"
}

// Peer returns the other side.
func (d Dir) Peer() Dir { return 1 - d }

// Chunk is one Write of one side, or the side closing its half of the
// connection (FIN), or aborting it (RST).
type Chunk struct {
	Dir  Dir
	Data []byte
	FIN  bool // no data; Dir closed its sending half
	// RST: no data; Dir aborted the connection (RST-ACK). Nothing follows
	// in either direction: a Writer drops any later chunk.
	RST bool
	// Wait, when longer than the Writer's step, is how long after the
	// previous packet the chunk's first packet comes: a client that waits
	// for an answer before it gives up, a slow server.
	Wait time.Duration
}

// Conversation is one TCP connection's application bytes in the order the
// two sides wrote them.
type Conversation struct {
	Client, Server netip.AddrPort
	Chunks         []Chunk

	// TLS results, filled by Handshake.
	Version uint16 // negotiated TLS version (tls.VersionTLS12, ...)
	Resumed bool   // the handshake resumed an earlier session
	SNI     string // server_name as the server received it; "" = none
}

// Stream returns every byte d sent, concatenated.
func (c *Conversation) Stream(d Dir) []byte {
	var b bytes.Buffer
	for _, ch := range c.Chunks {
		if ch.Dir == d {
			b.Write(ch.Data)
		}
	}
	return b.Bytes()
}

func tcpAddr(ap netip.AddrPort) net.Addr { return net.TCPAddrFromAddrPort(ap) }
