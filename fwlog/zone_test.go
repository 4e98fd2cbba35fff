package fwlog

import (
	"strings"
	"testing"
	"time"
)

func TestParseZone(t *testing.T) {
	for _, tc := range []struct {
		in     string
		name   string // the zone's name; "" for an error
		offset int    // seconds east of UTC on 2 December 2025
	}{
		{"Europe/Berlin", "Europe/Berlin", 3600},
		{"America/New_York", "America/New_York", -5 * 3600},
		{"UTC", "UTC", 0},
		{"utc", "UTC", 0},
		{"Z", "UTC", 0},
		{" +02:00 ", "UTC+02:00", 2 * 3600},
		{"-0500", "UTC-05:00", -5 * 3600},
		{"+2", "UTC+02:00", 2 * 3600},
		{"UTC+2", "UTC+02:00", 2 * 3600},
		{"utc-05:30", "UTC-05:30", -(5*3600 + 1800)},
		{"GMT+5:45", "UTC+05:45", 5*3600 + 45*60},
		{"+14", "UTC+14:00", 14 * 3600},
		{"+00:00", "UTC", 0},
		{"Local", "", 0},
		{"local", "", 0},
		{"", "", 0},
		{"Mars/Olympus", "", 0},
		{"+15", "", 0},
		{"+02:60", "", 0},
		{"+2:0", "", 0},
		{"+123", "", 0},
		{"UTC+", "", 0},
		{"CEST", "", 0},
		{"../../etc/passwd", "", 0},
	} {
		loc, err := ParseZone(tc.in)
		if tc.name == "" {
			if err == nil {
				t.Errorf("ParseZone(%q) = %v, want an error", tc.in, loc)
			} else if msg := err.Error(); !strings.HasPrefix(msg, "fwlog: ") || !strings.Contains(msg, "IANA zone name") || !strings.Contains(msg, "+02:00") {
				t.Errorf("ParseZone(%q): error %q does not say what is accepted", tc.in, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseZone(%q): %v", tc.in, err)
			continue
		}
		name, off := time.Date(2025, 12, 2, 12, 0, 0, 0, loc).Zone()
		if loc.String() != tc.name || off != tc.offset {
			t.Errorf("ParseZone(%q) = %s (%s %d), want %s %d", tc.in, loc, name, off, tc.name, tc.offset)
		}
	}
}
