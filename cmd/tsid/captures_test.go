package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/csv"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/pcaps/synth"
)

// capConv records a handshake between client and server for sni with id's
// certificate, at TLS version v (tls.VersionTLS12 or 13).
func capConv(t *testing.T, client, server, sni string, v uint16, id *synth.Identity, seed string) synth.Conversation {
	t.Helper()
	c, err := synth.Handshake(synth.Config{
		Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		ServerName: sni, MinVersion: v, MaxVersion: v,
		Cert: id, Time: namesTime, Seed: seed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// capFile writes the conversations to dir/name, each at start plus its
// offset, and returns the path.
func capFile(t *testing.T, dir, name string, opts synth.Options, convs ...capEntry) string {
	t.Helper()
	var b bytes.Buffer
	if opts.Start.IsZero() {
		opts.Start = namesTime
	}
	w, err := synth.NewWriter(&b, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range convs {
		if d := opts.Start.Add(e.at).Sub(w.Time()); d > 0 {
			w.Pause(d)
		}
		if err := w.WriteConversation(&e.conv, e.tcp); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// capEntry is one conversation of capFile, at its offset from the start.
type capEntry struct {
	conv synth.Conversation
	tcp  synth.TCP
	at   time.Duration
}

// capLeaf is a leaf for names, issued by the names CA.
func capLeaf(t *testing.T, seed string, names ...string) *synth.Identity {
	t.Helper()
	return namesLeaf(t, namesCA(t), seed, pkix.Name{CommonName: names[len(names)-1]}, names...)
}

// TestOuter: a tunnelled connection keeps its outer addresses, oriented
// like client and server, in JSON and CSV; an untunnelled one has none.
func TestOuter(t *testing.T) {
	dir := t.TempDir()
	id := capLeaf(t, "outer", "www.example.com")
	conv := capConv(t, "10.1.1.1:40000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, id, "outer")
	tun := capFile(t, dir, "vxlan.pcap", synth.Options{Encap: synth.VXLAN}, capEntry{conv: conv})
	gre := capFile(t, dir, "gre.pcap", synth.Options{Encap: synth.GRE}, capEntry{conv: conv})
	plain := capFile(t, dir, "plain.pcap", synth.Options{}, capEntry{conv: conv})

	wantClient, wantServer := synth.TunnelEnd(synth.Client).String(), synth.TunnelEnd(synth.Server).String()
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "-q", tun, gre, plain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs := decodeLines(t, out)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), out)
	}
	for i, r := range recs[:2] {
		o, _ := r["outer"].(map[string]any)
		if o == nil || o["client"] != wantClient || o["server"] != wantServer {
			t.Errorf("record %d: outer %v, want client %s server %s", i, r["outer"], wantClient, wantServer)
		}
		if r["client"] != "10.1.1.1:40000" || r["server"] != "192.0.2.80:443" || r["sni"] != "www.example.com" {
			t.Errorf("record %d: the inner flow is not reported: %v %v %v", i, r["client"], r["server"], r["sni"])
		}
	}
	if _, ok := recs[2]["outer"]; ok {
		t.Errorf("untunnelled record has outer: %v", recs[2]["outer"])
	}

	out, errs, code = runCLI(t, nil, "analyze", "-f", "csv", "-q", tun, plain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := parseCSV(t, out)
	if len(rows) != 3 {
		t.Fatalf("%d CSV rows, want 3", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["outer_client"]] != wantClient || rows[1][col["outer_server"]] != wantServer {
		t.Errorf("CSV outer cells %q %q", rows[1][col["outer_client"]], rows[1][col["outer_server"]])
	}
	if rows[2][col["outer_client"]] != "" || rows[2][col["outer_server"]] != "" {
		t.Errorf("untunnelled CSV outer cells %q %q", rows[2][col["outer_client"]], rows[2][col["outer_server"]])
	}
}

// The summary says how many packets came through tunnels and how many had
// a tag of unknown EtherType skipped.
func TestTunnelCounts(t *testing.T) {
	dir := t.TempDir()
	id := capLeaf(t, "tags", "www.example.com")
	conv := capConv(t, "10.1.1.1:40000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, id, "tags")
	tun := capFile(t, dir, "vxlan.pcap", synth.Options{Encap: synth.VXLAN}, capEntry{conv: conv})
	tag := capFile(t, dir, "tag.pcap", synth.Options{Encap: synth.UnknownTag}, capEntry{conv: conv})
	plain := capFile(t, dir, "plain.pcap", synth.Options{}, capEntry{conv: conv})
	count := func(files ...string) (tunnelled, tags string) {
		_, errs, code := runCLI(t, nil, append([]string{"analyze", "-f", "json"}, files...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		m := regexp.MustCompile(`tunnelled packets (\d+)`).FindStringSubmatch(errs)
		n := regexp.MustCompile(`unknown tags skipped (\d+)`).FindStringSubmatch(errs)
		if m != nil {
			tunnelled = m[1]
		}
		if n != nil {
			tags = n[1]
		}
		return tunnelled, tags
	}
	_, packets := capPackets(t, plain)
	if a, b := count(tun, tag); a != packets || b != packets {
		t.Errorf("tunnelled %q, unknown tags %q; want %s each", a, b, packets)
	}
	if a, b := count(plain); a != "" || b != "" {
		t.Errorf("plain capture: tunnelled %q, unknown tags %q; want neither in the summary", a, b)
	}
}

// TestOuterSwapped: when the client is the side tsid did not see first (the
// capture began with the server's packet), outer is swapped with it.
func parseCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// moved is c between other addresses: the same bytes seen at another
// capture point (NAT).
func moved(c synth.Conversation, client, server string) synth.Conversation {
	c.Client, c.Server = netip.MustParseAddrPort(client), netip.MustParseAddrPort(server)
	return c
}

// withRandom is c with its ClientHello random replaced by from's: the
// same ClientHello as far as joining goes.
func withRandom(t *testing.T, c, from synth.Conversation) synth.Conversation {
	t.Helper()
	random := func(c synth.Conversation) []byte {
		d := c.Chunks[0].Data
		if c.Chunks[0].Dir != synth.Client || len(d) < 43 || d[0] != 22 || d[5] != 1 {
			t.Fatal("the conversation does not start with a ClientHello")
		}
		return d[11:43]
	}
	c.Chunks = append([]synth.Chunk(nil), c.Chunks...)
	c.Chunks[0].Data = append([]byte(nil), c.Chunks[0].Data...)
	copy(random(c), random(from))
	return c
}

func joinRun(t *testing.T, args ...string) ([]map[string]any, string) {
	t.Helper()
	args = append([]string{"analyze", "-f", "json", "--join"}, args...)
	out, errs, code := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("tsid %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return decodeLines(t, out), errs
}

func captures(t *testing.T, r map[string]any) []map[string]any {
	t.Helper()
	list, _ := r["captures"].([]any)
	var out []map[string]any
	for _, c := range list {
		out = append(out, c.(map[string]any))
	}
	return out
}

func hasString(v any, s string) bool {
	l, _ := v.([]any)
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestJoinNAT: inside and outside captures of the same connections (NAT
// changes the client address and port, the ISNs differ) are joined on the
// ClientHello random; the capture points show the addresses on each side.
func TestJoinNAT(t *testing.T) {
	dir := t.TempDir()
	id := capLeaf(t, "join", "www.example.com")
	a := capConv(t, "10.1.1.1:40000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, id, "join-a")
	b := capConv(t, "10.1.1.2:40001", "192.0.2.80:443", "www.example.com", tls.VersionTLS13, id, "join-b")
	lone := capConv(t, "10.1.1.3:40002", "192.0.2.81:443", "lone.example.com", tls.VersionTLS12, capLeaf(t, "lone", "lone.example.com"), "join-lone")
	inside := capFile(t, dir, "inside.pcap", synth.Options{},
		capEntry{conv: a, tcp: synth.TCP{ClientISN: 100, ServerISN: 200}},
		capEntry{conv: lone, tcp: synth.TCP{ClientISN: 300, ServerISN: 400}, at: time.Second},
		capEntry{conv: b, tcp: synth.TCP{ClientISN: 500, ServerISN: 600}, at: 2 * time.Second})
	// Outside: the firewall's ISNs and PAT; b first, a later than the
	// timing window (the random joins it anyway).
	outside := capFile(t, dir, "outside.pcapng", synth.Options{Format: synth.PCAPNG, Start: namesTime.Add(10 * time.Millisecond)},
		capEntry{conv: moved(b, "198.51.100.7:61001", "192.0.2.80:443"), tcp: synth.TCP{ClientISN: 7000, ServerISN: 8000}},
		capEntry{conv: moved(a, "198.51.100.7:61000", "192.0.2.80:443"), tcp: synth.TCP{ClientISN: 9000, ServerISN: 9100}, at: 5 * time.Second})

	recs, errs := joinRun(t, inside, outside)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3 (a, lone, b)", len(recs))
	}
	want := []struct {
		client string
		points [][2]string // client, server per capture point
	}{
		{"10.1.1.1:40000", [][2]string{{"10.1.1.1:40000", "192.0.2.80:443"}, {"198.51.100.7:61000", "192.0.2.80:443"}}},
		{"10.1.1.3:40002", nil},
		{"10.1.1.2:40001", [][2]string{{"10.1.1.2:40001", "192.0.2.80:443"}, {"198.51.100.7:61001", "192.0.2.80:443"}}},
	}
	for i, w := range want {
		r := recs[i]
		if r["client"] != w.client || r["file"] != inside {
			t.Errorf("record %d: %v in %v, want %s in %s (the first capture's place)", i, r["client"], r["file"], w.client, inside)
		}
		if len(r["client_random"].(string)) != 64 {
			t.Errorf("record %d: client_random %v", i, r["client_random"])
		}
		cp := captures(t, r)
		if len(cp) != len(w.points) {
			t.Errorf("record %d: %d capture points, want %d: %v", i, len(cp), len(w.points), r["captures"])
			continue
		}
		for k, p := range w.points {
			by := map[bool]string{true: "", false: "random"}[k == 0]
			if cp[k]["client"] != p[0] || cp[k]["server"] != p[1] || cp[k]["joined_by"] != by || cp[k]["sni"] != r["sni"] {
				t.Errorf("record %d capture %d: %v", i, k, cp[k])
			}
		}
		if len(w.points) > 0 && (cp[1]["file"] != outside || cp[0]["cert_sha256"] != cp[1]["cert_sha256"]) {
			t.Errorf("record %d: second capture point %v", i, cp[1])
		}
		for _, f := range []string{analysis.FlagCertDiffers, analysis.FlagSNIDiffers} {
			if hasString(r["flags"], f) {
				t.Errorf("record %d: flag %s on the same certificate and SNI", i, f)
			}
		}
		if hasString(r["anomalies"], analysis.AnomalyJoinedByTiming) {
			t.Errorf("record %d joined by timing", i)
		}
	}
	// Issue 10: a connection seen at two capture points is one TLS
	// connection, as it is one row; its points are counted apart.
	if !strings.Contains(errs, "TCP connections 5, TLS connections 3,") || !strings.Contains(errs, "joined 2 (at 4 capture points)") {
		t.Errorf("summary: %s", errs)
	}

	// Without --join the output is as before: five records, no keys of joining.
	out, _, code := runCLI(t, nil, "analyze", "-f", "json", "-q", inside, outside)
	if recs := decodeLines(t, out); code != 0 || len(recs) != 5 || strings.Contains(out, "client_random") || strings.Contains(out, "captures") {
		t.Errorf("without --join: exit %d, %d records\n%s", code, len(recs), out)
	}
	// Parallel and one file at a time agree; the table shows the points.
	j1, _, _ := runCLI(t, nil, "analyze", "-f", "json", "--join", "-j", "1", inside, outside)
	j2, _, _ := runCLI(t, nil, "analyze", "-f", "json", "--join", "-j", "2", inside, outside)
	if j1 != j2 {
		t.Errorf("-j 1 and -j 2 differ:\n%s\n%s", j1, j2)
	}
	table, _, _ := runCLI(t, nil, "analyze", "--join", inside, outside)
	if !strings.Contains(table, "    capture: "+outside+" 198.51.100.7:61000 -> 192.0.2.80:443 sni=www.example.com cert=") ||
		!strings.Contains(table, "joined 2") {
		t.Errorf("table:\n%s", table)
	}
}

// TestJoinDiffers: the same ClientHello random with another certificate,
// or another SNI, at the other capture point is flagged.
func TestJoinDiffers(t *testing.T) {
	dir := t.TempDir()
	real := capLeaf(t, "real", "www.example.com")
	other := capLeaf(t, "inspector", "www.example.com")
	in := capConv(t, "10.1.1.1:40000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, real, "differs")
	certOut := withRandom(t, capConv(t, "198.51.100.7:61000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, other, "differs-out"), in)
	sniOut := withRandom(t, capConv(t, "198.51.100.7:61000", "192.0.2.80:443", "other.example.com", tls.VersionTLS12, real, "differs-sni"), in)
	inside := capFile(t, dir, "inside.pcap", synth.Options{}, capEntry{conv: in})

	for _, c := range []struct {
		name string
		conv synth.Conversation
		flag string
	}{
		{"cert", certOut, analysis.FlagCertDiffers},
		{"sni", sniOut, analysis.FlagSNIDiffers},
	} {
		t.Run(c.name, func(t *testing.T) {
			outside := capFile(t, dir, c.name+"-outside.pcap", synth.Options{}, capEntry{conv: c.conv})
			recs, _ := joinRun(t, "-q", inside, outside)
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1 joined", len(recs))
			}
			r := recs[0]
			if !hasString(r["flags"], c.flag) || len(captures(t, r)) != 2 {
				t.Errorf("flags %v, captures %v", r["flags"], r["captures"])
			}
			for _, f := range []string{analysis.FlagCertDiffers, analysis.FlagSNIDiffers} {
				if f != c.flag && hasString(r["flags"], f) {
					t.Errorf("flag %s too", f)
				}
			}
			// --only-flagged sees the flag joining gave.
			recs, _ = joinRun(t, "-q", "--only-flagged", inside, outside)
			if len(recs) != 1 {
				t.Errorf("--only-flagged: %d records", len(recs))
			}
		})
	}
}

// TestJoinByTiming: a re-signing decryption device sends its own
// ClientHello outside (another random) and shows the client its own
// certificate: joined on SNI, server port and time, said in an anomaly.
// Further than joinWindow apart, or to another port, nothing is joined.
func TestJoinByTiming(t *testing.T) {
	dir := t.TempDir()
	resigned := capLeaf(t, "resigned", "www.example.com")
	real := capLeaf(t, "real", "www.example.com")
	in := capConv(t, "10.1.1.1:40000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, resigned, "timing-in")
	out := capConv(t, "198.51.100.7:61000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, real, "timing-out")
	late := capConv(t, "198.51.100.7:61005", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, real, "timing-late")
	port := capConv(t, "198.51.100.7:61006", "192.0.2.80:8443", "www.example.com", tls.VersionTLS12, real, "timing-port")
	inside := capFile(t, dir, "inside.pcap", synth.Options{}, capEntry{conv: in})
	outside := capFile(t, dir, "outside.pcap", synth.Options{Start: namesTime.Add(300 * time.Millisecond)},
		capEntry{conv: port}, capEntry{conv: out, at: 100 * time.Millisecond}, capEntry{conv: late, at: 3 * time.Second})

	recs, _ := joinRun(t, "-q", inside, outside)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3 (joined, port, late)", len(recs))
	}
	r := recs[0]
	cp := captures(t, r)
	if len(cp) != 2 || cp[1]["client"] != "198.51.100.7:61000" || cp[1]["joined_by"] != "timing" {
		t.Fatalf("capture points %v", r["captures"])
	}
	if !hasString(r["anomalies"], analysis.AnomalyJoinedByTiming) || !hasString(r["flags"], analysis.FlagCertDiffers) {
		t.Errorf("anomalies %v flags %v", r["anomalies"], r["flags"])
	}
	for _, r := range recs[1:] {
		if r["captures"] != nil {
			t.Errorf("%v joined: %v", r["client"], r["captures"])
		}
	}
}

// TestJoinCap: past maxJoin records the rest are written unjoined, in
// order, with a warning.
func TestJoinCap(t *testing.T) {
	dir := t.TempDir()
	id := capLeaf(t, "cap", "www.example.com")
	a := capConv(t, "10.1.1.1:40000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, id, "cap-a")
	inside := capFile(t, dir, "inside.pcap", synth.Options{}, capEntry{conv: a})
	outside := capFile(t, dir, "outside.pcap", synth.Options{}, capEntry{conv: moved(a, "198.51.100.7:61000", "192.0.2.80:443")})
	defer func(n int) { maxJoin = n }(maxJoin)
	maxJoin = 1
	recs, errs := joinRun(t, inside, outside)
	if len(recs) != 2 || recs[0]["captures"] != nil || !strings.Contains(errs, "--join: more than 1 TLS connections") {
		t.Errorf("%d records, stderr %s", len(recs), errs)
	}
}

// probeConv is the firewall's TSID probe for sni on client's 5-tuple: a
// TLS 1.2 hello, the server's first flight with its certificate, then the
// probe closes before the client's second flight.
func probeConv(t *testing.T, client, server, sni string, id *synth.Identity) synth.Conversation {
	t.Helper()
	c := capConv(t, client, server, sni, tls.VersionTLS12, id, "probe")
	for i, ch := range c.Chunks {
		if ch.Dir == synth.Server {
			c.Chunks = append(c.Chunks[:i+1:i+1], synth.Chunk{Dir: synth.Client, FIN: true}, synth.Chunk{Dir: synth.Server, FIN: true})
			return c
		}
	}
	t.Fatal("the server sent nothing")
	return c
}

// TestProbe: a TLS 1.3 client connection without its certificate, then on
// its 5-tuple the firewall's probe with a TLS 1.2 hello alike but for the
// TLS 1.3 parts, which gets the certificate. The probe is labelled and
// linked, left out of the TLS connection count, and its certificate
// decides the client connection's host: with the SNI tools.cisco.com, which
// the certificate covers, the SNI (no longer cert-encrypted); without SNI,
// the first SAN toos.cisco.com, which nothing could tell before.
func TestProbe(t *testing.T) {
	for _, c := range []struct {
		sni, before, host, source string
	}{
		{"tools.cisco.com", "tools.cisco.com", "tools.cisco.com", "sni"},
		{"", "", "toos.cisco.com", "san"},
	} {
		t.Run("sni="+c.sni, func(t *testing.T) { testProbe(t, c.sni, c.before, c.host, c.source) })
	}
}

func testProbe(t *testing.T, sni, before, host, source string) {
	dir := t.TempDir()
	id := capLeaf(t, "probe", "toos.cisco.com", "tools.cisco.com")
	const client, server = "10.12.1.8:51514", "72.163.4.38:443"
	conn, err := synth.Handshake(synth.Config{
		Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		ServerName: sni, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13,
		Cert: id, Time: namesTime, Seed: "probe-client",
	})
	if err != nil {
		t.Fatal(err)
	}
	probe := probeConv(t, client, server, sni, id)
	// Not probes: another SNI on the same 5-tuple, and the same hello
	// again past the window.
	other := capConv(t, client, server, "other.cisco.com", tls.VersionTLS12, id, "probe-other")
	again := probeConv(t, client, server, sni, id)

	alone := capFile(t, dir, "alone.pcap", synth.Options{}, capEntry{conv: conn})
	with := capFile(t, dir, "probe.pcap", synth.Options{},
		capEntry{conv: conn, tcp: synth.TCP{ClientISN: 1000, ServerISN: 2000}},
		capEntry{conv: other, tcp: synth.TCP{ClientISN: 3000, ServerISN: 4000}, at: 500 * time.Millisecond},
		capEntry{conv: probe, tcp: synth.TCP{ClientISN: 5000, ServerISN: 6000}, at: time.Second},
		capEntry{conv: again, tcp: synth.TCP{ClientISN: 7000, ServerISN: 8000}, at: 20 * time.Second})

	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", alone)
	recs := decodeLines(t, out)
	if code != 0 || len(recs) != 1 || recs[0]["cert_status"] != "encrypted" || recs[0]["host"] != before || recs[0]["probe"] != nil {
		t.Fatalf("without the probe: exit %d %s\n%s", code, errs, out)
	}

	out, errs, code = runCLI(t, nil, "analyze", "-f", "json", with)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs = decodeLines(t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4:\n%s", len(recs), out)
	}
	c, o, p, a := recs[0], recs[1], recs[2], recs[3]
	if c["tls_version"] != "TLS 1.3" || c["cert_status"] != analysis.CertFromProbe || c["host"] != host || c["host_source"] != source || c["role"] != nil {
		t.Errorf("client connection: %v %v %v (%v) role %v", c["tls_version"], c["cert_status"], c["host"], c["host_source"], c["role"])
	}
	if hasString(c["flags"], "cert-encrypted") {
		t.Errorf("client connection still flagged cert-encrypted: %v", c["flags"])
	}
	cert, _ := c["cert"].(map[string]any)
	if cert == nil || !hasString(cert["san_dns"], "toos.cisco.com") {
		t.Errorf("client connection's cert: %v", c["cert"])
	}
	pr, _ := c["probe"].(map[string]any)
	if pr == nil || pr["time"] != p["time"] || pr["tls_version"] != "TLS 1.2" || !hasString(pr["evidence"], "certificate-used") {
		t.Errorf("client connection's probe: %v", c["probe"])
	}
	if p["role"] != analysis.RoleProbe {
		t.Errorf("probe role %v", p["role"])
	}
	po, _ := p["probe_of"].(map[string]any)
	if po == nil || po["time"] != c["time"] || po["client"] != client || po["server"] != server {
		t.Errorf("probe_of %v", p["probe_of"])
	}
	for _, r := range []map[string]any{o, a} {
		if r["role"] != nil || r["probe"] != nil || r["probe_of"] != nil {
			t.Errorf("%v at %v taken for a probe: %v %v %v", r["sni"], r["time"], r["role"], r["probe"], r["probe_of"])
		}
	}
	if !strings.Contains(errs, "TLS connections 3,") || !strings.Contains(errs, "probes 1") {
		t.Errorf("summary %s", errs)
	}

	// The table: the probe's row says what it is.
	table, _, _ := runCLI(t, nil, "analyze", with)
	if !strings.Contains(table, "    tsid-probe of 10.12.1.8:51514 -> 72.163.4.38:443 at ") ||
		!strings.Contains(table, "    probe: ") || !strings.Contains(table, "probes 1") {
		t.Errorf("table:\n%s", table)
	}
}

// capPackets returns the packet count of a capture from tsid's summary.
func capPackets(t *testing.T, file string) (string, string) {
	t.Helper()
	_, errs, _ := runCLI(t, nil, "analyze", "-f", "json", file)
	m := regexp.MustCompile(`packets (\d+)`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("no summary: %s", errs)
	}
	return file, m[1]
}
