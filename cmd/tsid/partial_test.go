package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/sniid"
)

// Issue 10: what the capture did not show is unknown. A ClientHello not
// read whole leaves the SNI unknown, never absent: no no-sni, no
// prediction that needs the SNI, and the profiles that decide without it
// (cisco-doc: CN first) still decide.

// pcapPacket is one record of a little-endian microsecond pcap.
type pcapPacket struct {
	hdr  []byte // the 16-byte record header
	data []byte
}

// splitPcap returns the global header and the records of file.
func splitPcap(t *testing.T, file []byte) ([]byte, []pcapPacket) {
	t.Helper()
	offs := pcapRecords(t, file)
	var pkts []pcapPacket
	for i, off := range offs {
		end := len(file)
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		pkts = append(pkts, pcapPacket{hdr: bytes.Clone(file[off : off+16]), data: bytes.Clone(file[off+16 : end])})
	}
	return bytes.Clone(file[:24]), pkts
}

func joinPcap(head []byte, pkts []pcapPacket) []byte {
	b := bytes.Clone(head)
	for _, p := range pkts {
		b = append(append(b, p.hdr...), p.data...)
	}
	return b
}

// tcpPayloadAt returns where the TCP payload of an Ethernet/IPv4 frame
// starts, or -1 when the frame is something else.
func tcpPayloadAt(frame []byte) int {
	if len(frame) < 14+20 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 || frame[14+9] != 6 {
		return -1
	}
	tcp := 14 + int(frame[14]&0x0f)*4
	if len(frame) < tcp+20 {
		return -1
	}
	return tcp + int(frame[tcp+12]>>4)*4
}

// helloIndex is the index of the packet carrying the ClientHello.
func helloIndex(t *testing.T, pkts []pcapPacket) int {
	t.Helper()
	for i, p := range pkts {
		if at := tcpPayloadAt(p.data); at > 0 && len(p.data) > at+5 && p.data[at] == 0x16 && p.data[at+5] == 1 {
			return i
		}
	}
	t.Fatal("no ClientHello in the sample")
	return -1
}

// shortened is p with its TCP payload cut to n bytes on the wire (the IP
// length says so too): the sender sent only those.
func shortened(p pcapPacket, n int) pcapPacket {
	at := tcpPayloadAt(p.data)
	data := bytes.Clone(p.data[:at+n])
	binary.BigEndian.PutUint16(data[14+2:], uint16(len(data)-14))
	hdr := bytes.Clone(p.hdr)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(len(data)))
	return pcapPacket{hdr: hdr, data: data}
}

// snapped is p as a snap length keeps it: n bytes of TCP payload captured
// of a longer packet.
func snapped(p pcapPacket, n int) pcapPacket {
	at := tcpPayloadAt(p.data)
	hdr := bytes.Clone(p.hdr)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(at+n))
	return pcapPacket{hdr: hdr, data: bytes.Clone(p.data[:at+n])}
}

