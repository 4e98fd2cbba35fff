package fwlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin without a system zone database

	"github.com/google/go-cmp/cmp"
)

// refLine is the syslog line of the reference (firewall-logs.md, section 1).
const refLine = "Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430003: DeviceUUID: 0b6c…, InstanceID: 3, FirstPacketSecond: 2025-12-02T18:26:40Z, ConnectionID: 5101, AccessControlRuleAction: Allow, SrcIP: 10.12.1.8, DstIP: 72.163.4.38, SrcPort: 40722, DstPort: 443, Protocol: tcp, IngressInterface: inside, EgressInterface: outside, ACPolicy: Branch-ACP, AccessControlRuleName: ALLOW_FMC_ASA_SNT_CISCO, Client: SSL client, ApplicationProtocol: HTTPS, WebApplication: Cisco, URLCategory: Computers and Internet, URLReputation: Favorable, URL: https://tools.cisco.com, ConnectionDuration: 2"

// refEvent is what refLine gives, as line 1 of "fw.log".
func refEvent() Event {
	return Event{File: "fw.log", Line: 1, Format: FormatSyslog, ID: 430003, End: true,
		Time: time.Date(2025, 12, 2, 18, 26, 40, 0, time.UTC), TimeFrom: "FirstPacketSecond",
		Client: ap("10.12.1.8:40722"), Server: ap("72.163.4.38:443"), Protocol: "tcp",
		URL: "https://tools.cisco.com", Action: "Allow", Rule: "ALLOW_FMC_ASA_SNT_CISCO",
		ConnectionID: "5101", Device: "fw-branch1", Duration: 2 * time.Second}
}

// tacPaste is the FMC paste of the TAC note (firewall-logs.md, section 2).
const tacPaste = "Time\tEvent Type\tAction\tSource IP\tDestination IP\tSource Port / ICMP Type\tDestination Port / ICMP...\tWeb Application\tURL\tAccess Control Rule\n" +
	"2025-12-02 18:46:41\tConnection\tAllow\t10.12.1.8\t72.163.4.38\t40722 / tcp\t443 (https) / tcp\tCisco\thttps://tools.cisco.com\tALLOW_FMC_ASA_SNT_CISCO\n" +
	"2025-12-01 09:16:47\tConnection\tAllow\t10.10.42.2\t173.37.145.8\t45203 / tcp\t443 (https) / tcp\tCisco\thttps://tools.cisco.com\tALLOW_ALL_CLIENTS_80_443\n"

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// cmpOpts compares netip values by value.
var cmpOpts = cmp.Options{cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })}

// result is everything a Reader gave for one file.
type result struct {
	Events   []Event
	Warnings []string
	Stats    Stats
	Format   Format
}

// readAll reads a whole file; the error is NewReader's or Next's.
func readAll(t testing.TB, name string, file []byte, o Options) (result, error) {
	t.Helper()
	var res result
	o.Warn = func(msg string) { res.Warnings = append(res.Warnings, msg) }
	r, err := NewReader(name, bytes.NewReader(file), o)
	if err != nil {
		return res, err
	}
	res.Format = r.Format()
	for i := 0; ; i++ {
		if i > len(file)+1 {
			t.Fatalf("Next returned %d events from %d bytes", i, len(file))
		}
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.Stats = r.Stats()
			return res, err
		}
		res.Events = append(res.Events, ev)
	}
	res.Stats = r.Stats()
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after io.EOF: %v", err)
	}
	return res, nil
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// lines joins lines with "\n", ending with one.
func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

// fileErr checks that err is a *FileError for file that wraps want.
func fileErr(t *testing.T, err error, file string, want error) *FileError {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not a *FileError", err, err)
	}
	if fe.File != file || !strings.HasPrefix(fe.Error(), file+":") {
		t.Errorf("error %q does not name %q", fe, file)
	}
	if !errors.Is(err, want) {
		t.Errorf("error %q is not %q", err, want)
	}
	if strings.Contains(fe.Error(), "\n") {
		t.Errorf("error %q is not one line", fe)
	}
	return fe
}
