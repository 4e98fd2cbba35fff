package tlsparse

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tsid-project/tsid/internal/corpus"
	"github.com/tsid-project/tsid/pcaps"
)

// u16s encodes a list of 16-bit values with a 16-bit length prefix
// (supported_groups, signature_algorithms).
func u16s(vs ...uint16) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
	return b.BytesOrPanic()
}

// versionsExt encodes the ClientHello form of supported_versions.
func versionsExt(vs ...uint16) []byte {
	var b cryptobyte.Builder
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
	return b.BytesOrPanic()
}

// alpnExt encodes application_layer_protocol_negotiation.
func alpnExt(protos ...string) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range protos {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
		}
	})
	return b.BytesOrPanic()
}

// Extension numbers of the test hellos, beyond those the parser names.
const (
	extStatusRequest  uint16 = 5
	extPadding        uint16 = 21
	extKeyShare       uint16 = 51
	extPSKModes       uint16 = 45
	extRenegotiation  uint16 = 0xff01
	extCompressCert   uint16 = 27
	extALPS           uint16 = 0x4469
	extExtMasterSec   uint16 = 23
	extSCT            uint16 = 18
	greaseCipher      uint16 = 0x0a0a
	greaseExt1        uint16 = 0x1a1a
	greaseExt2        uint16 = 0x5a5a
	greaseGroup       uint16 = 0x2a2a
	greaseVersion     uint16 = 0x4a4a
	greaseSigAlg      uint16 = 0x3a3a
	notGREASE         uint16 = 0x0a1a // bytes differ: an ordinary value
	specExampleCipher        = "8daaf6152771"
)

