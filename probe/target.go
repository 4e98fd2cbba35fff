package probe

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPort is the port of a target given without one: HTTPS.
const DefaultPort = 443

// Target is a server to probe: a host name or an IP address, and a port.
type Target struct {
	// Host is the name as given (a trailing dot kept), or the address in
	// its canonical form, without brackets.
	Host string
	// Addr is Host when it is an IP address (a zone kept); the zero Addr
	// for a name.
	Addr netip.Addr
	Port uint16
}

// IsName reports whether the target is a host name, to be resolved.
func (t Target) IsName() bool { return !t.Addr.IsValid() }

// String is host:port, an IPv6 address in brackets: what a dialer and an
// HTTP CONNECT take.
func (t Target) String() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port)))
}

// ParseTarget reads a target as a user writes it: HOST, HOST:PORT,
// [IPv6]:PORT, [IPv6] or a bare IPv6 address, HOST a name or an IP
// address; the port is DefaultPort when not given. Anything else (a URL, a
// path, blanks, a port out of range, a name that is no DNS name) is an
// error wrapping ErrTarget.
func ParseTarget(s string) (Target, error) {
	bad := func(why string) (Target, error) {
		return Target{}, &TargetError{Input: s, Why: why}
	}
	switch {
	case s == "":
		return bad("empty")
	case strings.Contains(s, "://"):
		host := s[strings.Index(s, "://")+3:]
		host, _, _ = strings.Cut(host, "/")
		return bad(fmt.Sprintf("a URL; give HOST[:PORT] (%s)", host))
	case strings.ContainsAny(s, "/ \t\r\n?#@"):
		return bad("want HOST, HOST:PORT or [IPv6]:PORT")
	}
	// A bare IPv6 address: its colons are no port.
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Is4In6() {
			a = a.Unmap()
		}
		return Target{Host: a.String(), Addr: a, Port: DefaultPort}, nil
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		inner, rest, ok := strings.Cut(s[1:], "]")
		if !ok {
			return bad("missing ']'")
		}
		a, err := netip.ParseAddr(inner)
		if err != nil || !a.Is6() {
			return bad(fmt.Sprintf("%q in brackets is not an IPv6 address", inner))
		}
		switch {
		case rest == "":
		case strings.HasPrefix(rest, ":"):
			port = rest[1:]
			if port == "" {
				return bad("empty port")
			}
		default:
			return bad("want [IPv6]:PORT")
		}
		host = inner
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if strings.Count(s, ":") > 1 {
			return bad("not an IPv6 address; write an IPv6 address with a port as [IPv6]:PORT")
		}
		host, port = s[:i], s[i+1:]
		if port == "" {
			return bad("empty port")
		}
	}
	t := Target{Host: host, Port: DefaultPort}
	if port != "" {
		p, err := parsePort(port)
		if err != nil {
			return bad(err.Error())
		}
		t.Port = p
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Is4In6() {
			a = a.Unmap()
		}
		t.Addr, t.Host = a, a.String()
		return t, nil
	}
	if why := checkName(host); why != "" {
		return bad(why)
	}
	return t, nil
}

// parsePort reads a port: decimal digits, 1 to 65535.
func parsePort(s string) (uint16, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("port %q is not a number", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("port %q: want 1 to 65535", s)
	}
	return uint16(n), nil
}

// checkName says why host is no DNS name a resolver would look up, ""
// when it is one: at most 253 bytes (a trailing dot aside), labels of 1 to
// 63 letters, digits, '-' or '_', and a last label that is not all digits
// (that is a mistyped IPv4 address).
func checkName(host string) string {
	name := strings.TrimSuffix(host, ".")
	if name == "" {
		return "empty host"
	}
	if len(name) > 253 {
		return "host name longer than 253 bytes"
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" {
			return fmt.Sprintf("host %q has an empty label", host)
		}
		if len(l) > 63 {
			return fmt.Sprintf("host %q has a label longer than 63 bytes", host)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Sprintf("host %q is neither an IP address nor a host name", host)
			}
		}
	}
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" {
		return fmt.Sprintf("%q is not an IP address", host)
	}
	return ""
}
