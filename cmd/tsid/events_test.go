package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// eventCaptures are the sample captures testdata/events logs (tsidgen's
// eventCaptures).
var eventCaptures = []string{"field-case.pcap", "field-case-sni.pcap", "cn-only.pcap", "ou-only.pcap",
	"spoofed-sni.pcap", "wildcard.pcap", "tls13.pcap"}

func eventCaptureArgs() []string {
	var out []string
	for _, c := range eventCaptures {
		out = append(out, filepath.Join("testdata", "samples", c))
	}
	return out
}

// TestGoldenEvents checks tsid with the sample firewall logs against
// testdata/golden/events-*: the records and what stderr says. Refresh
// with: go test ./cmd/tsid -run GoldenEvents -update
func TestGoldenEvents(t *testing.T) {
	repoRoot(t)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		// The field case confirmed: the paste logs what ftd predicts.
		{"events-fmc-ftd.txt", []string{"analyze", "--events", "testdata/events/fmc-ftd.tsv"}},
		// A device behaving like snort3 under the ftd profile: logged-differs.
		{"events-ftd-snort3.txt", []string{"analyze", "--events", "testdata/events/ftd-snort3.log"}},
		{"events-ftd-snort3-all.txt", []string{"analyze", "--profile", "all", "--events", "testdata/events/ftd-snort3.log"}},
		// --profile auto chooses each behaviour from its log.
		{"events-ftd-snort3-auto.jsonl", []string{"analyze", "-f", "json", "--profile", "auto", "--events", "testdata/events/ftd-snort3.log"}},
		{"events-fmc-ftd-auto.csv", []string{"analyze", "-f", "csv", "--profile", "auto", "--events", "testdata/events/fmc-ftd.tsv"}},
		// Joined through the NAT keys, device local time.
		{"events-ftd-6x-nat.jsonl", []string{"analyze", "-f", "json", "--events", "testdata/events/ftd-6x-nat.log", "--events-tz", "Europe/Berlin"}},
		// The same without the zone: an hour off, nothing joins.
		{"events-ftd-6x-nat-utc.txt", []string{"analyze", "--explain", "--events", "testdata/events/ftd-6x-nat.log", "testdata/samples/field-case.pcap"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			args := c.args
			if !strings.HasSuffix(args[len(args)-1], ".pcap") {
				args = append(append([]string{}, args...), eventCaptureArgs()...)
			}
			var out, errb bytes.Buffer
			err := run(args, nil, &out, &errb)
			got := out.String() + "--- stderr ---\n" + errb.String()
			if err != nil {
				got += "--- error: " + err.Error() + "\n"
			}
			golden := filepath.Join("testdata", "golden", c.golden)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it: go test ./cmd/tsid -run GoldenEvents -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("tsid %s differs from %s (-want +got):\n%s", strings.Join(args, " "), golden, diff)
			}
		})
	}
}

// records decodes JSON Lines output.
func jsonRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		recs = append(recs, m)
	}
	return recs
}

func hasFlag(r map[string]any, flag string) bool {
	fl, _ := r["flags"].([]any)
	for _, f := range fl {
		if f == flag {
			return true
		}
	}
	return false
}

