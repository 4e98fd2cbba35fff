package probe

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// proxy is an HTTP proxy to tunnel through (Options.Via).
type proxy struct {
	addr string // host:port
	auth string // Proxy-Authorization value; "" none
}

// parseVia reads Options.Via: "host:port", or "http://[user:password@]host[:port]"
// (port 80 when not given, as the URL says).
func parseVia(s string) (*proxy, error) {
	p := &proxy{}
	switch {
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("proxy %q: %v", s, err)
		}
		if u.Scheme != "http" {
			return nil, fmt.Errorf("proxy %q: want http://HOST:PORT (an HTTP proxy that tunnels with CONNECT)", s)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return nil, fmt.Errorf("proxy %q: a proxy has no path", s)
		}
		port := u.Port()
		if port == "" {
			port = "80"
		}
		if u.Hostname() == "" {
			return nil, fmt.Errorf("proxy %q: no host", s)
		}
		p.addr = net.JoinHostPort(u.Hostname(), port)
		if u.User != nil {
			pw, _ := u.User.Password()
			p.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw))
		}
	default:
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" {
			return nil, fmt.Errorf("proxy %q: want HOST:PORT or http://HOST:PORT", s)
		}
		p.addr = net.JoinHostPort(host, port)
	}
	_, port, _ := net.SplitHostPort(p.addr)
	if _, err := parsePort(port); err != nil {
		return nil, fmt.Errorf("proxy %q: %v", s, err)
	}
	return p, nil
}

// ValidVia says whether Options.Via can be read, and if not why: for a
// command line to refuse it before any probe.
func ValidVia(s string) error {
	_, err := parseVia(s)
	return err
}

// statusError is a proxy that answered the CONNECT with anything but 2xx.
type statusError struct{ line string }

func (e *statusError) Error() string { return "refused the tunnel: " + e.line }

// connect asks the proxy on conn for a tunnel to t (RFC 9110, Section
// 9.3.6) and returns the tunnel: conn, reading first what the proxy's
// answer left buffered.
func (p *proxy) connect(conn net.Conn, t Target) (net.Conn, error) {
	var req strings.Builder
	req.WriteString("CONNECT " + t.String() + " HTTP/1.1\r\nHost: " + t.String() + "\r\n")
	if p.auth != "" {
		req.WriteString("Proxy-Authorization: " + p.auth + "\r\n")
	}
	req.WriteString("User-Agent: tsid-probe\r\n\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, &statusError{line: strconv.Quote(resp.Proto + " " + resp.Status)}
	}
	return &bufferedConn{Conn: conn, r: br}, nil
}

// bufferedConn reads through the reader that read the proxy's answer, so
// that bytes of the server it buffered are not lost.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// proxyError explains a CONNECT that failed.
func proxyError(err error, timeout time.Duration, p *proxy) (string, []error) {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return "proxy " + p.addr + " " + se.Error(), []error{ErrProxy}
	case isTimeout(err):
		return "proxy " + p.addr + ": " + noAnswer(timeout) + " to the CONNECT", []error{ErrProxy, ErrTimeout}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "proxy " + p.addr + " closed the connection without answering the CONNECT", []error{ErrProxy}
	}
	return "proxy " + p.addr + ": " + plain(err), []error{ErrProxy}
}