// specHello is the ClientHello of JA4.md's example (Chrome): its ciphers,
// extensions and signature algorithms in the order the example lists
// them, with GREASE added where Chrome puts it. sigalgs replaces the body
// of signature_algorithms.
func specHello(sigalgs []byte) []byte {
	return buildClientHello(0x0303, nil,
		[]uint16{greaseCipher, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		[]ext{
			{greaseExt1, nil},
			{extCompressCert, []byte{2, 0, 2}},
			{extServerName, sniExt(ServerName{0, "example.com"})},
			{extKeyShare, u16s()},
			{extALPN, alpnExt("h2", "http/1.1")},
			{extALPS, []byte{0, 3, 2, 'h', '2'}},
			{extExtMasterSec, nil},
			{extPSKModes, []byte{1, 1}},
			{extSignatureAlgs, sigalgs},
			{extStatusRequest, []byte{1, 0, 0, 0, 0}},
			{extSessionTicket, nil},
			{extSCT, nil},
			{extSupportedVersions, versionsExt(greaseVersion, 0x0304, 0x0303)},
			{extRenegotiation, []byte{0}},
			{extPointFormats, []byte{1, 0}},
			{extSupportedGroups, u16s(greaseGroup, 29, 23, 24)},
			{greaseExt2, []byte{0}},
			{extPadding, make([]byte, 8)},
		}, nil)
}

func TestFingerprints(t *testing.T) {
	specSigAlgs := u16s(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
	manyCiphers := make([]uint16, 120)
	for i := range manyCiphers {
		manyCiphers[i] = 0x1000 + uint16(i)
	}
	manyExts := make([]ext, 120)
	for i := range manyExts {
		manyExts[i] = ext{0x1000 + uint16(i), nil}
	}
	tests := []struct {
		name    string
		msg     []byte // a ClientHello message, or an SSLv2 record when sslv2
		sslv2   bool
		ja3     string
		ja3Hash string
		ja4     string // over TCP
	}{{
		// The example of JA4.md: a and b as published, c's input as
		// published ("0005,000a,…,ff01_0403,0804,…").
		name:    "JA4.md example, GREASE everywhere",
		msg:     specHello(specSigAlgs),
		ja3:     "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0",
		ja3Hash: "c000e2caf3a25423f9de6c8a4b12a975",
		ja4:     "t13d1516h2_" + specExampleCipher + "_e5627efa2ab1",
	}, {
		// JA4.md: "If there are no signature algorithms in the hello
		// packet, then the string ends without an underscore" (= 6d807ffa2a79).
		name:    "signature_algorithms empty",
		msg:     specHello(u16s()),
		ja3:     "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0",
		ja3Hash: "c000e2caf3a25423f9de6c8a4b12a975",
		ja4:     "t13d1516h2_" + specExampleCipher + "_6d807ffa2a79",
	}, {
		name: "GREASE signature algorithm dropped, look-alike kept",
		msg: buildClientHello(0x0303, nil, []uint16{greaseCipher, 0x1301, 0x1302, 0xc02b, notGREASE}, []ext{
			{extServerName, sniExt(ServerName{0, "a.example"})},
			{extSupportedGroups, u16s(greaseGroup, 29, 23)},
			{extPointFormats, []byte{1, 0}},
			{extSignatureAlgs, u16s(greaseSigAlg, 0x0403, 0x0804)},
			{extALPN, alpnExt("http/1.1")},
			{extSupportedVersions, versionsExt(greaseVersion, 0x0304, 0x0303)},
		}, nil),
		ja3:     "771,4865-4866-49195-2586,0-10-11-13-16-43,29-23,0",
		ja3Hash: md5String("771,4865-4866-49195-2586,0-10-11-13-16-43,29-23,0"),
		ja4:     "t13d0406h1_" + sha12("0a1a,1301,1302,c02b") + "_" + sha12("000a,000b,000d,002b_0403,0804"),
	}, {
		name:    "no extensions block, no ciphers",
		msg:     buildClientHello(0x0303, nil, nil, nil, nil),
		ja3:     "771,,,,",
		ja3Hash: "bddda940f9963577c41d7c28b1a5f65f",
		ja4:     "t12i000000_000000000000_000000000000",
	}, {
		// JA4_c is empty once SNI and ALPN are left out: all zeros, as
		// FoxIO's socks-https-example.pcap snapshot shows.
		name:    "only SNI and ALPN, empty SNI extension still counts as a domain",
		msg:     buildClientHello(0x0301, nil, []uint16{0x2f}, []ext{{extServerName, nil}, {extALPN, alpnExt("h2")}}, nil),
		ja3:     "769,47,0-16,,",
		ja3Hash: md5String("769,47,0-16,,"),
		ja4:     "t10d0102h2_" + sha12("002f") + "_000000000000",
	}, {
		name: "counts capped at 99",
		msg:  buildClientHello(0x0303, nil, manyCiphers, manyExts, nil),
		ja3:  "",
		ja4:  "t12i9999" + "00_" + sha12(hexList(manyCiphers)) + "_" + sha12(hexList(manyCiphers)),
	}, {
		name:    "supported_versions of GREASE only: legacy version",
		msg:     buildClientHello(0x0302, nil, []uint16{0x2f}, []ext{{extSupportedVersions, versionsExt(greaseVersion)}}, nil),
		ja3:     "770,47,43,,",
		ja3Hash: md5String("770,47,43,,"),
		ja4:     "t11i0101" + "00_" + sha12("002f") + "_" + sha12("002b"),
	}, {
		name:    "SSL 3.0",
		msg:     buildClientHello(0x0300, nil, []uint16{0x0a}, nil, nil),
		ja3:     "768,10,,,",
		ja3Hash: md5String("768,10,,,"),
		ja4:     "ts3i010000_" + sha12("000a") + "_000000000000",
	}, {
		// The highest value, as JA4.md says: a TLS 1.3 draft (0x7f17)
		// outranks 0x0303 and is not in JA4's table.
		name:    "TLS 1.3 draft offered: unknown version",
		msg:     buildClientHello(0x0303, nil, []uint16{0x1301}, []ext{{extSupportedVersions, versionsExt(0x7f17, 0x0303)}}, nil),
		ja3:     "771,4865,43,,",
		ja3Hash: md5String("771,4865,43,,"),
		ja4:     "t00i010100_" + sha12("1301") + "_" + sha12("002b"),
	}, {
		name:  "SSLv2 hello: no JA3, JA4 from the TLS cipher specs",
		msg:   sslv2Hello(0x0301, []uint32{0x010080, 0x00002f, 0x000035}, nil, bytes.Repeat([]byte{9}, 16)),
		sslv2: true,
		ja4:   "t10i020000_" + sha12("002f,0035") + "_000000000000",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ch *ClientHello
			var err error
			if tt.sslv2 {
				ch, err = ParseSSLv2ClientHello(tt.msg)
			} else {
				ch, err = ParseClientHello(tt.msg)
			}
			if err != nil {
				t.Fatal(err)
			}
			full, hash := ch.JA3()
			if tt.ja3 != "" || tt.sslv2 {
				if diff := cmp.Diff([2]string{tt.ja3, tt.ja3Hash}, [2]string{full, hash}); diff != "" {
					t.Errorf("JA3 (-want +got)\n%s", diff)
				}
			}
			if got := ch.JA3Hash(); got != hash {
				t.Errorf("JA3Hash %q, JA3 %q", got, hash)
			}
			if diff := cmp.Diff(tt.ja4, ch.JA4(JA4TCP)); diff != "" {
				t.Errorf("JA4 (-want +got)\n%s", diff)
			}
		})
	}
}

func md5String(s string) string { return md5Hex([]byte(s)) }

// sha12 is a JA4 hash part, computed independently of appendHashHex.
func sha12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

func hexList(vs []uint16) string {
	var l []string
	for _, v := range vs {
		l = append(l, fmt.Sprintf("%04x", v))
	}
	return strings.Join(l, ",")
}

// TestJA4ALPN covers JA4.md's "ALPN Extension Value" rules, its examples
// included.
func TestJA4ALPN(t *testing.T) {
	tests := []struct {
		alpn []string
		want string
	}{
		{nil, "00"},
		{[]string{""}, "00"}, // empty first value
		{[]string{"", "h2"}, "00"},
		{[]string{"h2", "http/1.1"}, "h2"},
		{[]string{"http/1.1"}, "h1"},
		{[]string{"h"}, "hh"}, // one character is both first and last
		{[]string{"\xab"}, "ab"},
		{[]string{"\xab\xcd"}, "ad"},
		{[]string{"\x30\xab"}, "3b"},
		{[]string{"\x30\x31\xab\xcd"}, "3d"},
		{[]string{"\x30\xab\xcd\x31"}, "01"},
		{[]string{"-h2"}, "22"}, // '-' is not alphanumeric: hex "2d6832"
	}
	for _, tt := range tests {
		if got := string(appendALPN(nil, tt.alpn)); got != tt.want {
			t.Errorf("ALPN %q: got %q, want %q", tt.alpn, got, tt.want)
		}
	}
	// Through a parsed hello: a non-ASCII first protocol.
	ch, err := ParseClientHello(buildClientHello(0x0303, nil, []uint16{0x1301}, []ext{{extALPN, alpnExt("\xba\xba", "h2")}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ch.JA4(JA4TCP)[:10], "t12i0101ba"; got != want {
		t.Errorf("JA4_a = %q, want %q", got, want)
	}
}

func TestJA4TransportAndDTLS(t *testing.T) {
	tests := []struct {
		name      string
		transport byte
		legacy    uint16
		versions  []uint16 // supported_versions; nil when absent
		want      string   // JA4_a without the counts and ALPN
	}{
		{"QUIC", JA4QUIC, 0x0303, []uint16{0x0304}, "q13"},
		{"DTLS 1.2 without supported_versions", JA4DTLS, 0xfefd, nil, "dd2"},
		{"DTLS 1.0", JA4DTLS, 0xfeff, nil, "dd1"},
		// DTLS numbers go down as versions go up: 0xfefc is the highest.
		{"DTLS 1.3 offered with 1.2", JA4DTLS, 0xfefd, []uint16{0xfefd, 0xfefc}, "dd3"},
		{"unknown legacy version", JA4TCP, 0x0305, nil, "t00"},
		{"SSL 2.0 number", JA4TCP, 0x0002, nil, "ts2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var exts []ext
			if tt.versions != nil {
				exts = []ext{{extSupportedVersions, versionsExt(tt.versions...)}}
			}
			ch, err := ParseClientHello(buildClientHello(tt.legacy, nil, []uint16{0x1301}, exts, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := ch.JA4(tt.transport)[:3]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJA3S(t *testing.T) {
	tests := []struct {
		name string
		msg  []byte
		full string
		hash string
	}{{
		// zeek's tls13-ech.pcap; tshark gives the same.
		name: "TLS 1.3",
		msg:  buildServerHello(0x0303, make([]byte, 32), nil, 0x1301, []ext{{extSupportedVersions, []byte{3, 4}}, {extKeyShare, make([]byte, 36)}}),
		full: "771,4865,43-51",
		hash: "f4febc55ea12b31ae17cfb7e614afda8",
	}, {
		name: "GREASE extension removed",
		msg:  buildServerHello(0x0303, make([]byte, 32), nil, 0x1301, []ext{{greaseExt1, nil}, {extSupportedVersions, []byte{3, 4}}, {extKeyShare, make([]byte, 36)}}),
		full: "771,4865,43-51",
		hash: "f4febc55ea12b31ae17cfb7e614afda8",
	}, {
		name: "no extensions",
		msg:  buildServerHello(0x0303, make([]byte, 32), nil, 0x1301, nil),
		full: "771,4865,",
		hash: "e8c07683aecf9b16e8e33f10a5161e4e",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, err := ParseServerHello(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			full, hash := sh.JA3S()
			if diff := cmp.Diff([2]string{tt.full, tt.hash}, [2]string{full, hash}); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestFingerprintFields checks the lists the fingerprints read: kept as
// sent (GREASE included), nil and an anomaly when broken, the first of
// duplicates.
func TestFingerprintFields(t *testing.T) {
	type fields struct {
		Groups    []uint16
		Formats   []uint8
		SigAlgs   []uint16
		Anomalies []string
	}
	tests := []struct {
		name string
		exts []ext
		want fields
	}{
		{"as sent", []ext{
			{extSupportedGroups, u16s(greaseGroup, 29, 23)},
			{extPointFormats, []byte{2, 0, 1}},
			{extSignatureAlgs, u16s(greaseSigAlg, 0x0403)},
		}, fields{Groups: []uint16{greaseGroup, 29, 23}, Formats: []uint8{0, 1}, SigAlgs: []uint16{greaseSigAlg, 0x0403}}},
		{"empty lists", []ext{
			{extSupportedGroups, u16s()},
			{extPointFormats, []byte{0}},
			{extSignatureAlgs, u16s()},
		}, fields{}},
		{"malformed", []ext{
			{extSupportedGroups, []byte{0, 3, 0, 29, 0}},
			{extPointFormats, []byte{2, 0}},
			{extSignatureAlgs, []byte{0, 2, 4, 3, 9}},
		}, fields{Anomalies: []string{"supported-groups-malformed", "point-formats-malformed", "signature-algorithms-malformed"}}},
		{"duplicates: the first is kept", []ext{
			{extSupportedGroups, u16s(29)},
			{extSupportedGroups, u16s(23)},
		}, fields{Groups: []uint16{29}, Anomalies: []string{"duplicate-extension:10"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := ParseClientHello(buildClientHello(0x0303, nil, []uint16{0x1301}, tt.exts, nil))
			if err != nil {
				t.Fatal(err)
			}
			got := fields{ch.SupportedGroups, ch.PointFormats, ch.SignatureAlgorithms, ch.Anomalies}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// ja4Expected are FoxIO-LLC/ja4's own JA4 values for the corpus's copies
// of its captures, from its insta snapshots
// rust/ja4/src/snapshots/ja4__insta@<capture>.snap (e.g. the stored
// versions at commits 10ee511b7b6d, 44569a1fc8cf, cbc2497bfbdb,
// 56ccad51d676), keyed by capture and client port. ipv6.pcapng has no
// snapshot of its own: it is the connection of tls-alpn-h2.pcap (same
// addresses, ports and SNI), whose snapshot gives its value.
var ja4Expected = map[string]map[uint16]string{
	"ja4/latest.pcapng": {
		52936: "t13d1516h2_8daaf6152771_e5627efa2ab1",
		52937: "t12d190800_d83cc789557e_7af1ed941c26",
		52938: "t13d1516h2_8daaf6152771_9b887d9acb53",
		52940: "t13d1516h2_8daaf6152771_e5627efa2ab1",
		52941: "t13d1516h2_8daaf6152771_e5627efa2ab1",
	},
	"ja4/browsers-x509.pcapng": {
		54524: "t13d1516h2_8daaf6152771_e5627efa2ab1",
		54525: "t13d1516h2_8daaf6152771_e5627efa2ab1",
		54603: "t13d1516h2_8daaf6152771_e5627efa2ab1",
	},
	"ja4/badcurveball.pcap": {
		55318: "t13d1615h2_46e7e9700bed_45f260be83e2",
	},
	"ja4/https-connect.pcap": { // TLS after an HTTP CONNECT
		54723: "t12i860500_e18388e7f3a3_a1e935682795",
	},
	"ja4/socks-https-example.pcap": { // TLS after a SOCKS exchange
		53554: "t10d230100_6a57a6f57151_000000000000",
		53555: "t10d230100_6a57a6f57151_000000000000",
		53556: "t10d230100_6a57a6f57151_000000000000",
	},
	"ja4/ipv6.pcapng": {
		64034: "t12d4605h2_85626a9a5f7f_aaf95bb78ec9",
	},
}

// TestJA4Corpus compares JA4 with the JA4 project's expectations for its
// captures, read through tsid's reassembly.
func TestJA4Corpus(t *testing.T) {
	corpusFiles(t)
	for rel, want := range ja4Expected {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(corpusDir, rel)
			if _, err := os.Stat(path); err != nil {
				t.Skip(err)
			}
			got := map[uint16]string{}
			for _, c := range readCorpusFile(t, path) {
				if ch := c.hs.ClientHello; ch != nil {
					client := c.info.A
					if c.hs.ClientDir == 1 {
						client = c.info.B
					}
					got[client.Port()] = ch.JA4(JA4TCP)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("JA4 by client port (-want +got)\n%s", diff)
			}
		})
	}
}

// corpusDir holds other projects' captures (see its README); they are
// read in place, never copied into the repository.
var corpusDir = filepath.Join(corpus.Dir(), "pcaps")

// corpusConn is one TCP connection of a capture as the engine's code path
// reads it: pcaps reassembly feeding an Observer.
type corpusConn struct {
	info pcaps.ConnInfo
	hs   *Handshake
}

type corpusStream struct {
	info  *pcaps.ConnInfo
	obs   *Observer
	done  bool
	conns *[]corpusConn
}

func (s *corpusStream) Data(dir pcaps.Dir, b []byte, _ time.Time) bool {
	if s.done {
		return false
	}
	if s.obs.Data(Dir(dir), b) {
		s.done = true
	}
	return !s.done
}

func (s *corpusStream) Gap(dir pcaps.Dir, _ int) {
	if !s.done {
		s.obs.Gap(Dir(dir))
	}
}

func (*corpusStream) Anomaly(pcaps.Dir, string) {}

func (s *corpusStream) End(pcaps.Ending) {
	*s.conns = append(*s.conns, corpusConn{info: *s.info, hs: s.obs.Handshake()})
}

// readCorpusFile returns the connections of one capture in the order of
// their first packet.
func readCorpusFile(t *testing.T, path string) []corpusConn {
	t.Helper()
	rd, err := pcaps.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var conns []corpusConn
	asm := pcaps.NewAssembler(func(c *pcaps.ConnInfo) pcaps.Stream {
		return &corpusStream{info: c, obs: NewObserver(), conns: &conns}
	}, pcaps.Config{})
	for {
		data, ci, link, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Logf("%s: %v (reading stops here)", path, err)
			break
		}
		asm.Packet(data, ci, link)
	}
	asm.Close()
	slices.SortFunc(conns, func(a, b corpusConn) int { return int(a.info.ID) - int(b.info.ID) })
	return conns
}

// corpusFiles lists the captures under corpusDir, or skips the test.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("no corpus: %v", err)
	}
	var files []string
	filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skipf("no captures under %s", corpusDir)
	}
	return files
}

// connKey names a TCP connection within one capture independently of the
// tool: its two ports, lower first, and how many earlier connections had
// the same ports (a reused 5-tuple). Ports, not addresses, because in a
// tunnelled capture tshark lists the outer and inner addresses and
// which is inner depends on the tunnel.
type connKey struct {
	lo, hi uint16
	nth    int
}

func keyer() func(p, q uint16) connKey {
	seen := map[[2]uint16]int{}
	return func(p, q uint16) connKey {
		lo, hi := min(p, q), max(p, q)
		n := seen[[2]uint16{lo, hi}]
		seen[[2]uint16{lo, hi}] = n + 1
		return connKey{lo, hi, n}
	}
}

// wiresharkHellos is what tshark printed for one connection: the JA3 of
// its first ClientHello and the JA3S of its last ServerHello (the real
// one after a HelloRetryRequest, which is what Handshake keeps).
type wiresharkHellos struct {
	ja3Full, ja3, ja3sFull, ja3s string
	hasCH, hasSH                 bool
}

// tsharkHellos runs tshark on one capture.
func tsharkHellos(t *testing.T, tshark, path string) map[connKey]*wiresharkHellos {
	t.Helper()
	cmd := exec.Command(tshark, "-r", path, "-Y", "tls.handshake.type==1 || tls.handshake.type==2",
		"-T", "fields", "-E", "separator=\t", "-E", "aggregator=|",
		"-e", "tcp.stream", "-e", "tls.handshake.type", "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3s",
		"-e", "tls.handshake.ja3_full", "-e", "tls.handshake.ja3s_full", "-e", "tcp.srcport", "-e", "tcp.dstport",
		"-o", "tls.desegment_ssl_records:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE",
		// tsid puts out-of-order segments back in order; without this
		// tshark skips a ServerHello that came out of order (zeek's
		// hrr.pcap) or after SYN-ACKs with different sequence numbers
		// (nDPI's tls_multiple_synack_different_seq.pcapng).
		"-o", "tcp.reassemble_out_of_order:TRUE")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.Bytes())
	}
	type row struct {
		stream int
		f      []string
	}
	byStream := map[int]*wiresharkHellos{}
	var order []int
	ports := map[int][2]uint16{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 8 {
			continue
		}
		var stream int
		var sp, dp uint16
		if _, err := fmt.Sscan(f[0], &stream); err != nil {
			continue // a hello tshark found outside TCP (DTLS, QUIC)
		}
		// Tunnels inside TCP are not in the corpus: the last port is the
		// innermost.
		fmt.Sscan(last(f[6]), &sp)
		fmt.Sscan(last(f[7]), &dp)
		w := byStream[stream]
		if w == nil {
			w = new(wiresharkHellos)
			byStream[stream] = w
			order = append(order, stream)
			ports[stream] = [2]uint16{sp, dp}
		}
		if f[2] != "" && !w.hasCH {
			w.hasCH, w.ja3, w.ja3Full = true, first(f[2]), first(f[4])
		}
		if f[3] != "" {
			w.hasSH, w.ja3s, w.ja3sFull = true, last(f[3]), last(f[5])
		}
	}
	slices.Sort(order)
	key := keyer()
	m := map[connKey]*wiresharkHellos{}
	for _, s := range order {
		p := ports[s]
		m[key(p[0], p[1])] = byStream[s]
	}
	return m
}

// first and last pick one of the occurrences tshark joined with '|'.
func first(s string) string { return strings.Split(s, "|")[0] }
func last(s string) string {
	l := strings.Split(s, "|")
	return l[len(l)-1]
}

// ja3Explained are the hellos one tool fingerprints and the other does
// not, with the reason, keyed by capture, connection and hello. Any other
// difference fails the test.
var ja3Explained = map[string]string{
	"ndpi/tls_invalid_reads.pcap {443 3967 0} ClientHello": "" +
		"the ClientHello has an empty compression_methods list and ends there; " +
		"tsid rejects it (RFC 5246, Section 7.4.1.2: at least one method), " +
		"Wireshark prints what it read before the error (a JA3 with one comma missing)",
	"ndpi/tls_invalid_reads.pcap {443 58552 0} ClientHello": "" +
		"the ClientHello's extensions overrun the message; Wireshark marks it " +
		"malformed and prints no JA3, tsid keeps the extensions before the overrun",
	"ndpi/rdp_over_tls.pcap {3389 35888 0} ClientHello": "" +
		"TLS inside RDP after an X.224 exchange: tshark dissects it as RDP, " +
		"tsid finds the TLS records after the preamble",
	"ndpi/rdp_over_tls.pcap {3389 35888 0} ServerHello": "as the ClientHello",
	"ndpi/tls_port_80.pcapng {80 50541 0} ClientHello": "" +
		"TLS on port 80: tshark dissects it as HTTP, tsid decides from the bytes",
	"ndpi/tls_port_80.pcapng {80 50541 0} ServerHello": "as the ClientHello",
	"zeek/tls/ssl-to-http-server.pcap {80 62561 0} ClientHello": "" +
		"a ClientHello sent to an HTTP server on port 80: tshark dissects it as HTTP",
}

// TestJA3Wireshark compares JA3 and JA3S with tshark's on every capture of
// the shared corpus: same hellos, read by tsid's own reassembly.
func TestJA3Wireshark(t *testing.T) {
	if testing.Short() {
		t.Skip("tshark comparison (half a minute) skipped in -short mode")
	}
	files := corpusFiles(t)
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: JA3 is not compared with Wireshark")
	}
	var (
		mu                                          sync.Mutex
		agree, disagree, explained, onlyWS, onlyOur int
	)
	t.Run("files", func(t *testing.T) {
		for _, path := range files {
			rel, _ := filepath.Rel(corpusDir, path)
			t.Run(rel, func(t *testing.T) {
				t.Parallel()
				ws := tsharkHellos(t, tshark, path)
				mu.Lock()
				defer mu.Unlock()
				// differ records a hello only one tool fingerprints.
				differ := func(k connKey, hello string, ours bool) {
					id := fmt.Sprintf("%s %v %s", rel, k, hello)
					switch {
					case ja3Explained[id] != "":
						explained++
						t.Logf("%s: only one tool fingerprints it: %s", id, ja3Explained[id])
					case ours:
						onlyOur++
						t.Errorf("%s: only in tsid, unexplained", id)
					default:
						onlyWS++
						t.Errorf("%s: only in tshark, unexplained", id)
					}
				}
				compare := func(k connKey, hello, gotFull, gotHash, wantFull, wantHash string) {
					if gotFull == wantFull && gotHash == wantHash {
						agree++
						return
					}
					disagree++
					t.Errorf("%s %v: %s\n got %s %s\nwant %s %s", rel, k, hello, gotHash, gotFull, wantHash, wantFull)
				}
				key := keyer()
				for _, c := range readCorpusFile(t, path) {
					k := key(c.info.A.Port(), c.info.B.Port())
					w := ws[k]
					delete(ws, k)
					if w == nil {
						w = new(wiresharkHellos)
					}
					ch, sh := c.hs.ClientHello, c.hs.ServerHello
					if ch != nil && ch.SSLv2 {
						ch = nil // neither tool fingerprints it
					}
					switch {
					case ch != nil && w.hasCH:
						full, hash := ch.JA3()
						compare(k, "JA3", full, hash, w.ja3Full, w.ja3)
					case ch != nil || w.hasCH:
						differ(k, "ClientHello", ch != nil)
					}
					switch {
					case sh != nil && w.hasSH:
						full, hash := sh.JA3S()
						compare(k, "JA3S", full, hash, w.ja3sFull, w.ja3s)
					case sh != nil || w.hasSH:
						differ(k, "ServerHello", sh != nil)
					}
				}
				for k, w := range ws {
					if w.hasCH {
						differ(k, "ClientHello", false)
					}
					if w.hasSH {
						differ(k, "ServerHello", false)
					}
				}
			})
		}
	})
	t.Logf("JA3/JA3S vs tshark over %d captures: %d agree, %d disagree, %d explained, %d unexplained only in tshark, %d unexplained only in tsid",
		len(files), agree, disagree, explained, onlyWS, onlyOur)
}

// BenchmarkFingerprints measures the fingerprints of a Go TLS 1.3
// ClientHello; they are computed per connection on demand, not per packet.
func BenchmarkFingerprints(b *testing.B) {
	ch, err := ParseClientHello(handshakeMessages(b, stream(realHandshakes(b).tls13, 0))[0])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("JA3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch.JA3()
		}
	})
	b.Run("JA3Hash", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch.JA3Hash()
		}
	})
	b.Run("JA4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch.JA4(JA4TCP)
		}
	})
}
