package tlsparse

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/cryptobyte"
)

func TestVersionString(t *testing.T) {
	for _, tt := range []struct {
		v    Version
		want string
	}{
		{0x0002, "SSL 2.0"}, {0x0300, "SSL 3.0"}, {0x0301, "TLS 1.0"}, {0x0302, "TLS 1.1"},
		{0x0303, "TLS 1.2"}, {0x0304, "TLS 1.3"}, {0x7f12, "TLS 1.3"}, {0xfefd, "DTLS 1.2"}, {0xfeff, "DTLS 1.0"}, {0xfe00, "0xfe00"}, {0, "0x0000"},
	} {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("Version(%#04x).String() = %q, want %q", uint16(tt.v), got, tt.want)
		}
	}
	if d, ok := Version(0x7f17).Draft(); !ok || d != 23 || !Version(0x7f17).TLS13() {
		t.Errorf("Draft(0x7f17) = %d, %v", d, ok)
	}
	if _, ok := VersionTLS13.Draft(); ok || VersionTLS12.TLS13() {
		t.Error("TLS 1.3 final reported as a draft, or TLS 1.2 as 1.3")
	}
}

func TestParseRecordHeader(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
		want RecordHeader
		err  error
	}{
		{"handshake tls10", []byte{22, 3, 1, 0, 5}, RecordHeader{22, VersionTLS10, 5}, nil},
		{"ssl3", []byte{21, 3, 0, 0, 2}, RecordHeader{21, VersionSSL30, 2}, nil},
		{"tls13 version", []byte{23, 3, 4, 0, 0}, RecordHeader{23, VersionTLS13, 0}, nil},
		{"max length", []byte{23, 3, 3, 0x48, 0x00}, RecordHeader{23, VersionTLS12, MaxRecordLen}, nil},
		{"too long", []byte{23, 3, 3, 0x48, 0x01}, RecordHeader{}, ErrRecordTooLong},
		{"short", []byte{22, 3, 1, 0}, RecordHeader{}, ErrNeedMore},
		{"bad type", []byte{25, 3, 1, 0, 1}, RecordHeader{}, ErrRecordHeader},
		{"bad version", []byte{22, 3, 5, 0, 1}, RecordHeader{}, ErrRecordHeader},
		{"dtls version", []byte{22, 0xfe, 0xfd, 0, 1}, RecordHeader{}, ErrRecordHeader},
		{"http", []byte("GET /"), RecordHeader{}, ErrRecordHeader},
	} {
		got, err := ParseRecordHeader(tt.in)
		if err != tt.err {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.name, diff)
		}
	}
}

// ignoreSlices treats nil and empty slices alike.
var ignoreEmpty = cmpopts.EquateEmpty()

