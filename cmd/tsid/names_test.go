package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/pcaps/synth"
	"github.com/tsid-project/tsid/report"
	"github.com/tsid-project/tsid/tlsparse"
)

// Hostile names: how the SNI and the certificate's names are shown when
// they hold NUL, escape sequences, bytes that are not UTF-8, raw Unicode,
// IDNA A-labels, or too many of them.

var namesTime = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// namesCA issues the leaves of these tests, so that a leaf's subject is
// not also its issuer.
func namesCA(t testing.TB) *synth.Identity {
	t.Helper()
	ca, err := synth.NewIdentity(synth.CertSpec{KeySeed: "names-ca", Serial: 1, CA: true,
		Subject:   pkix.Name{CommonName: "Names Test CA"},
		NotBefore: namesTime.AddDate(-1, 0, 0), NotAfter: namesTime.AddDate(1, 0, 0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func namesLeaf(t testing.TB, ca *synth.Identity, seed string, subject pkix.Name, dns ...string) *synth.Identity {
	t.Helper()
	id, err := synth.NewIdentity(synth.CertSpec{KeySeed: seed, Serial: 2, Subject: subject, DNSNames: dns,
		NotBefore: namesTime.AddDate(0, -1, 0), NotAfter: namesTime.AddDate(0, 1, 0)}, ca)
	if err != nil {
		t.Fatalf("%s: %v", seed, err)
	}
	return id
}

// namesConv records a TLS 1.2 handshake (the certificate in clear) from
// client port 50000+n, without SNI: namesSetSNI adds any.
func namesConv(t testing.TB, n int, id *synth.Identity) synth.Conversation {
	t.Helper()
	c, err := synth.Handshake(synth.Config{
		Client:     netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(50000+n)),
		Server:     netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(n)}), 443),
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		Cert: id, Time: namesTime, Seed: fmt.Sprint("names", n),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// namesSetSNI gives the ClientHello that starts c a server_name
// extension with these host_name entries, as bytes, whatever they hold
// (crypto/tls would refuse them); the lengths around it are fixed up.
func namesSetSNI(t testing.TB, c *synth.Conversation, names ...string) {
	t.Helper()
	data := c.Chunks[0].Data
	if c.Chunks[0].Dir != synth.Client || len(data) < 9 || data[0] != 22 || data[5] != 1 {
		t.Fatal("the conversation does not start with a ClientHello record")
	}
	recLen := int(data[3])<<8 | int(data[4])
	if len(data) != 5+recLen {
		t.Fatal("the ClientHello is not one record of its own")
	}
	body := cryptobyte.String(data[9:])
	var random, sid, suites, comp, exts []byte
	var vers uint16
	if !body.ReadUint16(&vers) || !body.ReadBytes(&random, 32) ||
		!body.ReadUint8LengthPrefixed((*cryptobyte.String)(&sid)) ||
		!body.ReadUint16LengthPrefixed((*cryptobyte.String)(&suites)) ||
		!body.ReadUint8LengthPrefixed((*cryptobyte.String)(&comp)) ||
		!body.ReadUint16LengthPrefixed((*cryptobyte.String)(&exts)) || !body.Empty() {
		t.Fatal("cannot read the ClientHello")
	}
	var b cryptobyte.Builder
	b.AddUint8(22)
	b.AddBytes(data[1:3])
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(1)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(vers)
			b.AddBytes(random)
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sid) })
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(suites) })
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(comp) })
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16(0) // server_name first, as clients send it
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						for _, n := range names {
							b.AddUint8(0)
							b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(n)) })
						}
					})
				})
				rest := cryptobyte.String(exts)
				for !rest.Empty() {
					var typ uint16
					var ext []byte
					if !rest.ReadUint16(&typ) || !rest.ReadUint16LengthPrefixed((*cryptobyte.String)(&ext)) {
						t.Fatal("cannot read the extensions")
					}
					if typ == 0 {
						continue
					}
					b.AddUint16(typ)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ext) })
				}
			})
		})
	})
	c.Chunks[0].Data = b.BytesOrPanic()
}

