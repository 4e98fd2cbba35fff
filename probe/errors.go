package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tsid-project/tsid/tlsparse"
)

// What went wrong with a probe. A failed probe's error is an *Error, which
// errors.Is matches against these (and against the cause: a
// context.Canceled, a *net.OpError, …).
var (
	// ErrTarget: the target is not HOST[:PORT] (ParseTarget).
	ErrTarget = errors.New("probe: bad target")
	// ErrRefused: the server (or the proxy) refused the TCP connection.
	ErrRefused = errors.New("probe: connection refused")
	// ErrTimeout: no answer within the timeout: to the TCP connection,
	// to the name's lookup, to the CONNECT, or to the ClientHello (a
	// server that accepts and stays silent).
	ErrTimeout = errors.New("probe: no answer")
	// ErrUnreachable: no route to the server (network or host
	// unreachable, an address this host cannot use).
	ErrUnreachable = errors.New("probe: unreachable")
	// ErrNoSuchHost: the name does not resolve.
	ErrNoSuchHost = errors.New("probe: no such host")
	// ErrNotTLS: the server answered the ClientHello with something that
	// is not a TLS record (an HTTP error, an SSH banner, …).
	ErrNotTLS = errors.New("probe: not TLS")
	// ErrProxy: the HTTP proxy (Options.Via) could not be reached or did
	// not open the tunnel.
	ErrProxy = errors.New("probe: proxy failed")
	// ErrHandshake: the server spoke TLS but the handshake ended before
	// its certificate: an alert, a reset, a close.
	ErrHandshake = errors.New("probe: TLS handshake failed")
)

// Error is a failed probe: the target, and what happened in a few plain
// words ("connection refused", "no answer within 5s (…)").
type Error struct {
	Target string // host:port
	Msg    string
	Kinds  []error // the sentinels that apply (ErrProxy and ErrTimeout, …)
	Err    error   // the cause, when there is one
}

// Error reads "probe 10.1.1.1:443: connection refused".
func (e *Error) Error() string { return "probe " + e.Target + ": " + e.Msg }

// Unwrap gives the sentinels and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	out := append([]error(nil), e.Kinds...)
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// TargetError is a target ParseTarget cannot read.
type TargetError struct {
	Input string
	Why   string
}

func (e *TargetError) Error() string {
	return "probe: target " + strconv.Quote(e.Input) + ": " + e.Why
}

// Unwrap is ErrTarget.
func (e *TargetError) Unwrap() error { return ErrTarget }

// connectError explains a failed TCP connection (or name lookup): to the
// target, or to the proxy when via is set.
func connectError(err error, timeout time.Duration, via string) (msg string, kinds []error) {
	msg, kinds = dialCause(err, timeout)
	if via != "" {
		msg = "proxy " + via + ": " + msg
		kinds = append([]error{ErrProxy}, kinds...)
	}
	return msg, kinds
}

func dialCause(err error, timeout time.Duration) (string, []error) {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		switch {
		case dns.IsNotFound:
			return "no such host", []error{ErrNoSuchHost}
		case dns.IsTimeout:
			return noAnswer(timeout) + " (looking up " + dns.Name + ")", []error{ErrTimeout}
		}
		return "name not resolved: " + dns.Err, []error{ErrNoSuchHost}
	}
	switch {
	case isTimeout(err):
		return noAnswer(timeout) + " (the TCP connection was not answered)", []error{ErrTimeout}
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", []error{ErrRefused}
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable", []error{ErrUnreachable}
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host", []error{ErrUnreachable}
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "address not available from this host", []error{ErrUnreachable}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "connection not permitted by this host", []error{ErrUnreachable}
	}
	return plain(err), nil
}

// alertProtocolVersion is the alert of a server that speaks none of the
// versions offered (RFC 8446, Section 6.2).
const alertProtocolVersion = 70

// handshakeError explains a handshake that ended before the server's
// certificate, from the error crypto/tls returned and what the server
// sent (hs, received).
func handshakeError(err error, timeout time.Duration, hs *tlsparse.Handshake, received []byte, sni string) (string, []error) {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return "not TLS: the server answered " + firstWords(received), []error{ErrNotTLS}
	}
	if a, ok := serverAlert(hs); ok {
		msg := "TLS handshake failed: the server sent alert " + a.Name()
		switch {
		case a.Description == alertProtocolVersion:
			msg += " (it speaks none of the TLS versions offered; tsid offers 1.2 and 1.3, or the one --tls names)"
		case sni == "":
			switch a.Description {
			case 40, 112, 80: // handshake_failure, unrecognized_name, internal_error
				msg += " (it may want an SNI: --sni NAME)"
			}
		}
		return msg, []error{ErrHandshake}
	}
	switch {
	case isTimeout(err):
		if len(received) == 0 {
			return noAnswer(timeout) + " (the server accepted the connection but did not answer the ClientHello)", []error{ErrTimeout}
		}
		return noAnswer(timeout) + " (the handshake stalled after " + strconv.Itoa(len(received)) + " bytes from the server)", []error{ErrTimeout}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if len(received) == 0 {
			return "the server closed the connection without answering the ClientHello", []error{ErrHandshake}
		}
		return "the server closed the connection during the handshake", []error{ErrHandshake}
	case errors.Is(err, syscall.ECONNRESET):
		if len(received) == 0 {
			return "the server reset the connection without answering the ClientHello", []error{ErrHandshake}
		}
		return "the server reset the connection during the handshake", []error{ErrHandshake}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil { // an alert crypto/tls decrypted
		return "TLS handshake failed: the server sent alert " + strings.TrimPrefix(op.Err.Error(), "tls: "), []error{ErrHandshake}
	}
	return "TLS handshake failed: " + strings.TrimPrefix(plain(err), "tls: "), []error{ErrHandshake}
}

// serverAlert is the first plaintext alert the server sent.
func serverAlert(hs *tlsparse.Handshake) (tlsparse.Alert, bool) {
	for _, a := range hs.Alerts {
		if !a.FromClient {
			return a, true
		}
	}
	return tlsparse.Alert{}, false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

// noAnswer is "no answer within 5s".
func noAnswer(d time.Duration) string { return "no answer within " + d.String() }

// plain is an error's text without the operation and addresses net
// prefixes it with ("dial tcp 10.1.1.1:443: connect: "): the target is
// named already.
func plain(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) && se.Err != nil {
		err = se.Err
	}
	return err.Error()
}

// firstWords shows the start of what a server that is not TLS answered:
// its first line quoted, cut at 60 bytes, or its first bytes in hex when
// they are not text.
func firstWords(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	text := line != ""
	for i := 0; i < len(line); i++ {
		if c := line[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			text = false
			break
		}
	}
	if !text {
		n := min(len(b), 8)
		var h strings.Builder
		for i, c := range b[:n] {
			if i > 0 {
				h.WriteByte(' ')
			}
			h.WriteString(strconv.FormatUint(uint64(c)>>4, 16) + strconv.FormatUint(uint64(c)&0xf, 16))
		}
		if len(b) > n {
			h.WriteString(" …")
		}
		return "bytes " + h.String()
	}
	if len(line) > 60 {
		return strconv.Quote(line[:60]) + "…"
	}
	return strconv.Quote(line)
}