func TestParseClientHello(t *testing.T) {
	sid := bytes.Repeat([]byte{7}, 32)
	alpn := func(protos ...string) []byte {
		var b cryptobyte.Builder
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, p := range protos {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
			}
		})
		return b.BytesOrPanic()
	}
	base := func(exts []ext) *ClientHello {
		ch := &ClientHello{Version: VersionTLS12, Random: make([]byte, 32), SessionID: sid, CipherSuites: []uint16{0x1301, 0xc02f}}
		for _, e := range exts {
			ch.Extensions = append(ch.Extensions, e.typ)
		}
		return ch
	}
	for _, tt := range []struct {
		name     string
		exts     []ext
		trailing []byte
		want     func(*ClientHello)
		bad      bool
	}{
		{name: "no extensions block", exts: nil},
		{name: "sni", exts: []ext{{0, sniExt(ServerName{0, "Tools.Example.COM."})}},
			want: func(c *ClientHello) {
				c.SNI = "Tools.Example.COM."
				c.ServerNames = []ServerName{{0, "Tools.Example.COM."}}
			}},
		{name: "sni nul", exts: []ext{{0, sniExt(ServerName{0, "a.com\x00evil"})}},
			want: func(c *ClientHello) {
				c.SNI = "a.com"
				c.ServerNames = []ServerName{{0, "a.com\x00evil"}}
				c.Anomalies = []string{"sni-nul"}
			}},
		{name: "several names, first not host_name", exts: []ext{{0, sniExt(ServerName{1, "x"}, ServerName{0, "b.com"}, ServerName{0, "c.com"})}},
			want: func(c *ClientHello) {
				c.SNI = "b.com"
				c.ServerNames = []ServerName{{1, "x"}, {0, "b.com"}, {0, "c.com"}}
				c.Anomalies = []string{"sni-several-names", "sni-first-not-host-name"}
			}},
		{name: "empty host name", exts: []ext{{0, sniExt(ServerName{0, ""})}},
			want: func(c *ClientHello) {
				c.ServerNames = []ServerName{{0, ""}}
				c.Anomalies = []string{"sni-empty"}
			}},
		{name: "empty extension", exts: []ext{{0, nil}},
			want: func(c *ClientHello) { c.Anomalies = []string{"sni-empty"} }},
		{name: "sni trailing and malformed", exts: []ext{{0, append(sniExt(ServerName{0, "a.com"}), 1)}},
			want: func(c *ClientHello) {
				c.SNI = "a.com"
				c.ServerNames = []ServerName{{0, "a.com"}}
				c.Anomalies = []string{"sni-trailing-data"}
			}},
		{name: "sni list overruns", exts: []ext{{0, []byte{0, 9, 0, 0, 1, 'a'}}},
			want: func(c *ClientHello) { c.Anomalies = []string{"sni-malformed"} }},
		{name: "duplicate sni keeps first", exts: []ext{{0, sniExt(ServerName{0, "first.com"})}, {0, sniExt(ServerName{0, "second.com"})}},
			want: func(c *ClientHello) {
				c.SNI = "first.com"
				c.ServerNames = []ServerName{{0, "first.com"}}
				c.Anomalies = []string{"duplicate-extension:0"}
			}},
		{name: "alpn, versions, ech, esni",
			exts: []ext{{16, alpn("h2", "http/1.1")}, {43, []byte{4, 0x03, 0x04, 0x7f, 0x1c}}, {0xfe0d, []byte{1}}, {0xffce, nil}},
			want: func(c *ClientHello) {
				c.ALPN = []string{"h2", "http/1.1"}
				c.SupportedVersions = []Version{VersionTLS13, 0x7f1c}
				c.ECH = true
				c.Anomalies = []string{"esni"}
			}},
		{name: "bad alpn and versions", exts: []ext{{16, []byte{0, 3, 5, 'a'}}, {43, []byte{3, 3, 4, 3}}},
			want: func(c *ClientHello) { c.Anomalies = []string{"alpn-malformed", "supported-versions-malformed"} }},
		{name: "trailing data", exts: []ext{}, trailing: []byte{1, 2},
			want: func(c *ClientHello) { c.Anomalies = []string{"trailing-data"} }},
		{name: "many extensions with a late duplicate",
			exts: append(func() []ext {
				var e []ext
				for i := 0; i < 20; i++ {
					e = append(e, ext{uint16(100 + i), nil})
				}
				return e
			}(), ext{105, nil}),
			want: func(c *ClientHello) { c.Anomalies = []string{"duplicate-extension:105"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := buildClientHello(0x0303, sid, []uint16{0x1301, 0xc02f}, tt.exts, tt.trailing)
			got, err := ParseClientHello(msg)
			if err != nil {
				t.Fatal(err)
			}
			want := base(tt.exts)
			if tt.want != nil {
				tt.want(want)
			}
			if diff := cmp.Diff(want, got, ignoreEmpty); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			truncations(t, msg, func(b []byte) error { _, err := ParseClientHello(b); return err })
		})
	}
}

// truncations checks that every strict prefix of msg fails cleanly with
// ErrNeedMore (the handshake header promises more bytes).
func truncations(t *testing.T, msg []byte, parse func([]byte) error) {
	t.Helper()
	for i := 0; i < len(msg); i++ {
		if err := parse(msg[:i]); err != ErrNeedMore {
			t.Fatalf("prefix of %d/%d bytes: err = %v, want ErrNeedMore", i, len(msg), err)
		}
	}
}

