package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tsid-project/tsid/analysis"
)

// groupRec is a hand-built record: client and server ip:port, SNI (with
// its status), logged host, flags, and the second of the day.
func groupRec(client, server, sni, status, host string, sec int, flags ...string) *analysis.Record {
	return &analysis.Record{Time: analysis.Time(time.Date(2026, 11, 2, 9, 0, sec, 0, time.UTC)),
		Client: client, Server: server, SNI: sni, SNIStatus: status, Host: host, Flags: flags}
}

var groupRecs = []*analysis.Record{
	groupRec("10.0.0.1:50000", "72.163.4.38:443", "", analysis.SNIAbsent, "toos.cisco.com", 3,
		"no-sni", "near-miss:tools.cisco.com", "host-differs"),
	groupRec("10.0.0.1:50001", "72.163.4.38:443", "tools.cisco.com", analysis.SNIPresent, "tools.cisco.com", 1),
	groupRec("10.0.0.2:50000", "72.163.4.38:8443", "tools.cisco.com", analysis.SNIPresent, "tools.cisco.com", 2, "wildcard"),
	groupRec("[2001:db8::1]:50000", "[2001:db8::2]:443", "", analysis.SNIUnknown, "", 4, "incomplete"),
	groupRec("10.0.0.3:50000", "10.9.9.9:443", "", analysis.SNIAbsent, "", 5, "no-sni"),
}

// groupRun writes recs to a group writer and returns its output.
func groupRun(t *testing.T, format, by string, quiet bool, recs []*analysis.Record) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewGroups(format, &b, by, quiet)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(&analysis.Summary{Files: 1, TLS: len(recs)}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// groupLine is a line of the json format as read back: analysis.Time
// does not unmarshal.
type groupLine struct {
	groupJSON
	First string `json:"first"`
	Last  string `json:"last"`
}

// groupLines decodes the json format, checking every line is valid JSON.
func groupLines(t *testing.T, out string) []groupLine {
	t.Helper()
	var l []groupLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("invalid JSON line %q", sc.Text())
		}
		var g groupLine
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		l = append(l, g)
	}
	return l
}

func TestGroupsBy(t *testing.T) {
	type kc struct {
		Key   string
		Conns int
	}
	for _, tc := range []struct {
		by   string
		want []kc // in output order
	}{
		{"host", []kc{{"tools.cisco.com", 2}, {"(none)", 1}, {"?", 1}, {"toos.cisco.com", 1}}},
		{"server", []kc{{"72.163.4.38", 3}, {"10.9.9.9", 1}, {"2001:db8::2", 1}}},
		{"sni", []kc{{"-", 2}, {"tools.cisco.com", 2}, {"?", 1}}},
		{"client", []kc{{"10.0.0.1", 2}, {"10.0.0.2", 1}, {"10.0.0.3", 1}, {"2001:db8::1", 1}}},
		{"flag", []kc{{"no-sni", 2}, {"(no flag)", 1}, {"host-differs", 1}, {"incomplete", 1},
			{"near-miss", 1}, {"wildcard", 1}}},
	} {
		t.Run(tc.by, func(t *testing.T) {
			recs := groupRecs
			if tc.by == "host" { // one with the host unknown, one more logging nothing
				u := *groupRecs[3]
				u.HostUnknown = "needs the SNI"
				recs = []*analysis.Record{groupRecs[0], groupRecs[1], groupRecs[2], &u, groupRecs[4]}
			}
			var got []kc
			for _, g := range groupLines(t, groupRun(t, "json", tc.by, false, recs)) {
				if g.By != tc.by {
					t.Errorf("by %q, want %q", g.By, tc.by)
				}
				got = append(got, kc{g.Key, g.Connections})
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("groups (-want +got):\n%s", d)
			}
		})
	}
}

