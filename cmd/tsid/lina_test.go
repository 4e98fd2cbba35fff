package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/pcaps/lina"
)

// samplePacket is one packet of a sample capture, kept to write it again.
type samplePacket struct {
	link        pcaps.LinkType
	data        []byte
	ts          time.Time
	caplen, len int
}

func readSample(t *testing.T, name string) []samplePacket {
	t.Helper()
	r, err := pcaps.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []samplePacket
	for {
		data, ci, link, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, samplePacket{link, bytes.Clone(data), ci.Timestamp, ci.CaptureLength, ci.Length})
	}
}

// writePcap writes packets as a pcap (one link type: a sample's).
func writePcap(t *testing.T, name string, pkts []samplePacket) {
	t.Helper()
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b23c4d) // nanoseconds
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, 262144)
	b = le.AppendUint32(b, uint32(pkts[0].link))
	for _, p := range pkts {
		if p.link != pkts[0].link {
			t.Fatalf("%s: several link types", name)
		}
		b = le.AppendUint32(b, uint32(p.ts.Unix()))
		b = le.AppendUint32(b, uint32(p.ts.Nanosecond()))
		b = le.AppendUint32(b, uint32(p.caplen))
		b = le.AppendUint32(b, uint32(p.len))
		b = append(b, p.data...)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// textVariant is one shape of LINA text the tests write a sample in.
type textVariant struct {
	name     string
	start    lina.Start
	style    lina.Style
	midnight bool // times moved so the capture crosses midnight
}

var textVariants = []textVariant{
	{"dump-ethernet", lina.StartEthernet, lina.Style{}, false},
	{"dump-ip", lina.StartIP, lina.Style{Gap: 8}, false},
	{"detail-dump", lina.StartEthernet, lina.Style{Detail: true}, false},
	{"wrapped", lina.StartEthernet, lina.Style{Wrap: 50}, false},
	{"crlf", lina.StartIP, lina.Style{CRLF: true}, false},
	{"midnight", lina.StartEthernet, lina.Style{}, true},
	{"paste", lina.StartEthernet, lina.Style{CRLF: true, Prompt: "asa/pri/act# ", Name: "inside", Pager: 24, Detail: true}, false},
}

// writeText writes pkts as LINA text in variant v.
func writeText(t *testing.T, name string, pkts []samplePacket, v textVariant) {
	t.Helper()
	var frames []lina.Frame
	for _, p := range pkts {
		f, err := lina.FromLink(p.data, int(p.link), p.ts, v.start)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		frames = append(frames, f)
	}
	var buf bytes.Buffer
	if err := lina.Write(&buf, frames, v.style); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var fileField = regexp.MustCompile(`"file":"[^"]*"`)

// analyzeJSON runs analyze -f json on file; it returns the records with
// the file name blanked and the summary line.
func analyzeJSON(t *testing.T, args ...string) (string, string) {
	t.Helper()
	args = append([]string{"analyze", "-f", "json", "--profile", "all", "--explain", "-j", "1"}, args...)
	out, errs, code := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("tsid %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	var summary []string
	for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
		if strings.HasPrefix(l, "tsid: files ") {
			summary = append(summary, l)
		} else if !strings.Contains(l, `pager prompt "<--- More --->" skipped`) && !strings.Contains(l, "more pager prompts skipped") {
			t.Errorf("tsid %s: unexpected on stderr: %s", strings.Join(args, " "), l)
		}
	}
	return fileField.ReplaceAllString(out, `"file":""`), strings.Join(summary, "\n")
}

func dateOf(ts time.Time) string { return ts.UTC().Format("2006-01-02") }

// TestTextCapturesGolden: every sample written as ASA/FTD text, in every
// variant, analyzes as the capture it came from (JSON records and the
// summary), and converted back to pcap as well.
func TestTextCapturesGolden(t *testing.T) {
	repoRoot(t)
	dir := t.TempDir()
	for _, s := range samples(t) {
		base := strings.TrimSuffix(filepath.Base(s), filepath.Ext(s))
		pkts := readSample(t, s)
		wantJSON, wantSum := analyzeJSON(t, s)
		if strings.Count(wantJSON, "\n") == 0 {
			t.Fatalf("%s: no TLS records to compare", s)
		}
		for _, v := range textVariants {
			t.Run(base+"/"+v.name, func(t *testing.T) {
				pk, wJSON, wSum := pkts, wantJSON, wantSum
				if v.midnight {
					// 5 ms before midnight: the handshake crosses it.
					shift := time.Date(2026, 11, 1, 23, 59, 59, 995e6, time.UTC).Sub(pkts[0].ts)
					pk = nil
					for _, p := range pkts {
						p.ts = p.ts.Add(shift)
						pk = append(pk, p)
					}
					ref := filepath.Join(dir, base+"-midnight.pcap")
					writePcap(t, ref, pk)
					wJSON, wSum = analyzeJSON(t, ref)
					if dateOf(pk[0].ts) == dateOf(pk[len(pk)-1].ts) {
						t.Fatal("the shifted capture does not cross midnight")
					}
				}
				txt := filepath.Join(dir, base+"-"+v.name+".txt")
				writeText(t, txt, pk, v)
				date := dateOf(pk[0].ts)
				gotJSON, gotSum := analyzeJSON(t, "--date", date, txt)
				if diff := cmp.Diff(wJSON, gotJSON); diff != "" {
					t.Errorf("text analyzed differs from the capture (-capture +text):\n%s", diff)
				}
				if gotSum != wSum {
					t.Errorf("summary %q, the capture's %q", gotSum, wSum)
				}

				out := filepath.Join(dir, base+"-"+v.name+".pcap")
				if _, errs, code := runCLI(t, nil, "convert", "-q", "--date", date, txt, "-o", out); code != 0 || errs != "" {
					t.Fatalf("convert: exit %d, stderr %q", code, errs)
				}
				convJSON, convSum := analyzeJSON(t, out)
				if diff := cmp.Diff(wJSON, convJSON); diff != "" {
					t.Errorf("converted pcap analyzed differs (-capture +converted):\n%s", diff)
				}
				if convSum != wSum {
					t.Errorf("converted: summary %q, the capture's %q", convSum, wSum)
				}
			})
		}
	}
}

// TestConvertTshark: a converted text capture opens in tshark, which finds
// the same ClientHellos (SNI, ports) as in the sample it came from.
func TestConvertTshark(t *testing.T) {
	repoRoot(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark; .ci/run installs it): skipping the Wireshark check of 'tsid convert'")
	}
	dir := t.TempDir()
	hellos := func(t *testing.T, file string) string {
		t.Helper()
		cmd := exec.Command("tshark", "-n", "-r", file, "-d", "tcp.port==8443,tls", "-Y", "tls.handshake.type == 1",
			"-T", "fields", "-e", "frame.time_epoch", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tls.handshake.extensions_server_name")
		cmd.Env = append(os.Environ(), "HOME="+dir) // no user profile
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark -r %s: %v\n%s", file, err, stderr.String())
		}
		return string(out)
	}
	// Every sample as a dump from IP (a made-up Ethernet header), and the
	// tagged ones from Ethernet as well (tags kept).
	for _, s := range samples(t) {
		base := strings.TrimSuffix(filepath.Base(s), filepath.Ext(s))
		variants := []textVariant{textVariants[1]}
		if base == "vlan" || base == "ipv6" {
			variants = append(variants, textVariants[0])
		}
		t.Run(base, func(t *testing.T) {
			t.Parallel() // tshark takes a second to start
			pkts := readSample(t, s)
			want := hellos(t, s)
			if strings.TrimSpace(want) == "" {
				t.Fatalf("%s: tshark finds no ClientHello in the sample", s)
			}
			for _, v := range variants {
				txt := filepath.Join(dir, base+"-"+v.name+".txt")
				writeText(t, txt, pkts, v)
				out := filepath.Join(dir, base+"-"+v.name+".pcap")
				var o, e bytes.Buffer
				if err := run([]string{"convert", "-q", "--date", dateOf(pkts[0].ts), txt, "-o", out}, nil, &o, &e); err != nil {
					t.Fatalf("convert: %v %s", err, e.String())
				}
				if got := hellos(t, out); got != want {
					t.Errorf("%s: tshark on the converted file:\n%s\nwant (the sample):\n%s", v.name, got, want)
				}
			}
		})
	}
}

// TestTextCutByPacketLength: packets cut by `capture … packet-length 96`
// leave their handshakes incomplete, never a certificate read whole.
func TestTextCutByPacketLength(t *testing.T) {
	repoRoot(t)
	pkts := readSample(t, "testdata/samples/resumed.pcap")
	txt := filepath.Join(t.TempDir(), "cut.txt")
	writeText(t, txt, pkts, textVariant{start: lina.StartEthernet, style: lina.Style{PacketLength: 96}})
	out, errs, code := runCLI(t, nil, "analyze", "-q", "-f", "json", "--date", "2026-11-02", txt)
	recs := decodeLines(t, out)
	if code != 0 || errs != "" || len(recs) < 2 {
		t.Fatalf("exit %d, %d records, stderr %q", code, len(recs), errs)
	}
	for _, r := range recs {
		if r["cert_status"] == "present" || !containsAny(r["flags"].([]any), "incomplete") {
			t.Errorf("cut: status %v flags %v", r["cert_status"], r["flags"])
		}
	}
}

// TestTextNotes: the date note, warnings naming lines, output cut off
// mid-packet, and a listing without hex.
func TestTextNotes(t *testing.T) {
	repoRoot(t)
	dir := t.TempDir()
	pkts := readSample(t, fieldCase)
	txt := filepath.Join(dir, "in.txt")
	writeText(t, txt, pkts, textVariants[0])
	mt := time.Date(2026, 11, 2, 12, 0, 0, 0, time.Local)
	if err := os.Chtimes(txt, mt, mt); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", txt)
	if code != 0 || !strings.Contains(errs, "tsid: "+txt+": LINA text capture: times of day dated 2026-11-02 (file date; set --date)\n") {
		t.Errorf("exit %d, stderr %q: want the date note", code, errs)
	}
	recs := decodeLines(t, out)
	if len(recs) != 1 || !strings.HasPrefix(recs[0]["time"].(string), "2026-11-02T09:15:00") {
		t.Errorf("records %v", recs)
	}
	if _, errs, _ = runCLI(t, nil, "analyze", "-q", "-f", "json", txt); errs != "" {
		t.Errorf("-q: stderr %q", errs)
	}

	// Cut off in the middle of the largest packet: the server's first
	// flight, with the certificate.
	b, _ := os.ReadFile(txt)
	lines := strings.SplitAfter(string(b), "\n")
	cutAt, big, header, num := 0, 0, 0, ""
	for i, l := range lines {
		if strings.HasPrefix(l, "0x") {
			if i-header > big {
				big, cutAt = i-header, header+5
				num = strings.TrimSpace(strings.SplitN(lines[header], ":", 2)[0])
			}
			continue
		}
		header = i
	}
	cut := filepath.Join(dir, "cut.txt")
	if err := os.WriteFile(cut, []byte(strings.Join(lines[:cutAt], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code = runCLI(t, nil, "analyze", "-f", "json", "--date", "2026-11-02", cut)
	recs = decodeLines(t, out)
	if code != 0 || len(recs) != 1 || !containsAny(recs[0]["flags"].([]any), "incomplete") {
		t.Errorf("cut: exit %d, records %v", code, recs)
	}
	for _, want := range []string{
		"tsid: " + cut + ":" + strconv.Itoa(cutAt) + ": the capture output ends here without its 'N packets shown' line: it was cut off",
		"tsid: " + cut + ":" + strconv.Itoa(cutAt) + ": packet " + num + " is cut off here: 64 of ",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}

	// A listing: no packets, and a plain word on why.
	listing := filepath.Join(dir, "listing.txt")
	var buf bytes.Buffer
	var frames []lina.Frame
	for _, p := range pkts {
		f, _ := lina.FromLink(p.data, int(p.link), p.ts, lina.StartEthernet)
		frames = append(frames, f)
	}
	if err := lina.Write(&buf, frames, lina.Style{NoDump: true, Prompt: "asa# ", Name: "inside"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(listing, buf.Bytes(), 0o644)
	out, errs, code = runCLI(t, nil, "analyze", "--date", "2026-11-02", listing)
	if code != 0 || !strings.Contains(out, "no TLS connections found") {
		t.Errorf("listing: exit %d, out %q", code, out)
	}
	for _, want := range []string{
		"tsid: " + listing + ": " + strconv.Itoa(len(pkts)) + " packets were listed without their bytes, so no TLS can be read from them: TLS content needs `show capture inside dump` or a pcap export (copy /pcap capture:inside …)\n",
		"tsid: " + listing + ": listed: udp 10.12.1.8:53000 > 10.12.1.1:53, 2 packets\n",
		"tsid: " + listing + ": listed: tcp 10.12.1.8:51514 > 72.163.4.38:443, " + strconv.Itoa(len(pkts)-2) + " packets\n",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("listing: stderr lacks %q:\n%s", want, errs)
		}
	}
	if _, errs, code := runCLI(t, nil, "convert", listing, "-o", filepath.Join(dir, "l.pcap")); code != 2 || !strings.Contains(errs, "no packet bytes in it") {
		t.Errorf("convert of a listing: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "l.pcap")); err == nil {
		t.Error("convert of a listing left a file")
	}
}

func TestTextUsageErrors(t *testing.T) {
	repoRoot(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", "--date", "2026-13-01", fieldCase}, `analyze: --date "2026-13-01": want YYYY-MM-DD`},
		{[]string{"convert", fieldCase}, "convert: no output given"},
		{[]string{"convert", "-o", "x.pcap"}, "convert: want one capture file"},
		{[]string{"convert", "--date", "yesterday", "-o", "x.pcap", fieldCase}, `convert: --date "yesterday"`},
		{[]string{"convert", "-o", "x.pcap", "README.md"}, "README.md: not a packet capture"},
	} {
		_, errs, code := runCLI(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("tsid %v: exit %d, stderr %q; want exit 2 and one line containing %q", tc.args, code, errs, tc.want)
		}
	}
	out, _, code := runCLI(t, nil, "help", "convert")
	if code != 0 || !strings.Contains(out, "Usage: tsid convert") {
		t.Errorf("help convert: %d %q", code, out)
	}
}

// The README's "Captures from FTD and ASA" example is real output: the
// field case as `show capture inside dump` text, analyzed with --date.
func TestREADMETextExample(t *testing.T) {
	repoRoot(t)
	want := readmeOutput(t, "$ tsid analyze --date 2026-11-02 asa-inside.txt\n", "$ tsid convert")
	text := filepath.Join(t.TempDir(), "asa-inside.txt")
	writeText(t, text, readSample(t, fieldCase), textVariants[0])
	var out, errb bytes.Buffer
	if err := run([]string{"analyze", "--date", "2026-11-02", text}, nil, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("README example differs from the real output (-README +tsid):\n%s", diff)
	}
}