// bodyPrefixes checks that a message whose header is patched to cover only
// a strict prefix of its body is rejected as malformed, not accepted. One
// prefix may be valid: a hello cut right before its extensions block.
func bodyPrefixes(t *testing.T, msg []byte, parse func([]byte) error) {
	t.Helper()
	valid := 0
	for n := 0; n < len(msg)-4; n++ {
		m := append([]byte{msg[0], byte(n >> 16), byte(n >> 8), byte(n)}, msg[4:4+n]...)
		switch err := parse(m); err {
		case nil:
			valid++
		case ErrNeedMore:
			t.Fatalf("body cut to %d bytes: err = %v, want malformed", n, err)
		}
	}
	if valid > 1 {
		t.Errorf("%d strict prefixes parsed as valid messages", valid)
	}
}

func TestClientHelloMalformed(t *testing.T) {
	good := buildClientHello(0x0303, nil, []uint16{1}, []ext{{0, sniExt(ServerName{0, "a"})}}, nil)
	for _, tt := range []struct {
		name string
		msg  []byte
	}{
		{"wrong type", append([]byte{2}, good[1:]...)},
		{"odd cipher suites", buildClientHello(0x0303, nil, nil, nil, nil)[:0]},
		{"over cap", []byte{1, 0x01, 0x00, 0x01}},
	} {
		if len(tt.msg) == 0 {
			// odd cipher suite vector: patch the suites length.
			var b cryptobyte.Builder
			b.AddUint8(1)
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16(0x0303)
				b.AddBytes(make([]byte, 32))
				b.AddUint8(0)
				b.AddUint16(3)
				b.AddBytes([]byte{0, 1, 2})
				b.AddUint8(1)
				b.AddUint8(0)
			})
			tt.msg = b.BytesOrPanic()
		}
		if _, err := ParseClientHello(tt.msg); err == nil || err == ErrNeedMore {
			t.Errorf("%s: err = %v, want malformed", tt.name, err)
		}
	}
	bodyPrefixes(t, good, func(b []byte) error { _, err := ParseClientHello(b); return err })
}

// An extension that overruns the list ends the list, not the hello: the
// extensions before it are kept (nDPI's tls_invalid_reads capture has a
// garbage extension after server_name, ALPN and others).
func TestClientHelloExtensionOverrun(t *testing.T) {
	good := buildClientHello(0x0303, nil, []uint16{1}, []ext{{0, sniExt(ServerName{0, "a.example"})}, {16, []byte{0, 3, 2, 'h', '2'}}}, nil)
	for _, tt := range []struct {
		name string
		msg  []byte
		sni  string
		alpn []string
	}{
		{"the first extension overruns", func() []byte {
			m := bytes.Clone(good)
			// server_name: type(2) length(2) list length(2) name type(1)
			// name length(2) name; make its length claim 0xff.. bytes.
			m[bytes.Index(m, []byte("a.example"))-7] = 0xff
			return m
		}(), "", nil},
		{"a garbage extension after the others", func() []byte {
			m := bytes.Clone(good)
			// Replace ALPN's 9 bytes with type 18403 claiming 20422 bytes.
			i := len(m) - 9
			copy(m[i:], []byte{0x47, 0xe3, 0x4f, 0xc6, 1, 2, 3, 4, 5})
			return m
		}(), "a.example", nil},
	} {
		ch, err := ParseClientHello(tt.msg)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if ch.SNI != tt.sni || len(ch.ALPN) != len(tt.alpn) || !slices.Contains(ch.Anomalies, "extensions-malformed") {
			t.Errorf("%s: SNI %q ALPN %q anomalies %q", tt.name, ch.SNI, ch.ALPN, ch.Anomalies)
		}
	}
}

