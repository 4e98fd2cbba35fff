package fwlog

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fmcEvent is an FMC event of line n of fmc.txt, changed by mod.
func fmcEvent(n int, mod func(*Event)) Event {
	e := Event{File: "fmc.txt", Line: n, Format: FormatFMC,
		Client: ap("10.12.1.8:40722"), Server: ap("72.163.4.38:443"), Protocol: "tcp"}
	if mod != nil {
		mod(&e)
	}
	return e
}

func TestFMC(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(mo time.Month, d, h, mi, s int) time.Time { return time.Date(2025, mo, d, h, mi, s, 0, time.UTC) }
	tsv := func(cells ...string) string { return strings.Join(cells, "\t") }

	for _, tc := range []struct {
		name  string
		file  []byte
		loc   *time.Location
		want  []Event
		warn  []string
		stats Stats
	}{
		{
			name: "TAC paste",
			file: []byte(tacPaste),
			want: []Event{
				fmcEvent(2, func(e *Event) {
					e.Time, e.TimeFrom = utc(12, 2, 18, 46, 41), "column Time"
					e.URL, e.Action, e.Rule = "https://tools.cisco.com", "Allow", "ALLOW_FMC_ASA_SNT_CISCO"
				}),
				fmcEvent(3, func(e *Event) {
					e.Client, e.Server = ap("10.10.42.2:45203"), ap("173.37.145.8:443")
					e.Time, e.TimeFrom = utc(12, 1, 9, 16, 47), "column Time"
					e.URL, e.Action, e.Rule = "https://tools.cisco.com", "Allow", "ALLOW_ALL_CLIENTS_80_443"
				}),
			},
			stats: Stats{Lines: 3, Events: 2},
		},
		{
			name: "CSV export with a title, quoted commas, CRLF",
			file: []byte("Connection Events (switch workflow)\r\n" +
				"\r\n" +
				`"First Packet","Last Packet","Action","Reason","Initiator IP","Responder IP","Source Port / ICMP Type","Destination Port / ICMP Code","Protocol","SSL Server Name","URL","Access Control Rule","Device","Connection ID","NAT Initiator IP","NAT Initiator Port","NAT Responder IP","NAT Responder Port"` + "\r\n" +
				`"2025-12-02 18:46:40","2025-12-02 18:46:42","Allow","","10.12.1.8","72.163.4.38","40722 / tcp","443 (https) / tcp","TCP","tools.cisco.com","https://tools.cisco.com/a,b","Rule, with a comma","fw-branch1","5101","198.51.100.7","61000","72.163.4.38","443"` + "\r\n" +
				`"2025-12-02 18:46:40","","Block","","10.12.1.8","72.163.4.38","40722","443","","","","Block ""all""","fw-branch1","","","","",""` + "\r\n"),
			want: []Event{
				fmcEvent(4, func(e *Event) {
					e.Time, e.TimeFrom = utc(12, 2, 18, 46, 40), "column First Packet"
					e.SNI, e.URL, e.Action, e.Rule, e.Device, e.ConnectionID = "tools.cisco.com", "https://tools.cisco.com/a,b", "Allow", "Rule, with a comma", "fw-branch1", "5101"
					e.NATClient, e.NATServer = ap("198.51.100.7:61000"), ap("72.163.4.38:443")
				}),
				fmcEvent(5, func(e *Event) {
					e.Time, e.TimeFrom = utc(12, 2, 18, 46, 40), "column First Packet"
					e.Protocol, e.Action, e.Rule, e.Device = "", "Block", `Block "all"`, "fw-branch1"
				}),
			},
			stats: Stats{Lines: 5, Events: 2},
		},
		{
			name: "aliases, decorated addresses, Last Packet, other event types, the header again",
			file: lines(
				tsv("Last Packet", "Event Type", "Initiator IP", "Responder IP", "Initiator Port", "Responder Port", "Translated Source IP", "Translated Source Port", "Server Name"),
				tsv("2025-12-02 18:46:42", "Connection", "10.12.1.8", "72.163.4.38 USA", "40722 / tcp", "443 (https) / tcp", "198.51.100.7", "61000 / tcp", "tools.cisco.com"),
				tsv("2025-12-02 18:46:42", "Intrusion", "10.12.1.8", "72.163.4.38", "40722 / tcp", "443 (https) / tcp", "", "", ""),
				tsv("Last Packet", "Event Type", "Initiator IP", "Responder IP", "Initiator Port", "Responder Port", "Translated Source IP", "Translated Source Port", "Server Name"),
				tsv("2025-12-02 18:46:42", "", "\u00a010.12.1.8 (ws-8)", "🇺🇸 72.163.4.38", "40722", "443 / udp", "", "", "", "", ""),
			),
			want: []Event{
				fmcEvent(2, func(e *Event) {
					e.Time, e.TimeFrom = utc(12, 2, 18, 46, 42), "column Last Packet"
					e.TimeNote = "the time of the last packet (column Last Packet): the connection started earlier"
					e.NATClient, e.SNI = ap("198.51.100.7:61000"), "tools.cisco.com"
				}),
				fmcEvent(5, func(e *Event) {
					e.Time, e.TimeFrom = utc(12, 2, 18, 46, 42), "column Last Packet"
					e.TimeNote = "the time of the last packet (column Last Packet): the connection started earlier"
					e.Protocol = "udp"
				}),
			},
			stats: Stats{Lines: 5, Events: 2, Skipped: 2},
		},
		{
			name: "rows cut short, unreadable values",
			file: lines(
				tsv("Time", "Source IP", "Destination IP", "Source Port", "Destination Port", "URL"),
				tsv("2025-12-02 18:46:41", "10.12.1.8", "72.163.4.38"),
				tsv("2025-12-02 18:46:41", "10.12.1.8", "72.163.4.38", "40722", "44"),
				tsv("2025-12-02 18:46:41", "10.12.1.8", "72.163.4.38", "40722", "443", "https://tools.ci"),
				tsv("2025-12-02 18:46:41", "10.12.1", "72.163.4.38", "40722", "443", ""),
				tsv("2025-12-32 18:46:41", "10.12.1.8", "72.163.4.38", "40722", "443", ""),
				tsv("", "10.12.1.8", "72.163.4.38", "40722", "443", ""),
				"\t\t",
			),
			want: []Event{
				fmcEvent(4, func(e *Event) {
					e.Time, e.TimeFrom, e.URL, e.Protocol = utc(12, 2, 18, 46, 41), "column Time", "https://tools.ci", ""
				}),
				fmcEvent(6, func(e *Event) { e.TimeNote, e.Protocol = `cannot read time "2025-12-32 18:46:41" in column Time`, "" }),
				fmcEvent(7, func(e *Event) { e.TimeNote, e.Protocol = "no time in column Time", "" }),
			},
			warn: []string{
				"fmc.txt:2: row has 3 cells, the needed columns take 5 (a cut line?)",
				`fmc.txt:3: row cut short in column Destination Port ("44")`,
				`fmc.txt:5: connection event without a readable Source IP ("10.12.1")`,
				`fmc.txt:6: cannot read time "2025-12-32 18:46:41" in column Time`,
				"fmc.txt:7: no time in column Time",
			},
			stats: Stats{Lines: 8, Events: 3, Malformed: 3, BadTime: 2},
		},
		{
			name: "CSV: a quote that does not end stays in its line",
			file: lines(
				"Time,Source IP,Destination IP,Source Port,Destination Port,URL,Action",
				`2025-12-02 18:46:41,10.12.1.8,72.163.4.38,40722,443,"https://tools.cisco.com/a,b`,
				`2025-12-02 18:46:42,10.12.1.8,72.163.4.38,40722,443,"https://tools.cisco.com",Allow`,
			),
			want: []Event{
				fmcEvent(2, func(e *Event) {
					e.Time, e.TimeFrom, e.URL, e.Protocol = utc(12, 2, 18, 46, 41), "column Time", "https://tools.cisco.com/a,b", ""
				}),
				fmcEvent(3, func(e *Event) {
					e.Time, e.TimeFrom, e.URL, e.Protocol, e.Action = utc(12, 2, 18, 46, 42), "column Time", "https://tools.cisco.com", "", "Allow"
				}),
			},
			stats: Stats{Lines: 3, Events: 2},
		},
		{
			name: "Europe/Berlin",
			file: lines(
				tsv("First Packet", "Source IP", "Destination IP", "Source Port", "Destination Port / ICMP Code", "Protocol"),
				tsv("2025-12-02 19:46:41", "10.12.1.8", "72.163.4.38", "40722", "443", "tcp"),
				tsv("2025-07-02 20:46:41", "10.12.1.8", "72.163.4.38", "40722", "443", "tcp"),
				tsv("12/02/2025 07:46:41 PM", "10.12.1.8", "72.163.4.38", "40722", "443", "tcp"),
				tsv("2025-12-02T18:46:41Z", "10.12.1.8", "72.163.4.38", "40722", "443", "tcp"),
			),
			loc: berlin,
			want: []Event{
				fmcEvent(2, at(utc(12, 2, 18, 46, 41), "column First Packet")),
				fmcEvent(3, at(utc(7, 2, 18, 46, 41), "column First Packet")),
				fmcEvent(4, at(utc(12, 2, 18, 46, 41), "column First Packet")),
				fmcEvent(5, at(utc(12, 2, 18, 46, 41), "column First Packet")),
			},
			stats: Stats{Lines: 5, Events: 4},
		},
		{
			name: "fixed offset",
			file: lines(
				tsv("First Packet", "Source IP", "Destination IP", "Source Port", "Destination Port / ICMP Code", "Protocol"),
				tsv("2025-12-02 19:46:41", "10.12.1.8", "72.163.4.38", "40722", "443", "tcp"),
			),
			loc:   time.FixedZone("UTC+01:00", 3600),
			want:  []Event{fmcEvent(2, at(utc(12, 2, 18, 46, 41), "column First Packet"))},
			stats: Stats{Lines: 2, Events: 1},
		},
		{
			name: "no time column",
			file: lines(
				"Source IP,Destination IP,Source Port,Destination Port",
				"10.12.1.8,72.163.4.38,40722,443",
			),
			want:  []Event{fmcEvent(2, func(e *Event) { e.TimeNote, e.Protocol = "no time column", "" })},
			warn:  []string{"fmc.txt:1: the header has no time column (First Packet, Time or Last Packet): events have no time"},
			stats: Stats{Lines: 2, Events: 1, BadTime: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, "fmc.txt", tc.file, Options{Location: tc.loc})
			if err != nil {
				t.Fatal(err)
			}
			want := result{Events: tc.want, Warnings: tc.warn, Stats: tc.stats, Format: FormatFMC}
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFMCErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		want error
		msg  string
	}{
		{
			name: "header without Destination IP",
			file: "Report\nTime\tAction\tSource IP\tSource Port\tDestination Port / ICMP...\tURL\n2025-12-02 18:46:41\tAllow\t10.12.1.8\t40722\t443\thttps://tools.cisco.com\n",
			want: ErrColumns,
			msg:  "fmc.txt:2: the header row lacks needed columns: needs Destination IP (or Responder IP): has Time, Action, Source IP, Source Port, Destination Port / ICMP..., URL; add them to the table view and export again",
		},
		{
			name: "header with no address or port",
			file: "Time,Action,URL\n",
			want: ErrColumns,
			msg:  "fmc.txt:1: the header row lacks needed columns: needs Source IP (or Initiator IP), Destination IP (or Responder IP), Source Port / ICMP Type (or Source Port, Initiator Port), Destination Port / ICMP Code (or Destination Port, Responder Port): has Time, Action, URL; add them to the table view and export again",
		},
		{
			name: "unknown file",
			file: "hello\nworld, and more\n",
			want: ErrNotLog,
			msg:  "fmc.txt: neither FTD syslog (%FTD-…-430002/430003 lines) nor an FMC event export with a header row",
		},
		{
			name: "empty file",
			file: "\n\n",
			want: ErrNotLog,
			msg:  "fmc.txt: neither FTD syslog (%FTD-…-430002/430003 lines) nor an FMC event export with a header row (the file is empty)",
		},
		{
			name: "header after 16 lines",
			file: strings.Repeat("title\n", 16) + tacPaste,
			want: ErrNotLog,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, "fmc.txt", []byte(tc.file), Options{})
			fe := fileErr(t, err, "fmc.txt", tc.want)
			if tc.msg != "" && fe.Error() != tc.msg {
				t.Errorf("error\n%s\nwant\n%s", fe, tc.msg)
			}
		})
	}
}

func TestRoleOf(t *testing.T) {
	for _, tc := range []struct {
		cell string
		want role
	}{
		{"Source IP", colClientIP},
		{"  source   ip ", colClientIP},
		{"INITIATOR IP", colClientIP},
		{"Destination Port / ICMP...", colServerPort},
		{"Destination Port / ICMP…", colServerPort},
		{"Destination Port/ICMP Code", colServerPort},
		{"Destination…", colNone}, // Destination IP or Destination Port: ambiguous
		{"Destination I...", colServerIP},
		{"Source Port / ICMP Type", colClientPort},
		{"First Pa…", colFirstPacket},
		{"Time…", colTime}, // Time only
		{"Source", colNone},
		{"…", colNone},
		{"Web Application", colNone},
		{"Access Control Rule", colRule},
	} {
		if got := roleOf(tc.cell); got != tc.want {
			t.Errorf("roleOf(%q) = %d, want %d", tc.cell, got, tc.want)
		}
	}
}