// namesPatch replaces old by new, of the same length, in everything d
// sent: a certificate's names after crypto/tls, which would not have
// sent (or accepted) them.
func namesPatch(t testing.TB, c *synth.Conversation, d synth.Dir, old, new string) {
	t.Helper()
	if len(old) != len(new) {
		t.Fatalf("patch %q by %q: lengths differ", old, new)
	}
	found := false
	for i, ch := range c.Chunks {
		if ch.Dir == d && bytes.Contains(ch.Data, []byte(old)) {
			c.Chunks[i].Data = bytes.ReplaceAll(ch.Data, []byte(old), []byte(new))
			found = true
		}
	}
	if !found {
		t.Fatalf("%q not in the %v's bytes", old, d)
	}
}

// namesCapture writes the conversations to a capture in a temporary
// directory.
func namesCapture(t testing.TB, convs ...synth.Conversation) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := synth.NewWriter(&buf, synth.Options{Start: namesTime})
	if err != nil {
		t.Fatal(err)
	}
	for i := range convs {
		if err := w.WriteConversation(&convs[i], synth.TCP{ClientISN: uint32(1000 + i), ServerISN: uint32(900000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "hostile-names.pcap")
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// namesJSONLines splits JSON Lines output by client port, checking each line
// is valid JSON and that nothing in it can drive a terminal.
func namesJSONLines(t *testing.T, out string) map[string]string {
	t.Helper()
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !json.Valid([]byte(l)) {
			t.Fatalf("not JSON: %s", l)
		}
		for _, r := range l {
			if !unicode.IsPrint(r) || r == utf8.RuneError {
				t.Errorf("JSON holds %U raw: %s", r, l)
				break
			}
		}
		var r struct{ Client string }
		json.Unmarshal([]byte(l), &r)
		lines[r.Client[strings.LastIndexByte(r.Client, ':')+1:]] = l
	}
	return lines
}

// namesDecoded reads a record back from JSON (analysis.Time only marshals).
type namesDecoded struct {
	analysis.Record
	Time string            `json:"time"`
	Cert *namesDecodedCert `json:"cert"`
}

type namesDecodedCert struct {
	analysis.CertRecord
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
}

func namesDecode(t testing.TB, line string) *namesDecoded {
	t.Helper()
	var r namesDecoded
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("%v: %.200s", err, line)
	}
	return &r
}

// namesPrintable fails when out holds a rune a terminal would act on or
// hide: every rune must be printable or a newline.
func namesPrintable(t *testing.T, what, out string) {
	t.Helper()
	bad := 0
	for i, r := range out {
		if r != '\n' && (!unicode.IsPrint(r) || r == utf8.RuneError) {
			t.Errorf("%s: %U at byte %d: %q", what, r, i, out[max(0, i-40):min(len(out), i+40)])
			if bad++; bad == 3 {
				return
			}
		}
	}
}

// TestHostileNamesEndToEnd runs hostile SNIs and certificate names through
// a capture and checks each output format shows them exactly, escaped,
// and flagged.
func TestHostileNamesEndToEnd(t *testing.T) {
	ca := namesCA(t)
	var convs []synth.Conversation
	add := func(c synth.Conversation) { convs = append(convs, c) }

	// 1: a NUL inside the SNI. The engines read up to the NUL.
	c := namesConv(t, 1, namesLeaf(t, ca, "nul", pkix.Name{CommonName: "evil.example"}, "evil.example"))
	namesSetSNI(t, &c, "evil.example\x00.good.example")
	add(c)
	// 2: an IDN SNI the certificate covers.
	c = namesConv(t, 2, namesLeaf(t, ca, "idn", pkix.Name{CommonName: "xn--tls-snaa.example"}, "xn--tls-snaa.example"))
	namesSetSNI(t, &c, "xn--tls-snaa.example")
	add(c)
	// 3: escape sequences in the CN and OU (x509 sorts the OUs), no SNI,
	// no SAN: the CN is logged.
	c = namesConv(t, 3, namesLeaf(t, ca, "esc", pkix.Name{CommonName: "\x1b[2J\x1b]0;title\x07",
		OrganizationalUnit: []string{"\u202eevil", "\r\x00x"}}))
	add(c)
	// 4: a server_name extension with an empty host_name.
	c = namesConv(t, 4, namesLeaf(t, ca, "empty", pkix.Name{CommonName: "empty.example"}, "empty.example"))
	namesSetSNI(t, &c, "")
	add(c)
	// 5: an SNI that is not UTF-8; the certificate does not cover it.
	c = namesConv(t, 5, namesLeaf(t, ca, "latin1", pkix.Name{CommonName: "fallback.example"}, "fallback.example"))
	namesSetSNI(t, &c, "caf\xe9.example")
	add(c)
	// 6: a CN that is not UTF-8 (x509 refuses it; the raw DER is read).
	c = namesConv(t, 6, namesLeaf(t, ca, "badcn", pkix.Name{CommonName: "PLACEHOLDER-CN-0006"}))
	namesPatch(t, &c, synth.Server, "PLACEHOLDER-CN-0006", "bad\xff\xfe-cn-zz.example")
	add(c)
	// 7: raw UTF-8 in the SNI; a C1 control (CSI) in another SNI entry.
	c = namesConv(t, 7, namesLeaf(t, ca, "raw", pkix.Name{CommonName: "tööls.example"}, "fallback.example"))
	namesSetSNI(t, &c, "tööls.example", "\u009b2J.example")
	add(c)
	// 8: a CN a spreadsheet would run, and escape sequences in a SAN.
	c = namesConv(t, 8, namesLeaf(t, ca, "formula", pkix.Name{CommonName: `=HYPERLINK("http://x.example")`,
		OrganizationalUnit: []string{"@SUM(1)"}}, "\x1b[31mred.example"))
	add(c)
	file := namesCapture(t, convs...)

	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "--profile", "all", "--explain", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := namesJSONLines(t, out)
	if len(lines) != len(convs) {
		t.Fatalf("%d records, want %d:\n%s", len(lines), len(convs), out)
	}
	rec := func(port string) *namesDecoded { return namesDecode(t, lines[port]) }
	has := func(what string, l []string, s ...string) {
		t.Helper()
		for _, x := range s {
			if !slices.Contains(l, x) {
				t.Errorf("%s %q lacks %q", what, l, x)
			}
		}
	}
	hasNot := func(what string, l []string, s ...string) {
		t.Helper()
		for _, x := range s {
			if slices.Contains(l, x) {
				t.Errorf("%s %q has %q", what, l, x)
			}
		}
	}
	text := func(port string, want ...string) { // exact JSON text
		t.Helper()
		for _, w := range want {
			if !strings.Contains(lines[port], w) {
				t.Errorf("record %s lacks %s:\n%s", port, w, lines[port])
			}
		}
	}

	r := rec("50001")
	if r.SNI != "evil.example" || !slices.Equal(r.ServerNames, []string{"evil.example\x00.good.example"}) {
		t.Errorf("NUL SNI: sni %q, server_names %q", r.SNI, r.ServerNames)
	}
	has("NUL SNI anomalies", r.Anomalies, "sni-nul")
	has("NUL SNI flags", r.Flags, "odd-name")
	text("50001", `"server_names":["evil.example\u0000.good.example"]`)

	r = rec("50002")
	if r.SNI != "xn--tls-snaa.example" || r.SNIUnicode != "tööls.example" || r.HostUnicode != "tööls.example" || r.URL != "https://xn--tls-snaa.example" {
		t.Errorf("IDN: sni %q (%q), url %q (%q)", r.SNI, r.SNIUnicode, r.URL, r.HostUnicode)
	}
	hasNot("IDN flags", r.Flags, "odd-name")

	r = rec("50003")
	if r.Cert == nil || r.Cert.CN != "\x1b[2J\x1b]0;title\x07" || r.Host != r.Cert.CN {
		t.Fatalf("escape CN: %+v, host %q", r.Cert, r.Host)
	}
	has("escape CN flags", r.Flags, "odd-name", "no-sni")
	text("50003", `"cn":"\u001b[2J\u001b]0;title\u0007"`, `"ou":["\r\u0000x","\u202eevil"]`)

	r = rec("50004")
	has("empty SNI anomalies", r.Anomalies, "sni-empty")
	has("empty SNI flags", r.Flags, "no-sni")
	if r.SNI != "" || r.HostSource != "san" {
		t.Errorf("empty SNI: sni %q, host %q from %q", r.SNI, r.Host, r.HostSource)
	}

	r = rec("50005")
	text("50005", `"sni":"caf\\xe9.example"`)
	has("latin-1 SNI anomalies", r.Anomalies, "name-not-utf8:sni")
	hasNot("latin-1 SNI anomalies", r.Anomalies, "name-not-utf8:host", "name-not-utf8:cert.cn")
	has("latin-1 SNI flags", r.Flags, "odd-name", "sni-mismatch")
	if r.Host != "fallback.example" {
		t.Errorf("latin-1 SNI: host %q", r.Host)
	}

	r = rec("50006")
	text("50006", `"cn":"bad\\xff\\xfe-cn-zz.example"`, `"host":"bad\\xff\\xfe-cn-zz.example"`)
	has("bad CN anomalies", r.Anomalies, "name-not-utf8:cert.cn", "name-not-utf8:cert.subject",
		"name-not-utf8:chain", "name-not-utf8:host", "name-not-utf8:url")
	has("bad CN flags", r.Flags, "odd-name")
	if r.Cert.X509Error == "" {
		t.Error("bad CN: crypto/x509 accepted it")
	}

	r = rec("50007")
	if r.SNI != "tööls.example" || r.SNIUnicode != "" || len(r.ServerNames) != 2 {
		t.Errorf("raw UTF-8 SNI: %q (unicode %q), server_names %q", r.SNI, r.SNIUnicode, r.ServerNames)
	}
	has("raw UTF-8 SNI flags", r.Flags, "odd-name")
	text("50007", `"\u009b2J.example"`)

	r = rec("50008")
	has("formula flags", r.Flags, "odd-name") // the SAN is logged
	if r.Host != "\x1b[31mred.example" {
		t.Errorf("formula: host %q", r.Host)
	}

	// The table: nothing raw, the names escaped.
	table, errs, code := runCLI(t, nil, "analyze", "--profile", "all", "--explain", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	namesPrintable(t, "table", table)
	for _, w := range []string{
		`    server_names: evil.example\x00.good.example`,
		"    unicode: tööls.example (sni, host)",
		`https://\x1b[2J\x1b]0;title\a`,
		`\u202eevil`,
		`\r\x00x`,
		`caf\xe9.example`,
		`https://bad\xff\xfe-cn-zz.example`,
		`    server_names: tööls.example, \u009b2J.example`,
		`https://\x1b[31mred.example`,
	} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %s:\n%s", w, table)
		}
	}
	for _, l := range strings.Split(table, "\n") {
		if strings.Contains(l, "192.0.2.4:443") && !strings.Contains(l, `  ""  `) {
			t.Errorf("empty SNI is not shown as \"\": %s", l)
		}
		if strings.Contains(l, "192.0.2.2:443") && !strings.Contains(l, "https://xn--tls-snaa.example") {
			t.Errorf("the URL column does not keep the A-labels: %s", l)
		}
	}

	// CSV: escaped the same way, formulas defused.
	csvOut, errs, code := runCLI(t, nil, "analyze", "-f", "csv", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	namesPrintable(t, "csv", csvOut)
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, row := range rows[1:] {
		switch {
		case strings.HasSuffix(row[col["server"]], ".8:443"):
			if row[col["cert_cn"]] != `'=HYPERLINK("http://x.example")` || row[col["cert_ou"]] != "'@SUM(1)" {
				t.Errorf("formula cells: cn %q, ou %q", row[col["cert_cn"]], row[col["cert_ou"]])
			}
			if row[col["host"]] != `\x1b[31mred.example` {
				t.Errorf("escape host cell %q", row[col["host"]])
			}
		case strings.HasSuffix(row[col["server"]], ".2:443"):
			if row[col["sni_unicode"]] != "tööls.example" || row[col["host_unicode"]] != "tööls.example" {
				t.Errorf("IDN cells %q %q", row[col["sni_unicode"]], row[col["host_unicode"]])
			}
		case strings.HasSuffix(row[col["server"]], ".3:443"):
			if row[col["cert_cn"]] != `\x1b[2J\x1b]0;title\a` {
				t.Errorf("escape CN cell %q", row[col["cert_cn"]])
			}
		}
	}
}

// namesRecord builds the record of a hand-made handshake, as the record
// stage does.
func namesRecord(t testing.TB, hs *tlsparse.Handshake, o *analyzeOptions) *analysis.Record {
	t.Helper()
	if o.profile == "" {
		o.profile = "ftd"
	}
	an, err := o.analyzer("test")
	if err != nil {
		t.Fatal(err)
	}
	hs.IsTLS = true
	if hs.Status == "" {
		hs.Status = tlsparse.CertPresent
	}
	return an.Record("hostile.pcap", pcaps.ConnInfo{ID: 1, SYN: true, First: namesTime,
		A: netip.MustParseAddrPort("10.0.0.1:50000"), B: netip.MustParseAddrPort("192.0.2.1:443")}, hs, nil)
}

// namesWrite writes records in format f and returns the output.
func namesWrite(t testing.TB, f string, o *analyzeOptions, recs ...*analysis.Record) string {
	t.Helper()
	var b bytes.Buffer
	w := report.New(f, &b, o.reportOptions())
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(&analysis.Summary{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestHostileNamesRecord covers every name of a record with bytes that
// are not UTF-8, control characters and IDN trouble, without a capture.
func TestHostileNamesRecord(t *testing.T) {
	// Names x509 would not issue are patched into the DER, padded to the
	// placeholder's length.
	pad := func(s string) string { return s + strings.Repeat("z", 20-len(s)) }
	cn, ou, org, san := pad("cn\xff\x1b[2J"), pad("ou\xfe\r\n"), pad("o\xc0\x00"), pad("san\xff\u202e.example")
	der := namesLeaf(t, namesCA(t), "record", pkix.Name{CommonName: "PLACEHOLDER-CN-00000",
		OrganizationalUnit: []string{"PLACEHOLDER-UNIT-000"}, Organization: []string{"PLACEHOLDER-ORG-0000"}},
		"placeholder-san-0000", "xn--zz.example").DER()
	for old, new := range map[string]string{"PLACEHOLDER-CN-00000": cn, "PLACEHOLDER-UNIT-000": ou,
		"PLACEHOLDER-ORG-0000": org, "placeholder-san-0000": san} {
		if len(old) != len(new) || !bytes.Contains(der, []byte(old)) {
			t.Fatalf("patch %q", old)
		}
		der = bytes.ReplaceAll(der, []byte(old), []byte(new))
	}
	leaf, err := tlsparse.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	hs := &tlsparse.Handshake{
		ClientHello: &tlsparse.ClientHello{SNI: "xn--zz.example", ALPN: []string{"h2\xff"},
			ServerNames: []tlsparse.ServerName{{Name: "xn--zz.example"}, {Name: "b\xff"}}},
		Chain: []*tlsparse.Certificate{leaf},
	}
	o := &analyzeOptions{profile: "all", explain: true}
	r := namesRecord(t, hs, o)
	for _, a := range []string{"idn-invalid:sni", "idn-invalid:host", "name-not-utf8:server_names", "name-not-utf8:alpn",
		"name-not-utf8:cert.cn", "name-not-utf8:cert.ou", "name-not-utf8:cert.o", "name-not-utf8:cert.san_dns",
		"name-not-utf8:cert.sans", "name-not-utf8:cert.subject", "name-not-utf8:chain"} {
		if !slices.Contains(r.Anomalies, a) {
			t.Errorf("anomalies %q lack %s", r.Anomalies, a)
		}
	}
	if slices.Contains(r.Anomalies, "name-not-utf8:sni") || slices.Contains(r.Flags, "odd-name") {
		t.Errorf("a plain ASCII SNI taken for odd: %q %q", r.Anomalies, r.Flags)
	}
	if r.SNIUnicode != "" || r.HostUnicode != "" {
		t.Errorf("an invalid A-label decoded: %q %q", r.SNIUnicode, r.HostUnicode)
	}
	if want := `cn\xff` + cn[3:]; r.Cert.CN != want {
		t.Errorf("cn %q, want %q", r.Cert.CN, want)
	}
	if want := `san\xff` + san[4:]; r.Cert.SANDNS[0] != want || r.Cert.SANs[0].Value != want {
		t.Errorf("san %q, %q, want %q", r.Cert.SANDNS[0], r.Cert.SANs[0].Value, want)
	}
	// The parser's values are shared: escaping must not write into them.
	if leaf.DNSNames[0] != san || leaf.OUs[0] != ou || hs.ClientHello.ALPN[0] != "h2\xff" {
		t.Errorf("the parsed certificate or hello changed: %q %q %q", leaf.DNSNames, leaf.OUs, hs.ClientHello.ALPN)
	}
	// Every string anywhere in the record is UTF-8 now, the explanation's
	// included, so JSON shows what the table shows.
	js := namesWrite(t, "json", o, r)
	if !json.Valid([]byte(js)) || strings.Contains(js, "\ufffd") {
		t.Errorf("JSON invalid or with U+FFFD: %s", js)
	}
	for _, w := range []string{`"cn":"cn\\xff\u001b[2Jzz`, `"san_dns":["san\\xff\u202e.examplezz`, `"o":["o\\xc0\u0000zzzzz`, `"alpn":["h2\\xff"]`} {
		if !strings.Contains(js, w) {
			t.Errorf("JSON lacks %s:\n%s", w, js)
		}
	}
	namesPrintable(t, "table", namesWrite(t, "table", o, r))
	namesPrintable(t, "csv", namesWrite(t, "csv", o, r))

	// An SNI whose A-label decodes to a control character is odd.
	r = namesRecord(t, &tlsparse.Handshake{ClientHello: &tlsparse.ClientHello{SNI: "xn--a.example"}}, &analyzeOptions{})
	if r.SNIUnicode != "\u0080.example" || !slices.Contains(r.Flags, "odd-name") {
		t.Errorf("xn--a: unicode %q, flags %q", r.SNIUnicode, r.Flags)
	}
	table := namesWrite(t, "table", &analyzeOptions{quiet: true}, r)
	namesPrintable(t, "table", table)
	if !strings.Contains(table, `unicode: \u0080.example (sni`) {
		t.Errorf("table:\n%s", table)
	}
}

// namesManySANs issues a certificate with n dNSName SANs, s00000.example …
func namesManySANs(t testing.TB, n int) []byte {
	t.Helper()
	seed := sha256.Sum256([]byte("many-sans"))
	key := ed25519.NewKeyFromSeed(seed[:])
	dns := make([]string, n)
	for i := range dns {
		dns[i] = fmt.Sprintf("s%05d.example", i)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "many.example"},
		DNSNames: dns, NotBefore: namesTime.AddDate(0, -1, 0), NotAfter: namesTime.AddDate(0, 1, 0)}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestManySANs: 10,000 SANs are all kept in the JSON, the table shows a
// bounded part, and the work is linear (the benchmark below shows it).
func TestManySANs(t *testing.T) {
	const n = 10_000
	der := namesManySANs(t, n)
	c, err := tlsparse.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.DNSNames) != n || len(c.SANs) != n || len(c.Anomalies) != 0 || c.X509Error != "" {
		t.Fatalf("%d dNSNames, %d SANs, anomalies %q, x509 %q", len(c.DNSNames), len(c.SANs), c.Anomalies, c.X509Error)
	}
	o := &analyzeOptions{profile: "all", explain: true}
	r := namesRecord(t, &tlsparse.Handshake{ClientHello: &tlsparse.ClientHello{SNI: "s09999.example"},
		Chain: []*tlsparse.Certificate{c}}, o)
	if len(r.Cert.SANDNS) != n || len(r.Cert.SANs) != n || r.Host != "s09999.example" || slices.Contains(r.Flags, "odd-name") {
		t.Fatalf("record: %d SANs, host %q, flags %q", len(r.Cert.SANDNS), r.Host, r.Flags)
	}
	if back := namesDecode(t, namesWrite(t, "json", o, r)); len(back.Cert.SANs) != n {
		t.Fatalf("JSON: %d SANs", len(back.Cert.SANs))
	}
	table := namesWrite(t, "table", o, r)
	if lines := strings.Count(table, "\n"); lines > 80 {
		t.Errorf("the table takes %d lines for one connection", lines)
	}
	if !strings.Contains(table, "      leaf san:dns           … (+9984 more; -f json lists them all)\n") ||
		!strings.Contains(table, "s00015.example") || strings.Contains(table, "s00016.example") {
		t.Errorf("the SAN list is not cut after 16:\n%s", table)
	}
	if !strings.Contains(table, "sans=10000") {
		t.Errorf("the chain line lacks the SAN count:\n%s", table)
	}

	// End to end, through crypto/tls, the capture and the CLI.
	seed := sha256.Sum256([]byte("many-sans"))
	id := &synth.Identity{Key: ed25519.NewKeyFromSeed(seed[:])}
	if id.Cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	conv := namesConv(t, 1, id)
	namesSetSNI(t, &conv, "s09999.example")
	file := namesCapture(t, conv)
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if back := namesDecode(t, out); back.Cert == nil || len(back.Cert.SANDNS) != n || back.Host != "s09999.example" {
		t.Fatalf("CLI: %d SANs, host %q", len(back.Cert.SANDNS), back.Host)
	}
}

// BenchmarkManySANs reads a certificate with 1,000 to 40,000 SANs and
// makes its record: the record's time per SAN stays flat (linear); the
// reading is mostly crypto/x509 and the garbage collector.
// go test ./cmd/tsid -run '^$' -bench ManySANs
func BenchmarkManySANs(b *testing.B) {
	var salt uint32
	for _, n := range []int{1000, 10_000, 40_000} {
		der := namesManySANs(b, n)
		b.Run(fmt.Sprint("parse/", n), func(b *testing.B) {
			for b.Loop() {
				salt++ // a new signature each time: defeat the certificate cache
				binary.BigEndian.PutUint32(der[len(der)-4:], salt)
				if _, err := tlsparse.ParseCertificate(der); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/SAN")
		})
		c, err := tlsparse.ParseCertificate(der)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint("record/", n), func(b *testing.B) {
			for b.Loop() { // a new fileRun each time: no view cached
				namesRecord(b, &tlsparse.Handshake{ClientHello: &tlsparse.ClientHello{SNI: "s00999.example"},
					Chain: []*tlsparse.Certificate{c}}, &analyzeOptions{})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/SAN")
		})
	}
}

// namesNested is depth SEQUENCEs, each the only content of the one around
// it, built outside in (linear in the output).
func namesNested(depth int) []byte {
	size := make([]int, depth+1) // size[k]: bytes of k nested SEQUENCEs
	for k := 1; k <= depth; k++ {
		size[k] = 1 + len(namesDERLen(size[k-1])) + size[k-1]
	}
	out := make([]byte, 0, size[depth])
	for k := depth; k >= 1; k-- {
		out = append(out, 0x30)
		out = append(out, namesDERLen(size[k-1])...)
	}
	return out
}

func namesDERLen(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	case n < 0x10000:
		return []byte{0x82, byte(n >> 8), byte(n)}
	}
	return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
}

var (
	namesOIDEd25519 = []int{1, 3, 101, 112}
	namesOIDCN      = []int{2, 5, 4, 3}
	namesOIDSAN     = []int{2, 5, 29, 17}
)

// namesDER builds a certificate by hand: the subject's one CN attribute
// holds cnValue (a whole DER element, of any type), and each extension is
// an OID and its value's bytes. The signature is not one.
func namesDER(t testing.TB, cnValue []byte, exts ...[2]any) []byte {
	t.Helper()
	alg := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(namesOIDEd25519) })
	}
	name := func(b *cryptobyte.Builder, value []byte) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(namesOIDCN)
					b.AddBytes(value)
				})
			})
		})
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1Int64(2) })
			b.AddASN1Int64(7)
			alg(b)
			name(b, []byte{0x0c, 7, 'H', 'a', 'n', 'd', ' ', 'C', 'A'})
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1UTCTime(namesTime.AddDate(0, -1, 0))
				b.AddASN1UTCTime(namesTime.AddDate(0, 1, 0))
			})
			name(b, cnValue)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				alg(b)
				b.AddASN1BitString(make([]byte, 32))
			})
			if len(exts) > 0 {
				b.AddASN1(cbasn1.Tag(3).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						for _, e := range exts {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(e[0].([]int))
								b.AddASN1OctetString(e[1].([]byte))
							})
						}
					})
				})
			}
		})
		alg(b)
		b.AddASN1BitString(make([]byte, 64))
	})
	der, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// namesSANExt is a subjectAltName value of n dNSNames "a", then extra as is.