func TestRealClientHellos(t *testing.T) {
	c := realHandshakes(t)
	for _, tt := range []struct {
		name string
		ch   []chunk
		sni  string
	}{
		{"tls12 sni", c.tls12SNI, "tools.example.com"},
		{"tls12 no sni", c.tls12NoSNI, ""},
		{"tls13", c.tls13, "tools.example.com"},
	} {
		msgs := handshakeMessages(t, stream(tt.ch, 0))
		ch, err := ParseClientHello(msgs[0])
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if ch.SNI != tt.sni || ch.Version != VersionTLS12 || len(ch.Anomalies) != 0 ||
			!cmp.Equal(ch.ALPN, []string{"h2", "http/1.1"}) {
			t.Errorf("%s: got %+v", tt.name, ch)
		}
		if tt.name == "tls13" && !cmp.Equal(ch.SupportedVersions[:2], []Version{VersionTLS13, VersionTLS12}) {
			t.Errorf("%s: supported_versions %v", tt.name, ch.SupportedVersions)
		}
		truncations(t, msgs[0], func(b []byte) error { _, err := ParseClientHello(b); return err })
		bodyPrefixes(t, msgs[0], func(b []byte) error { _, err := ParseClientHello(b); return err })
	}
}

// sslv2Hello builds an SSLv2-format ClientHello record.
func sslv2Hello(vers uint16, specs []uint32, sid, challenge []byte) []byte {
	var body []byte
	body = append(body, 1, byte(vers>>8), byte(vers), 0, byte(3*len(specs)), 0, byte(len(sid)), 0, byte(len(challenge)))
	for _, s := range specs {
		body = append(body, byte(s>>16), byte(s>>8), byte(s))
	}
	body = append(body, sid...)
	body = append(body, challenge...)
	return append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
}

func TestParseSSLv2ClientHello(t *testing.T) {
	chal := bytes.Repeat([]byte{9}, 16)
	rec := sslv2Hello(0x0301, []uint32{0x010080, 0x00002f, 0x000035}, nil, chal)
	got, err := ParseSSLv2ClientHello(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := &ClientHello{Version: VersionTLS10, Random: chal, SessionID: []byte{}, CipherSuites: []uint16{0x2f, 0x35},
		V2CipherSpecs: []uint32{0x010080}, SSLv2: true}
	if diff := cmp.Diff(want, got, ignoreEmpty); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	for i := 0; i < len(rec); i++ {
		if _, err := ParseSSLv2ClientHello(rec[:i]); err != ErrNeedMore {
			t.Fatalf("prefix %d: %v", i, err)
		}
	}
	for _, bad := range [][]byte{
		{0x00, 0x03, 1, 3, 1}, // 3-byte header form
		{0x80, 0x03, 4, 0, 2}, // SERVER-HELLO
		sslv2Hello(0x0002, []uint32{1}, nil, chal)[:2+9+3+15], // challenge cut inside the record
	} {
		b := bad
		if len(b) > 2 {
			b[1] = byte(len(b) - 2)
		}
		if _, err := ParseSSLv2ClientHello(b); err == nil || err == ErrNeedMore {
			t.Errorf("%x: err = %v, want malformed", bad, err)
		}
	}
}

func buildServerHello(vers uint16, random, sid []byte, suite uint16, exts []ext) []byte {
	var b cryptobyte.Builder
	b.AddUint8(TypeServerHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(vers)
		b.AddBytes(random)
		if vers>>8 != 0x7f {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sid) })
		}
		b.AddUint16(suite)
		if vers>>8 != 0x7f {
			b.AddUint8(0)
		}
		if exts != nil {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, e := range exts {
					b.AddUint16(e.typ)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
				}
			})
		}
	})
	return b.BytesOrPanic()
}

