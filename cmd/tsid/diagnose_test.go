package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGoldenDiagnose checks 'tsid diagnose' on every capture of
// testdata/diagnose against testdata/golden/diagnose-*. Refresh with:
// go test ./cmd/tsid -run GoldenDiagnose -update
func TestGoldenDiagnose(t *testing.T) {
	repoRoot(t)
	caps, err := filepath.Glob("testdata/diagnose/*.pcap")
	if err != nil || len(caps) == 0 {
		t.Fatalf("no captures in testdata/diagnose (go run ./cmd/tsidgen diagnose -dir testdata/diagnose): %v", err)
	}
	for _, c := range caps {
		name := strings.TrimSuffix(filepath.Base(c), ".pcap")
		for _, v := range []struct {
			ext  string
			args []string
		}{
			{".txt", []string{"diagnose", c}},
			{".jsonl", []string{"diagnose", "-f", "json", c}},
		} {
			t.Run(name+v.ext, func(t *testing.T) {
				var out, errb bytes.Buffer
				err := run(v.args, nil, &out, &errb)
				got := out.String()
				if errb.Len() > 0 || err != nil {
					got += "--- stderr ---\n" + errb.String()
					if err != nil {
						got += "--- error: " + err.Error() + "\n"
					}
				}
				golden := filepath.Join("testdata", "golden", "diagnose-"+name+v.ext)
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (create it: go test ./cmd/tsid -run GoldenDiagnose -update)", err)
				}
				if diff := cmp.Diff(string(want), got); diff != "" {
					t.Errorf("tsid %s differs from %s (-want +got):\n%s", strings.Join(v.args, " "), golden, diff)
				}
			})
		}
	}
}