func TestGroupsCounts(t *testing.T) {
	ftdOnly := groupRec("10.0.0.4:1", "72.163.4.38:443", "", analysis.SNIAbsent, "toos.cisco.com", 9, "no-sni")
	ftdOnly.Profiles = map[string]analysis.HostPick{"ftd": {Host: "toos.cisco.com"}, "snort3": {Host: "tools.cisco.com"},
		"paloalto": {Unknown: "needs the SNI"}}
	agree := groupRec("10.0.0.4:2", "72.163.4.38:443", "", analysis.SNIAbsent, "toos.cisco.com", 0, "no-sni")
	agree.Profiles = map[string]analysis.HostPick{"ftd": {Host: "toos.cisco.com"}, "snort3": {Host: "toos.cisco.com"}}
	recs := append(slices.Clone(groupRecs), ftdOnly, agree)
	got := groupLines(t, groupRun(t, "json", "server", false, recs))
	want := groupLine{groupJSON: groupJSON{By: "server", Key: "72.163.4.38", Connections: 5, Clients: 3, Servers: 2,
		SNI:   groupSNI{Present: 2, Absent: 3},
		Hosts: []string{"?", "tools.cisco.com", "toos.cisco.com"},
		Flags: map[string]int{"no-sni": 3, "near-miss": 1, "host-differs": 1, "wildcard": 1}},
		First: "2026-11-02T09:00:00.000000Z", Last: "2026-11-02T09:00:09.000000Z"}
	if d := cmp.Diff(want, got[0], cmp.AllowUnexported(groupLine{}), cmp.Transformer("time", func(t analysis.Time) time.Time { return time.Time(t) })); d != "" {
		t.Errorf("group (-want +got):\n%s", d)
	}
	// Without profiles, or where they agree: no hosts key at all.
	for _, g := range got[1:] {
		if g.Hosts != nil {
			t.Errorf("group %q: hosts %q, want none", g.Key, g.Hosts)
		}
	}
	out := groupRun(t, "json", "server", false, groupRecs[3:])
	if strings.Contains(out, `"hosts"`) || !strings.Contains(out, `"flags":{"incomplete":1}`) ||
		!strings.Contains(out, `"first":"2026-11-02T09:00:04.000000Z"`) {
		t.Errorf("json:\n%s", out)
	}
	// A flag named twice (two near-miss:NAME) counts the record once.
	twice := groupRec("10.0.0.1:1", "10.0.0.9:443", "a.example", analysis.SNIPresent, "b.example", 0,
		"near-miss:a.example", "near-miss:c.example")
	g := groupLines(t, groupRun(t, "json", "flag", false, []*analysis.Record{twice}))
	if len(g) != 1 || g[0].Key != "near-miss" || g[0].Connections != 1 || g[0].Flags["near-miss"] != 1 {
		t.Errorf("near-miss twice: %+v", g)
	}
}

// TSID probes are the firewall's own connections: not counted.
func TestGroupsSkipProbes(t *testing.T) {
	p := *groupRecs[1]
	p.Role = analysis.RoleProbe
	g := groupLines(t, groupRun(t, "json", "host", false, []*analysis.Record{groupRecs[1], &p}))
	if len(g) != 1 || g[0].Connections != 1 {
		t.Errorf("groups %+v, want tools.cisco.com once", g)
	}
}

func TestGroupsCap(t *testing.T) {
	var b bytes.Buffer
	w, err := NewGroups("json", &b, "host", false)
	if err != nil {
		t.Fatal(err)
	}
	w.(*groupWriter).setCap = 2
	for _, c := range []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.2:2", "10.0.0.3:1"} {
		if err := w.Write(groupRec(c, "10.9.9.9:443", "a.example", analysis.SNIPresent, "a.example", 0)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close(&analysis.Summary{})
	g := groupLines(t, b.String())
	if len(g) != 1 || g[0].Connections != 4 || g[0].Clients != 2 || !g[0].ClientsCapped || g[0].Servers != 1 || g[0].ServersCapped {
		t.Errorf("capped group %+v", g)
	}
	// At the cap exactly, nothing saturated.
	b.Reset()
	w, _ = NewGroups("table", &b, "host", true)
	w.(*groupWriter).setCap = 2
	w.Write(groupRec("10.0.0.1:1", "10.9.9.9:443", "a.example", analysis.SNIPresent, "a.example", 0))
	w.Write(groupRec("10.0.0.2:1", "10.9.9.9:443", "a.example", analysis.SNIPresent, "a.example", 0))
	w.Close(&analysis.Summary{})
	if strings.Contains(b.String(), "+") {
		t.Errorf("saturated at the cap:\n%s", b.String())
	}
	b.Reset()
	w, _ = NewGroups("csv", &b, "host", true)
	w.(*groupWriter).setCap = 2
	for _, c := range []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"} {
		w.Write(groupRec(c, "10.9.9.9:443", "a.example", analysis.SNIPresent, "a.example", 0))
	}
	w.Close(&analysis.Summary{})
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][3] != "2+" {
		t.Errorf("csv clients cell: %q, %v", rows, err)
	}
}

