package tlsparse

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/tsid-project/tsid/internal/corpus"
	"golang.org/x/crypto/cryptobyte"
)

// Wire versions of DTLS records and hellos in the fixtures.
const (
	dtls10 = uint16(VersionDTLS10)
	dtls12 = uint16(VersionDTLS12)
)

// dtlsDatagram is one UDP payload of a fixture.
type dtlsDatagram struct {
	fromClient bool
	b          []byte
}

// dtlsRecord builds one DTLS record (RFC 6347, Section 4.1).
func dtlsRecord(typ uint8, vers, epoch uint16, seq uint64, payload []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(typ)
	b.AddUint16(vers)
	b.AddUint16(epoch)
	b.AddUint16(uint16(seq >> 32))
	b.AddUint32(uint32(seq))
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(payload) })
	return b.BytesOrPanic()
}

// dtlsFragment builds one handshake fragment (RFC 6347, Section 4.2.2) of
// msg, a handshake message in TLS form (4-byte header, body): the body
// bytes [off, off+n).
func dtlsFragment(msg []byte, msgSeq uint16, off, n int) []byte {
	body := msg[4:]
	var b cryptobyte.Builder
	b.AddUint8(msg[0])
	b.AddUint24(uint32(len(body)))
	b.AddUint16(msgSeq)
	b.AddUint24(uint32(off))
	b.AddUint24(uint32(n))
	b.AddBytes(body[off : off+n])
	return b.BytesOrPanic()
}

// dtlsWhole is msg as one unfragmented DTLS handshake message.
func dtlsWhole(msg []byte, msgSeq uint16) []byte { return dtlsFragment(msg, msgSeq, 0, len(msg)-4) }

// cat concatenates byte slices: records into a dtlsDatagram, fragments into
// a record.
func dtlsCat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// dtlsClientHello builds a DTLS ClientHello in TLS form (RFC 6347,
// Section 4.2.1: a cookie after the session_id).
func dtlsClientHello(vers uint16, cookie []byte, exts []ext) []byte {
	var b cryptobyte.Builder
	b.AddUint8(TypeClientHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(vers)
		b.AddBytes(make([]byte, 32))
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {}) // session_id
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cookie) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0xc02b); b.AddUint16(0xc02f) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
			}
		})
	})
	return b.BytesOrPanic()
}

// helloVerifyRequest builds a HelloVerifyRequest in TLS form (RFC 6347,
// Section 4.2.1).
func helloVerifyRequest(cookie []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(TypeHelloVerifyRequest)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(dtls10) // RFC 6347: DTLS 1.0 here, whatever is negotiated
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cookie) })
	})
	return b.BytesOrPanic()
}

// dtlsCertificateMsg builds a TLS 1.2 Certificate message (RFC 5246, Section
// 7.4.2).
func dtlsCertificateMsg(certs [][]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(TypeCertificate)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range certs {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
			}
		})
	})
	return b.BytesOrPanic()
}

// dtlsEmptyMsg is a handshake message of type typ with an empty body.
func dtlsEmptyMsg(typ uint8) []byte { return []byte{typ, 0, 0, 0} }

// dtlsFlight is the handshake of one DTLS association, piece by piece.
type dtlsFlight struct {
	vers            uint16
	ch1, hvr, ch2   []byte // TLS form
	sh, cert, shd   []byte
	cookie          []byte
	certLen         int // body length of cert
	cuts            [2]int
	leafCN, version string
}

func newDTLSFlight(t testing.TB, vers uint16) *dtlsFlight {
	t.Helper()
	chain := testServerCert(t).Certificate
	f := &dtlsFlight{vers: vers, cookie: []byte("cookie-0123456789")}
	exts := []ext{{extServerName, sniExt(ServerName{0, "vpn.example.com"})}}
	f.ch1 = dtlsClientHello(vers, nil, exts)
	f.hvr = helloVerifyRequest(f.cookie)
	f.ch2 = dtlsClientHello(vers, f.cookie, exts)
	f.sh = buildServerHello(vers, make([]byte, 32), []byte{7}, 0xc02b, []ext{})
	f.cert = dtlsCertificateMsg(chain)
	f.shd = dtlsEmptyMsg(TypeServerHelloDone)
	f.certLen = len(f.cert) - 4
	f.cuts = [2]int{f.certLen / 3, 2 * f.certLen / 3}
	return f
}