// damagedFieldCases writes the field case with its ClientHello damaged
// in each way a capture loses one; want is cisco-doc's host ("" when the
// capture has no certificate either).
func damagedFieldCases(t *testing.T) []struct{ name, file, ciscoDoc string } {
	t.Helper()
	b, err := os.ReadFile(fieldCase)
	if err != nil {
		t.Fatal(err)
	}
	head, pkts := splitPcap(t, b)
	h := helloIndex(t, pkts)
	dir := t.TempDir()
	write := func(name string, ps ...[]pcapPacket) string {
		var all []pcapPacket
		for _, p := range ps {
			all = append(all, p...)
		}
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, joinPcap(head, all), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	one := func(p pcapPacket) []pcapPacket { return []pcapPacket{p} }
	return []struct{ name, file, ciscoDoc string }{
		{"hello segment lost", write("lost.pcap", pkts[:h], pkts[h+1:]), "tools.cisco.com"},
		{"hello cut to 60 bytes by the snap length", write("snap60.pcap", pkts[:h], one(snapped(pkts[h], 60)), pkts[h+1:]), "tools.cisco.com"},
		{"40 bytes of hello, the rest lost", write("first40.pcap", pkts[:h], one(shortened(pkts[h], 40)), pkts[h+1:]), "tools.cisco.com"},
		{"40 bytes of hello, then nothing", write("only40.pcap", pkts[:h], one(shortened(pkts[h], 40))), ""},
	}
}

// checkSNIUnknown checks one record whose ClientHello was not read whole.
func checkSNIUnknown(t *testing.T, r map[string]any, ciscoDoc string) {
	t.Helper()
	if r["sni"] != "" || r["sni_status"] != "unknown" {
		t.Errorf("sni %q sni_status %v, want \"\" unknown", r["sni"], r["sni_status"])
	}
	for _, f := range []string{"no-sni", "near-miss", "host-differs", "profiles-disagree", "ip-sni", "ech", "sslv2-hello"} {
		for _, g := range r["flags"].([]any) {
			if g == f || strings.HasPrefix(g.(string), f+":") {
				t.Errorf("flag %v asserted from a ClientHello not read whole (flags %v)", g, r["flags"])
			}
		}
	}
	if !hasString(r["flags"], "incomplete") {
		t.Errorf("flags %v: want incomplete", r["flags"])
	}
	if r["alpn"] != nil || r["offered_versions"] != nil {
		t.Errorf("alpn %v offered_versions %v from a ClientHello not read whole", r["alpn"], r["offered_versions"])
	}
	if r["host"] != "" || r["url"] != "" || r["host_unknown"] != sniid.NeedsSNI {
		t.Errorf("ftd: host %q url %q host_unknown %q, want none and %q", r["host"], r["url"], r["host_unknown"], sniid.NeedsSNI)
	}
	profiles := r["profiles"].(map[string]any)
	for _, p := range []string{"ftd", "snort3", "snort-open", "paloalto", "fortinet", "checkpoint"} {
		hp := profiles[p].(map[string]any)
		if hp["host"] != "" || hp["unknown"] != sniid.NeedsSNI {
			t.Errorf("%s: %v, want unknown: %s", p, hp, sniid.NeedsSNI)
		}
	}
	cd := profiles["cisco-doc"].(map[string]any)
	switch {
	case ciscoDoc != "" && (cd["host"] != ciscoDoc || cd["host_source"] != "cn"):
		t.Errorf("cisco-doc %v, want %s from the CN", cd, ciscoDoc)
	case ciscoDoc == "" && (cd["host"] != "" || cd["unknown"] == nil || cd["unknown"] == sniid.NeedsSNI):
		t.Errorf("cisco-doc %v, want unknown for want of the certificate", cd)
	}
}

func TestSNIUnknownFieldCase(t *testing.T) {
	repoRoot(t)
	for _, tc := range damagedFieldCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--profile", "all", "--explain", tc.file)
			recs := decodeLines(t, out)
			if code != 0 || len(recs) != 1 {
				t.Fatalf("exit %d, %d records: %s", code, len(recs), errs)
			}
			checkSNIUnknown(t, recs[0], tc.ciscoDoc)
			if !strings.Contains(errs, "without SNI 0, SNI unknown 1,") {
				t.Errorf("summary %q: want without SNI 0, SNI unknown 1", errs)
			}
			// The explain trace says why the step cannot decide.
			steps := recs[0]["explain"].(map[string]any)["steps"].([]any)
			if first := steps[0].(map[string]any); len(steps) != 1 || first["field"] != "sni*" || first["taken"] != false ||
				!strings.HasPrefix(first["why"].(string), "unknown") {
				t.Errorf("ftd trace %v", steps)
			}

			explained, _, _ := runCLI(t, nil, "analyze", "--explain", tc.file)
			if !strings.Contains(explained, "      sni                    (unknown: the ClientHello is not in the capture whole)\n") ||
				strings.Contains(explained, "(absent)") {
				t.Errorf("--explain: want the SNI candidate unknown, not absent:\n%s", explained)
			}
			table, _, _ := runCLI(t, nil, "analyze", tc.file)
			lines := strings.Split(table, "\n")
			if len(lines) < 2 || !strings.Contains(lines[1], "  ?  ") || strings.Contains(table, "no-sni") ||
				!strings.Contains(table, "host unknown: "+sniid.NeedsSNI) {
				t.Errorf("table: want '?' in the SNI and URL columns, the reason, no no-sni:\n%s", table)
			}
			csv, _, _ := runCLI(t, nil, "analyze", "-f", "csv", tc.file)
			if rows := strings.Split(strings.TrimSpace(csv), "\n"); len(rows) != 2 || !strings.Contains(rows[0], ",sni_status,transport,") || !strings.Contains(rows[1], ",unknown,tcp,") {
				t.Errorf("csv: want an sni_status column 'unknown':\n%s", csv)
			}
		})
	}
}

