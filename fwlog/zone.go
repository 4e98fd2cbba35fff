package fwlog

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// zoneHelp says what ParseZone accepts.
const zoneHelp = "give an IANA zone name (Europe/Berlin, UTC) or a UTC offset (+02:00, -0500, +2, UTC+2, UTC-05:30, Z)"

// ParseZone reads a --events-tz value: an IANA name ("Europe/Berlin",
// "UTC"; "Local" is not accepted: the zone of the machine reading a log
// says nothing about the device that wrote it), or a UTC offset ("+02:00",
// "-0500", "+2", "UTC+2", "UTC-05:30", "Z"). Fixed offsets become a
// time.FixedZone named like "UTC+02:00"; a zero offset is time.UTC.
//
// IANA names need the time zone database of the system, or a program that
// imports time/tzdata.
func ParseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	switch strings.ToUpper(s) {
	case "":
		return nil, errors.New("fwlog: empty time zone: " + zoneHelp)
	case "Z", "UTC", "GMT", "ZULU":
		return time.UTC, nil
	case "LOCAL":
		return nil, fmt.Errorf("fwlog: time zone %q is not accepted: the zone of this machine need not be the device's; %s", s, zoneHelp)
	}
	off := s
	if len(off) > 3 && (strings.EqualFold(off[:3], "UTC") || strings.EqualFold(off[:3], "GMT")) {
		off = off[3:]
	}
	if off != "" && (off[0] == '+' || off[0] == '-') {
		secs, ok := parseOffset(off)
		if !ok {
			return nil, fmt.Errorf("fwlog: cannot read time zone offset %q: %s", s, zoneHelp)
		}
		if secs == 0 {
			return time.UTC, nil
		}
		sign, a := '+', secs
		if secs < 0 {
			sign, a = '-', -secs
		}
		return time.FixedZone(fmt.Sprintf("UTC%c%02d:%02d", sign, a/3600, a/60%60), secs), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil || loc == time.Local {
		return nil, fmt.Errorf("fwlog: unknown time zone %q: %s", s, zoneHelp)
	}
	return loc, nil
}

// parseOffset reads ±h, ±hh, ±hh:mm, ±h:mm or ±hhmm, at most 14 hours
// (UTC+14 is the largest offset in use).
func parseOffset(s string) (int, bool) {
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	var hs, ms string
	switch i := strings.IndexByte(s, ':'); {
	case i >= 0:
		hs, ms = s[:i], s[i+1:]
		if len(ms) != 2 {
			return 0, false
		}
	case len(s) == 4:
		hs, ms = s[:2], s[2:]
	default:
		hs = s
	}
	if len(hs) < 1 || len(hs) > 2 {
		return 0, false
	}
	h, ok1 := atoi(hs)
	m, ok2 := 0, true
	if ms != "" {
		m, ok2 = atoi(ms)
	}
	if !ok1 || !ok2 || h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}
