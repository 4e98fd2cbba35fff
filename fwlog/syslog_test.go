package fwlog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tuple is the needed keys of a body (and Protocol after them, so that
// DstPort is not the last key: a line ending in a needed key is cut).
const tuple = "SrcIP: 10.12.1.8, DstIP: 72.163.4.38, SrcPort: 40722, DstPort: 443, Protocol: tcp"

// start7 is a 430002 of FTD 7.x: with FirstPacketSecond.
const start7 = "Dec  2 2025 18:26:40 fw-branch1 : %FTD-1-430002: DeviceUUID: 0b6c…, InstanceID: 3, FirstPacketSecond: 2025-12-02T18:26:40Z, ConnectionID: 5101, AccessControlRuleAction: Allow, " + tuple + ", IngressInterface: inside, EgressInterface: outside, ACPolicy: Branch-ACP, AccessControlRuleName: ALLOW_FMC_ASA_SNT_CISCO, Client: SSL client, ApplicationProtocol: HTTPS, SSLServerName: tools.cisco.com, URLCategory: Computers and Internet, URLReputation: Favorable"

// sysEvent is the event of a 430002 line n of fw.log with tuple, changed by mod.
func sysEvent(n int, mod func(*Event)) Event {
	e := Event{File: "fw.log", Line: n, Format: FormatSyslog, ID: 430002,
		Client: ap("10.12.1.8:40722"), Server: ap("72.163.4.38:443"), Protocol: "tcp", Device: "fw-branch1"}
	if mod != nil {
		mod(&e)
	}
	return e
}

func at(t time.Time, from string) func(*Event) {
	return func(e *Event) { e.Time, e.TimeFrom = t, from }
}

func TestSyslog(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	plus2 := time.FixedZone("UTC+02:00", 2*3600)
	utc := func(mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(2025, mo, d, h, mi, s, ns, time.UTC)
	}
	header := at(utc(12, 2, 18, 26, 41, 0), "header")

	for _, tc := range []struct {
		name  string
		file  []byte
		loc   *time.Location
		want  []Event
		warn  []string
		stats Stats
	}{
		{
			name: "430002 and 430003 of one connection",
			file: lines(start7, refLine),
			want: []Event{
				sysEvent(1, func(e *Event) {
					at(utc(12, 2, 18, 26, 40, 0), "FirstPacketSecond")(e)
					e.SNI, e.Action, e.Rule, e.ConnectionID = "tools.cisco.com", "Allow", "ALLOW_FMC_ASA_SNT_CISCO", "5101"
				}),
				func() Event { e := refEvent(); e.Line = 2; return e }(),
			},
			stats: Stats{Lines: 2, Events: 2},
		},
		{
			name:  "only 430002",
			file:  lines("Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: " + tuple),
			want:  []Event{sysEvent(1, header)},
			stats: Stats{Lines: 1, Events: 1},
		},
		{
			name: "NAT keys",
			file: lines("Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: " + tuple + ", NAT_InitiatorIP: 198.51.100.7, NAT_InitiatorPort: 61000, NAT_ResponderIP: 72.163.4.38, NAT_ResponderPort: 443, IngressZone: in"),
			want: []Event{sysEvent(1, func(e *Event) {
				header(e)
				e.NATClient, e.NATServer = ap("198.51.100.7:61000"), ap("72.163.4.38:443")
			})},
			stats: Stats{Lines: 1, Events: 1},
		},
		{
			name: "6.x headers without FirstPacketSecond, in Berlin",
			file: lines(
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-6-430003: AccessControlRuleAction: Allow, "+tuple+", URL: https://tools.cisco.com, ConnectionDuration: 2",
				"Jul  2 2025 20:26:41 fw-branch1 : %FTD-6-430002: "+tuple,
				"Dec 02 2025 18:26:41.125: %FTD-6-430002: "+tuple,
			),
			loc: berlin,
			want: []Event{
				sysEvent(1, func(e *Event) {
					at(utc(12, 2, 17, 26, 39, 0), "header - ConnectionDuration")(e)
					e.ID, e.End, e.Action, e.URL, e.Duration = 430003, true, "Allow", "https://tools.cisco.com", 2*time.Second
				}),
				sysEvent(2, at(utc(7, 2, 18, 26, 41, 0), "header")),
				sysEvent(3, func(e *Event) { at(utc(12, 2, 17, 26, 41, 125e6), "header")(e); e.Device = "" }),
			},
			stats: Stats{Lines: 3, Events: 3},
		},
		{
			name: "RFC 3164 header without a year",
			file: lines(
				"Dec  2 18:26:41 fw-branch1 %FTD-6-430002: "+tuple,
				"Feb 29 00:30:00 fw-branch1 %FTD-6-430002: "+tuple,
			),
			loc: plus2,
			want: []Event{
				sysEvent(1, func(e *Event) {
					e.Time, e.TimeFrom, e.NoYear = time.Date(0, 12, 2, 16, 26, 41, 0, time.UTC), "header", true
				}),
				sysEvent(2, func(e *Event) {
					e.Time, e.TimeFrom, e.NoYear = time.Date(0, 2, 28, 22, 30, 0, 0, time.UTC), "header", true
				}),
			},
			stats: Stats{Lines: 2, Events: 2},
		},
		{
			name: "ISO 8601 headers",
			file: lines(
				"2025-12-02T18:26:41.250+01:00 fw-branch1 %FTD-6-430002: "+tuple,
				"2025-12-02T18:26:41Z fw-branch1: %FTD-6-430002: "+tuple,
				"2025-12-02 18:26:41 fw-branch1 : %FTD-6-430002: "+tuple,
			),
			loc: plus2,
			want: []Event{
				sysEvent(1, at(utc(12, 2, 17, 26, 41, 250e6), "header")),
				sysEvent(2, at(utc(12, 2, 18, 26, 41, 0), "header")),
				sysEvent(3, at(utc(12, 2, 16, 26, 41, 0), "header")),
			},
			stats: Stats{Lines: 3, Events: 3},
		},
		{
			name: "priority prefix, RFC 3164 and RFC 5424, relayed",
			file: lines(
				"<166>Dec 02 2025 18:26:41 fw-branch1 : %FTD-6-430002: "+tuple,
				"<166>1 2025-12-02T18:26:41Z fw-branch1 - - - %FTD-6-430002: "+tuple,
				"<166>%FTD-6-430002: FirstPacketSecond: 2025-12-02T18:26:41Z, "+tuple,
				"Dec  2 18:26:43 relay-1 Dec 02 2025 18:26:41: %FTD-6-430002: "+tuple,
				"2025-12-02T18:26:43+00:00 relay-1 Dec 02 2025 18:26:41 fw-branch1 : %FTD-6-430002: "+tuple,
			),
			want: []Event{
				sysEvent(1, header),
				sysEvent(2, header),
				sysEvent(3, func(e *Event) { at(utc(12, 2, 18, 26, 41, 0), "FirstPacketSecond")(e); e.Device = "" }),
				sysEvent(4, func(e *Event) { header(e); e.Device = "relay-1" }),
				sysEvent(5, header),
			},
			stats: Stats{Lines: 5, Events: 5},
		},
		{
			name: "other message ids, intrusion and file events, text: skipped",
			file: lines(
				"Dec  2 2025 18:26:40 fw-branch1 : %ASA-6-302013: Built inbound TCP connection 5101 for inside:10.12.1.8/40722 (10.12.1.8/40722) to outside:72.163.4.38/443 (72.163.4.38/443)",
				"",
				"-- MARK --",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430001: DeviceUUID: 0b6c…, "+tuple+", SignatureID: 1",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430005: "+tuple+", FileName: a.exe",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: "+tuple,
				"Dec  2 2025 18:26:42 fw-branch1 : %FTD-6-302014: Teardown TCP connection 5101",
			),
			want:  []Event{sysEvent(6, header)},
			stats: Stats{Lines: 7, Events: 1, Skipped: 5},
		},
		{
			name: "lines cut short",
			file: lines(
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: SrcIP: 10.12.1.8, DstIP: 72.163.4.38, SrcPort: 40722, DstPort: 44",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: SrcIP: 10.12.1.8, DstIP: 72.16",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: "+tuple+", Ingress",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: "+tuple+", URL: https://tools.ci",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: SrcIP: 10.12.1.8, DstIP: 72.163.4.38, SrcP",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-4300",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: "+tuple+", URL:",
			),
			want: []Event{
				sysEvent(3, header),
				sysEvent(4, func(e *Event) { header(e); e.URL = "https://tools.ci" }),
				sysEvent(7, header),
			},
			warn: []string{
				`fw.log:1: connection event cut short in DstPort ("44")`,
				`fw.log:2: connection event cut short in DstIP ("72.16")`,
				`fw.log:5: connection event without a readable SrcPort (no SrcPort key)`,
			},
			stats: Stats{Lines: 7, Events: 3, Skipped: 1, Malformed: 3},
		},
		{
			name:  "keys without values",
			file:  lines("Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: URL: , SSLServerName:, Prefilter Policy: Default Prefilter Policy, " + tuple + ", AccessControlRuleName: , AccessControlRuleAction:"),
			want:  []Event{sysEvent(1, header)},
			stats: Stats{Lines: 1, Events: 1},
		},
		{
			name: "values with commas",
			file: lines("Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: User: Doe, John, URLCategory: Computers and Internet, Software, " + tuple + ", AccessControlRuleName: Allow web, mail and dns, URL: https://x.example/a,b, SSLServerName: x.example"),
			want: []Event{sysEvent(1, func(e *Event) {
				header(e)
				e.Rule, e.URL, e.SNI = "Allow web, mail and dns", "https://x.example/a,b", "x.example"
			})},
			stats: Stats{Lines: 1, Events: 1},
		},
		{
			name: "times that cannot be read",
			file: lines(
				"Dec 32 2025 25:00:00 fw-branch1 : %FTD-6-430002: "+tuple,
				"Dec 32 25:00:00 fw-branch1 : %FTD-6-430002: "+tuple,
				"%FTD-6-430002: "+tuple,
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-6-430002: FirstPacketSecond: 2025-13-02T18:26:40Z, "+tuple,
			),
			want: []Event{
				sysEvent(1, func(e *Event) { e.TimeNote = `cannot read time "Dec 32 2025 25:00:00"` }),
				sysEvent(2, func(e *Event) { e.TimeNote = `cannot read time "Dec 32 25:00:00"` }),
				sysEvent(3, func(e *Event) {
					e.TimeNote, e.Device = "no time: neither FirstPacketSecond nor a time in the syslog header", ""
				}),
				sysEvent(4, func(e *Event) {
					header(e)
					e.TimeNote = `cannot read FirstPacketSecond "2025-13-02T18:26:40Z"; the header time is used`
				}),
			},
			warn: []string{
				`fw.log:1: cannot read time "Dec 32 2025 25:00:00"`,
				`fw.log:2: cannot read time "Dec 32 25:00:00"`,
				`fw.log:3: no time: neither FirstPacketSecond nor a time in the syslog header`,
				`fw.log:4: cannot read FirstPacketSecond "2025-13-02T18:26:40Z"; the header time is used`,
			},
			stats: Stats{Lines: 4, Events: 4, BadTime: 3},
		},
		{
			name: "IPv6, a protocol number, CRLF",
			file: []byte("Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: SrcIP: 2001:db8::8, DstIP: 2001:db8:1::38, SrcPort: 40722, DstPort: 443, Protocol: 6, NAT_ResponderIP: 2001:db8:2::38\r\n"),
			want: []Event{sysEvent(1, func(e *Event) {
				header(e)
				e.Client, e.Server, e.NATServer = ap("[2001:db8::8]:40722"), ap("[2001:db8:1::38]:443"), ap("[2001:db8:2::38]:0")
			})},
			stats: Stats{Lines: 1, Events: 1},
		},
		{
			name: "needed keys missing or unreadable",
			file: lines(
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-6-430002: DstIP: 72.163.4.38, SrcPort: 40722, DstPort: 443, Protocol: tcp",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-6-430002: SrcIP: 10.12.1.300, DstIP: 72.163.4.38, SrcPort: 40722, DstPort: 443, Protocol: tcp",
				"Dec  2 2025 18:26:41 fw-branch1 : %FTD-6-430002: SrcIP: 10.12.1.8, DstIP: 72.163.4.38, SrcPort: 40722, DstPort: 70000, Protocol: tcp",
			),
			warn: []string{
				`fw.log:1: connection event without a readable SrcIP (no SrcIP key)`,
				`fw.log:2: connection event without a readable SrcIP ("10.12.1.300")`,
				`fw.log:3: connection event without a readable DstPort ("70000")`,
			},
			stats: Stats{Lines: 3, Malformed: 3},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, "fw.log", tc.file, Options{Location: tc.loc})
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != FormatSyslog {
				t.Errorf("format %v", got.Format)
			}
			want := result{Events: tc.want, Warnings: tc.warn, Stats: tc.stats, Format: FormatSyslog}
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyslogDetect: the message tag may come late, after up to 63 other
// non-empty lines, and the lines before it are read too.
func TestSyslogDetect(t *testing.T) {
	var ls []string
	for range 63 {
		ls = append(ls, "some text", "")
	}
	ls = append(ls, "Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430002: "+tuple)
	got, err := readAll(t, "fw.log", lines(ls...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || got.Events[0].Line != 127 {
		t.Errorf("events %+v", got.Events)
	}
	if diff := cmp.Diff(Stats{Lines: 127, Events: 1, Skipped: 63}, got.Stats); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	ls = append([]string{"one more line"}, ls...)
	_, err = readAll(t, "fw.log", lines(ls...), Options{})
	fileErr(t, err, "fw.log", ErrNotLog)
}

func TestSplitPairs(t *testing.T) {
	for _, tc := range []struct {
		body string
		want map[string]string // the keys read, by name
		last string            // the key whose value runs to the end
	}{
		{"SrcIP: 1.2.3.4, DstIP: 5.6.7.8", map[string]string{"SrcIP": "1.2.3.4", "DstIP": "5.6.7.8"}, "DstIP"},
		{"URL: , SrcIP: 1.2.3.4, Foo: a", map[string]string{"URL": "", "SrcIP": "1.2.3.4"}, ""},
		{"URL:", map[string]string{"URL": ""}, "URL"},
		{"URL: https://a.example/x, y, z: 1, SrcIP: 1.1.1.1 ", map[string]string{"URL": "https://a.example/x, y", "SrcIP": "1.1.1.1"}, "SrcIP"},
		{"URL: https://a.example/x, y z, SrcIP: 1.1.1.1, ", map[string]string{"URL": "https://a.example/x, y z", "SrcIP": "1.1.1.1"}, "SrcIP"},
		{"garbage, SrcIP: 1.1.1.1, DstI", map[string]string{"SrcIP": "1.1.1.1"}, ""},
		{"SrcIP: 1.1.1.1, SrcIP: 2.2.2.2, Protocol: tcp", map[string]string{"SrcIP": "1.1.1.1", "Protocol": "tcp"}, "Protocol"},
		{"A Very Long Key Name That Has More Than Forty Letters: x, URL: u", map[string]string{"URL": "u"}, "URL"},
		{"", map[string]string{}, ""},
	} {
		var f sysFields
		f.parse([]byte(tc.body))
		got := map[string]string{}
		for k := range nKeys {
			if v, ok := f.get(k); ok {
				got[keyNames[k]] = string(v)
			}
		}
		last := ""
		if f.last >= 0 {
			last = keyNames[f.last]
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || last != tc.last {
			t.Errorf("%q: last key %q, want %q; (-want +got):\n%s", tc.body, last, tc.last, diff)
		}
	}
}