// TestSNIUnknownOneWay: the two halves of one connection captured apart
// (nDPI's unidirectional captures). The server's half keeps its
// certificate, but its SNI is unknown; the client's half has its SNI, but
// the server's answer is unknown, not missing.
func TestSNIUnknownOneWay(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "pcaps", "ndpi")
	server := filepath.Join(dir, "tls_1.2_unidirectional_server.pcapng")
	client := filepath.Join(dir, "tls_1.2_unidirectional_client.pcapng")
	if _, err := os.Stat(server); err != nil {
		t.Skipf("shared corpus not found (%v); set TSID_CORPUS to run this test", err)
	}
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--profile", "all", server)
	recs := decodeLines(t, out)
	if code != 0 || len(recs) != 1 {
		t.Fatalf("server half: exit %d, %d records: %s", code, len(recs), errs)
	}
	r := recs[0]
	checkSNIUnknown(t, r, "upload.video.google.com")
	if r["cert_status"] != "present" || !hasString(r["anomalies"], "clienthello-not-captured") {
		t.Errorf("server half: cert_status %v anomalies %v", r["cert_status"], r["anomalies"])
	}

	out, errs, code = runCLI(t, nil, "analyze", "-f", "json", "--profile", "all", client)
	recs = decodeLines(t, out)
	if code != 0 || len(recs) != 1 {
		t.Fatalf("client half: exit %d, %d records: %s", code, len(recs), errs)
	}
	r = recs[0]
	if r["sni"] != "notifications-pa.googleapis.com" || r["sni_status"] != "present" || r["host"] != r["sni"] {
		t.Errorf("client half: sni %v (%v), host %v", r["sni"], r["sni_status"], r["host"])
	}
	if r["cert_status"] != "incomplete" || !hasString(r["anomalies"], analysis.AnomalyServerNotCaptured) || !hasString(r["flags"], "incomplete") {
		t.Errorf("client half: cert_status %v anomalies %v flags %v, want incomplete, %s", r["cert_status"], r["anomalies"], r["flags"], analysis.AnomalyServerNotCaptured)
	}
	if cd := r["profiles"].(map[string]any)["cisco-doc"].(map[string]any); cd["host"] != "" || cd["unknown"] == nil {
		t.Errorf("client half: cisco-doc %v, want unknown (no certificate)", cd)
	}
}

