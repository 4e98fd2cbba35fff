package fwlog

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func TestGzip(t *testing.T) {
	var ls []string
	for range 2000 {
		ls = append(ls, start7, refLine)
	}
	plain := lines(ls...)
	want, err := readAll(t, "fw.log", plain, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Events) != 4000 {
		t.Fatalf("%d events", len(want.Events))
	}

	t.Run("whole", func(t *testing.T) {
		got, err := readAll(t, "fw.log", gz(plain), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("(-plain +gzip):\n%s", diff)
		}
	})

	t.Run("cut short", func(t *testing.T) {
		z := gz(plain)
		for _, n := range []int{len(z) - 4, len(z) / 2, 20, 11, 5} {
			got, err := readAll(t, "fw.log.gz", z[:n], Options{})
			fe := fileErr(t, err, "fw.log.gz", ErrGzip)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("cut at %d: %v is not io.ErrUnexpectedEOF", n, err)
			}
			if !strings.Contains(fe.Error(), "cut short") && !strings.Contains(fe.Error(), "header") {
				t.Errorf("cut at %d: %q does not say the file is cut short", n, fe)
			}
			if len(got.Events) > len(want.Events) {
				t.Errorf("cut at %d: %d events", n, len(got.Events))
			}
		}
	})

	t.Run("damaged", func(t *testing.T) {
		z := gz(plain)
		z[len(z)/2] ^= 0xff
		_, err := readAll(t, "fw.log.gz", z, Options{})
		fileErr(t, err, "fw.log.gz", ErrGzip)
	})
}

func TestLineTooLong(t *testing.T) {
	long := bytes.Repeat([]byte("x"), MaxLine+1)
	_, err := readAll(t, "big", long, Options{})
	if fe := fileErr(t, err, "big", ErrLineTooLong); fe.Line != 1 {
		t.Errorf("line %d, want 1", fe.Line)
	}

	file := append(lines(refLine, refLine), long...)
	got, err := readAll(t, "big", file, Options{})
	if fe := fileErr(t, err, "big", ErrLineTooLong); fe.Line != 3 || fe.Error() != "big:3: a line is longer than 1 MiB: not a log" {
		t.Errorf("error %q, line %d", fe, fe.Line)
	}
	if len(got.Events) != 2 {
		t.Errorf("%d events before the long line", len(got.Events))
	}

	// A line of exactly MaxLine bytes is read.
	file = append(lines(refLine), bytes.Repeat([]byte("y"), MaxLine)...)
	got, err = readAll(t, "big", file, Options{})
	if err != nil || got.Stats != (Stats{Lines: 2, Events: 1, Skipped: 1}) {
		t.Errorf("%v, %+v", err, got.Stats)
	}
}

type failReader struct{ after []byte }

func (f *failReader) Read(p []byte) (int, error) {
	if len(f.after) > 0 {
		n := copy(p, f.after)
		f.after = f.after[n:]
		return n, nil
	}
	return 0, errors.New("disk on fire")
}

func TestReadError(t *testing.T) {
	r, err := NewReader("fw.log", &failReader{lines(refLine)}, Options{})
	for err == nil {
		_, err = r.Next()
	}
	fe := fileErr(t, err, "fw.log", err)
	if fe.Error() != "fw.log: read error after line 1: disk on fire" {
		t.Errorf("error %q", fe)
	}
}

// TestPrefixes: every prefix of a valid syslog line and of a valid FMC
// file reads without panicking, giving only the documented errors.
func TestPrefixes(t *testing.T) {
	csvFile := "\"First Packet\",\"Initiator IP\",\"Responder IP\",\"Source Port / ICMP Type\",\"Destination Port / ICMP Code\",\"URL\"\r\n" +
		"\"2025-12-02 18:46:40\",\"10.12.1.8\",\"72.163.4.38\",\"40722 / tcp\",\"443 (https) / tcp\",\"https://tools.cisco.com/a,b\"\r\n"
	for _, file := range []string{refLine + "\n", start7, tacPaste, csvFile} {
		for n := range len(file) + 1 {
			got, err := readAll(t, "p", []byte(file[:n]), Options{})
			if err != nil {
				if !errors.Is(err, ErrNotLog) && !errors.Is(err, ErrColumns) {
					t.Fatalf("%q: %v", file[:n], err)
				}
				continue
			}
			s := got.Stats
			if len(got.Events) != s.Events || s.Events+s.Skipped+s.Malformed > s.Lines || len(got.Warnings) < s.Malformed {
				t.Fatalf("%q: %d events, %+v, warnings %q", file[:n], len(got.Events), s, got.Warnings)
			}
		}
	}
}

func TestHost(t *testing.T) {
	for _, tc := range []struct{ url, host string }{
		{"https://tools.cisco.com", "tools.cisco.com"},
		{"https://tools.cisco.com/path?q=1", "tools.cisco.com"},
		{"https://Tools.Cisco.com.:8443/x", "Tools.Cisco.com."},
		{"http://1.2.3.4/x", "1.2.3.4"},
		{"https://[2001:db8::1]:443/", "2001:db8::1"},
		{"https://user@a.example", "a.example"},
		{"tools.cisco.com/x", "tools.cisco.com"},
		{"tools.cisco.com:443", "tools.cisco.com"},
		{"2001:db8::1", "2001:db8::1"},
		{"", ""},
	} {
		e := Event{URL: tc.url}
		if got := e.Host(); got != tc.host {
			t.Errorf("Host(%q) = %q, want %q", tc.url, got, tc.host)
		}
	}
}

func TestNames(t *testing.T) {
	e := Event{File: "a/fw.log", Line: 42}
	for _, tc := range []struct{ got, want string }{
		{e.Where(), "a/fw.log:42"},
		{FormatSyslog.String(), "ftd-syslog"},
		{FormatFMC.String(), "fmc"},
		{Format(0).String(), "Format(0)"},
		{(&FileError{File: "x", Err: ErrNotLog}).Error(), "x: neither FTD syslog (%FTD-…-430002/430003 lines) nor an FMC event export with a header row"},
		{(&FileError{File: "x", Line: 3, Err: io.ErrUnexpectedEOF}).Error(), "x:3: unexpected EOF"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}

// TestShared: the strings events repeat are one string, not a copy each.
func TestShared(t *testing.T) {
	got, err := readAll(t, "fw.log", lines(refLine, refLine, refLine), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := got.Events[0], got.Events[2]
	for _, s := range [][2]string{{a.Rule, b.Rule}, {a.Action, b.Action}, {a.Protocol, b.Protocol}, {a.Device, b.Device}, {a.URL, b.URL}, {a.TimeFrom, b.TimeFrom}} {
		if unsafe.StringData(s[0]) != unsafe.StringData(s[1]) {
			t.Errorf("%q is not shared", s[0])
		}
	}
}

// TestAllocs: reading a syslog event allocates only its ConnectionID.
func TestAllocs(t *testing.T) {
	file := lines(start7, refLine)
	r, err := NewReader("fw.log", bytes.NewReader(bytes.Repeat(file, 200)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(300, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("%.1f allocations per event", allocs)
	}
}
