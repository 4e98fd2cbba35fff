package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenSSLOverLoopback does what a new user would: capture real
// openssl s_server / s_client handshakes with tcpdump on loopback and run
// tsid over the file. It needs openssl, tcpdump and the right to capture
// (root); .ci/run installs the tools.
func TestOpenSSLOverLoopback(t *testing.T) {
	needLoopbackCapture(t)
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	mustRun(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", cert, "-days", "30", "-subj", "/O=Cisco Systems Inc./CN=tools.cisco.com",
		"-addext", "subjectAltName=DNS:toos.cisco.com,DNS:tools.cisco.com,DNS:tools1.cisco.com,DNS:tools2.cisco.com")

	for _, tc := range []struct {
		name, version string
		sni           bool
		status, host  string
	}{
		{"tls12-no-sni", "-tls1_2", false, "present", "toos.cisco.com"},
		{"tls12-sni", "-tls1_2", true, "present", "tools.cisco.com"},
		{"tls13-no-sni", "-tls1_3", false, "encrypted", ""},
		{"tls13-sni", "-tls1_3", true, "encrypted", "tools.cisco.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			pcap := filepath.Join(dir, tc.name+".pcap")
			stopDump := startTcpdump(t, pcap, port)
			srv := exec.Command("openssl", "s_server", "-accept", fmt.Sprintf("127.0.0.1:%d", port),
				"-cert", cert, "-key", key, tc.version, "-quiet", "-naccept", "1")
			srv.Stdin = strings.NewReader("")
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Process.Kill()
			waitPort(t, port)
			args := []string{"s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), tc.version}
			if tc.sni {
				args = append(args, "-servername", "tools.cisco.com")
			} else {
				args = append(args, "-noservername")
			}
			cl := exec.Command("openssl", args...)
			cl.Stdin = strings.NewReader("")
			if out, err := cl.CombinedOutput(); err != nil {
				t.Fatalf("openssl %v: %v\n%s", args, err, out)
			}
			srv.Wait()
			stopDump()

			out, errs, code := runCLI(t, nil, "analyze", "-f", "json", pcap)
			if code != 0 {
				t.Fatalf("tsid: exit %d: %s", code, errs)
			}
			recs := decodeLines(t, out)
			if len(recs) != 1 {
				t.Fatalf("want 1 TLS connection, got %d:\n%s\nstderr: %s", len(recs), out, errs)
			}
			r := recs[0]
			wantSNI := ""
			if tc.sni {
				wantSNI = "tools.cisco.com"
			}
			wantVer := map[string]string{"-tls1_2": "TLS 1.2", "-tls1_3": "TLS 1.3"}[tc.version]
			if r["sni"] != wantSNI || r["cert_status"] != tc.status || r["host"] != tc.host || r["tls_version"] != wantVer ||
				!strings.HasSuffix(r["server"].(string), fmt.Sprintf(":%d", port)) {
				t.Errorf("got sni %q status %q host %q version %q server %q; want %q %q %q %q",
					r["sni"], r["cert_status"], r["host"], r["tls_version"], r["server"], wantSNI, tc.status, tc.host, wantVer)
			}
			if tc.status == "present" {
				c, _ := r["cert"].(map[string]any)
				if c == nil || c["cn"] != "tools.cisco.com" || fmt.Sprint(c["san_dns"]) != "[toos.cisco.com tools.cisco.com tools1.cisco.com tools2.cisco.com]" {
					t.Errorf("cert %v", r["cert"])
				}
			}
			t.Logf("tsid on %s: sni=%q version=%v cert_status=%v host=%q source=%v flags=%v",
				tc.name, r["sni"], r["tls_version"], r["cert_status"], r["host"], r["host_source"], r["flags"])
		})
	}
}

// needLoopbackCapture skips a test that runs openssl on loopback and
// captures it with tcpdump, unless both are installed and it may capture
// (root); .ci/run installs the tools.
func needLoopbackCapture(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the tcpdump + openssl test")
	}
	for _, tool := range []string{"openssl", "tcpdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install %s); skipping the real-stack loopback test", tool, tool)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: tcpdump cannot capture on loopback; skipping the real-stack loopback test")
	}
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// s_server accepts one connection only (-naccept 1), so probe by
		// looking for the listening socket rather than connecting.
		out, _ := exec.Command("ss", "-ltn").Output()
		if bytes.Contains(out, []byte(fmt.Sprintf("127.0.0.1:%d ", port))) {
			return
		}
		if len(out) == 0 {
			time.Sleep(500 * time.Millisecond) // no ss: give the server a moment
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("openssl s_server did not listen on port %d", port)
}

// startTcpdump captures loopback traffic on port and returns a stop func
// that waits until the file is complete.
func startTcpdump(t *testing.T, file string, port int) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, "tcpdump", "-i", "lo", "--immediate-mode", "-U", "-n", "-s", "0", "-w", file, fmt.Sprintf("tcp port %d", port))
	pipe, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		var seen strings.Builder
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "listening on") {
				listening <- ""
				break
			}
		}
		io.Copy(io.Discard, pipe)
		select {
		case listening <- seen.String():
		default:
		}
	}()
	select {
	case msg := <-listening:
		if msg != "" {
			cancel()
			t.Skipf("tcpdump did not start capturing on lo: %s", msg)
		}
	case <-time.After(10 * time.Second):
		cancel()
		t.Skip("tcpdump did not start capturing on lo within 10 s")
	}
	return func() {
		time.Sleep(300 * time.Millisecond) // let the last packets reach the file
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		cancel()
	}
}