// TestServerSilentIsMissing: a server whose packets were captured but
// that sent no TLS (it reset the connection) sent no certificate: that
// stays missing, not incomplete.
func TestServerSilentIsMissing(t *testing.T) {
	repoRoot(t)
	b, err := os.ReadFile(fieldCase)
	if err != nil {
		t.Fatal(err)
	}
	head, pkts := splitPcap(t, b)
	h := helloIndex(t, pkts)
	// The server's RST answers the ClientHello: SYN-ACK's sender, flags RST|ACK.
	rst := pcapPacket{hdr: bytes.Clone(pkts[h-2].hdr), data: bytes.Clone(pkts[h-2].data)}
	at := 14 + int(rst.data[14]&0x0f)*4
	rst.data[at+13] = 0x14 // RST, ACK
	f := filepath.Join(t.TempDir(), "rst.pcap")
	if err := os.WriteFile(f, joinPcap(head, append(append([]pcapPacket(nil), pkts[:h+1]...), rst)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", f)
	recs := decodeLines(t, out)
	if code != 0 || len(recs) != 1 {
		t.Fatalf("exit %d, %d records: %s", code, len(recs), errs)
	}
	if r := recs[0]; r["cert_status"] != "missing" || hasString(r["anomalies"], analysis.AnomalyServerNotCaptured) || r["sni_status"] != "absent" {
		t.Errorf("cert_status %v sni_status %v anomalies %v, want missing, absent, no %s", r["cert_status"], r["sni_status"], r["anomalies"], analysis.AnomalyServerNotCaptured)
	}
}

// TestSNIUnknownRules: with URL rules, a connection whose logged host
// needs an SNI the capture did not show gets no verdict for that host:
// rules check counts it among those not compared, and says why.
func TestSNIUnknownRules(t *testing.T) {
	repoRoot(t)
	cases := damagedFieldCases(t)
	rules := filepath.Join(t.TempDir(), "lic.rules")
	if err := os.WriteFile(rules, []byte("allow tools.cisco.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--rules", rules, "--fail-on", "verdict-differs", cases[0].file)
	recs := decodeLines(t, out)
	if code != 0 || len(recs) != 1 {
		t.Fatalf("exit %d (want 0: nothing is known to differ), %d records: %s", code, len(recs), errs)
	}
	if r := recs[0]; r["verdict"] != nil || hasString(r["flags"], analysis.FlagVerdictDiffers) {
		t.Errorf("verdict %v flags %v: a verdict for a host the capture cannot tell", r["verdict"], r["flags"])
	}
	report, errs, code := runCLI(t, nil, "rules", "check", "--rules", rules, cases[0].file, fieldCase)
	if code != 0 {
		t.Fatalf("rules check: exit %d: %s", code, errs)
	}
	want := "1 connection not compared:\n  1  the host ftd logs " + sniid.NeedsSNI + "\n     first: " + cases[0].file
	if !strings.Contains(report, want) {
		t.Errorf("rules check report lacks %q:\n%s", want, report)
	}
	// Alone, it leaves nothing compared: "none" is not claimed.
	alone, _, _ := runCLI(t, nil, "rules", "check", "--rules", rules, cases[0].file)
	if !strings.Contains(alone, "verdict-differs: none found, but no connection could be compared (below).") ||
		strings.Contains(alone, "each logged host gets") {
		t.Errorf("rules check on a connection it cannot compare:\n%s", alone)
	}
	// The field case itself is compared, and differs.
	if !strings.Contains(report, "verdict-differs: 1 connection") {
		t.Errorf("rules check report: the field case's verdict-differs is missing:\n%s", report)
	}
}

// TestREADMENotComparedExample: the README's "not compared" block is what
// rules check prints for the field case with its ClientHello lost.
func TestREADMENotComparedExample(t *testing.T) {
	repoRoot(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const head = "1 connection not compared:\n"
	i := strings.Index(string(readme), head)
	if i < 0 {
		t.Fatal("README lacks the not-compared example")
	}
	want := string(readme[i:])
	want = want[:strings.Index(want, "```")]

	lost, err := os.ReadFile(damagedFieldCases(t)[0].file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"lost.pcap": lost, "lic.rules": []byte("allow tools.cisco.com\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	out, errs, code := runCLI(t, nil, "rules", "check", "--rules", "lic.rules", "lost.pcap")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	j := strings.Index(out, head)
	if j < 0 || !strings.HasPrefix(out[j:], want) {
		t.Errorf("README example:\n%s\nreal output:\n%s", want, out)
	}
}
