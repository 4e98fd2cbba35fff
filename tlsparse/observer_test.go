package tlsparse

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// summary is the comparable part of a Handshake.
type summary struct {
	IsTLS      bool
	ClientDir  Dir
	SNI        string
	Version    Version
	Resumed    bool
	Status     CertStatus
	Incomplete bool
	ChainCNs   []string
	Anomalies  []string
}

func summarize(h *Handshake) summary {
	s := summary{IsTLS: h.IsTLS, ClientDir: h.ClientDir, Version: h.Version, Resumed: h.Resumed,
		Status: h.Status, Incomplete: h.Incomplete, Anomalies: h.Anomalies}
	if h.ClientHello != nil {
		s.SNI = h.ClientHello.SNI
	}
	for _, c := range h.Chain {
		s.ChainCNs = append(s.ChainCNs, c.CN)
	}
	return s
}

// feedChunks feeds the recorded writes, directions swapped when swap.
func feedChunks(o *Observer, chunks []chunk, swap bool) bool {
	done := false
	for _, c := range chunks {
		dir := c.dir
		if swap {
			dir = 1 - dir
		}
		if done = o.Data(dir, c.data); done {
			break
		}
	}
	return done
}

func TestObserverRealHandshakes(t *testing.T) {
	c := realHandshakes(t)
	chain := []string{"tools.example.com", "Test Root CA"}
	for _, tt := range []struct {
		name   string
		chunks []chunk
		want   summary
	}{
		{"tls12 sni", c.tls12SNI, summary{IsTLS: true, SNI: "tools.example.com", Version: VersionTLS12, Status: CertPresent, ChainCNs: chain}},
		{"tls12 no sni", c.tls12NoSNI, summary{IsTLS: true, Version: VersionTLS12, Status: CertPresent, ChainCNs: chain}},
		{"tls13", c.tls13, summary{IsTLS: true, SNI: "tools.example.com", Version: VersionTLS13, Status: CertEncrypted}},
		{"resumed tls12", c.resumed12, summary{IsTLS: true, SNI: "tools.example.com", Version: VersionTLS12, Resumed: true, Status: CertResumed}},
		{"hello retry", c.hrr, summary{IsTLS: true, SNI: "tools.example.com", Version: VersionTLS13, Status: CertEncrypted,
			Anomalies: []string{"hello-retry-request", "second-clienthello"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, swap := range []bool{false, true} {
				o := NewObserver()
				if !feedChunks(o, tt.chunks, swap) {
					t.Error("not done after the whole handshake")
				}
				want := tt.want
				if swap {
					want.ClientDir = 1
				}
				whole := summarize(o.Handshake())
				if diff := cmp.Diff(want, whole, ignoreEmpty); diff != "" {
					t.Fatalf("swap=%v (-want +got)\n%s", swap, diff)
				}
				// Byte by byte and in random chunk sizes: same answer.
				for _, maxChunk := range []int{1, 2, 7, 100, 3000} {
					rng := rand.New(rand.NewSource(int64(maxChunk)))
					o.Reset()
					var split []chunk
					for _, c := range tt.chunks {
						for b := c.data; len(b) > 0; {
							n := min(len(b), 1+rng.Intn(maxChunk))
							split = append(split, chunk{c.dir, b[:n]})
							b = b[n:]
						}
					}
					feedChunks(o, split, swap)
					if diff := cmp.Diff(whole, summarize(o.Handshake()), ignoreEmpty); diff != "" {
						t.Fatalf("chunks up to %d: (-whole +chunked)\n%s", maxChunk, diff)
					}
				}
			}
		})
	}
}

func TestObserverServerOnly(t *testing.T) {
	c := realHandshakes(t)
	o := new(Observer) // zero value
	for _, k := range c.tls12SNI {
		if k.dir == 1 {
			o.Data(0, k.data)
		}
	}
	if !o.Decided() {
		t.Error("server flight read, but not Decided")
	}
	got := summarize(o.Handshake())
	// The certificate is known; the SNI is not, since the ClientHello is
	// not in the capture.
	want := summary{IsTLS: true, ClientDir: 1, Version: VersionTLS12, Status: CertPresent, Incomplete: true,
		ChainCNs: []string{"tools.example.com", "Test Root CA"}, Anomalies: []string{"clienthello-not-captured"}}
	if diff := cmp.Diff(want, got, ignoreEmpty); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// A capture merged from two interfaces can show the server's whole flight
// before the ClientHello it answers; the SNI must not be lost.
func TestObserverServerFlightFirst(t *testing.T) {
	c := realHandshakes(t)
	o := new(Observer)
	for _, k := range c.tls12SNI {
		if k.dir == 1 && o.Data(1, k.data) {
			t.Fatal("done before the client's first bytes")
		}
	}
	done := false
	for _, k := range c.tls12SNI {
		if k.dir == 0 && !done {
			done = o.Data(0, k.data)
		}
	}
	if !done {
		t.Error("not done after both flights")
	}
	got := summarize(o.Handshake())
	if got.SNI != "tools.example.com" || got.Status != CertPresent || got.Incomplete || len(got.Anomalies) > 0 {
		t.Errorf("got %+v", got)
	}
}

func TestObserverTruncated(t *testing.T) {
	c := realHandshakes(t)
	client, server := stream(c.tls12SNI, 0), stream(c.tls12SNI, 1)
	msgs := handshakeMessages(t, server)
	certEnd := 5 + len(msgs[0]) + 5 + len(msgs[1]) // crypto/tls writes a record per message
	for _, tt := range []struct {
		name   string
		server []byte
		gap    bool
		want   CertStatus
		inc    bool
	}{
		{"server silent", nil, false, CertMissing, false},
		{"cut in server hello", server[:20], false, CertIncomplete, true},
		{"cut in certificate", server[:certEnd-10], false, CertIncomplete, true},
		{"gap in certificate", server[:certEnd-10], true, CertIncomplete, true},
		{"certificate complete", server[:certEnd], false, CertPresent, false},
		{"server alert", record(RecordAlert, 0x0303, []byte{2, 40}), false, CertMissing, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := NewObserver()
			o.Data(0, client)
			if len(tt.server) > 0 {
				o.Data(1, tt.server)
			}
			if tt.gap {
				o.Gap(1)
				if !o.Data(1, server[certEnd-10:]) {
					t.Error("not done after a gap in the server stream")
				}
			}
			h := o.Handshake()
			if h.Status != tt.want || h.Incomplete != tt.inc || h.ClientHello == nil {
				t.Errorf("Status %q Incomplete %v, want %q %v (anomalies %q)", h.Status, h.Incomplete, tt.want, tt.inc, h.Anomalies)
			}
			if tt.gap && len(h.Chain) != 0 {
				t.Error("certificate read from bytes after a gap")
			}
		})
	}
	// A gap before the ClientHello: the server side still decides.
	o := NewObserver()
	o.Gap(0)
	o.Data(1, server)
	if h := o.Handshake(); h.Status != CertPresent || !h.Incomplete || h.ClientHello != nil {
		t.Errorf("gap before ClientHello: %+v", summarize(h))
	}
}

func TestObserverNotTLS(t *testing.T) {
	for _, tt := range []struct {
		name   string
		dir    Dir
		stream string
	}{
		{"http", 0, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"},
		{"ssh banner", 1, "SSH-2.0-OpenSSH_9.6\r\n"},
		{"bad record version", 0, "\x16\x03\x09\x00\x05\x01\x00\x00\x01\x00"},
		{"sslv2 server hello", 1, "\x80\x20\x04\x00\x01\x00\x02"},
		{"zero-length record", 0, "\x16\x03\x01\x00\x00"},
	} {
		o := NewObserver()
		done := false
		for i := 0; i < len(tt.stream) && !done; i++ {
			done = o.Data(tt.dir, []byte{tt.stream[i]})
		}
		// Plain text may still be a preamble before TLS (STARTTLS, RDP):
		// the direction is scanned for a hello, within a bound.
		if h := o.Handshake(); done || h.IsTLS || h.Status != "" {
			t.Errorf("%s: done %v IsTLS %v Status %q after the first bytes", tt.name, done, h.IsTLS, h.Status)
		}
		filler := bytes.Repeat([]byte("x"), 1000)
		for n := 0; n <= maxPreamble && !done; n += len(filler) {
			done = o.Data(tt.dir, filler)
		}
		if h := o.Handshake(); !done || h.IsTLS || h.Status != "" {
			t.Errorf("%s: done %v IsTLS %v Status %q after %d plain bytes", tt.name, done, h.IsTLS, h.Status, maxPreamble)
		}
	}
	// A server answering a ClientHello with plain text.
	o := NewObserver()
	o.Data(0, stream(realHandshakes(t).tls12SNI, 0))
	if !o.Data(1, []byte("HTTP/1.0 400 Bad Request\r\n")) {
		t.Error("not done after a non-TLS server reply")
	}
	if h := o.Handshake(); !h.IsTLS || h.Status != CertMissing || !cmp.Equal(h.Anomalies, []string{"server-not-tls"}) {
		t.Errorf("got %+v", summarize(h))
	}
}

func TestObserverSSLv2(t *testing.T) {
	o := NewObserver()
	hello := sslv2Hello(0x0301, []uint32{0x00002f}, nil, make([]byte, 16))
	for i := range hello {
		o.Data(0, hello[i:i+1])
	}
	sh := buildServerHello(0x0301, make([]byte, 32), []byte{1}, 0x2f, nil)
	o.Data(1, record(RecordHandshake, 0x0301, sh))
	// A ServerHelloDone without Certificate: anonymous suite.
	if !o.Data(1, record(RecordHandshake, 0x0301, []byte{TypeServerHelloDone, 0, 0, 0})) {
		t.Error("not done after ServerHelloDone")
	}
	h := o.Handshake()
	if !h.IsTLS || h.ClientHello == nil || !h.ClientHello.SSLv2 || h.Status != CertMissing || h.Version != VersionTLS10 {
		t.Errorf("got %+v", summarize(h))
	}
}

func TestObserverMessagesAcrossRecords(t *testing.T) {
	// A ClientHello split over three records, then a record holding a
	// ServerHello, a Certificate and ServerHelloDone split at odd places.
	c := realHandshakes(t)
	ch := handshakeMessages(t, stream(c.tls12SNI, 0))[0]
	var client []byte
	for i, n := 0, 0; i < len(ch); i += n {
		n = min(len(ch)-i, 1+len(ch)/3)
		client = append(client, record(RecordHandshake, 0x0301, ch[i:i+n])...)
	}
	var flight []byte
	for _, m := range handshakeMessages(t, stream(c.tls12SNI, 1)) {
		flight = append(flight, m...)
	}
	var server []byte
	for i, n := 0, 0; i < len(flight); i += n {
		n = min(len(flight)-i, 97)
		server = append(server, record(RecordHandshake, 0x0303, flight[i:i+n])...)
	}
	o := NewObserver()
	o.Data(0, client)
	o.Data(1, server)
	h := o.Handshake()
	if h.ClientHello == nil || h.ClientHello.SNI != "tools.example.com" || h.Status != CertPresent || len(h.Chain) != 2 {
		t.Errorf("got %+v", summarize(h))
	}
}

func TestObserverCaps(t *testing.T) {
	o := NewObserver()
	o.Data(0, stream(realHandshakes(t).tls12SNI, 0))
	o.Data(1, record(RecordHandshake, 0x0303, buildServerHello(0x0303, make([]byte, 32), nil, 1, nil)))
	// A Certificate message announcing more than MaxCertificateMsgLen.
	done := o.Data(1, record(RecordHandshake, 0x0303, []byte{TypeCertificate, 0x10, 0x00, 0x01}))
	h := o.Handshake()
	if !done || h.Status != CertIncomplete || !h.Incomplete || !cmp.Equal(h.Anomalies, []string{"handshake-too-large:11"}) {
		t.Errorf("done %v, %+v", done, summarize(h))
	}
	// An oversized record is a framing error.
	o.Reset()
	o.Data(0, stream(realHandshakes(t).tls12SNI, 0))
	o.Data(1, record(RecordHandshake, 0x0303, buildServerHello(0x0303, make([]byte, 32), nil, 1, nil)))
	o.Data(1, []byte{22, 3, 3, 0x48, 0x01, 2})
	if h := o.Handshake(); h.Status != CertIncomplete || !cmp.Equal(h.Anomalies, []string{"record-malformed"}) {
		t.Errorf("oversized record: %+v", summarize(h))
	}
}

func TestObserverServerAlertFirst(t *testing.T) {
	o := NewObserver()
	o.Data(0, stream(realHandshakes(t).tls12SNI, 0))
	alert := record(RecordAlert, 0x0301, []byte{2, 40})
	done := false
	for i := range alert {
		done = o.Data(1, alert[i:i+1])
	}
	h := o.Handshake()
	if !done || h.Status != CertMissing || h.Incomplete || !cmp.Equal(h.Anomalies, []string{"alert:handshake_failure"}) {
		t.Errorf("done %v, %+v", done, summarize(h))
	}
}

func TestObserverSSLv2Whole(t *testing.T) {
	// Record lengths with bit 1 set caught a precedence slip once.
	for _, specs := range [][]uint32{{0x2f}, {0x2f, 0x35}, {0x2f, 0x35, 0x010080}} {
		hello := sslv2Hello(0x0303, specs, nil, make([]byte, 16))
		o := NewObserver()
		o.Data(0, hello)
		o.Data(0, record(RecordHandshake, 0x0303, []byte{16, 0, 0, 0})) // ClientKeyExchange
		h := o.Handshake()
		if h.ClientHello == nil || !h.ClientHello.SSLv2 || len(h.Anomalies) != 0 || h.Incomplete {
			t.Errorf("%d specs: %+v", len(specs), summarize(h))
		}
	}
}

// TestObserverPreamble: TLS after plain text in both directions, as RDP
// (X.224) and STARTTLS do, found however the bytes are split.
func TestObserverPreamble(t *testing.T) {
	hs := realHandshakes(t).tls12SNI
	ref := NewObserver()
	feedChunks(ref, hs, false)
	want := ref.Handshake()
	for _, split := range []int{0, 1, 3, 7} {
		o := NewObserver()
		feed := func(dir Dir, b []byte) {
			if split == 0 {
				o.Data(dir, b)
				return
			}
			for len(b) > 0 {
				n := min(split, len(b))
				o.Data(dir, b[:n])
				b = b[n:]
			}
		}
		// Handshake record bytes in the text are no hello (the scan
		// jumps to such bytes and must go on past them).
		feed(1, []byte("220 \x16\x16il.example.com ESMTP\r\n"))
		feed(0, []byte("EHLO \x16\x03\x01\x00\x30\x01\r\nSTARTTLS\r\n"))
		feed(1, []byte("220 2.0.0 Ready to start TLS\r\n"))
		for _, c := range hs {
			feed(c.dir, c.data)
		}
		got := o.Handshake()
		if !got.IsTLS || got.ClientHello == nil || got.ClientHello.SNI != "tools.example.com" || got.Status != want.Status || got.ClientDir != 0 {
			t.Errorf("split %d: got %+v, want %+v", split, summarize(got), summarize(want))
		}
		if !contains(got.Anomalies, "tls-after-plaintext:23") || !contains(got.Anomalies, "tls-after-plaintext:58") {
			t.Errorf("split %d: anomalies %q", split, got.Anomalies)
		}
	}
}

// TestObserverMidStream: a capture that began after the handshake shows
// only encrypted records; that is TLS with nothing known about it.
func TestObserverMidStream(t *testing.T) {
	for _, tt := range []struct {
		name   string
		stream string
		tls    bool
	}{
		{"application data", "\x17\x03\x03\x00\x20" + strings.Repeat("\xaa", 32), true},
		{"alert", "\x15\x03\x03\x00\x1a" + strings.Repeat("\xaa", 26), true},
		{"certificate message", "\x16\x03\x01\x00\x05\x0b\x00\x00\x01\x00", true},
		{"ccs of wrong length", "\x14\x03\x03\x00\x05xxxxx", false},
		{"record version 3.9", "\x17\x03\x09\x00\x05xxxxx", false},
	} {
		o := NewObserver()
		done := o.Data(1, []byte(tt.stream))
		h := o.Handshake()
		if h.IsTLS != tt.tls {
			t.Errorf("%s: IsTLS %v, want %v", tt.name, h.IsTLS, tt.tls)
		}
		if tt.tls && (!done || h.Status != CertIncomplete || !h.Incomplete || h.ClientDir != -1 || !contains(h.Anomalies, "handshake-not-captured")) {
			t.Errorf("%s: done %v %+v", tt.name, done, summarize(h))
		}
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// A finished Observer's buffers go to the next one; what the first one
// found must not change when the second reuses them.
func TestObserverRecycledBuffers(t *testing.T) {
	c := realHandshakes(t)
	first := NewObserver()
	feedChunks(first, c.tls12SNI, false)
	before := summarize(first.Handshake())
	for range 3 {
		next := NewObserver()
		feedChunks(next, c.tls12NoSNI, false)
		if got := summarize(next.Handshake()); got.SNI != "" || got.Status != CertPresent {
			t.Fatalf("second observer: %+v", got)
		}
	}
	if diff := cmp.Diff(before, summarize(first.Handshake()), ignoreEmpty); diff != "" {
		t.Errorf("first observer changed (-before +after)\n%s", diff)
	}
}

// TestObserverSNIStatus: the SNI is present or absent only when the
// ClientHello was read whole; every partial read leaves it unknown.
func TestObserverSNIStatus(t *testing.T) {
	c := realHandshakes(t)
	client, server := stream(c.tls12SNI, 0), stream(c.tls12SNI, 1)
	noSNI := stream(c.tls12NoSNI, 0)
	malformed := record(RecordHandshake, 0x0301, []byte{TypeClientHello, 0, 0, 3, 3, 3, 0}) // no random
	for _, tt := range []struct {
		name string
		feed func(o *Observer)
		want SNIStatus
	}{
		{"whole with sni", func(o *Observer) { o.Data(0, client); o.Data(1, server) }, SNIPresent},
		{"whole without sni", func(o *Observer) { o.Data(0, noSNI); o.Data(1, server) }, SNIAbsent},
		{"client only", func(o *Observer) { o.Data(0, client) }, SNIPresent},
		{"server only", func(o *Observer) { o.Data(1, server) }, SNIUnknown},
		{"40 bytes of hello", func(o *Observer) { o.Data(0, client[:40]) }, SNIUnknown},
		{"40 bytes then the server", func(o *Observer) { o.Data(0, client[:40]); o.Data(1, server) }, SNIUnknown},
		{"hello cut by a gap", func(o *Observer) { o.Data(0, client[:60]); o.Gap(0); o.Data(1, server) }, SNIUnknown},
		{"gap before the hello", func(o *Observer) { o.Gap(0); o.Data(1, server) }, SNIUnknown},
		{"malformed hello", func(o *Observer) { o.Data(0, malformed); o.Data(1, server) }, SNIUnknown},
		{"sslv2 hello", func(o *Observer) { o.Data(0, sslv2Hello(0x0301, []uint32{0x2f}, nil, make([]byte, 16))) }, SNIAbsent},
		{"empty sni", func(o *Observer) {
			h := buildClientHello(0x0303, nil, []uint16{0x2f}, []ext{{extServerName, sniExt(ServerName{Name: ""})}}, nil)
			o.Data(0, record(RecordHandshake, 0x0301, h))
		}, SNIAbsent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := NewObserver()
			tt.feed(o)
			h := o.Handshake()
			if h.SNIStatus != tt.want {
				t.Errorf("SNIStatus %q, want %q (anomalies %q)", h.SNIStatus, tt.want, h.Anomalies)
			}
			if tt.want == SNIUnknown && (h.ClientHello != nil || !h.Incomplete) {
				t.Errorf("hello not read whole: ClientHello %v, Incomplete %v", h.ClientHello != nil, h.Incomplete)
			}
		})
	}
	// Not TLS: no status at all.
	o := NewObserver()
	o.Data(0, []byte("GET / HTTP/1.1\r\n"))
	if s := o.Handshake().SNIStatus; s != "" {
		t.Errorf("not TLS: SNIStatus %q, want empty", s)
	}
}