// A device that logs what snort3 predicts, checked under ftd: the field
// case is flagged logged-differs, and --profile auto names snort3; the
// FMC paste that logs what ftd predicts makes auto choose ftd.
func TestEventsProfiles(t *testing.T) {
	repoRoot(t)
	fc := "testdata/samples/field-case.pcap"
	out, errOut, code := runCLI(t, nil, "analyze", "-f", "json", "--events", "testdata/events/ftd-snort3.log", fc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs := jsonRecords(t, out)
	if len(recs) != 1 || !hasFlag(recs[0], "logged-differs") || recs[0]["profile"] != "ftd" {
		t.Fatalf("ftd against a snort3 log: want one record flagged logged-differs, got %v", recs)
	}
	lg, _ := recs[0]["logged"].(map[string]any)
	if lg["host"] != "tools.cisco.com" || lg["url"] != "https://tools.cisco.com" || lg["via"] != "tuple" {
		t.Errorf("logged = %v", lg)
	}
	for _, c := range []struct{ events, want string }{
		{"testdata/events/ftd-snort3.log", "snort3"},
		{"testdata/events/fmc-ftd.tsv", "ftd"},
	} {
		out, errOut, code := runCLI(t, nil, "analyze", "-f", "json", "--profile", "auto", "--events", c.events, fc)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		recs := jsonRecords(t, out)
		if len(recs) != 1 || recs[0]["profile"] != c.want || hasFlag(recs[0], "logged-differs") {
			t.Errorf("--profile auto with %s: want profile %s without logged-differs, got %v", c.events, c.want, recs)
		}
		if !strings.Contains(errOut, "profile auto: "+c.want+" (agrees with 1 of 1 logged hosts") || !strings.Contains(errOut, "decided by "+fc) {
			t.Errorf("--profile auto with %s: stderr lacks the choice and its evidence:\n%s", c.events, errOut)
		}
	}
	// --fail-on logged-differs
	_, errOut, code = runCLI(t, nil, "analyze", "-q", "--fail-on", "logged-differs", "--events", "testdata/events/ftd-snort3.log", fc)
	if code != 1 {
		t.Errorf("--fail-on logged-differs: exit %d, want 1 (%s)", code, errOut)
	}
	_, _, code = runCLI(t, nil, "analyze", "-q", "--fail-on", "logged-differs", "--events", "testdata/events/fmc-ftd.tsv", fc)
	if code != 0 {
		t.Errorf("--fail-on logged-differs with an agreeing log: exit %d, want 0", code)
	}
}

func TestEventsUsage(t *testing.T) {
	repoRoot(t)
	dir := t.TempDir()
	notLog := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notLog, []byte("hello\nthis is no log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badHeader := filepath.Join(dir, "fmc.csv")
	if err := os.WriteFile(badHeader, []byte("Time,Action,Source IP,URL\n2026-11-02 09:15:00,Allow,10.0.0.1,https://x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fc := "testdata/samples/field-case.pcap"
	for _, c := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"auto without events", []string{"analyze", "--profile", "auto", fc}, "--profile auto needs --events FILE"},
		{"auto from stdin", []string{"analyze", "--profile", "auto", "--events", "testdata/events/fmc-ftd.tsv", "-"}, "stdin cannot be"},
		{"bad zone", []string{"analyze", "--events", "testdata/events/fmc-ftd.tsv", "--events-tz", "Mars/Olympus", fc}, "--events-tz"},
		{"zone without events", []string{"analyze", "--events-tz", "UTC", fc}, "need --events FILE"},
		{"missing file", []string{"analyze", "--events", filepath.Join(dir, "nope.log"), fc}, "nope.log"},
		{"not a log", []string{"analyze", "--events", notLog, fc}, notLog},
		{"header without the needed columns", []string{"analyze", "--events", badHeader, fc}, "Destination IP"},
		{"fail-on logged-differs without events", []string{"analyze", "--fail-on", "logged-differs", fc}, "needs --events"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, nil, c.args...)
			if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 2 {
				t.Errorf("exit %d, stderr %q; want 2 and a short message with %q", code, errOut, c.want)
			}
		})
	}
}

// A malformed line is a warning naming file:line; the other events are
// still read and joined, and events that join nothing are counted.
func TestEventsMalformed(t *testing.T) {
	repoRoot(t)
	src, err := os.ReadFile("testdata/events/ftd-snort3.log")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	// Line 2 (a 430002) cut before its SrcIP; a stray event on a tuple no
	// capture has at the end.
	lines[1] = lines[1][:strings.Index(lines[1], "SrcIP")] + "\n"
	lines = append(lines, "Nov  2 2026 09:15:00 fw : %FTD-1-430003: SrcIP: 10.9.9.9, DstIP: 10.8.8.8, SrcPort: 1, DstPort: 443, Protocol: tcp, URL: https://elsewhere.example\n")
	log := filepath.Join(t.TempDir(), "fw.log")
	if err := os.WriteFile(log, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "analyze", "-f", "json", "--explain", "--events", log, "testdata/samples/field-case.pcap")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, log+":2: ") || !strings.Contains(errOut, "1 malformed") {
		t.Errorf("stderr lacks the warning for %s:2 and the count:\n%s", log, errOut)
	}
	if !strings.Contains(errOut, "events not joined to a captured connection (15)") || !strings.Contains(errOut, log+":26") {
		t.Errorf("stderr lacks the unjoined events:\n%s", errOut)
	}
	recs := jsonRecords(t, out)
	lg, _ := recs[0]["logged"].(map[string]any)
	if lg["event"] != log+":3" || lg["others"] != nil {
		t.Errorf("the 430003 alone answers once its 430002 is malformed: logged = %v", lg)
	}
}

