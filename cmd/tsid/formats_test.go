package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The formats and views wired to the command line: -f ecs, -f html -o,
// --group-by, --width, --flag, --only-flagged.
func TestOutputViews(t *testing.T) {
	repoRoot(t)
	fc := "testdata/samples/field-case.pcap"
	out, errOut, code := runCLI(t, nil, "analyze", "-q", "-f", "ecs", fc)
	var doc map[string]any
	if code != 0 || json.Unmarshal([]byte(strings.TrimSpace(out)), &doc) != nil || doc["@timestamp"] == nil || doc["url"] == nil {
		t.Errorf("-f ecs: exit %d, %q %s", code, out, errOut)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if _, errOut, code := runCLI(t, nil, "analyze", "-q", "-f", "html", "-o", page, "--profile", "all", fc); code != 0 {
		t.Fatalf("-f html: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(b), "toos.cisco.com") || !strings.HasPrefix(strings.TrimSpace(string(b)), "<!DOCTYPE html>") {
		t.Errorf("-f html: %v, %.200q", err, b)
	}
	all, _ := filepath.Glob("testdata/samples/*.pcap")
	out, _, code = runCLI(t, nil, append([]string{"analyze", "-q", "-f", "json", "--group-by", "host"}, all...)...)
	hosts := map[string]bool{}
	rec, _, _ := runCLI(t, nil, append([]string{"analyze", "-q", "-f", "json"}, all...)...)
	for _, r := range decodeLines(t, rec) {
		h, _ := r["host"].(string)
		switch {
		case h != "":
		case r["host_unknown"] != nil:
			h = "?"
		default:
			h = "(none)"
		}
		hosts[h] = true
	}
	if lines := strings.Count(out, "\n"); code != 0 || lines != len(hosts) {
		t.Errorf("--group-by host: exit %d, %d lines for %d hosts:\n%s", code, lines, len(hosts), out)
	}
	if _, errOut, code := runCLI(t, nil, "analyze", "--group-by", "port", fc); code != 2 || !strings.Contains(errOut, "host, server, sni, client, flag") {
		t.Errorf("--group-by port: exit %d, %q", code, errOut)
	}
	// --only-flagged: a TLS 1.3 connection with a valid SNI has only a note.
	out, _, _ = runCLI(t, nil, "analyze", "-q", "-f", "json", "--only-flagged", "testdata/samples/tls13.pcap")
	if recs := decodeLines(t, out); len(recs) != 1 || recs[0]["sni"] != "" {
		t.Errorf("--only-flagged on tls13.pcap: want only the no-SNI connection, got %v", recs)
	}
	out, _, _ = runCLI(t, nil, append([]string{"analyze", "-q", "-f", "json", "--flag", "wildcard"}, all...)...)
	if recs := decodeLines(t, out); len(recs) != 1 || recs[0]["sni"] != "api.example.net" {
		t.Errorf("--flag wildcard: %v", recs)
	}
	out, _, _ = runCLI(t, nil, append([]string{"analyze", "--width", "120", "--profile", "all"}, all...)...)
	for _, l := range strings.Split(out, "\n") {
		if n := len([]rune(l)); n > 120 {
			t.Errorf("--width 120: a line of %d: %q", n, l)
		}
	}
}
