package fwlog

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func FuzzReader(f *testing.F) {
	seeds := []string{
		refLine,
		start7 + "\n" + refLine + "\n",
		"<166>Dec  2 18:26:41 fw-branch1 %FTD-6-430002: " + tuple + ", NAT_InitiatorIP: 198.51.100.7, NAT_InitiatorPort: 61000\n",
		"<166>1 2025-12-02T18:26:41.5+01:00 fw - - - %FTD-6-430003: " + tuple + ", URL: , ConnectionDuration: 2.5\n",
		"Dec 32 2025 25:00:00 fw : %FTD-6-430002: SrcIP: 2001:db8::8, DstIP: 2001:db8::9, SrcPort: 1, DstPort: 443, Protocol: 6\n",
		"%ASA-6-302013: Built\n\n%FTD-1-430001: x\nDec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: SrcIP: 10.12.1.8, DstIP: 72.16",
		tacPaste,
		"Report\r\n\"First Packet\",\"Initiator IP\",\"Responder IP\",\"Source Port / ICMP Type\",\"Destination Port / ICMP Code\",\"URL\"\r\n\"2025-12-02 18:46:40\",\"10.12.1.8\",\"72.163.4.38 USA\",\"40722 / tcp\",\"443 (https) / tcp\",\"https://tools.cisco.com/a,b\r\n",
		"Time\tAction\tURL\n",
		"Last Packet\tEvent Type\tInitiator IP\tResponder IP\tInitiator Port\tResponder Port\n12/02/2025 6:46 PM\tIntrusion\t1.1.1.1\t2.2.2.2\t1\t2\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add(gz([]byte(refLine)))
	f.Add(gz([]byte(tacPaste))[:30])

	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		warnings := 0
		o := Options{Location: berlin, Warn: func(msg string) {
			warnings++
			if !strings.HasPrefix(msg, "fuzz:") || strings.Contains(msg, "\n") {
				t.Fatalf("warning %q", msg)
			}
		}}
		r, err := NewReader("fuzz", bytes.NewReader(file), o)
		if err != nil {
			checkErr(t, err)
			return
		}
		events := 0
		for {
			if events > len(file) {
				t.Fatalf("%d events from %d bytes", events, len(file))
			}
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				checkErr(t, err)
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("Next after %v: %v", err, err2)
				}
				break
			}
			events++
			if ev.File != "fuzz" || ev.Line < 1 || ev.Line > r.Stats().Lines || ev.Format != r.Format() ||
				!ev.Client.IsValid() || !ev.Server.IsValid() || ev.Time.IsZero() != (ev.TimeFrom == "") ||
				(ev.Time.IsZero() && ev.TimeNote == "") || (!ev.Time.IsZero() && ev.Time.Location() != time.UTC) {
				t.Fatalf("event %+v", ev)
			}
			_ = ev.Host()
		}
		s := r.Stats()
		// Each malformed line and bad time is warned, a missing time column once.
		if s.Events != events || s.Events+s.Skipped+s.Malformed > s.Lines || s.BadTime > s.Events ||
			warnings < s.Malformed+min(s.BadTime, 1) {
			t.Fatalf("%d events, %d warnings, %+v", events, warnings, s)
		}
	})
}

// checkErr: an error is a one-line *FileError of a documented kind.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != "fuzz" || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %T %q", err, err)
	}
	for _, want := range []error{ErrNotLog, ErrColumns, ErrLineTooLong, ErrGzip} {
		if errors.Is(err, want) {
			return
		}
	}
	t.Fatalf("error %q is of no documented kind", err)
}