func TestGroupsBadBy(t *testing.T) {
	for _, by := range []string{"", "Host", "url", "flags"} {
		w, err := NewGroups("table", os.Stdout, by, false)
		if err == nil || w != nil {
			t.Errorf("by %q: no error", by)
			continue
		}
		for _, k := range GroupKeys {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("by %q: error %q does not name %q", by, err, k)
			}
		}
	}
}

func TestGroupsFormats(t *testing.T) {
	hostile := groupRec("10.0.0.7:1", "10.0.0.8:443", "=cmd|x\x1b[2J", analysis.SNIPresent, "=cmd|x\x1b[2J", 7, "odd-name")
	recs := append(slices.Clone(groupRecs), hostile)

	t.Run("table", func(t *testing.T) {
		out := groupRun(t, "table", "host", false, recs)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		want := []string{
			"Host             Connections  Clients  Servers  SNI p/a/u  Flags                                First (UTC)          Last (UTC)",
			"(none)                     2        2        2  0/1/1      incomplete:1 no-sni:1                2026-11-02 09:00:04  2026-11-02 09:00:05",
			"tools.cisco.com            2        2        2  2/0/0      wildcard:1                           2026-11-02 09:00:01  2026-11-02 09:00:02",
			`=cmd|x\x1b[2J              1        1        1  1/0/0      odd-name:1                           2026-11-02 09:00:07  2026-11-02 09:00:07`,
			"toos.cisco.com             1        1        1  0/1/0      host-differs:1 near-miss:1 no-sni:1  2026-11-02 09:00:03  2026-11-02 09:00:03",
			"",
			"files 1, packets 0, TCP connections 0, TLS connections 6, without SNI 0, flagged 0, evicted 0",
		}
		if d := cmp.Diff(want, lines); d != "" {
			t.Errorf("table (-want +got):\n%s", d)
		}
		if q := groupRun(t, "table", "host", true, recs); strings.Contains(q, "files 1") || !strings.HasPrefix(q, "Host ") {
			t.Errorf("quiet table:\n%s", q)
		}
		if e := groupRun(t, "table", "host", false, nil); !strings.HasPrefix(e, "no TLS connections found\n\nfiles 1") {
			t.Errorf("empty table:\n%s", e)
		}
		if e := groupRun(t, "table", "host", true, nil); e != "" {
			t.Errorf("empty quiet table: %q", e)
		}
	})

	t.Run("table hosts", func(t *testing.T) {
		r := groupRec("10.0.0.4:1", "72.163.4.38:443", "", analysis.SNIAbsent, "toos.cisco.com", 9)
		r.Profiles = map[string]analysis.HostPick{"ftd": {Host: "toos.cisco.com"}, "snort3": {Host: "tools.cisco.com"}}
		out := groupRun(t, "table", "host", true, []*analysis.Record{r})
		if !strings.Contains(out, "\n    hosts: tools.cisco.com, toos.cisco.com\n") {
			t.Errorf("no hosts line:\n%s", out)
		}
	})

	t.Run("json", func(t *testing.T) {
		out := groupRun(t, "json", "sni", false, recs)
		g := groupLines(t, out)
		if len(g) != 4 || strings.Count(out, "\n") != 4 {
			t.Fatalf("%d groups in %d lines, want 4:\n%s", len(g), strings.Count(out, "\n"), out)
		}
		if g[2].Key != "=cmd|x\x1b[2J" || !strings.Contains(out, `"key":"=cmd|x\u001b[2J"`) {
			t.Errorf("hostile key %q:\n%s", g[2].Key, out)
		}
		if strings.Contains(out, "files 1") {
			t.Errorf("summary in JSON:\n%s", out)
		}
		if e := groupRun(t, "json", "sni", false, nil); e != "" {
			t.Errorf("empty json: %q", e)
		}
	})

	t.Run("csv", func(t *testing.T) {
		out := groupRun(t, "csv", "flag", false, recs)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(groupCSVColumns, rows[0]); d != "" {
			t.Errorf("header (-want +got):\n%s", d)
		}
		want := [][]string{
			{"flag", "no-sni", "2", "2", "2", "0", "2", "0", "", "no-sni:2;host-differs:1;near-miss:1",
				"2026-11-02T09:00:03.000000Z", "2026-11-02T09:00:05.000000Z"},
			{"flag", "(no flag)", "1", "1", "1", "1", "0", "0", "", "", "2026-11-02T09:00:01.000000Z", "2026-11-02T09:00:01.000000Z"},
		}
		if d := cmp.Diff(want, rows[1:3]); d != "" {
			t.Errorf("rows (-want +got):\n%s", d)
		}
		for _, row := range rows {
			if len(row) != len(groupCSVColumns) {
				t.Errorf("row of %d cells, want %d: %q", len(row), len(groupCSVColumns), row)
			}
		}
		sni := groupRun(t, "csv", "sni", false, recs)
		if !strings.Contains(sni, `'=cmd|x\x1b[2J`) {
			t.Errorf("formula not defused:\n%s", sni)
		}
		if e := groupRun(t, "csv", "sni", false, nil); e != strings.Join(groupCSVColumns, ",")+"\n" {
			t.Errorf("empty csv: %q", e)
		}
	})
}

