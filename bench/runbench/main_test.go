package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParseTsidSummary(t *testing.T) {
	errOut := []byte("tsid: x.pcap: packet 7: truncated\n" +
		"tsid: files 1, packets 362905, TCP connections 21001, TLS connections 20000, without SNI 2210, flagged 3, evicted 0\n")
	c, err := parseTsidSummary(errOut)
	if want := (tsidCounts{362905, 20000, 2210, 0}); err != nil || c != want {
		t.Fatalf("parseTsidSummary = %+v, %v; want %+v", c, err, want)
	}
	c, err = parseTsidSummary([]byte("tsid: files 1, packets 800000, TCP connections 200000, TLS connections 200000, without SNI 0, SNI unknown 200000, flagged 200000, evicted 100000\n"))
	if want := (tsidCounts{800000, 200000, 0, 200000}); err != nil || c != want {
		t.Fatalf("with SNI unknown: parseTsidSummary = %+v, %v; want %+v", c, err, want)
	}
	if _, err := parseTsidSummary([]byte("tsid: x.pcap: no such file\n")); err == nil {
		t.Fatal("parseTsidSummary without a summary line: no error")
	}
}

func TestParseBareread(t *testing.T) {
	p, err := parseBareread([]byte("packets 60443 bytes 74541811 file_bytes 75508995\n"))
	if err != nil || p != 60443 {
		t.Fatalf("parseBareread = %d, %v; want 60443, nil", p, err)
	}
	if _, err := parseBareread([]byte("bareread: x: too short\n")); err == nil {
		t.Fatal("parseBareread on an error message: no error")
	}
}

func TestParseTshark(t *testing.T) {
	out := "0\t1\ta.example\t\t\t\n" +
		"0\t2,11,12,14\t\tCA,a.example\t\ta.example,b.example\n" +
		"1\t1\t\t\t\t\n" +
		"1\t1\t\t\t\t\n" + // a retransmitted ClientHello: one connection
		"2\t11\t\tCA\tz\tz.example\n"
	c, err := parseTshark(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := tsharkCounts{conns: 2, hellos: 3, sni: 1, certs: 2, sans: 3}
	if c != want {
		t.Fatalf("parseTshark = %+v, want %+v", c, want)
	}
	if _, err := parseTshark(strings.NewReader("0\t1\n")); err == nil {
		t.Fatal("parseTshark on a short line: no error")
	}
}

// TestTsharkFields runs the comparison's tshark command on a shipped sample,
// so that a tshark which names the fields differently fails here rather
// than counting nothing in the comparison.
func TestTsharkFields(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	args := append(append([]string{}, tsharkArgs...), "../../testdata/samples/field-case-sni.pcap")
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.Bytes())
	}
	c, err := parseTshark(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := tsharkCounts{conns: 1, hellos: 1, sni: 1, certs: 1, sans: 4}
	if c != want {
		t.Fatalf("tshark on field-case-sni.pcap: %+v, want %+v\n%s", c, want, out)
	}
	if !strings.Contains(string(out), "tools.cisco.com") {
		t.Fatalf("tshark output lacks the certificate's names:\n%s", out)
	}
}

func TestMeasure(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	var out bytes.Buffer
	m, err := measure(sh, []string{"-c", "echo out; echo err >&2"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "out\n" || string(m.stderr) != "err\n" {
		t.Fatalf("stdout %q, stderr %q", out.String(), m.stderr)
	}
	if m.wall <= 0 || m.rssKB <= 0 {
		t.Fatalf("wall %v, RSS %d KiB: want both positive", m.wall, m.rssKB)
	}
	_, err = measure(sh, []string{"-c", "echo broken >&2; exit 3"}, nil)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("failing command: error %v, want one quoting its stderr", err)
	}
}

func TestTail(t *testing.T) {
	tl := &tail{max: 4}
	tl.Write([]byte("abc"))
	tl.Write([]byte("defg"))
	if string(tl.b) != "defg" {
		t.Fatalf("tail kept %q, want %q", tl.b, "defg")
	}
}

func TestEvaluate(t *testing.T) {
	const size = 1e9
	r := func(tool string, secs float64, rssMB float64, conns int64) row {
		return row{file: "f", size: size, tool: tool, wall: time.Duration(secs * float64(time.Second)),
			rssKB: int64(rssMB * mb / 1024), tlsConns: conns}
	}
	verdicts := func(cs []check) string {
		var b strings.Builder
		for _, c := range cs {
			if c.pass {
				b.WriteByte('P')
			} else {
				b.WriteByte('F')
			}
		}
		return b.String()
	}
	bulk := []row{r("bareread", 1, 10, -1), r("tsid", 1.25, 50, 100), r("tshark", 38, 900, 100)}
	large := []row{r("tsid", 5, 60, 400)}
	hands := []row{r("bareread", 0.1, 10, -1), r("tsid", 1, 99, 30000), r("tshark", 40, 900, 30000)}
	// tshark 30.4x, bareread 80%, RSS 50, 4x file 60 (+10 <= 22.5), 30000/s, 40x, 99 MB
	if got := verdicts(evaluate(100, bulk, large, hands)); got != "PPPPPPPP" {
		t.Fatalf("all targets met: verdicts %s", got)
	}
	bulk[1] = r("tsid", 1.34, 101, 100)   // 28.4x, 75% less a hair, 101 MB
	large[0] = r("tsid", 10, 160, 400)    // 160 MB, +59 > 35.25
	hands[1] = r("tsid", 1.1, 120, 30000) // 27273/s, 36.4x, 120 MB
	if got := verdicts(evaluate(100, bulk, large, hands)); got != "FFFFFFFF" {
		t.Fatalf("every target missed: verdicts %s", got)
	}
	// Without the large file there is no growth check.
	if n := len(evaluate(100, bulk, nil, hands)); n != 6 {
		t.Fatalf("%d checks without a large file, want 6", n)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code, err := run([]string{"-bulk", "x"}, &out, &errOut); code != 2 || err == nil {
		t.Fatalf("missing flags: code %d, err %v", code, err)
	}
	if code, err := run([]string{"-tsid", "t", "-bareread", "b", "-bulk", os.DevNull + ".missing", "-handshakes", "h"}, &out, &errOut); code != 2 || err == nil {
		t.Fatalf("missing file: code %d, err %v", code, err)
	}
}
