package lina

import (
	"strconv"
	"strings"
)

// Flow is what a description says about a packet's endpoints.
type Flow struct {
	Proto    string // "tcp", "udp", "icmp" or "ip"
	Src, Dst string // "ADDR:PORT" (IPv6 "[ADDR]:PORT"), or ADDR without ports
	VLAN     int    // 0 without an 802.1Q tag
	Priority int    // the tag's priority (P0…P7)
}

// ParseFlow reads the endpoints from a description such as
// "802.1Q vlan#70 P0 10.1.70.20.49822 > 203.0.113.7.443: S …". The port is
// split from the address at the last dot. ok is false when there is no
// "SRC > DST".
func ParseFlow(desc string) (f Flow, ok bool) {
	if i := strings.Index(desc, "vlan#"); i >= 0 {
		rest := desc[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		f.VLAN, _ = strconv.Atoi(rest[:j])
		if p := strings.TrimLeft(rest[j:], " "); len(p) >= 2 && p[0] == 'P' && p[1] >= '0' && p[1] <= '7' {
			f.Priority = int(p[1] - '0')
		}
	}
	i := strings.Index(desc, " > ")
	if i < 0 {
		return f, false
	}
	before := strings.Fields(desc[:i])
	after := strings.Fields(desc[i+3:])
	if len(before) == 0 || len(after) == 0 {
		return f, false
	}
	src, dst := before[len(before)-1], strings.TrimSuffix(after[0], ":")
	tail := strings.Join(after[1:], " ")
	switch {
	case strings.HasPrefix(tail, "icmp") || strings.Contains(tail, " icmp"):
		f.Proto = "icmp"
		f.Src, f.Dst = src, dst
		return f, true
	case strings.HasPrefix(tail, "udp ") || strings.Contains(tail, " udp "):
		f.Proto = "udp"
	case strings.HasPrefix(tail, "ip-proto-"):
		f.Proto = "ip"
		f.Src, f.Dst = src, dst
		return f, true
	default:
		f.Proto = "tcp"
	}
	var okS, okD bool
	f.Src, okS = hostPort(src)
	f.Dst, okD = hostPort(dst)
	return f, okS && okD
}

// hostPort turns "10.1.1.10.51514" into "10.1.1.10:51514" and
// "2001:db8::1.443" into "[2001:db8::1]:443".
func hostPort(s string) (string, bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 {
		return s, false
	}
	port := s[i+1:]
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return s, false
	}
	if strings.Contains(s[:i], ":") {
		return "[" + s[:i] + "]:" + port, true
	}
	return s[:i] + ":" + port, true
}