func namesSANExt(n int, extra []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for range n {
			b.AddBytes([]byte{0x82, 1, 'a'})
		}
		b.AddBytes(extra)
	})
	return b.BytesOrPanic()
}

// TestNestedAndOversizedDER: deep nesting where a string or an otherName
// belongs, and huge declared lengths, are read without recursion or
// trust in the lengths; the record and every output stay bounded.
func TestNestedAndOversizedDER(t *testing.T) {
	const depth = 100_000
	nested := namesNested(depth)
	otherName := append([]byte{0xa0}, namesDERLen(len(nested))...) // [0] { nested }
	otherName = append(otherName, nested...)
	der := namesDER(t, nested, [2]any{namesOIDSAN, namesSANExt(2, otherName)}, [2]any{[]int{1, 2, 3, 4}, nested})
	c, err := tlsparse.ParseCertificate(der)
	if err != nil {
		t.Fatalf("%d-deep DER: %v", depth, err)
	}
	if !strings.HasPrefix(c.Subject, "CN=#30") || len(c.CNs) != 0 || c.Issuer != "CN=Hand CA" || c.X509Error == "" {
		t.Errorf("subject %.40q…, CNs %q, issuer %q, x509 %q", c.Subject, c.CNs, c.Issuer, c.X509Error)
	}
	if len(c.SANs) != 3 || c.SANs[2] != (tlsparse.SAN{Type: "other", Value: "othername"}) {
		t.Errorf("SANs %q", c.SANs)
	}
	o := &analyzeOptions{profile: "all", explain: true}
	r := namesRecord(t, &tlsparse.Handshake{ClientHello: &tlsparse.ClientHello{}, Chain: []*tlsparse.Certificate{c}}, o)
	if r.Host != "a" || r.HostSource != "san" {
		t.Errorf("host %q from %q", r.Host, r.HostSource)
	}
	if js := namesWrite(t, "json", o, r); !json.Valid([]byte(js)) {
		t.Error("JSON not valid")
	}
	table := namesWrite(t, "table", o, r)
	namesPrintable(t, "table", table)
	for _, l := range strings.Split(table, "\n") {
		if utf8.RuneCountInString(l) > 2*120+300 { // twice the table's width, and a name's cap
			t.Errorf("a table line of %d runes: %.80s…", len(l), l)
		}
	}

	// More SANs than tlsparse keeps: the list is cut, and the record says so.
	c, err = tlsparse.ParseCertificate(namesDER(t, []byte{0x0c, 1, 'x'}, [2]any{namesOIDSAN, namesSANExt(tlsparse.MaxSANs+5, nil)}))
	if err != nil {
		t.Fatal(err)
	}
	r = namesRecord(t, &tlsparse.Handshake{ClientHello: &tlsparse.ClientHello{}, Chain: []*tlsparse.Certificate{c}}, &analyzeOptions{})
	if len(r.Cert.SANs) != tlsparse.MaxSANs || !slices.Contains(r.Anomalies, "leaf:san-too-many") {
		t.Errorf("%d SANs kept, anomalies %q", len(r.Cert.SANs), r.Anomalies)
	}

	// Lengths that promise more than there is.
	for _, bad := range [][]byte{
		{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00},
		{0x30, 0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x30, 0x83, 0x10, 0x00, 0x00, 0x30, 0x83, 0x0f, 0xff, 0xfb},
		namesNested(1000),
	} {
		if c, err := tlsparse.ParseCertificate(bad); err == nil {
			t.Errorf("% x…: parsed as %q", bad[:min(len(bad), 12)], c.Subject)
		}
	}
	// A certificate larger than a Certificate message may be (1 MiB)
	// still parses on its own; the observer refuses its message.
	big := namesDER(t, []byte{0x0c, 1, 'x'}, [2]any{[]int{1, 2, 3, 4}, make([]byte, 2<<20)})
	if c, err := tlsparse.ParseCertificate(big); err != nil || c.Subject != "CN=x" {
		t.Errorf("2 MiB certificate: %v", err)
	}
}