// certFrag is the i-th of the Certificate's three fragments (message_seq 2).
func (f *dtlsFlight) certFrag(i int) []byte {
	bounds := []int{0, f.cuts[0], f.cuts[1], f.certLen}
	return dtlsFragment(f.cert, 2, bounds[i], bounds[i+1]-bounds[i])
}

// handshake is the whole association: ClientHello, HelloVerifyRequest,
// ClientHello with the cookie, then the server's flight in two datagrams,
// the Certificate in three fragments sent out of order (the last one
// first).
func (f *dtlsFlight) handshake() []dtlsDatagram {
	hs := func(seq uint64, p ...[]byte) []byte {
		return dtlsRecord(RecordHandshake, f.vers, 0, seq, dtlsCat(p...))
	}
	return []dtlsDatagram{
		{true, hs(0, dtlsWhole(f.ch1, 0))},
		{false, hs(0, dtlsWhole(f.hvr, 0))},
		{true, hs(1, dtlsWhole(f.ch2, 1))},
		{false, dtlsCat(hs(3, f.certFrag(2)), hs(2, f.certFrag(0)))},
		{false, dtlsCat(hs(1, dtlsWhole(f.sh, 1)), hs(4, f.certFrag(1)), hs(5, dtlsWhole(f.shd, 3)))},
	}
}

// dtlsSummary is what the tests compare of a Handshake.
type dtlsSummary struct {
	IsTLS      bool
	SNI        string
	SNIStatus  SNIStatus
	Status     CertStatus
	Version    Version
	CN         string
	Incomplete bool
	Resumed    bool
	ServerDone bool
	Done       bool
	Alerts     []string
	Anomalies  []string
}

func summarizeDTLS(d *DTLS) dtlsSummary {
	h := d.Handshake()
	s := dtlsSummary{
		IsTLS: h.IsTLS, SNIStatus: h.SNIStatus, Status: h.Status, Version: h.Version,
		Incomplete: h.Incomplete, Resumed: h.Resumed, ServerDone: h.ServerDone, Done: d.Done(),
		Anomalies: h.Anomalies,
	}
	if h.ClientHello != nil {
		s.SNI = h.ClientHello.SNI
	}
	if len(h.Chain) > 0 {
		s.CN = h.Chain[0].CN
	}
	for _, a := range h.Alerts {
		s.Alerts = append(s.Alerts, a.Name())
	}
	return s
}

func runDTLS(dgs []dtlsDatagram) *DTLS {
	d := NewDTLS()
	for _, g := range dgs {
		d.Datagram(g.b, g.fromClient)
	}
	return d
}

