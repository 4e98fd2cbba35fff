package synth

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// errDeadlock is returned by Read when both sides wait for data.
var errDeadlock = errors.New("synth: both sides wait for data")

var errClosed = errors.New("synth: use of closed connection")

// errReset is what a side's reads and writes return once its peer reset
// the connection (ECONNRESET).
var errReset = errors.New("synth: connection reset by peer")

// turns runs two sides of a conversation one at a time. A side keeps the
// turn until it blocks in Read with nothing to read or returns; only then
// does the peer run. This makes the recorded order of writes a function of
// the protocol alone.
type turns struct {
	mu      sync.Mutex
	cond    *sync.Cond
	turn    Dir
	inbox   [2][]byte // bytes waiting to be read by side i
	closed  [2]bool   // side i closed its sending half
	waiting [2]bool   // side i is blocked in Read
	done    [2]bool   // side i returned
	reset   bool      // a side aborted the connection (RST)
	conv    *Conversation
}

func newTurns(conv *Conversation) *turns {
	t := &turns{conv: conv}
	t.cond = sync.NewCond(&t.mu)
	return t
}

// run calls client and server, each on its own goroutine but never at the
// same time, and returns their errors.
func (t *turns) run(client, server func(net.Conn) error) (cerr, serr error) {
	conns := [2]*pipeConn{
		{t: t, side: Client, local: tcpAddr(t.conv.Client), remote: tcpAddr(t.conv.Server)},
		{t: t, side: Server, local: tcpAddr(t.conv.Server), remote: tcpAddr(t.conv.Client)},
	}
	var errs [2]error
	var wg sync.WaitGroup
	for i, f := range []func(net.Conn) error{client, server} {
		side := Dir(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.mu.Lock()
			for t.turn != side {
				t.cond.Wait()
			}
			t.mu.Unlock()
			errs[side] = f(conns[side])
			t.mu.Lock()
			t.done[side] = true
			t.turn = side.Peer()
			t.cond.Broadcast()
			t.mu.Unlock()
		}()
	}
	wg.Wait()
	return errs[Client], errs[Server]
}

type pipeConn struct {
	t             *turns
	side          Dir
	local, remote net.Addr
	closed        bool
}

func (c *pipeConn) Read(b []byte) (int, error) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	peer := c.side.Peer()
	for {
		if c.closed {
			return 0, errClosed
		}
		if t.reset {
			return 0, errReset // unread data is lost with the connection
		}
		if len(t.inbox[c.side]) > 0 {
			n := copy(b, t.inbox[c.side])
			t.inbox[c.side] = t.inbox[c.side][n:]
			return n, nil
		}
		if t.closed[peer] {
			return 0, io.EOF
		}
		if t.done[peer] || (t.waiting[peer] && len(t.inbox[peer]) == 0) {
			return 0, errDeadlock
		}
		// Hand the turn to the peer and wait until it hands it back.
		t.waiting[c.side] = true
		t.turn = peer
		t.cond.Broadcast()
		for t.turn != c.side {
			t.cond.Wait()
		}
		t.waiting[c.side] = false
	}
}

func (c *pipeConn) Write(b []byte) (int, error) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reset {
		return 0, errReset
	}
	if c.closed || t.closed[c.side] {
		return 0, errClosed
	}
	data := append([]byte(nil), b...)
	t.conv.Chunks = append(t.conv.Chunks, Chunk{Dir: c.side, Data: data})
	// The peer may have returned already; its inbox is then never read,
	// as with a real TCP peer that closed its socket.
	t.inbox[c.side.Peer()] = append(t.inbox[c.side.Peer()], data...)
	return len(b), nil
}

// Close closes the sending half (FIN) and the conn.
func (c *pipeConn) Close() error {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if t.reset {
		return nil // the connection is gone: no FIN
	}
	t.closed[c.side] = true
	t.conv.Chunks = append(t.conv.Chunks, Chunk{Dir: c.side, FIN: true})
	return nil
}

// abort resets the connection from c's side (RST): nothing more is sent
// either way, and the peer's reads and writes fail with errReset.
func (c *pipeConn) abort() {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.closed || t.reset {
		return
	}
	c.closed = true
	t.reset = true
	t.conv.Chunks = append(t.conv.Chunks, Chunk{Dir: c.side, RST: true})
}

func (c *pipeConn) LocalAddr() net.Addr              { return c.local }
func (c *pipeConn) RemoteAddr() net.Addr             { return c.remote }
func (c *pipeConn) SetDeadline(time.Time) error      { return nil }
func (c *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }
