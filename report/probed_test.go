package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/analysis"
)

// TestProbedLines: a tsid probe record says in one line what was asked and
// whether the chain verifies; a record whose certificate a probe filled
// says so; CSV has the probe's columns with Options.Probe.
func TestProbedLines(t *testing.T) {
	at := analysis.Time(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	base := analysis.Record{Time: at, Client: "127.0.0.1:50000", Server: "127.0.0.1:8443", TLSVersion: "TLS 1.3",
		URL: "https://toos.cisco.com", HostSource: "san", CertStatus: "probed"}
	probed := base
	probed.Probed = &analysis.Probed{Target: "127.0.0.1:8443", TLSAsked: "TLS 1.2-1.3",
		VerifyError: "x509: certificate signed by unknown authority\x1b[2J"}
	probed.ProbedAt = at
	viaProxy := base
	viaProxy.CertStatus = "present"
	viaProxy.Probed = &analysis.Probed{Target: "tools.cisco.com:443", Via: "10.0.0.5:3128", TLSAsked: "TLS 1.2", Verified: true,
		HandshakeError: "tls: failed to parse certificate from server", Cut: true}
	missing := base
	missing.File, missing.ProbedAt = "tls13.pcap", at
	missingVerified := missing
	missingVerified.Probed = &analysis.Probed{Target: "198.51.100.20:443", TLSAsked: "TLS 1.2-1.3", Verified: true}

	for _, tc := range []struct {
		name string
		r    analysis.Record
		want string
	}{
		{"probe", probed, `    probed: 127.0.0.1:8443 (TLS 1.2-1.3 offered); chain not verified: x509: certificate signed by unknown authority\x1b[2J`},
		{"via", viaProxy, "    probed: tools.cisco.com:443 via proxy 10.0.0.5:3128 (TLS 1.2 offered); chain verified; the handshake failed after the certificate: tls: failed to parse certificate from server; bytes recorded cut at the cap"},
		{"probe-missing", missing, "    certificate: from tsid's probe of the server at 2026-12-01T10:00:00.000000Z; the capture could not show it"},
		{"probe-missing verified", missingVerified, "    certificate: from tsid's probe of the server at 2026-12-01T10:00:00.000000Z; the capture could not show it; chain verified"},
	} {
		var b bytes.Buffer
		w := New("table", &b, Options{Quiet: true})
		r := tc.r
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(&analysis.Summary{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		if got := lines[len(lines)-1]; got != tc.want {
			t.Errorf("%s: last line\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}

	var b bytes.Buffer
	w := New("csv", &b, Options{Probe: true})
	for _, r := range []analysis.Record{probed, missing, base} {
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(&analysis.Summary{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := len(csvColumns)
	var got [][]string
	for _, row := range rows {
		got = append(got, row[n:])
	}
	want := [][]string{
		csvProbeColumns,
		{"2026-12-01T10:00:00.000000Z", "127.0.0.1:8443", "", "TLS 1.2-1.3", "false", `x509: certificate signed by unknown authority\x1b[2J`},
		{"2026-12-01T10:00:00.000000Z", "", "", "", "", ""},
		{"", "", "", "", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CSV probe columns (-want +got):\n%s", diff)
	}
}

// TestProbedHTML: the HTML report says where a certificate not in the
// connection came from, next to its names.
func TestProbedHTML(t *testing.T) {
	at := analysis.Time(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	for status, want := range map[string]string{
		analysis.CertProbed:    "certificate from tsid&#39;s probe of the server at 2026-12-01T10:00:00.000000Z, not from the capture",
		analysis.CertFromProbe: "certificate from the firewall&#39;s own TSID probe in the capture, not from this connection",
		"present":              "",
	} {
		r := analysis.Record{Time: at, Client: "10.12.1.8:51514", Server: "72.163.4.38:443", TLSVersion: "TLS 1.3",
			URL: "https://toos.cisco.com", Host: "toos.cisco.com", HostSource: "san", CertStatus: status, Flags: []string{"no-sni"},
			Cert: &analysis.CertRecord{CN: "tools.cisco.com", SANDNS: []string{"toos.cisco.com", "tools.cisco.com"}}}
		if status == analysis.CertProbed {
			r.ProbedAt = at
		}
		var b bytes.Buffer
		w := New("html", &b, Options{})
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(&analysis.Summary{Files: 1, TLS: 1}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if want != "" && !strings.Contains(out, `<div class="note">`+want+`</div>`) {
			t.Errorf("%s: no %q in the HTML", status, want)
		}
		if want == "" && strings.Contains(out, "certificate from") {
			t.Errorf("%s: a certificate origin note on a certificate from the connection", status)
		}
		if alone := strings.Contains(out, "Made by tsid from the capture alone"); alone == (status == analysis.CertProbed) {
			t.Errorf("%s: the footer says the capture alone: %v", status, alone)
		}
	}
}

// TestHTMLFooterSources: the footer names what the report was made from.
func TestHTMLFooterSources(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "Made by tsid from the capture alone;"},
		{Options{Events: true}, "Made by tsid from the capture, the firewall's log;"},
	} {
		var b bytes.Buffer
		w := New("html", &b, tc.o)
		if err := w.Close(&analysis.Summary{Files: 1}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("events %v: no %q in the footer", tc.o.Events, tc.want)
		}
	}
}
