package tlsparse

import (
	"crypto/tls"
	"crypto/x509"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// captureFailing runs a crypto/tls handshake that is expected to fail and
// returns the bytes each side wrote, in order, up to the failure.
func captureFailing(t testing.TB, client, server *tls.Config) []chunk {
	t.Helper()
	cp, sp := connPair(t)
	rec := new(recorder)
	cli := tls.Client(recConn{cp, 0, rec}, client)
	srv := tls.Server(recConn{sp, 1, rec}, server)
	deadline := time.Now().Add(10 * time.Second)
	cp.SetDeadline(deadline)
	sp.SetDeadline(deadline)
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	cerr := cli.Handshake()
	// The side that failed wrote its alert before returning; the other
	// side fails reading it (or the close).
	cp.Close()
	serr := <-errc
	sp.Close()
	if cerr == nil && serr == nil {
		t.Fatal("handshake did not fail")
	}
	return rec.chunks
}

// failures holds the failing handshakes the tests use, made once.
type failures struct {
	untrusted12, untrusted13, version []chunk
}

var (
	failOnce sync.Once
	fails    failures
)

func failingHandshakes(t testing.TB) *failures {
	t.Helper()
	failOnce.Do(func() {
		cert := testServerCert(t)
		srv := func(min, max uint16) *tls.Config {
			return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: min, MaxVersion: max}
		}
		// A client that trusts no root refuses the server's chain.
		distrust := func(max uint16) *tls.Config {
			return &tls.Config{ServerName: "tools.example.com", RootCAs: x509.NewCertPool(), MaxVersion: max}
		}
		fails.untrusted12 = captureFailing(t, distrust(tls.VersionTLS12), srv(tls.VersionTLS12, tls.VersionTLS12))
		fails.untrusted13 = captureFailing(t, distrust(tls.VersionTLS13), srv(tls.VersionTLS13, tls.VersionTLS13))
		// A TLS 1.2 client and a TLS 1.3-only server: the server refuses
		// the ClientHello.
		fails.version = captureFailing(t, &tls.Config{ServerName: "tools.example.com", InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12},
			srv(tls.VersionTLS13, tls.VersionTLS13))
	})
	if fails.untrusted12 == nil {
		t.Fatal("capturing failing handshakes failed")
	}
	return &fails
}

// followFacts is what Follow adds to a Handshake, and whether Data
// reported done.
type followFacts struct {
	Done           bool
	Status         CertStatus
	Alerts         []Alert
	ServerDone     bool
	Encrypted      [2]bool
	ClientFinished bool
	Anomalies      []string
}

func followFactsOf(h *Handshake, done bool) followFacts {
	return followFacts{Done: done, Status: h.Status, Alerts: h.Alerts, ServerDone: h.ServerDone,
		Encrypted: h.Encrypted, ClientFinished: h.ClientFinished, Anomalies: h.Anomalies}
}

// splitChunks cuts every chunk into pieces of 1 to maxChunk bytes.
func splitChunks(chunks []chunk, maxChunk int) []chunk {
	rng := rand.New(rand.NewSource(int64(maxChunk)))
	var split []chunk
	for _, c := range chunks {
		for b := c.data; len(b) > 0; {
			n := min(len(b), 1+rng.Intn(maxChunk))
			split = append(split, chunk{c.dir, b[:n]})
			b = b[n:]
		}
	}
	return split
}