// A gzip log cut short: the events before the cut are used, the error
// names the file, and the exit status is 2.
func TestEventsGzipCut(t *testing.T) {
	repoRoot(t)
	src, err := os.ReadFile("testdata/events/ftd-snort3.log")
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(src)
	zw.Close()
	log := filepath.Join(t.TempDir(), "fw.log.gz")
	if err := os.WriteFile(log, z.Bytes()[:z.Len()*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "analyze", "-f", "json", "--events", log, "testdata/samples/field-case.pcap")
	if code != 2 || !strings.Contains(errOut, "--events "+log+": ") || strings.Contains(errOut, "panic") {
		t.Fatalf("exit %d, stderr:\n%s\nwant 2 and an error naming %s", code, errOut, log)
	}
	recs := jsonRecords(t, out)
	if len(recs) != 1 || recs[0]["logged"] == nil {
		t.Errorf("the field case's events come before the cut: want it logged, got %v", recs)
	}
}

// TestREADMEEvents keeps the README's firewall-log example honest.
func TestREADMEEvents(t *testing.T) {
	repoRoot(t)
	want := readmeOutput(t, "$ go run ./cmd/tsid analyze --events testdata/events/fmc-ftd.tsv --profile auto testdata/samples/field-case.pcap 2>&1\n", "```")
	var out bytes.Buffer // stdout and stderr as 2>&1 interleaves them
	if err := run([]string{"analyze", "--events", "testdata/events/fmc-ftd.tsv", "--profile", "auto", "testdata/samples/field-case.pcap"}, nil, &out, &out); err != nil {
		t.Fatal(err, out.String())
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("README example differs from the real output (-README +tsid):\n%s", diff)
	}
	paste, err := os.ReadFile("testdata/events/fmc-ftd.tsv")
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(strings.SplitN(string(paste), "\n", 3)[:2], "\n")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```\n"+head+"\n```") {
		t.Errorf("README's paste is not the first two lines of testdata/events/fmc-ftd.tsv")
	}
}

// rules check --events: the chosen profile's column and verdict-differs
// use the logged host, and the report lists where the log contradicts
// the prediction.
func TestRulesCheckEvents(t *testing.T) {
	repoRoot(t)
	rules := filepath.Join(t.TempDir(), "lic.rules")
	if err := os.WriteFile(rules, []byte("allow tools.cisco.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "rules", "check", "--rules", rules, "--events", "testdata/events/ftd-snort3.log",
		"testdata/samples/field-case.pcap", "testdata/samples/spoofed-sni.pcap")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"With the firewall's log: 2 connections joined to a logged host",
		"logged-differs: 2 connections where the firewall logged another host than ftd predicts",
		"logged tools.cisco.com, ftd predicts toos.cisco.com",
		"tools.cisco.com (ftd, logged): allow by " + rules + ":1 allow tools.cisco.com",
		"    2       2 ", // ftd counts both logged tools.cisco.com under the allow rule
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Without the log, ftd's column counts the predicted toos.cisco.com: blocked.
	out, _, _ = runCLI(t, nil, "rules", "check", "--rules", rules, "testdata/samples/field-case.pcap", "testdata/samples/spoofed-sni.pcap")
	if !strings.Contains(out, "    0       2 ") {
		t.Errorf("without --events ftd's column should count 0 for the allow rule:\n%s", out)
	}
}