func TestParseServerHello(t *testing.T) {
	rnd := bytes.Repeat([]byte{3}, 32)
	sid := []byte{1, 2, 3}
	for _, tt := range []struct {
		name string
		msg  []byte
		want *ServerHello
	}{
		{"tls12", buildServerHello(0x0303, rnd, sid, 0xc02f, nil),
			&ServerHello{Version: VersionTLS12, Selected: VersionTLS12, Random: rnd, SessionID: sid, CipherSuite: 0xc02f}},
		{"tls13", buildServerHello(0x0303, rnd, sid, 0x1301, []ext{{43, []byte{3, 4}}, {51, []byte{0, 29}}}),
			&ServerHello{Version: VersionTLS12, Selected: VersionTLS13, Random: rnd, SessionID: sid, CipherSuite: 0x1301, Extensions: []uint16{43, 51}}},
		{"hrr", buildServerHello(0x0303, helloRetryRandom, sid, 0x1301, []ext{{43, []byte{3, 4}}}),
			&ServerHello{Version: VersionTLS12, Selected: VersionTLS13, Random: helloRetryRandom, SessionID: sid, CipherSuite: 0x1301, HelloRetry: true, Extensions: []uint16{43}}},
		{"draft 18 format", buildServerHello(0x7f12, rnd, nil, 0x1301, []ext{}),
			&ServerHello{Version: 0x7f12, Selected: 0x7f12, Random: rnd, SessionID: []byte{}, CipherSuite: 0x1301}},
		{"bad and duplicate versions", buildServerHello(0x0303, rnd, nil, 1, []ext{{43, []byte{3}}, {43, []byte{3, 4}}}),
			&ServerHello{Version: VersionTLS12, Selected: VersionTLS12, Random: rnd, CipherSuite: 1, Extensions: []uint16{43, 43},
				Anomalies: []string{"supported-versions-malformed", "duplicate-extension:43"}}},
	} {
		got, err := ParseServerHello(tt.msg)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got, ignoreEmpty); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.name, diff)
		}
		truncations(t, tt.msg, func(b []byte) error { _, err := ParseServerHello(b); return err })
	}
	if _, err := ParseServerHello(buildClientHello(0x0303, nil, nil, nil, nil)); err == nil {
		t.Error("ClientHello accepted as ServerHello")
	}
	real := handshakeMessages(t, stream(realHandshakes(t).tls12SNI, 1))
	bodyPrefixes(t, real[0], func(b []byte) error { _, err := ParseServerHello(b); return err })
}

func TestParseCertificateMsg(t *testing.T) {
	real := handshakeMessages(t, stream(realHandshakes(t).tls12SNI, 1))
	if real[1][0] != TypeCertificate {
		t.Fatalf("second server message is type %d", real[1][0])
	}
	m, err := ParseCertificateMsg(real[1], false)
	if err != nil || m.Total != 2 || len(m.Certs) != 2 {
		t.Fatalf("got %v, %v", m, err)
	}
	truncations(t, real[1], func(b []byte) error { _, err := ParseCertificateMsg(b, false); return err })
	bodyPrefixes(t, real[1], func(b []byte) error { _, err := ParseCertificateMsg(b, false); return err })

	// TLS 1.3 form, built with a context and per-certificate extensions.
	var b cryptobyte.Builder
	b.AddUint8(TypeCertificate)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{5}) })
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range m.Certs {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{0, 5, 0, 0}) })
			}
		})
	})
	msg13 := b.BytesOrPanic()
	m13, err := ParseCertificateMsg(msg13, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, &CertificateMsg{Context: m.Context, Certs: m13.Certs, Total: 2}, ignoreEmpty); diff != "" || !bytes.Equal(m13.Context, []byte{5}) {
		t.Errorf("tls13 form: (-tls12 +tls13)\n%s", diff)
	}
	if _, err := ParseCertificateMsg(msg13, false); err == nil {
		t.Error("TLS 1.3 form accepted as TLS 1.2")
	}
	// Empty certificate and more than MaxChainCerts.
	for _, n := range []int{0, MaxChainCerts + 3} {
		var b cryptobyte.Builder
		b.AddUint8(TypeCertificate)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
				for i := 0; i < n; i++ {
					b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0x30) })
				}
			})
		})
		m, err := ParseCertificateMsg(b.BytesOrPanic(), false)
		if err != nil || m.Total != n || len(m.Certs) != min(n, MaxChainCerts) {
			t.Errorf("%d certs: got %d/%d, %v", n, len(m.Certs), m.Total, err)
		}
	}
	if _, err := ParseCertificateMsg([]byte{11, 0, 0, 6, 0, 0, 3, 0, 0, 0}, false); err == nil {
		t.Error("zero-length certificate accepted")
	}
}