// Every sample through one writer: one line per distinct logged host,
// and the connections add up to the records.
func TestGroupsSamples(t *testing.T) {
	files, err := filepath.Glob("../testdata/samples/*.pcap*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	var b bytes.Buffer
	w, err := NewGroups("json", &b, "host", true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	records := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = analysis.New(analysis.Options{}).Analyze(context.Background(), filepath.Base(name), f, func(r *analysis.Record) {
			if r.Role != analysis.RoleProbe {
				want[groupHost(r.Host, r.HostUnknown)]++
				records++
			}
			if err := w.Write(r); err != nil {
				t.Error(err)
			}
		})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := w.Close(&analysis.Summary{}); err != nil {
		t.Fatal(err)
	}
	lines := groupLines(t, b.String())
	got := map[string]int{}
	for _, g := range lines {
		if _, dup := got[g.Key]; dup {
			t.Errorf("host %q on two lines", g.Key)
		}
		got[g.Key] = g.Connections
	}
	if len(lines) != len(want) {
		t.Errorf("%d lines for %d distinct hosts", len(lines), len(want))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("connections per host (-want +got):\n%s", d)
	}
	if records < len(files) || len(want) < 2 {
		t.Errorf("%d records, %d hosts: samples not analyzed?", records, len(want))
	}
}

// The field case's connections grouped by the host FTD logs.
func ExampleNewGroups() {
	f, err := os.Open("../testdata/samples/field-case.pcap")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w, err := NewGroups("table", os.Stdout, "host", false)
	if err != nil {
		panic(err)
	}
	sum, err := analysis.New(analysis.Options{}).Analyze(context.Background(), "field-case.pcap", f,
		func(r *analysis.Record) { w.Write(r) })
	if err != nil {
		panic(err)
	}
	w.Close(&sum)
	// Output:
	// Host            Connections  Clients  Servers  SNI p/a/u  Flags                                                    First (UTC)          Last (UTC)
	// toos.cisco.com            1        1        1  0/1/0      host-differs:1 near-miss:1 no-sni:1 profiles-disagree:1  2026-11-02 09:15:00  2026-11-02 09:15:00
	//
	// files 1, packets 18, TCP connections 1, TLS connections 1, without SNI 1, flagged 1, evicted 0
}
