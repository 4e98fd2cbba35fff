package probe

import (
	"bytes"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/tsid-project/tsid/tlsparse"
)

// recorder is the TCP connection, keeping a copy of the bytes each way in
// the order they crossed it, up to MaxRecorded each.
type recorder struct {
	net.Conn
	mu      sync.Mutex
	stopped bool
	buf     [2][]byte // 0: sent, 1: received
	cut     [2]bool
	segs    []segment
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.add(1, p[:n])
	return n, err
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	r.add(0, p[:n])
	return n, err
}

func (r *recorder) add(dir tlsparse.Dir, b []byte) {
	if len(b) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if room := MaxRecorded - len(r.buf[dir]); len(b) > room {
		b, r.cut[dir] = b[:room], true
	}
	if len(b) == 0 {
		return
	}
	r.buf[dir] = append(r.buf[dir], b...)
	if n := len(r.segs); n > 0 && r.segs[n-1].dir == dir {
		r.segs[n-1].n += len(b)
	} else {
		r.segs = append(r.segs, segment{dir: dir, n: len(b)})
	}
}

// readLine reads on, briefly and not past deadline, until what the
// server sent holds a whole first line (or 512 bytes): a server that is
// not TLS is named by it.
func (r *recorder) readLine(deadline time.Time) {
	dl := time.Now().Add(250 * time.Millisecond)
	if !deadline.IsZero() && deadline.Before(dl) {
		dl = deadline
	}
	r.Conn.SetReadDeadline(dl)
	buf := make([]byte, 512)
	for {
		r.mu.Lock()
		got := r.buf[1]
		r.mu.Unlock()
		if len(got) >= len(buf) || bytes.IndexByte(got, '\n') >= 0 {
			return
		}
		if _, err := r.Read(buf[:len(buf)-len(got)]); err != nil {
			return
		}
	}
}

// done stops the recording and gives the bytes to res; later calls do
// nothing.
func (r *recorder) done(res *Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.stopped = true
	res.Sent, res.Received = r.buf[0], r.buf[1]
	res.SentCut, res.ReceivedCut = r.cut[0], r.cut[1]
	res.segs = r.segs
}

// Handshake reads the recorded bytes as tsid reads a capture: through
// tlsparse's Observer, tsid's side as the client. What TLS 1.3 encrypts on
// the wire tsid, the client, read: when the Observer could not read the
// certificate and Chain holds one, Chain is parsed into the handshake and
// Status is tlsparse.CertProbed (a capture of this connection would not
// show it). Bytes past the MaxRecorded cap count as lost (Incomplete).
func (r *Result) Handshake() *tlsparse.Handshake {
	o := tlsparse.NewObserver()
	o.Follow() // the alerts after the server's hello too
	sent, recv := r.Sent, r.Received
	feed := func(dir tlsparse.Dir, n int) {
		if dir == 0 {
			o.Data(0, sent[:n])
			sent = sent[n:]
		} else {
			o.Data(1, recv[:n])
			recv = recv[n:]
		}
	}
	for _, s := range r.segs {
		if s.dir == 0 && s.n <= len(sent) || s.dir == 1 && s.n <= len(recv) {
			feed(s.dir, s.n)
		}
	}
	// A Result made by hand has no order: tsid's bytes first.
	if len(sent) > 0 {
		feed(0, len(sent))
	}
	if len(recv) > 0 {
		feed(1, len(recv))
	}
	if r.SentCut {
		o.Gap(0)
	}
	if r.ReceivedCut {
		o.Gap(1)
	}
	hs := o.Handshake()
	if len(hs.Chain) > 0 || len(r.Chain) == 0 {
		return hs
	}
	var chain []*tlsparse.Certificate
	for i, der := range r.Chain {
		c, err := tlsparse.ParseCertificate(der)
		if err != nil {
			hs.Anomalies = append(hs.Anomalies[:len(hs.Anomalies):len(hs.Anomalies)], "certificate-malformed:"+strconv.Itoa(i))
			continue
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return hs
	}
	hs.Chain = chain
	if hs.Status == tlsparse.CertEncrypted || r.Version.TLS13() {
		hs.Status = tlsparse.CertProbed
	} else {
		// In clear on the wire, though the recording missed it (the cap).
		hs.Status = tlsparse.CertPresent
	}
	return hs
}