func TestDTLS(t *testing.T) {
	f := newDTLSFlight(t, dtls12)
	f10 := newDTLSFlight(t, dtls10)
	full := f.handshake()
	hs := func(seq uint64, p ...[]byte) []byte {
		return dtlsRecord(RecordHandshake, dtls12, 0, seq, dtlsCat(p...))
	}
	present := dtlsSummary{
		IsTLS: true, SNI: "vpn.example.com", SNIStatus: SNIPresent, Status: CertPresent,
		Version: VersionDTLS12, CN: "tools.example.com", ServerDone: true, Done: true,
		Anomalies: []string{"dtls-hello-verify-request"},
	}
	with := func(s dtlsSummary, edit func(*dtlsSummary)) dtlsSummary { edit(&s); return s }

	// A Certificate fragment overlapping the first one with other bytes.
	conflict := slices.Clone(f.certFrag(0))
	conflict[len(conflict)-1] ^= 0xff

	tests := []struct {
		name string
		dgs  []dtlsDatagram
		want dtlsSummary
	}{
		{
			name: "DTLS 1.2 with HelloVerifyRequest, certificate fragmented out of order",
			dgs:  full,
			want: present,
		},
		{
			name: "retransmissions of both flights",
			dgs:  slices.Concat(full[:3], full[2:3], full[3:], full[3:], full[:1]),
			want: present,
		},
		{
			name: "retransmitted certificate fragment before the ServerHello",
			dgs:  slices.Concat(full[:4], full[3:]),
			want: present,
		},
		{
			name: "conflicting overlap: the first bytes win",
			dgs:  slices.Concat(full[:4], []dtlsDatagram{{false, hs(9, conflict)}}, full[4:]),
			want: with(present, func(s *dtlsSummary) {
				s.Anomalies = append(s.Anomalies, "dtls-fragment-overlap-conflict")
			}),
		},
		{
			name: "conflicting retransmission of the ClientHello",
			dgs: slices.Concat(full[:3], []dtlsDatagram{{true, hs(2, dtlsWhole(dtlsClientHello(dtls12, f.cookie,
				[]ext{{extServerName, sniExt(ServerName{0, "evil.example.com"})}}), 1))}}, full[3:]),
			want: with(present, func(s *dtlsSummary) {
				s.Anomalies = append(s.Anomalies, "dtls-fragment-mismatch")
			}),
		},
		{
			name: "DTLS 1.0 without HelloVerifyRequest",
			dgs: []dtlsDatagram{
				{true, dtlsRecord(RecordHandshake, dtls10, 0, 0, dtlsWhole(f10.ch1, 0))},
				{false, dtlsCat(
					dtlsRecord(RecordHandshake, dtls10, 0, 0, dtlsWhole(f10.sh, 0)),
					dtlsRecord(RecordHandshake, dtls10, 0, 1, dtlsWhole(f10.cert, 1)),
					dtlsRecord(RecordHandshake, dtls10, 0, 2, dtlsWhole(f10.shd, 2)))},
			},
			want: with(present, func(s *dtlsSummary) { s.Version, s.Anomalies = VersionDTLS10, nil }),
		},
		{
			name: "ClientHello only",
			dgs:  full[:1],
			want: dtlsSummary{IsTLS: true, SNI: "vpn.example.com", SNIStatus: SNIPresent, Status: CertMissing},
		},
		{
			name: "certificate fragment lost",
			dgs:  slices.Concat(full[:3], []dtlsDatagram{{false, hs(1, dtlsWhole(f.sh, 1), f.certFrag(0), f.certFrag(1))}}),
			want: with(present, func(s *dtlsSummary) {
				s.Status, s.CN, s.Incomplete, s.ServerDone, s.Done = CertIncomplete, "", true, false, false
			}),
		},
		{
			name: "ServerHello lost",
			dgs:  slices.Concat(full[:3], full[3:4]),
			want: with(present, func(s *dtlsSummary) {
				s.Status, s.CN, s.Version, s.Incomplete, s.ServerDone, s.Done = CertIncomplete, "", 0, true, false, false
			}),
		},
		{
			name: "truncated record",
			dgs:  slices.Concat(full[:3], []dtlsDatagram{{false, full[4].b[:40]}}),
			want: with(present, func(s *dtlsSummary) {
				s.Status, s.CN, s.Version, s.Incomplete, s.ServerDone, s.Done = CertIncomplete, "", 0, true, false, false
				s.Anomalies = append(s.Anomalies, "dtls-record-truncated")
			}),
		},
		{
			name: "fatal alert answers the ClientHello",
			dgs:  slices.Concat(full[:1], []dtlsDatagram{{false, dtlsRecord(RecordAlert, dtls12, 0, 0, []byte{AlertLevelFatal, 40})}}),
			want: dtlsSummary{
				IsTLS: true, SNI: "vpn.example.com", SNIStatus: SNIPresent, Status: CertMissing, Done: true,
				Alerts: []string{"handshake_failure"}, Anomalies: []string{"alert:handshake_failure"},
			},
		},
		{
			name: "abbreviated handshake",
			dgs: slices.Concat(full[:1], []dtlsDatagram{{false, dtlsCat(
				hs(0, dtlsWhole(f.sh, 0)),
				dtlsRecord(RecordChangeCipherSpec, dtls12, 0, 1, []byte{1}),
				dtlsRecord(RecordHandshake, dtls12, 1, 0, make([]byte, 40)))}}),
			want: dtlsSummary{
				IsTLS: true, SNI: "vpn.example.com", SNIStatus: SNIPresent, Status: CertResumed,
				Version: VersionDTLS12, Resumed: true, ServerDone: true, Done: true,
			},
		},
		{
			name: "DTLS 1.3: the certificate is encrypted",
			dgs: slices.Concat(full[:1], []dtlsDatagram{{false, hs(0, dtlsWhole(buildServerHello(dtls12, make([]byte, 32), nil,
				0x1301, []ext{{extSupportedVersions, []byte{0xfe, 0xfc}}}), 0))}}),
			want: dtlsSummary{
				IsTLS: true, SNI: "vpn.example.com", SNIStatus: SNIPresent, Status: CertEncrypted,
				Version: VersionDTLS13, Done: true,
			},
		},
		{
			name: "only encrypted records",
			dgs: []dtlsDatagram{
				{true, dtlsRecord(RecordApplicationData, dtls12, 1, 5, make([]byte, 30))},
				{false, dtlsRecord(RecordApplicationData, dtls12, 1, 9, make([]byte, 30))},
			},
			want: dtlsSummary{
				IsTLS: true, SNIStatus: SNIUnknown, Status: CertIncomplete, Incomplete: true, Done: true,
				Anomalies: []string{"handshake-not-captured"},
			},
		},
		{
			name: "second ClientHello without cookie",
			dgs:  []dtlsDatagram{full[0], {true, hs(1, dtlsWhole(f.ch1, 1))}},
			want: dtlsSummary{
				IsTLS: true, SNI: "vpn.example.com", SNIStatus: SNIPresent, Status: CertMissing,
				Anomalies: []string{"second-clienthello"},
			},
		},
		{
			name: "not DTLS",
			dgs:  []dtlsDatagram{{true, []byte("GET / HTTP/1.1\r\n\r\n")}},
			want: dtlsSummary{Anomalies: []string{"dtls-record-malformed"}},
		},
		{
			name: "ClientHello over the cap",
			dgs:  []dtlsDatagram{{true, hs(0, []byte{TypeClientHello, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})}},
			want: dtlsSummary{
				IsTLS: true, SNIStatus: SNIUnknown, Status: CertMissing, Incomplete: true,
				Anomalies: []string{"handshake-too-large:1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarizeDTLS(runDTLS(tt.dgs))); diff != "" {
				t.Errorf("Handshake (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDTLSClientHelloCookie checks that the ClientHello kept is the one
// with the cookie, read like a TLS ClientHello without it.
func TestDTLSClientHelloCookie(t *testing.T) {
	f := newDTLSFlight(t, dtls12)
	h := runDTLS(f.handshake()).Handshake()
	// The same hello in TLS form: ParseClientHello's answer is the one.
	want, err := ParseClientHello(buildClientHello(dtls12, []byte{}, []uint16{0xc02b, 0xc02f},
		[]ext{{extServerName, sniExt(ServerName{0, "vpn.example.com"})}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, h.ClientHello); diff != "" {
		t.Errorf("ClientHello (-want +got):\n%s", diff)
	}
	if h.ClientHello.Version.String() != "DTLS 1.2" {
		t.Errorf("version %v, want DTLS 1.2", h.ClientHello.Version)
	}
}

// TestDTLSPrefixes feeds every prefix of every dtlsDatagram of the flight
// after the whole datagrams before it: no panic, and a prefix never
// completes more than the whole would.
func TestDTLSPrefixes(t *testing.T) {
	for _, vers := range []uint16{dtls10, dtls12} {
		dgs := newDTLSFlight(t, vers).handshake()
		for i, g := range dgs {
			for n := range len(g.b) {
				d := runDTLS(dgs[:i])
				d.Datagram(g.b[:n], g.fromClient)
				h := d.Handshake()
				if h.Status == CertPresent && i < len(dgs)-1 {
					t.Fatalf("dtlsDatagram %d cut at %d: certificate before its last fragment", i, n)
				}
				checkDTLSBounds(t, d)
			}
		}
	}
}

// checkDTLSBounds checks the memory caps of a DTLS.
func checkDTLSBounds(t testing.TB, d *DTLS) {
	t.Helper()
	for i := range d.d {
		s := &d.d[i]
		sum := 0
		for j := range s.msgs {
			sum += s.msgs[j].size()
		}
		if s.buffered != sum || s.buffered > MaxDTLSBuffered || s.buffered < 0 {
			t.Fatalf("direction %d: buffered %d, messages hold %d", i, s.buffered, sum)
		}
	}
	if h := d.Handshake(); len(h.Anomalies) > maxDTLSAnomalies+1 || len(h.Alerts) > maxAlerts {
		t.Fatalf("%d anomalies, %d alerts", len(h.Anomalies), len(h.Alerts))
	}
}

// TestDTLSBufferCap sends fragments of many large messages: the direction
// stops at MaxDTLSBuffered.
func TestDTLSBufferCap(t *testing.T) {
	d := NewDTLS()
	d.Datagram(dtlsRecord(RecordHandshake, dtls12, 0, 0, dtlsWhole(newDTLSFlight(t, dtls12).ch1, 0)), true)
	for seq := range uint16(40) {
		frag := []byte{TypeCertificate, 0, 0x80, 0, byte(seq >> 8), byte(seq), 0, 0, 0, 0, 0, 4, 1, 2, 3, 4}
		d.Datagram(dtlsRecord(RecordHandshake, dtls12, 0, uint64(seq), frag), false)
		checkDTLSBounds(t, d)
	}
	h := d.Handshake()
	if h.Status != CertIncomplete || !slices.Contains(h.Anomalies, "dtls-buffer-full") {
		t.Errorf("status %q, anomalies %q; want incomplete with dtls-buffer-full", h.Status, h.Anomalies)
	}
}

func TestLooksDTLS(t *testing.T) {
	f := newDTLSFlight(t, dtls12)
	full := f.handshake()
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"ClientHello", full[0].b, true},
		{"HelloVerifyRequest", full[1].b, true},
		{"DTLS 1.0", dtlsRecord(RecordHandshake, dtls10, 0, 0, dtlsWhole(f.ch1, 0)), true},
		{"encrypted Finished", dtlsRecord(RecordHandshake, dtls12, 1, 0, make([]byte, 40)), true},
		{"cut record", full[0].b[:len(full[0].b)-1], false},
		{"header only", full[0].b[:dtlsRecordHeaderLen], false},
		{"TLS record", record(RecordHandshake, 0x0303, f.ch1), false},
		{"application data", dtlsRecord(RecordApplicationData, dtls12, 1, 0, make([]byte, 40)), false},
		{"fragment beyond message", dtlsRecord(RecordHandshake, dtls12, 0, 0,
			[]byte{1, 0, 0, 4, 0, 0, 0, 0, 2, 0, 0, 4, 1, 2, 3, 4}), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := LooksDTLS(tt.b); got != tt.want {
			t.Errorf("%s: LooksDTLS = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDTLSAllocs checks that the datagrams of an association past its
// handshake, and retransmissions, allocate nothing.
func TestDTLSAllocs(t *testing.T) {
	f := newDTLSFlight(t, dtls12)
	full := f.handshake()
	d := runDTLS(full[:3])
	appData := dtlsRecord(RecordApplicationData, dtls12, 1, 7, make([]byte, 1200))
	for _, tc := range []struct {
		name string
		b    []byte
		cli  bool
	}{
		{"retransmitted ClientHello", full[2].b, true},
		{"retransmitted first ClientHello", full[0].b, true},
		{"not DTLS", []byte("garbage garbage garbage"), true},
	} {
		if n := testing.AllocsPerRun(100, func() { d.Datagram(tc.b, tc.cli) }); n != 0 {
			t.Errorf("%s: %v allocations per dtlsDatagram", tc.name, n)
		}
	}
	d = runDTLS(full)
	if n := testing.AllocsPerRun(100, func() { d.Datagram(appData, true); d.Datagram(appData, false) }); n != 0 {
		t.Errorf("application data: %v allocations per dtlsDatagram", n)
	}
	if n := testing.AllocsPerRun(100, func() { LooksDTLS(full[0].b) }); n != 0 {
		t.Errorf("LooksDTLS: %v allocations", n)
	}
}

func BenchmarkDTLS(b *testing.B) {
	f := newDTLSFlight(b, dtls12)
	full := f.handshake()
	b.Run("handshake", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			runDTLS(full)
		}
	})
	b.Run("appdata", func(b *testing.B) {
		d := runDTLS(full)
		appData := dtlsRecord(RecordApplicationData, dtls12, 1, 7, make([]byte, 1200))
		b.ReportAllocs()
		b.SetBytes(int64(len(appData)))
		for b.Loop() {
			d.Datagram(appData, false)
		}
	})
	b.Run("LooksDTLS", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			LooksDTLS(full[0].b)
		}
	})
}

// dtlsCorpusDir holds the shared real captures (see its README); they are not
// part of the repository.
var dtlsCorpusDir = corpus.Dir()

// dtlsCorpusConn is the part of an expected.json entry this test reads.
type dtlsCorpusConn struct {
	Client string   `json:"client"`
	Server string   `json:"server"`
	SNI    *string  `json:"sni"`
	CN     *string  `json:"cn"`
	O      []string `json:"o"`
}

// TestDTLSCorpus reads zeek's DTLS 1.2 capture: the ClientHello (no SNI)
// and the server's certificate, as expected.json lists them.
func TestDTLSCorpus(t *testing.T) {
	const rel = "zeek/tls/dtls1_2.pcap"
	file, err := os.Open(dtlsCorpusDir + "/pcaps/" + rel)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s absent: the shared corpus is not here", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	var want dtlsCorpusConn
	if b, err := os.ReadFile(dtlsCorpusDir + "/expected.json"); err == nil {
		var entries []struct {
			Path  string           `json:"path"`
			Conns []dtlsCorpusConn `json:"conns"`
		}
		if err := json.Unmarshal(b, &entries); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Path == rel && len(e.Conns) == 1 {
				want = e.Conns[0]
			}
		}
	}
	if want.Client == "" {
		t.Logf("expected.json does not list %s: checking what the capture shows", rel)
	}

	r, err := pcapgo.NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDTLS()
	var client, server string
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		nl := p.NetworkLayer()
		if udp == nil || nl == nil {
			continue
		}
		src := nl.NetworkFlow().Src().String() + ":" + strconv.Itoa(int(udp.SrcPort))
		dst := nl.NetworkFlow().Dst().String() + ":" + strconv.Itoa(int(udp.DstPort))
		if client == "" {
			if !LooksDTLS(udp.Payload) {
				continue
			}
			client, server = src, dst // the first DTLS datagram is a ClientHello
		}
		switch {
		case src == client && dst == server:
			d.Datagram(udp.Payload, true)
		case src == server && dst == client:
			d.Datagram(udp.Payload, false)
		}
	}
	h := d.Handshake()
	if h.ClientHello == nil || len(h.Chain) == 0 {
		t.Fatalf("ClientHello %v, chain of %d; anomalies %q", h.ClientHello, len(h.Chain), h.Anomalies)
	}
	leaf := h.Chain[0]
	t.Logf("%s -> %s: SNI %q, %v, subject %q, anomalies %q", client, server, h.ClientHello.SNI, h.Version, leaf.Subject, h.Anomalies)
	if leaf.Subject == "" || h.Status != CertPresent || !d.Done() {
		t.Errorf("subject %q, status %q, done %v", leaf.Subject, h.Status, d.Done())
	}
	if want.Client == "" {
		return
	}
	type fields struct {
		Client, Server, SNI string
		SNIStatus           SNIStatus
		CN                  *string
		O                   []string
	}
	wantSNI, wantStatus := "", SNIAbsent
	if want.SNI != nil {
		wantSNI, wantStatus = *want.SNI, SNIPresent
	}
	var gotCN *string
	if want.CN != nil {
		gotCN = &leaf.CN
	}
	wantF := fields{want.Client, want.Server, wantSNI, wantStatus, want.CN, want.O}
	gotF := fields{client, server, h.ClientHello.SNI, h.SNIStatus, gotCN, leaf.Os}
	if diff := cmp.Diff(wantF, gotF); diff != "" {
		t.Errorf("%s (-want +got):\n%s", rel, diff)
	}
}

// encodeDTLSDatagrams is FuzzDTLS's input form: a direction byte (odd: from
// the client), a 2-byte length, the dtlsDatagram.
func encodeDTLSDatagrams(dgs []dtlsDatagram) []byte {
	var b []byte
	for _, g := range dgs {
		dir := byte(0)
		if g.fromClient {
			dir = 1
		}
		n := min(len(g.b), 0xffff)
		b = append(b, dir, byte(n>>8), byte(n))
		b = append(b, g.b[:n]...)
	}
	return b
}

func FuzzDTLS(f *testing.F) {
	for _, vers := range []uint16{dtls10, dtls12} {
		fl := newDTLSFlight(f, vers)
		full := fl.handshake()
		f.Add(encodeDTLSDatagrams(full))
		f.Add(encodeDTLSDatagrams(slices.Concat(full[:4], full[3:], full[:3])))
	}
	// The other endings: an alert, an abbreviated handshake, a conflict.
	ch := dtlsRecord(RecordHandshake, dtls12, 0, 0, dtlsWhole(newDTLSFlight(f, dtls12).ch1, 0))
	f.Add(encodeDTLSDatagrams([]dtlsDatagram{{true, ch}, {false, dtlsRecord(RecordAlert, dtls12, 0, 0, []byte{2, 40})}}))
	f.Add(encodeDTLSDatagrams([]dtlsDatagram{{true, ch}, {false, dtlsCat(
		dtlsRecord(RecordHandshake, dtls12, 0, 0, dtlsWhole(buildServerHello(dtls12, make([]byte, 32), nil, 0xc02b, nil), 0)),
		dtlsRecord(RecordChangeCipherSpec, dtls12, 0, 1, []byte{1}),
		dtlsRecord(RecordHandshake, dtls12, 1, 0, make([]byte, 40)))}}))
	f.Add(encodeDTLSDatagrams([]dtlsDatagram{{false, dtlsRecord(RecordHandshake, dtls12, 0, 0, dtlsCat(
		[]byte{TypeServerHello, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4},
		[]byte{TypeServerHello, 0, 0, 8, 0, 0, 0, 0, 2, 0, 0, 4, 9, 9, 9, 9}))}}))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDTLS()
		for len(in) >= 3 {
			dir, n := in[0], int(in[1])<<8|int(in[2])
			in = in[3:]
			n = min(n, len(in))
			d.Datagram(in[:n], dir&1 == 1)
			in = in[n:]
			checkDTLSBounds(t, d)
		}
		h := d.Handshake()
		if h.Status == CertPresent && len(h.Chain) == 0 && !slices.ContainsFunc(h.Anomalies, func(a string) bool {
			return len(a) > len("certificate-malformed") && a[:len("certificate-malformed")] == "certificate-malformed"
		}) {
			t.Fatal("certificate present without a chain")
		}
		if h.IsTLS && h.Status == "" && d.decided {
			t.Fatal("decided without a status")
		}
	})
}
