// Package loopback starts the servers the tests of tsid probe talk to, all
// on 127.0.0.1 and stopped when the test ends: a TLS server, a port that
// refuses, a server that accepts and stays silent, one that answers with
// something else than TLS, and an HTTP CONNECT proxy. Nothing here reaches
// beyond the machine.
package loopback

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// listen listens on a free loopback port and closes it at the end of t.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serve calls handle for every connection to ln, until the test ends;
// the connections still open then are closed.
func serve(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	var mu sync.Mutex
	var open []net.Conn
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
}

// Server is a TLS server's address and how many connections it took.
type Server struct {
	Addr  string
	Conns *atomic.Int64
	// SNIs are the server names the ClientHellos carried, in order ("" for
	// none).
	SNIs func() []string
}

// TLS starts a crypto/tls server presenting cert, speaking the versions
// from minVersion to maxVersion (tls.VersionTLS12, tls.VersionTLS13): it
// completes each handshake and closes.
func TLS(t testing.TB, cert tls.Certificate, minVersion, maxVersion uint16) Server {
	t.Helper()
	var mu sync.Mutex
	var snis []string
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   minVersion, MaxVersion: maxVersion,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			snis = append(snis, h.ServerName)
			mu.Unlock()
			return nil, nil
		},
	}
	ln := listen(t)
	n := new(atomic.Int64)
	serve(t, ln, func(c net.Conn) {
		n.Add(1)
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			io.Copy(io.Discard, tc) // until the client closes
		}
	})
	return Server{Addr: ln.Addr().String(), Conns: n, SNIs: func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), snis...)
	}}
}

// Refused returns an address where nothing listens: a port that was
// listened on and closed.
func Refused(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Silent starts a server that accepts and never sends a byte.
func Silent(t testing.TB) string {
	t.Helper()
	ln := listen(t)
	serve(t, ln, func(c net.Conn) { io.Copy(io.Discard, c) })
	return ln.Addr().String()
}

// Answering starts a server that answers the first bytes it gets with
// reply, then closes: a server that is not TLS.
func Answering(t testing.TB, reply string) string {
	t.Helper()
	ln := listen(t)
	serve(t, ln, func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err == nil {
			io.WriteString(c, reply)
		}
	})
	return ln.Addr().String()
}

// Proxy is an HTTP proxy's address and the CONNECT targets it was asked
// for.
type Proxy struct {
	Addr    string
	Targets func() []string
}

// ConnectProxy starts an HTTP proxy that tunnels CONNECT requests: to the
// authority asked, through dial when it is not nil (a test maps a name
// to a loopback server); with status not 200 it refuses with that
// status.
func ConnectProxy(t testing.TB, status int, dial func(authority string) (net.Conn, error)) Proxy {
	t.Helper()
	if dial == nil {
		dial = func(a string) (net.Conn, error) { return net.Dial("tcp", a) }
	}
	var mu sync.Mutex
	var targets []string
	ln := listen(t)
	serve(t, ln, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		mu.Lock()
		targets = append(targets, req.Method+" "+req.Host)
		mu.Unlock()
		if req.Method != http.MethodConnect || status != http.StatusOK {
			code := status
			if code == http.StatusOK {
				code = http.StatusMethodNotAllowed
			}
			io.WriteString(c, "HTTP/1.1 "+strconv.Itoa(code)+" "+http.StatusText(code)+"\r\nContent-Length: 0\r\n\r\n")
			return
		}
		up, err := dial(req.Host)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		defer up.Close()
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		done := make(chan struct{})
		go func() {
			io.Copy(up, br) // what the client sent, buffered or not
			up.Close()
			close(done)
		}()
		io.Copy(c, up)
		c.Close()
		<-done
	})
	return Proxy{Addr: ln.Addr().String(), Targets: func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), targets...)
	}}
}
