package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/internal/loopback"
	"github.com/tsid-project/tsid/internal/samplepki"
	"github.com/tsid-project/tsid/pcaps/synth"
)

// The tests of tsid probe and analyze --probe-missing talk only to
// servers they start on 127.0.0.1.

// probeTime is the clock of the probes in these tests (probeClock): the
// samples' certificates are valid then.
var probeTime = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// fieldCaseServer starts a crypto/tls server with the field case's chain
// speaking the versions minV to maxV.
func fieldCaseServer(t *testing.T, minV, maxV uint16) loopback.Server {
	t.Helper()
	id, err := samplepki.FieldCase()
	if err != nil {
		t.Fatal(err)
	}
	return loopback.TLS(t, id.TLSCertificate(), minV, maxV)
}

// wwwServer starts a TLS 1.3 server with www.example.com's chain: the
// server of testdata/samples/tls13.pcap.
func wwwServer(t *testing.T) loopback.Server {
	t.Helper()
	ca, err := samplepki.CA()
	if err != nil {
		t.Fatal(err)
	}
	id, err := samplepki.WWW(ca)
	if err != nil {
		t.Fatal(err)
	}
	return loopback.TLS(t, id.TLSCertificate(), tls.VersionTLS13, tls.VersionTLS13)
}

// route is where a dial of an address the test stands for goes, and the
// addresses its connection reports ("" keeps the real one), so that output
// does not depend on the ports the test got.
type route struct{ to, remote, local string }

// dialMap is the probes' dialer in these tests: routes maps the addresses
// asked for (a capture's server address, the README's port, a name) to
// loopback servers; it counts the dials.
type dialMap struct {
	mu     sync.Mutex
	routes map[string]route
	dials  []string
}

// withProbeSeams sets the probes' dialer (routes; other addresses are
// dialled as they are) and clock until the test ends.
func withProbeSeams(t *testing.T, routes map[string]route) *dialMap {
	t.Helper()
	m := &dialMap{routes: routes}
	probeDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		m.mu.Lock()
		m.dials = append(m.dials, addr)
		r, ok := m.routes[addr]
		m.mu.Unlock()
		if !ok {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		c, err := (&net.Dialer{}).DialContext(ctx, network, r.to)
		if err != nil {
			return nil, err
		}
		mc := &mappedConn{Conn: c, remote: c.RemoteAddr(), local: c.LocalAddr()}
		if r.remote != "" {
			mc.remote = addrOf(r.remote)
		}
		if r.local != "" {
			mc.local = addrOf(r.local)
		}
		return mc, nil
	}
	probeClock = func() time.Time { return probeTime }
	t.Cleanup(func() { probeDial, probeClock = nil, nil })
	return m
}

func (m *dialMap) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.dials)
}