// TestDiagnoseOpenSSLUnknownCA runs real stacks on loopback: openssl
// s_client -verify_return_error refuses a server whose self-signed
// certificate it does not trust and sends a real alert, which tsid
// diagnose must name, with the untrusted chain. It needs openssl, tcpdump
// and the right to capture (root); it skips with a message otherwise.
func TestDiagnoseOpenSSLUnknownCA(t *testing.T) {
	needLoopbackCapture(t)
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	mustRun(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=tools.cisco.com",
		"-addext", "subjectAltName=DNS:tools.cisco.com")
	// The client trusts another CA only.
	otherKey, other := filepath.Join(dir, "other-key.pem"), filepath.Join(dir, "other-ca.pem")
	mustRun(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", otherKey, "-out", other, "-days", "30", "-subj", "/CN=Some Other CA")
	port := freePort(t)
	pcap := filepath.Join(dir, "unknown-ca.pcap")
	stopDump := startTcpdump(t, pcap, port)
	srv := exec.Command("openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
		"-cert", cert, "-key", key, "-tls1_2", "-quiet", "-naccept", "1")
	srv.Stdin = strings.NewReader("")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	waitPort(t, port)
	cl := exec.Command("openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-tls1_2",
		"-servername", "tools.cisco.com", "-verify_return_error", "-CAfile", other)
	cl.Stdin = strings.NewReader("")
	out, err := cl.CombinedOutput()
	// s_server waits for another client after a failed handshake.
	srv.Process.Kill()
	srv.Wait()
	stopDump()
	if err == nil {
		t.Fatalf("openssl s_client accepted an untrusted certificate:\n%s", out)
	}

	jsonOut, errs, code := runCLI(t, nil, "diagnose", "-f", "json", pcap)
	if code != 0 {
		t.Fatalf("tsid diagnose: exit %d: %s", code, errs)
	}
	if !strings.Contains(jsonOut, `"code":"tls-alert:unknown_ca"`) || !strings.Contains(jsonOut, `"code":"cert-untrusted"`) ||
		!strings.Contains(jsonOut, `the client sent a fatal alert unknown_ca (48)`) {
		t.Errorf("want tls-alert:unknown_ca sent by the client and cert-untrusted; got:\n%s\nopenssl said:\n%s", jsonOut, out)
	}
	// The same chain, trusted: the alert stays (the client refused it),
	// cert-untrusted goes.
	jsonOut, _, _ = runCLI(t, nil, "diagnose", "-f", "json", "--trust", cert, pcap)
	if strings.Contains(jsonOut, `"code":"cert-untrusted"`) {
		t.Errorf("--trust %s: the chain is trusted now, yet cert-untrusted:\n%s", cert, jsonOut)
	}
}

// diagnosed runs tsid diagnose -f json and returns, per destination name,
// its failure codes and its note codes.
func diagnosed(t *testing.T, args ...string) (fails, notes map[string][]string, dests []map[string]any) {
	t.Helper()
	out, errOut, code := runCLI(t, nil, append([]string{"diagnose", "-f", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("tsid diagnose %v: exit %d: %s", args, code, errOut)
	}
	fails, notes = map[string][]string{}, map[string][]string{}
	for _, d := range jsonRecords(t, out) {
		dests = append(dests, d)
		name := d["name"].(string)
		fl, _ := d["findings"].([]any)
		for _, f := range fl {
			m := f.(map[string]any)
			if m["failure"] == true {
				fails[name] = append(fails[name], m["code"].(string))
			} else {
				notes[name] = append(notes[name], m["code"].(string))
			}
		}
	}
	return fails, notes, dests
}

// TestDiagnoseFindings: each finding code on a capture that shows it, and
// none on captures that do not (a healthy registration, a capture cut
// before the answer could come, a one-way capture).
func TestDiagnoseFindings(t *testing.T) {
	repoRoot(t)
	trust := []string{"--trust", "testdata/diagnose/test-ca.pem"}
	for _, c := range []struct {
		file  string
		args  []string
		fails map[string][]string // destination -> failure codes, in order
		notes map[string][]string
	}{
		{file: "dns-nxdomain", fails: map[string][]string{"tools.cisco.com": {"dns-nxdomain"}}},
		{file: "dns-servfail", fails: map[string][]string{"tools.cisco.com": {"dns-servfail"}}},
		{file: "dns-refused", fails: map[string][]string{"tools.cisco.com": {"dns-refused"}}},
		{file: "dns-no-response", fails: map[string][]string{"tools.cisco.com": {"dns-no-answer"}}},
		{file: "dns-cname-only", fails: map[string][]string{"tools.cisco.com": {"dns-no-address"}}},
		{file: "tcp-syn-unanswered", fails: map[string][]string{"tools.cisco.com": {"tcp-no-answer"}}},
		{file: "tcp-rst-on-syn", fails: map[string][]string{"tools.cisco.com": {"tcp-refused"}}},
		{file: "tcp-rst-after-hello", fails: map[string][]string{"tools.cisco.com": {"tcp-reset"}}},
		{file: "tls-hello-unanswered", fails: map[string][]string{"tools.cisco.com": {"tls-stalled"}}},
		{file: "tls-untrusted-ca", fails: map[string][]string{"tools.cisco.com": {"tls-alert:bad_certificate", "cert-untrusted"}}},
		{file: "tls-server-tls13-only", fails: map[string][]string{"www.example.com": {"tls-alert:protocol_version"}}},
		{file: "tls-unknown-sni", fails: map[string][]string{"api.example.com": {"tls-alert:unrecognized_name"}}},
		{file: "cert-expired", fails: map[string][]string{"expired.example.net": {"tls-alert:bad_certificate", "cert-expired"}}},
		{file: "cert-not-yet-valid", fails: map[string][]string{"future.example.net": {"tls-alert:bad_certificate", "cert-not-yet-valid"}}},
		{file: "cert-name-mismatch", fails: map[string][]string{"api.example.com": {"tls-alert:bad_certificate", "cert-name-mismatch"}}},
		{file: "proxy-auth-required", fails: map[string][]string{"tools.cisco.com": {"proxy-refused:407"}}},
		{file: "proxy-connect", notes: map[string][]string{"tools.cisco.com": {"proxy-connect"}}},
		{file: "failed-registration", fails: map[string][]string{"tools.cisco.com": {"dns-nxdomain", "tcp-no-answer", "tls-alert:bad_certificate", "cert-untrusted"}}},
		// None on these: healthy, cut before the answer, one direction.
		{file: "healthy-registration"},
		{file: "cut-after-hello"},
		{file: "one-way"},
		// The private CA: trusted with --trust, a note without (the client went on).
		{file: "private-ca"},
		{file: "private-ca", args: []string{}, notes: map[string][]string{"www.example.com": {"cert-untrusted"}}},
		// An unexpected issuer is a failure even on a working connection.
		{file: "healthy-registration", args: append([]string{"--expect-issuer", "tools.cisco.com=IdenTrust"}, trust...),
			fails: map[string][]string{"tools.cisco.com": {"cert-unexpected-issuer"}}},
		{file: "healthy-registration", args: append([]string{"--expect-issuer", "*.cisco.com=Test Issuing"}, trust...)},
	} {
		args := c.args
		if args == nil {
			args = trust
		}
		name := c.file + " " + strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			fails, notes, _ := diagnosed(t, append(append([]string{}, args...), filepath.Join("testdata", "diagnose", c.file+".pcap"))...)
			want := c.fails
			if want == nil {
				want = map[string][]string{}
			}
			if diff := cmp.Diff(want, fails); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			wantNotes := c.notes
			if wantNotes == nil {
				wantNotes = map[string][]string{}
			}
			if diff := cmp.Diff(wantNotes, notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiagnoseFMCLog joins the FMC's curl errors to the capture's findings
// by time, and says which the capture does not explain.
func TestDiagnoseFMCLog(t *testing.T) {
	repoRoot(t)
	log := filepath.Join(t.TempDir(), "process_stdout.log")
	lines := "2026-11-02 09:15:01 CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 6, err string \"Couldn't resolve host name\"\n" +
		"2026-11-02 09:15:09 CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 7, err string \"Couldn't connect to server\"\n" +
		"2026-11-02 09:15:10 some other line\n" +
		"2026-11-02 09:15:11 CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 60, err string \"SSL peer certificate or SSH remote key was not OK\"\n" +
		"2026-11-02 11:00:00 CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 52, err string \"Empty reply from server\"\n"
	if err := os.WriteFile(log, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "diagnose", "--log", log, "testdata/diagnose/failed-registration.pcap")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	out = regexp.MustCompile(`\n +`).ReplaceAllString(out, " ") // the table wraps long lines
	for _, want := range []string{
		"FMC log: " + log + ":1: curl error 6 (Couldn't resolve host name) at 09:15:01",
		"FMC log: " + log + ":2: curl error 7 (Couldn't connect to server) at 09:15:09",
		"FMC log: " + log + ":4: curl error 60 (SSL peer certificate or SSH remote key was not OK) at 09:15:11",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, log+":5: curl error 52 (Empty reply from server) at 11:00:00: the capture shows nothing that explains it") {
		t.Errorf("stderr lacks the unexplained error:\n%s", errOut)
	}
}

func TestDiagnoseUsage(t *testing.T) {
	repoRoot(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"diagnose"}, 2, "no capture file given"},
		{[]string{"diagnose", "-f", "csv", "x.pcap"}, 2, "--format"},
		{[]string{"diagnose", "--expect-issuer", "tools.cisco.com", "x.pcap"}, 2, "NAME=SUBSTRING"},
		{[]string{"diagnose", "--trust", "README.md", "testdata/diagnose/healthy-registration.pcap"}, 2, "no PEM certificate"},
		{[]string{"diagnose", "--log-tz", "UTC", "testdata/diagnose/healthy-registration.pcap"}, 2, "needs --log"},
		{[]string{"diagnose", "README.md"}, 2, "README.md"},
		{[]string{"diagnose", "--fail-on-failed", "testdata/diagnose/dns-nxdomain.pcap"}, 1, ""},
		{[]string{"diagnose", "--fail-on-failed", "--trust", "testdata/diagnose/test-ca.pem", "testdata/diagnose/healthy-registration.pcap"}, 0, ""},
	} {
		_, errOut, code := runCLI(t, nil, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("tsid %v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

// TestREADMEDiagnose keeps the README's diagnose example honest.
func TestREADMEDiagnose(t *testing.T) {
	repoRoot(t)
	want := readmeOutput(t, "$ go run ./cmd/tsid diagnose testdata/diagnose/failed-registration.pcap\n", "```")
	var out bytes.Buffer
	if err := run([]string{"diagnose", "testdata/diagnose/failed-registration.pcap"}, nil, &out, &out); err != nil {
		t.Fatal(err, out.String())
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("README example differs from the real output (-README +tsid):\n%s", diff)
	}
}
