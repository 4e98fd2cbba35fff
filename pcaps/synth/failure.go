package synth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// Opening is how a connection's three-way handshake goes (TCP.Opening).
type Opening uint8

const (
	// Established: SYN, SYN-ACK, ACK, then the conversation.
	Established Opening = iota
	// Unanswered: the client's SYN and its retransmissions
	// (TCP.SYNRetries), nothing back: a filtered port, a dead route.
	Unanswered
	// Refused: the SYN answered by a RST-ACK: a closed port, or a
	// firewall that rejects on the server's behalf.
	Refused
)

var openingNames = [...]string{"established", "unanswered", "refused"}

// String returns the opening's short name.
func (o Opening) String() string {
	if int(o) < len(openingNames) {
		return openingNames[o]
	}
	return fmt.Sprintf("Opening(%d)", uint8(o))
}

// Reply is what the server side of a Handshake does once the ClientHello
// has arrived (Config.Reply).
type Reply uint8

const (
	// ReplyTLS: a crypto/tls server answers.
	ReplyTLS Reply = iota
	// ReplyReset: the connection is reset (RST-ACK) right after the
	// ClientHello, by the server or a device in the path.
	ReplyReset
	// ReplySilence: TCP acknowledges the ClientHello but no byte comes
	// back; the client gives up after Config.GiveUp and closes (FIN).
	ReplySilence
)

var replyNames = [...]string{"tls", "reset", "silence"}

// String returns the reply's short name.
func (r Reply) String() string {
	if int(r) < len(replyNames) {
		return replyNames[r]
	}
	return fmt.Sprintf("Reply(%d)", uint8(r))
}

// defaultGiveUp is how long a client waits for an answer to its
// ClientHello before it closes, when Config.GiveUp is zero.
const defaultGiveUp = 10 * time.Second

// HandshakeError is a connection Handshake recorded that did not complete:
// a side's crypto/tls gave up (and sent an alert), the proxy refused the
// CONNECT, or Config.Reply made the server reset or stay silent. The
// Conversation returned with it holds what both sides wrote up to then,
// which is what a capture of the failure shows.
type HandshakeError struct {
	Client, Server error // what each side saw; nil for a side that saw no error
}

// Error names the client's error if there is one, else the server's.
func (e *HandshakeError) Error() string {
	if e.Client != nil {
		return "synth: client: " + e.Client.Error()
	}
	return "synth: server: " + e.Server.Error()
}

// Unwrap returns the sides' errors.
func (e *HandshakeError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Client, e.Server} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// errGaveUp is the client's error when the server stays silent.
var errGaveUp = errors.New("synth: no answer to the ClientHello; the client gave up")

// proxyStatus returns the status code of an HTTP/1.x response's status
// line (RFC 9112, Section 4), or 0 when resp does not start with one.
func proxyStatus(resp []byte) int {
	line, _, _ := bytes.Cut(resp, []byte("\r\n"))
	_, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || !bytes.HasPrefix(line, []byte("HTTP/1.")) || len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return 0
	}
	code, err := strconv.Atoi(string(rest[:3]))
	if err != nil {
		return 0
	}
	return code
}

// connectClient is the client's side of an explicit proxy's CONNECT
// (RFC 9110, Section 9.3.6): it sends req and reads the proxy's answer,
// which must be resp; the tunnel is open when the status is 2xx.
func connectClient(c net.Conn, req, resp []byte) error {
	if _, err := c.Write(req); err != nil {
		return err
	}
	got := make([]byte, len(resp))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, resp) {
		return fmt.Errorf("synth: client read %q from the proxy, want %q", got, resp)
	}
	if code := proxyStatus(resp); code < 200 || code > 299 {
		line, _, _ := bytes.Cut(resp, []byte("\r\n"))
		return fmt.Errorf("synth: the proxy answered %q", line)
	}
	return nil
}

// connectServer is the proxy's side: it reads req and answers resp. It
// reports whether the tunnel is open.
func connectServer(c net.Conn, req, resp []byte) (bool, error) {
	got := make([]byte, len(req))
	if _, err := io.ReadFull(c, got); err != nil {
		return false, err
	}
	if !bytes.Equal(got, req) {
		return false, fmt.Errorf("synth: proxy read %q, want %q", got, req)
	}
	if _, err := c.Write(resp); err != nil {
		return false, err
	}
	code := proxyStatus(resp)
	return code >= 200 && code <= 299, nil
}

// replyOther is the server side for ReplyReset and ReplySilence: it reads
// the ClientHello's record (RFC 8446, Section 5.1: a 5-byte header with
// the length last) and resets, or returns without a word.
func replyOther(c net.Conn, r Reply) error {
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c, body); err != nil {
		return err
	}
	if r == ReplyReset {
		c.(*pipeConn).abort()
	}
	return nil
}

// giveUp makes the client's FIN, its last chunk, come after wait.
func giveUp(conv *Conversation, wait time.Duration) {
	if wait == 0 {
		wait = defaultGiveUp
	}
	for i := len(conv.Chunks) - 1; i >= 0; i-- {
		if ch := &conv.Chunks[i]; ch.Dir == Client && ch.FIN {
			ch.Wait = wait
			return
		}
	}
}