func addrOf(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

type mappedConn struct {
	net.Conn
	remote, local net.Addr
}

func (c *mappedConn) RemoteAddr() net.Addr { return c.remote }
func (c *mappedConn) LocalAddr() net.Addr  { return c.local }

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProbeCmdFieldCase: the field case's server, TLS 1.2 only and TLS 1.3
// only: without SNI FTD logs toos.cisco.com, with tools.cisco.com that.
func TestProbeCmdFieldCase(t *testing.T) {
	withProbeSeams(t, nil)
	for _, tc := range []struct {
		name       string
		minV, maxV uint16
		args       []string
		host, src  string
		status     string
		flags      []any
	}{
		{"tls12-no-sni", tls.VersionTLS12, tls.VersionTLS12, []string{"--no-sni"}, "toos.cisco.com", "san", "present",
			[]any{"no-sni", "near-miss:tools.cisco.com", "profiles-disagree"}},
		{"tls12-sni", tls.VersionTLS12, tls.VersionTLS12, []string{"--sni", "tools.cisco.com"}, "tools.cisco.com", "sni", "present", []any{}},
		{"tls13-no-sni", tls.VersionTLS13, tls.VersionTLS13, nil, "toos.cisco.com", "san", "probed",
			[]any{"no-sni", "near-miss:tools.cisco.com", "profiles-disagree", "probed"}},
		{"tls13-sni", tls.VersionTLS13, tls.VersionTLS13, []string{"--sni", "tools.cisco.com"}, "tools.cisco.com", "sni", "probed", []any{"probed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fieldCaseServer(t, tc.minV, tc.maxV)
			args := append(append([]string{"probe", "--timeout", "500ms", "-f", "json"}, tc.args...), srv.Addr)
			out, errs, code := runCLI(t, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			recs := decodeLines(t, out)
			if len(recs) != 1 {
				t.Fatalf("%d records:\n%s", len(recs), out)
			}
			r := recs[0]
			got := map[string]any{"host": r["host"], "host_source": r["host_source"], "url": r["url"],
				"cert_status": r["cert_status"], "flags": r["flags"], "server": r["server"]}
			want := map[string]any{"host": tc.host, "host_source": tc.src, "url": "https://" + tc.host,
				"cert_status": tc.status, "flags": tc.flags, "server": srv.Addr}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
			p, _ := r["probed"].(map[string]any)
			if p == nil || p["target"] != srv.Addr || p["verified"] != false ||
				p["verify_error"] != "x509: certificate signed by unknown authority" || p["tls_asked"] != "TLS 1.2-1.3" {
				t.Errorf("probed %v", r["probed"])
			}
			if (tc.status == "probed") != (r["probed_at"] == "2026-11-20T08:00:00.000000Z") {
				t.Errorf("cert_status %v, probed_at %v", r["cert_status"], r["probed_at"])
			}
			if want := "tsid: targets 1, answered 1, failed 0, flagged "; !strings.HasPrefix(errs, want) {
				t.Errorf("stderr %q, want the summary", errs)
			}
			// The table shows the URL FTD logs, and the verification.
			out, _, _ = runCLI(t, nil, append(append([]string{"probe", "--timeout", "500ms"}, tc.args...), srv.Addr)...)
			for _, want := range []string{"https://" + tc.host, "    probed: " + srv.Addr + " (TLS 1.2-1.3 offered); chain not verified: x509: certificate signed by unknown authority"} {
				if !strings.Contains(out, want) {
					t.Errorf("table lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestProbeCmdNameTarget: a name is resolved (here: mapped), sent as SNI
// unless --no-sni, and is the name the client meant.
func TestProbeCmdNameTarget(t *testing.T) {
	srv := fieldCaseServer(t, tls.VersionTLS12, tls.VersionTLS13)
	withProbeSeams(t, map[string]route{"tools.cisco.com:443": {to: srv.Addr, remote: "72.163.4.38:443", local: "127.0.0.1:50001"}})
	for _, tc := range []struct {
		args       []string
		sni, host  string
		flags      []any
		dns        []any
		server     string
		wantSNISrv string
	}{
		{nil, "tools.cisco.com", "tools.cisco.com", []any{"probed"}, []any{"tools.cisco.com"}, "72.163.4.38:443", "tools.cisco.com"},
		{[]string{"--no-sni"}, "", "toos.cisco.com", []any{"no-sni", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree", "probed"},
			[]any{"tools.cisco.com"}, "72.163.4.38:443", ""},
	} {
		out, errs, code := runCLI(t, nil, append(append([]string{"probe", "-f", "json"}, tc.args...), "tools.cisco.com")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errs)
		}
		r := decodeLines(t, out)[0]
		got := map[string]any{"sni": r["sni"], "host": r["host"], "flags": r["flags"], "dns_names": r["dns_names"], "server": r["server"], "client": r["client"]}
		want := map[string]any{"sni": tc.sni, "host": tc.host, "flags": tc.flags, "dns_names": tc.dns, "server": tc.server, "client": "127.0.0.1:50001"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, diff)
		}
	}
	if diff := cmp.Diff([]string{"tools.cisco.com", ""}, srv.SNIs()); diff != "" {
		t.Errorf("SNIs the server got (-want +got):\n%s", diff)
	}
}

// TestProbeCmdFailures: a refused port, a silent server, a server that is
// not TLS: one line naming the target, within the timeout, exit 2 when no
// target answered; with one good target among them, it is printed and the
// exit status is 1.
func TestProbeCmdFailures(t *testing.T) {
	withProbeSeams(t, nil)
	good := fieldCaseServer(t, tls.VersionTLS12, tls.VersionTLS13)
	refused := loopback.Refused(t)
	silent := loopback.Silent(t)
	notTLS := loopback.Answering(t, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	lines := map[string]string{
		refused: "tsid: probe " + refused + ": connection refused\n",
		silent:  "tsid: probe " + silent + ": no answer within 500ms (the server accepted the connection but did not answer the ClientHello)\n",
		notTLS:  `tsid: probe ` + notTLS + `: not TLS: the server answered "HTTP/1.1 400 Bad Request"` + "\n",
	}
	for _, addr := range []string{refused, silent, notTLS} {
		start := time.Now()
		out, errs, code := runCLI(t, nil, "probe", "--timeout", "500ms", addr)
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s: took %v with --timeout 500ms", addr, took)
		}
		if code != 2 || out != "" || errs != lines[addr] {
			t.Errorf("%s: exit %d, stdout %q, stderr\n got %q\nwant %q", addr, code, out, errs, lines[addr])
		}
	}
	out, errs, code := runCLI(t, nil, "probe", "--timeout", "500ms", "--no-sni", refused, good.Addr)
	if code != 1 {
		t.Errorf("one of two answered: exit %d, want 1", code)
	}
	if errs != lines[refused] {
		t.Errorf("stderr %q, want %q", errs, lines[refused])
	}
	if !strings.Contains(out, "https://toos.cisco.com") || !strings.Contains(out, "targets 2, answered 1, failed 1, flagged 1") {
		t.Errorf("stdout lacks the good target or the summary:\n%s", out)
	}
	if strings.Contains(out, refused) {
		t.Errorf("the refused target is on stdout:\n%s", out)
	}
}

// TestProbeCmdVia: through a CONNECT proxy: the record's server is the
// proxy, connect_name the target, probed.via the proxy.
func TestProbeCmdVia(t *testing.T) {
	withProbeSeams(t, nil)
	srv := fieldCaseServer(t, tls.VersionTLS12, tls.VersionTLS13)
	proxy := loopback.ConnectProxy(t, http.StatusOK, func(authority string) (net.Conn, error) {
		if authority != "tools.cisco.com:443" {
			return nil, fmt.Errorf("unexpected %s", authority)
		}
		return net.Dial("tcp", srv.Addr)
	})
	out, errs, code := runCLI(t, nil, "probe", "-f", "json", "--no-sni", "--via", proxy.Addr, "tools.cisco.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r := decodeLines(t, out)[0]
	p, _ := r["probed"].(map[string]any)
	got := map[string]any{"server": r["server"], "connect_name": r["connect_name"], "host": r["host"], "via": p["via"], "target": p["target"], "dns_names": r["dns_names"]}
	want := map[string]any{"server": proxy.Addr, "connect_name": "tools.cisco.com", "host": "toos.cisco.com", "via": proxy.Addr,
		"target": "tools.cisco.com:443", "dns_names": []any{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("via proxy (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CONNECT tools.cisco.com:443"}, proxy.Targets()); diff != "" {
		t.Errorf("proxy asked (-want +got):\n%s", diff)
	}
	refusing := loopback.ConnectProxy(t, http.StatusProxyAuthRequired, nil)
	_, errs, code = runCLI(t, nil, "probe", "--via", refusing.Addr, "tools.cisco.com")
	want407 := `tsid: probe tools.cisco.com:443: proxy ` + refusing.Addr + ` refused the tunnel: "HTTP/1.1 407 Proxy Authentication Required"` + "\n"
	if code != 2 || errs != want407 {
		t.Errorf("refusing proxy: exit %d\n got %q\nwant %q", code, errs, want407)
	}
}

// TestProbeCmdUsage: what tsid probe refuses before connecting anywhere.
func TestProbeCmdUsage(t *testing.T) {
	m := withProbeSeams(t, nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, "tsid: probe: no target given"},
		{[]string{"probe", "https://tools.cisco.com/"}, `tsid: probe: target "https://tools.cisco.com/": a URL; give HOST[:PORT] (tools.cisco.com)`},
		{[]string{"probe", "10.1.1.300"}, `tsid: probe: target "10.1.1.300": "10.1.1.300" is not an IP address`},
		{[]string{"probe", "--sni", "a.example", "--no-sni", "10.1.1.1"}, "tsid: probe: --sni and --no-sni contradict each other"},
		{[]string{"probe", "--sni", "10.1.1.1", "10.1.1.1"}, `tsid: probe: --sni "10.1.1.1": an IP address is not sent as SNI`},
		{[]string{"probe", "--sni", "a.example.", "10.1.1.1"}, `tsid: probe: --sni "a.example.": want a host name`},
		{[]string{"probe", "--tls", "1.1", "10.1.1.1"}, `tsid: probe: --tls "1.1": want 1.2 or 1.3`},
		{[]string{"probe", "--timeout", "0s", "10.1.1.1"}, "tsid: probe: --timeout 0s: want a positive duration"},
		{[]string{"probe", "--via", "proxy", "10.1.1.1"}, `tsid: probe: --via: proxy "proxy": want HOST:PORT or http://HOST:PORT`},
		{[]string{"probe", "--via", "https://p:443", "10.1.1.1"}, `tsid: probe: --via: proxy "https://p:443": want http://HOST:PORT`},
		{[]string{"probe", "-f", "html", "10.1.1.1"}, `tsid: probe: --format "html" is not one of table, json, csv`},
		{[]string{"probe", "--profile", "auto", "10.1.1.1"}, "tsid: probe: --profile auto needs the firewall's log"},
		{[]string{"probe", "--profile", "nope", "10.1.1.1"}, `tsid: probe: --profile "nope" is not a profile`},
		{[]string{"probe", "--trust", "/nonexistent/ca.pem", "10.1.1.1"}, "tsid: --trust /nonexistent/ca.pem: no such file or directory"},
		{[]string{"probe", "--bogus", "10.1.1.1"}, "tsid: probe: unknown flag: --bogus"},
		{[]string{"analyze", "--probe-timeout", "1s", "x.pcap"}, "tsid: analyze: --probe-timeout needs --probe-missing"},
		{[]string{"analyze", "--probe-via", "p:1", "x.pcap"}, "tsid: analyze: --probe-via needs --probe-missing"},
		{[]string{"analyze", "--probe-missing", "--probe-via", "p", "x.pcap"}, `tsid: analyze: --probe-via: proxy "p": want HOST:PORT`},
		{[]string{"rules", "check", "--rules", "x.rules", "--probe-timeout", "1s", "x.pcap"}, "tsid: rules check: --probe-timeout needs --probe-missing"},
	} {
		out, errs, code := runCLI(t, nil, tc.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
	if n := m.count(); n != 0 {
		t.Errorf("usage errors dialled %d times", n)
	}
	out, _, code := runCLI(t, nil, "help", "probe")
	if code != 0 || !strings.Contains(out, "Usage: tsid probe [flags] HOST[:PORT]...") || !strings.Contains(out, "tsid probe --no-sni tools.cisco.com") {
		t.Errorf("tsid help probe: exit %d\n%s", code, out)
	}
	out, _, _ = runCLI(t, nil, "help")
	if !strings.Contains(out, "tsid probe [flags] HOST[:PORT]...") {
		t.Errorf("tsid help lacks probe:\n%s", out)
	}
}

// TestAnalyzeProbeMissing: analyze --probe-missing asks the server of each
// connection whose certificate TLS 1.3 hid, once per server and SNI, says
// so on stderr (also with -q), and decides on that certificate; without
// the flag nothing is dialled.
func TestAnalyzeProbeMissing(t *testing.T) {
	repoRoot(t)
	srv := wwwServer(t)
	m := withProbeSeams(t, map[string]route{"198.51.100.20:443": {to: srv.Addr}})
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--profile", "all", "--probe-missing", "--probe-timeout", "500ms",
		"testdata/samples/tls13.pcap", "testdata/samples/tls13.pcap")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs := decodeLines(t, out)
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs {
		src, flags := "sni", []any{"probed"}
		if i%2 == 1 {
			src, flags = "san", []any{"no-sni", "profiles-disagree", "probed"}
		}
		got := map[string]any{"cert_status": r["cert_status"], "probed_at": r["probed_at"], "host": r["host"], "host_source": r["host_source"], "flags": r["flags"]}
		want := map[string]any{"cert_status": "probed", "probed_at": "2026-11-20T08:00:00.000000Z", "host": "www.example.com", "host_source": src, "flags": flags}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("record %d (-want +got):\n%s", i, diff)
		}
	}
	wantErr := "tsid: probing 198.51.100.20:443 (sni www.example.com) for its certificate\n" +
		"tsid: probing 198.51.100.20:443 (no sni) for its certificate\n"
	if !strings.HasPrefix(errs, wantErr) {
		t.Errorf("stderr\n got %q\nwant %q first", errs, wantErr)
	}
	if n := m.count(); n != 2 {
		t.Errorf("dialled %d times, want once per SNI", n)
	}
	if diff := cmp.Diff([]string{"", "www.example.com"}, slices.Sorted(slices.Values(srv.SNIs()))); diff != "" {
		t.Errorf("SNIs (-want +got):\n%s", diff)
	}

	// -q keeps the list of servers contacted.
	_, errs, _ = runCLI(t, nil, "analyze", "-q", "--probe-missing", "testdata/samples/tls13.pcap")
	if strings.Count(errs, "tsid: probing 198.51.100.20:443") != 2 {
		t.Errorf("-q: stderr %q, want the servers probed", errs)
	}

	// Without the flag: offline.
	before := m.count()
	out, _, _ = runCLI(t, nil, "analyze", "-f", "json", "testdata/samples/tls13.pcap")
	if m.count() != before {
		t.Errorf("analyze without --probe-missing dialled")
	}
	for _, r := range decodeLines(t, out) {
		if r["cert_status"] != "encrypted" || r["probed_at"] != nil {
			t.Errorf("without the flag: %v %v", r["cert_status"], r["probed_at"])
		}
	}

	// A server that refuses: said once, the records as without the flag.
	refused := loopback.Refused(t)
	withProbeSeams(t, map[string]route{"198.51.100.20:443": {to: refused}})
	out, errs, code = runCLI(t, nil, "analyze", "-f", "json", "--probe-missing", "testdata/samples/tls13.pcap")
	if code != 0 {
		t.Errorf("refused: exit %d", code)
	}
	wantErr = "tsid: probing 198.51.100.20:443 (sni www.example.com) for its certificate\n" +
		"tsid: probe 198.51.100.20:443 (sni www.example.com): connection refused; its connections keep the certificate unknown\n"
	if !strings.HasPrefix(errs, wantErr) || strings.Count(errs, "connection refused") != 1 {
		t.Errorf("refused: stderr\n got %q\nwant %q", errs, wantErr)
	}
	for _, r := range decodeLines(t, out) {
		if r["cert_status"] != "encrypted" {
			t.Errorf("refused: cert_status %v", r["cert_status"])
		}
	}

	// rules check takes it too.
	rules := filepath.Join(t.TempDir(), "r.rules")
	writeFile(t, rules, "allow www.example.com\n")
	withProbeSeams(t, map[string]route{"198.51.100.20:443": {to: srv.Addr}})
	out, errs, code = runCLI(t, nil, "rules", "check", "--rules", rules, "--probe-missing", "testdata/samples/tls13.pcap")
	if code != 0 || !strings.Contains(errs, "tsid: probing 198.51.100.20:443") {
		t.Errorf("rules check --probe-missing: exit %d, stderr %q\n%s", code, errs, out)
	}
}

// TestProbeCmdOpenSSL: the acceptance test, against OpenSSL's TLS 1.3
// server with the field case's chain: without SNI, ftd logs
// https://toos.cisco.com.
func TestProbeCmdOpenSSL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the openssl s_server test")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (apt-get install openssl); skipping the s_server probe test")
	}
	withProbeSeams(t, nil)
	dir := t.TempDir()
	if _, err := samplepki.WritePEM(dir); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	srv := exec.Command("openssl", "s_server", "-tls1_3", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", filepath.Join(dir, samplepki.ToolsFile), "-key", filepath.Join(dir, samplepki.ToolsKeyFile),
		"-cert_chain", filepath.Join(dir, samplepki.CAFile), "-www", "-quiet", "-naccept", "1")
	srv.Stdin = strings.NewReader("")
	var serr bytes.Buffer
	srv.Stderr = &serr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	waitPort(t, port)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	out, errs, code := runCLI(t, nil, "probe", "--no-sni", "--profile", "all", addr)
	if code != 0 {
		t.Fatalf("exit %d: %s\nopenssl: %s", code, errs, serr.String())
	}
	row := regexp.MustCompile(`(?m)^\S+ \S+ +127\.0\.0\.1:\d+ +` + regexp.QuoteMeta(addr) + ` +1\.3 +- +https://toos\.cisco\.com +san$`)
	if !row.MatchString(out) || !strings.Contains(out, "ftd=toos.cisco.com (san)") || !strings.Contains(out, "snort3=tools.cisco.com (cn)") {
		t.Errorf("openssl s_server -tls1_3: want https://toos.cisco.com under ftd:\n%s", out)
	}
	t.Logf("tsid probe against openssl s_server -tls1_3:\n%s", out)
}

// TestREADMEProbe keeps the README's "Ask the server" examples honest:
// the server the README's port stands for is started here (the field
// case's chain, or www.example.com's for the capture's server), the
// addresses the README shows are mapped to it, and the clock is set.
func TestREADMEProbe(t *testing.T) {
	repoRoot(t)
	fc := fieldCaseServer(t, tls.VersionTLS12, tls.VersionTLS13)
	www := wwwServer(t)
	withProbeSeams(t, map[string]route{
		"127.0.0.1:8443":    {to: fc.Addr, remote: "127.0.0.1:8443", local: "127.0.0.1:51514"},
		"198.51.100.20:443": {to: www.Addr},
	})
	for _, ex := range []struct {
		readme string
		args   []string
	}{
		{"$ go run ./cmd/tsid probe --no-sni --profile all 127.0.0.1:8443\n",
			[]string{"probe", "--no-sni", "--profile", "all", "127.0.0.1:8443"}},
		{"$ go run ./cmd/tsid analyze --probe-missing testdata/samples/tls13.pcap 2>&1\n",
			[]string{"analyze", "--probe-missing", "testdata/samples/tls13.pcap"}},
	} {
		want := readmeOutput(t, ex.readme, "```")
		var out bytes.Buffer // stdout and stderr as 2>&1 interleaves them
		if err := run(ex.args, nil, &out, &out); err != nil {
			t.Fatal(err, out.String())
		}
		if diff := cmp.Diff(want, out.String()); diff != "" {
			t.Errorf("README example %q differs from the real output (-README +tsid):\n%s", strings.TrimSpace(ex.readme), diff)
		}
	}
}

// TestAnalyzeProbeMissingFirewallProbe: when the capture holds the firewall's own
// probe of a TLS 1.3 connection, its certificate decides (from-probe),
// whatever tsid's probe of the server gets now.
func TestAnalyzeProbeMissingFirewallProbe(t *testing.T) {
	dir := t.TempDir()
	id := capLeaf(t, "probe", "toos.cisco.com", "tools.cisco.com")
	const client, server = "10.12.1.8:51514", "72.163.4.38:443"
	conn, err := synth.Handshake(synth.Config{
		Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13, Cert: id, Time: namesTime, Seed: "probe-client",
	})
	if err != nil {
		t.Fatal(err)
	}
	fw := probeConv(t, client, server, "", id)
	file := capFile(t, dir, "probe.pcap", synth.Options{},
		capEntry{conv: conn, tcp: synth.TCP{ClientISN: 1000, ServerISN: 2000}},
		capEntry{conv: fw, tcp: synth.TCP{ClientISN: 5000, ServerISN: 6000}, at: time.Second})
	www := wwwServer(t) // another certificate than the capture's
	withProbeSeams(t, map[string]route{server: {to: www.Addr}})
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--probe-missing", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs := decodeLines(t, out)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	c := recs[0]
	if c["cert_status"] != analysis.CertFromProbe || c["host"] != "toos.cisco.com" || c["probed_at"] != nil || hasString(c["flags"], "probed") {
		t.Errorf("client connection: %v %v probed_at %v flags %v", c["cert_status"], c["host"], c["probed_at"], c["flags"])
	}
}