func TestObserverFollow(t *testing.T) {
	c, f := realHandshakes(t), failingHandshakes(t)
	client, server := c.tls12SNI[0], c.tls12SNI[1] // ClientHello; SH, Certificate, SKE, ServerHelloDone
	if server.dir != 1 || len(handshakeMessages(t, server.data)) != 4 {
		t.Fatalf("unexpected shape of the TLS 1.2 capture")
	}
	alertFrom := func(dir Dir, payload ...byte) chunk { return chunk{dir, record(RecordAlert, 0x0303, payload)} }
	helloRefused := []chunk{client, alertFrom(1, AlertLevelFatal, 40)}
	closeNotify := []chunk{client, server, alertFrom(0, AlertLevelWarning, 0)}
	splitRecords := []chunk{client, server, {0, append(record(RecordAlert, 0x0303, []byte{AlertLevelFatal}), record(RecordAlert, 0x0303, []byte{48})...)}}
	// An alert from the client after the server's whole flight (the last
	// message it had sent: ServerHelloDone).
	refused := func(desc uint8) []Alert {
		return []Alert{{FromClient: true, Level: AlertLevelFatal, Description: desc, After: TypeServerHelloDone}}
	}
	serverRefused := func(desc uint8) []Alert {
		return []Alert{{Level: AlertLevelFatal, Description: desc, After: TypeClientHello}}
	}
	for _, tt := range []struct {
		name   string
		chunks []chunk
		follow bool
		want   followFacts
	}{
		// Go's client answers a chain it cannot verify with bad_certificate
		// (42), not unknown_ca (48), in TLS 1.2 and 1.3 alike.
		{"tls12 client refuses the certificate", f.untrusted12, true, followFacts{Status: CertPresent,
			Alerts: refused(42), ServerDone: true, Anomalies: []string{"alert:bad_certificate"}}},
		{"tls12 client refuses, without follow", f.untrusted12, false, followFacts{Done: true, Status: CertPresent}},
		{"tls12 unknown_ca split across two records", splitRecords, true, followFacts{Status: CertPresent,
			Alerts: refused(48), ServerDone: true, Anomalies: []string{"alert:unknown_ca"}}},
		{"tls12 warning close_notify", closeNotify, true, followFacts{Status: CertPresent, ServerDone: true,
			Alerts:    []Alert{{FromClient: true, Level: AlertLevelWarning, Description: 0, After: TypeServerHelloDone}},
			Anomalies: []string{"alert:close_notify"}}},
		// The encrypted alert of a TLS 1.3 client cannot be read.
		{"tls13 client refuses the certificate", f.untrusted13, true, followFacts{Done: true, Status: CertEncrypted,
			ServerDone: true, Encrypted: [2]bool{true, true}}},
		{"tls13 client refuses, without follow", f.untrusted13, false, followFacts{Done: true, Status: CertEncrypted}},
		{"server handshake_failure answering the ClientHello", helloRefused, true, followFacts{Status: CertMissing,
			Alerts: serverRefused(40), Anomalies: []string{"alert:handshake_failure"}}},
		{"server handshake_failure, without follow", helloRefused, false, followFacts{Done: true, Status: CertMissing,
			Alerts: serverRefused(40), Anomalies: []string{"alert:handshake_failure"}}},
		{"server refuses the version", f.version, true, followFacts{Status: CertMissing,
			Alerts: serverRefused(70), Anomalies: []string{"alert:protocol_version"}}},
		{"tls12 complete", c.tls12SNI, true, followFacts{Done: true, Status: CertPresent, ServerDone: true,
			Encrypted: [2]bool{true, true}, ClientFinished: true}},
		{"tls12 complete, without follow", c.tls12SNI, false, followFacts{Done: true, Status: CertPresent}},
		{"tls12 resumed", c.resumed12, true, followFacts{Done: true, Status: CertResumed, ServerDone: true,
			Encrypted: [2]bool{true, true}, ClientFinished: true}},
		{"tls12 resumed, without follow", c.resumed12, false, followFacts{Done: true, Status: CertResumed}},
		{"tls13 complete", c.tls13, true, followFacts{Done: true, Status: CertEncrypted, ServerDone: true,
			Encrypted: [2]bool{true, true}}},
		{"tls13 hello retry", c.hrr, true, followFacts{Done: true, Status: CertEncrypted, ServerDone: true,
			Encrypted: [2]bool{true, true}, Anomalies: []string{"hello-retry-request", "second-clienthello"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, swap := range []bool{false, true} {
				want := tt.want
				if swap {
					want.Encrypted[0], want.Encrypted[1] = want.Encrypted[1], want.Encrypted[0]
				}
				// Whole writes, byte by byte and in random pieces (an alert
				// split across Data calls): the same answer.
				for _, maxChunk := range []int{0, 1, 2, 7, 100} {
					chunks := tt.chunks
					if maxChunk > 0 {
						chunks = splitChunks(chunks, maxChunk)
					}
					o := NewObserver()
					if tt.follow {
						o.Follow()
					}
					done := feedChunks(o, chunks, swap)
					if diff := cmp.Diff(want, followFactsOf(o.Handshake(), done), ignoreEmpty); diff != "" {
						t.Fatalf("swap %v, pieces up to %d bytes: (-want +got)\n%s", swap, maxChunk, diff)
					}
				}
			}
		})
	}
}

// TestObserverFollowKeepsFields: what Follow reads on does not change what
// was decided without it, and Reset keeps the mode.
func TestObserverFollowKeepsFields(t *testing.T) {
	c, f := realHandshakes(t), failingHandshakes(t)
	followed := NewObserver()
	followed.Follow()
	for _, chunks := range [][]chunk{c.tls12SNI, c.tls12NoSNI, c.tls13, c.resumed12, c.hrr, f.untrusted12, f.untrusted13, f.version} {
		plain := NewObserver()
		feedChunks(plain, chunks, false)
		followed.Reset()
		feedChunks(followed, chunks, false)
		want, got := plain.Handshake(), followed.Handshake()
		if diff := cmp.Diff(summarize(want), summarize(got), ignoreEmpty, ignoreAnomalies); diff != "" {
			t.Errorf("(-without +with Follow)\n%s", diff)
		}
		if !isSubsequence(want.Anomalies, got.Anomalies) || !isPrefix(want.Alerts, got.Alerts) {
			t.Errorf("anomalies %q and alerts %v without Follow, %q and %v with it", want.Anomalies, want.Alerts, got.Anomalies, got.Alerts)
		}
	}
}

var ignoreAnomalies = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Anomalies" }, cmp.Ignore())

// isSubsequence reports whether every element of a is in b, in order.
func isSubsequence[T comparable](a, b []T) bool {
	for _, v := range b {
		if len(a) > 0 && a[0] == v {
			a = a[1:]
		}
	}
	return len(a) == 0
}

func isPrefix[T comparable](a, b []T) bool {
	return len(a) <= len(b) && isSubsequence(a, b[:len(a)])
}

// TestObserverFollowGap: with Follow, a gap after the decision says that
// alerts may have been lost, without making the handshake incomplete.
func TestObserverFollowGap(t *testing.T) {
	f := failingHandshakes(t)
	o := NewObserver()
	o.Follow()
	feedChunks(o, f.untrusted12[:2], false) // ClientHello, server flight
	o.Gap(0)
	feedChunks(o, f.untrusted12[2:], false)
	h := o.Handshake()
	if h.Incomplete || h.Status != CertPresent || len(h.Alerts) != 0 || !cmp.Equal(h.Anomalies, []string{"gap-after-decision"}) {
		t.Errorf("got Incomplete %v, Status %q, Alerts %v, anomalies %q", h.Incomplete, h.Status, h.Alerts, h.Anomalies)
	}
}

// TestObserverFollowBounded: a peer repeating records without end after
// the decision keeps at most maxAlerts alerts and maxLateAnomalies
// anomalies per direction.
func TestObserverFollowBounded(t *testing.T) {
	c := realHandshakes(t)
	o := NewObserver()
	o.Follow()
	o.Data(0, c.tls12SNI[0].data)
	o.Data(1, c.tls12SNI[1].data)
	for range 100 {
		o.Data(0, record(RecordAlert, 0x0303, []byte{AlertLevelWarning, 90}))
		o.Data(1, record(RecordHandshake, 0x0303, nil))
	}
	h := o.Handshake()
	if len(h.Alerts) != maxAlerts || h.Alerts[maxAlerts-1].Name() != "user_canceled" {
		t.Errorf("%d alerts kept, want %d: %v", len(h.Alerts), maxAlerts, h.Alerts)
	}
	if len(h.Anomalies) != 2*maxLateAnomalies {
		t.Errorf("%d anomalies, want %d: %q", len(h.Anomalies), 2*maxLateAnomalies, h.Anomalies)
	}
}

func TestAlertName(t *testing.T) {
	for _, tt := range []struct {
		desc uint8
		want string
	}{
		{0, "close_notify"},
		{10, "unexpected_message"},
		{20, "bad_record_mac"},
		{21, "decryption_failed"},
		{22, "record_overflow"},
		{30, "decompression_failure"},
		{40, "handshake_failure"},
		{41, "no_certificate"},
		{42, "bad_certificate"},
		{43, "unsupported_certificate"},
		{44, "certificate_revoked"},
		{45, "certificate_expired"},
		{46, "certificate_unknown"},
		{47, "illegal_parameter"},
		{48, "unknown_ca"},
		{49, "access_denied"},
		{50, "decode_error"},
		{51, "decrypt_error"},
		{60, "export_restriction"},
		{70, "protocol_version"},
		{71, "insufficient_security"},
		{80, "internal_error"},
		{86, "inappropriate_fallback"},
		{90, "user_canceled"},
		{100, "no_renegotiation"},
		{109, "missing_extension"},
		{110, "unsupported_extension"},
		{112, "unrecognized_name"},
		{113, "bad_certificate_status_response"},
		{115, "unknown_psk_identity"},
		{116, "certificate_required"},
		{120, "no_application_protocol"},
		{99, "alert(99)"},
		{255, "alert(255)"},
	} {
		if got := (Alert{Description: tt.desc}).Name(); got != tt.want {
			t.Errorf("Alert{Description: %d}.Name() = %q, want %q", tt.desc, got, tt.want)
		}
	}
	// The anomaly of a description without a name is still its number.
	o := NewObserver()
	o.Data(0, realHandshakes(t).tls12SNI[0].data)
	o.Data(1, record(RecordAlert, 0x0303, []byte{AlertLevelFatal, 99}))
	if h := o.Handshake(); !cmp.Equal(h.Anomalies, []string{"alert:99"}) {
		t.Errorf("anomalies %q, want [alert:99]", h.Anomalies)
	}
}
