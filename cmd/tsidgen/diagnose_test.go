package main

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tsid-project/tsid/pcaps/synth"
	"golang.org/x/crypto/cryptobyte"
)

// committedDiagnose is where the diagnose captures live in the repository.
const committedDiagnose = "../../testdata/diagnose"

// lookupFact is one DNS lookup: its queries and the response, if any.
type lookupFact struct {
	Client, Resolver string
	ID               uint16
	Question         string // "A tools.cisco.com"
	Queries          []string
	Response         string // "NXDOMAIN", "NOERROR: answers", "" = none
}

// flowFact is what a TCP connection shows.
type flowFact struct {
	Client, Server string
	SYNs           [2]int  // by client, server
	RST            string  // who reset: "client", "server" or ""
	FIN            [2]bool // by client, server
	Data           [2]bool // payload seen from client, server
	Span           string  // first to last packet
	Proxy          string  // CONNECT request line → the proxy's status line
	SNI            string
	Alerts         []string // plaintext alerts: "client 42"
	Leaf           string   // the server's leaf: "CN by issuer CN, validity"
	Chain          int
}

type diagFact struct {
	Lookups []lookupFact
	Flows   []flowFact
}

var wantDiag = map[string]diagFact{
	"dns-nxdomain.pcap":   {Lookups: []lookupFact{failedLookupFact(0x5101, "NXDOMAIN")}},
	"dns-servfail.pcap":   {Lookups: []lookupFact{failedLookupFact(0x5102, "SERVFAIL")}},
	"dns-refused.pcap":    {Lookups: []lookupFact{failedLookupFact(0x5103, "REFUSED")}},
	"dns-cname-only.pcap": {Lookups: []lookupFact{answered(0x5104, "+0s", "tools.cisco.com CNAME tools-cisco.edge.example.net")}},
	"dns-no-response.pcap": {Lookups: []lookupFact{{Client: "10.12.1.8:53000", Resolver: "10.12.1.1:53", ID: 0x5105,
		Question: "A tools.cisco.com", Queries: []string{"+0s", "+1s", "+2s"}}}},
	"tcp-syn-unanswered.pcap": {Lookups: []lookupFact{toolsAnswer(0x5201)}, Flows: []flowFact{{
		Client: "10.12.1.8:52100", Server: "72.163.4.38:443", SYNs: [2]int{3, 0}, Span: "3s"}}},
	"tcp-rst-on-syn.pcap": {Lookups: []lookupFact{toolsAnswer(0x5202)}, Flows: []flowFact{{
		Client: "10.12.1.8:52110", Server: "72.163.4.38:443", SYNs: [2]int{1, 0}, RST: "server", Span: "1ms"}}},
	"tcp-rst-after-hello.pcap": {Lookups: []lookupFact{toolsAnswer(0x5203)}, Flows: []flowFact{{
		Client: "10.12.1.8:52120", Server: "72.163.4.38:443", SYNs: [2]int{1, 1}, RST: "server",
		Data: [2]bool{true, false}, Span: "4ms", SNI: "tools.cisco.com"}}},
	"tls-hello-unanswered.pcap": {Lookups: []lookupFact{toolsAnswer(0x5204)}, Flows: []flowFact{{
		Client: "10.12.1.8:52130", Server: "72.163.4.38:443", SYNs: [2]int{1, 1}, FIN: [2]bool{true, false},
		Data: [2]bool{true, false}, Span: "10.005s", SNI: "tools.cisco.com"}}},
	"tls-untrusted-ca.pcap": {Lookups: []lookupFact{toolsAnswer(0x5301)}, Flows: []flowFact{
		refused("10.12.1.8:52200", "72.163.4.38:443", "tools.cisco.com", "client 42", inspectedLeaf)}},
	"tls-server-tls13-only.pcap": {Flows: []flowFact{{
		Client: "10.12.1.8:52210", Server: "198.51.100.20:443", SYNs: [2]int{1, 1}, FIN: [2]bool{true, true},
		Data: [2]bool{true, true}, Span: "8ms", SNI: "www.example.com", Alerts: []string{"server 70"}}}},
	"tls-unknown-sni.pcap": {Flows: []flowFact{{
		Client: "10.12.1.8:52220", Server: "198.51.100.30:443", SYNs: [2]int{1, 1}, FIN: [2]bool{true, true},
		Data: [2]bool{true, true}, Span: "8ms", SNI: "api.example.com", Alerts: []string{"server 112"}}}},
	"cert-expired.pcap": {Flows: []flowFact{refused("10.12.1.8:52300", "198.51.100.40:443", "expired.example.net", "client 42",
		"expired.example.net by Test Issuing CA, 2025-11-01..2026-11-01")}},
	"cert-not-yet-valid.pcap": {Flows: []flowFact{refused("10.12.1.8:52310", "198.51.100.50:443", "future.example.net", "client 42",
		"future.example.net by Test Issuing CA, 2026-12-01..2027-12-01")}},
	"cert-name-mismatch.pcap": {Flows: []flowFact{refused("10.12.1.8:52320", "198.51.100.60:443", "api.example.com", "client 42",
		wwwLeaf)}},
	"private-ca.pcap": {Flows: []flowFact{healthy("10.12.1.8:52330", "198.51.100.70:443", "www.example.com", wwwLeaf, "15ms")}},
	"proxy-connect.pcap": {Flows: []flowFact{func() flowFact {
		f := healthy("10.12.1.8:52400", "192.0.2.31:3128", "tools.cisco.com", toolsLeaf, "17ms")
		f.Proxy = "CONNECT tools.cisco.com:443 HTTP/1.1 → HTTP/1.1 200 Connection established"
		return f
	}()}},
	"proxy-auth-required.pcap": {Flows: []flowFact{{
		Client: "10.12.1.8:52410", Server: "192.0.2.31:3128", SYNs: [2]int{1, 1}, FIN: [2]bool{true, true},
		Data: [2]bool{true, true}, Span: "8ms",
		Proxy: "CONNECT tools.cisco.com:443 HTTP/1.1 → HTTP/1.1 407 Proxy Authentication Required"}}},
	"healthy-registration.pcap": {Lookups: []lookupFact{toolsAnswer(0x5401)},
		Flows: []flowFact{healthy("10.12.1.8:52500", "72.163.4.38:443", "tools.cisco.com", toolsLeaf, "15ms")}},
	"cut-after-hello.pcap": {Lookups: []lookupFact{toolsAnswer(0x5402)}, Flows: []flowFact{{
		Client: "10.12.1.8:52510", Server: "72.163.4.38:443", SYNs: [2]int{1, 1}, Data: [2]bool{true, false},
		Span: "3ms", SNI: "tools.cisco.com"}}},
	"one-way.pcap": {
		Lookups: []lookupFact{{Client: "10.12.1.8:53000", Resolver: "10.12.1.1:53", ID: 0x5403, Question: "A tools.cisco.com", Queries: []string{"+0s"}}},
		Flows: []flowFact{{Client: "10.12.1.8:52520", Server: "72.163.4.38:443", SYNs: [2]int{1, 0}, FIN: [2]bool{true, false},
			Data: [2]bool{true, false}, Span: "7ms", SNI: "tools.cisco.com"}}},
	"failed-registration.pcap": {
		Lookups: []lookupFact{
			{Client: "10.12.1.8:53000", Resolver: "10.12.1.2:53", ID: 0x5501, Question: "A tools.cisco.com", Queries: []string{"+0s"}, Response: "NXDOMAIN"},
			answered(0x5502, "+2.002s", "tools.cisco.com A 72.163.4.38", "tools.cisco.com A 173.37.145.8"),
		},
		Flows: []flowFact{
			{Client: "10.12.1.8:52600", Server: "72.163.4.38:443", SYNs: [2]int{3, 0}, Span: "3s"},
			refused("10.12.1.8:52602", "173.37.145.8:443", "tools.cisco.com", "client 42", inspectedLeaf),
		}},
}

const (
	toolsLeaf     = "tools.cisco.com by Test Issuing CA, 2026-06-01..2027-06-01"
	inspectedLeaf = "tools.cisco.com by Corp SSL Inspection CA, 2026-06-01..2027-06-01"
	wwwLeaf       = "www.example.com by Test Issuing CA, 2026-06-01..2027-06-01"
)

func failedLookupFact(id uint16, rcode string) lookupFact {
	return lookupFact{Client: "10.12.1.8:53000", Resolver: "10.12.1.1:53", ID: id, Question: "A tools.cisco.com",
		Queries: []string{"+0s"}, Response: rcode}
}

func answered(id uint16, at string, answers ...string) lookupFact {
	return lookupFact{Client: "10.12.1.8:53000", Resolver: "10.12.1.1:53", ID: id, Question: "A tools.cisco.com",
		Queries: []string{at}, Response: "NOERROR: " + strings.Join(answers, ", ")}
}

func toolsAnswer(id uint16) lookupFact { return answered(id, "+0s", "tools.cisco.com A 72.163.4.38") }

// refused is a connection whose client refuses the chain with an alert.
func refused(client, server, sni, alert, leaf string) flowFact {
	return flowFact{Client: client, Server: server, SYNs: [2]int{1, 1}, FIN: [2]bool{true, true}, Data: [2]bool{true, true},
		Span: "9ms", SNI: sni, Alerts: []string{alert}, Leaf: leaf, Chain: 2}
}

func healthy(client, server, sni, leaf, span string) flowFact {
	return flowFact{Client: client, Server: server, SYNs: [2]int{1, 1}, FIN: [2]bool{true, true}, Data: [2]bool{true, true},
		Span: span, SNI: sni, Leaf: leaf, Chain: 2}
}

// clientHelloSNI returns the host_name of the server_name extension of
// the ClientHello record at the start of stream (RFC 8446, Section 4.1.2;
// RFC 6066, Section 3), read independently of tsid's parsers.
func clientHelloSNI(t *testing.T, stream []byte) string {
	t.Helper()
	if len(stream) < recordHeaderLen || stream[0] != 22 {
		return ""
	}
	s := cryptobyte.String(stream[recordHeaderLen:])
	var typ uint8
	var body, sessionID, suites, compression, exts cryptobyte.String
	if !s.ReadUint8(&typ) || typ != 1 || !s.ReadUint24LengthPrefixed(&body) ||
		!body.Skip(2+32) || !body.ReadUint8LengthPrefixed(&sessionID) ||
		!body.ReadUint16LengthPrefixed(&suites) || !body.ReadUint8LengthPrefixed(&compression) ||
		!body.ReadUint16LengthPrefixed(&exts) {
		t.Fatalf("malformed ClientHello")
	}
	for !exts.Empty() {
		var ext uint16
		var data, names cryptobyte.String
		if !exts.ReadUint16(&ext) || !exts.ReadUint16LengthPrefixed(&data) {
			t.Fatalf("malformed ClientHello extension")
		}
		if ext != 0 {
			continue
		}
		var nameType uint8
		var host []byte
		if !data.ReadUint16LengthPrefixed(&names) || !names.ReadUint8(&nameType) || !names.ReadUint16LengthPrefixed((*cryptobyte.String)(&host)) {
			t.Fatalf("malformed server_name")
		}
		return string(host)
	}
	return ""
}

var rcodeNames = map[uint8]string{0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}

// diagFacts reads a capture back with synth.Decode and describes it.
func diagFacts(t *testing.T, file []byte) diagFact {
	t.Helper()
	flows, msgs, err := synth.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var first time.Time
	for _, m := range msgs {
		if first.IsZero() || m.Time.Before(first) {
			first = m.Time
		}
	}
	for _, f := range flows {
		if first.IsZero() || f.First.Before(first) {
			first = f.First
		}
	}
	var df diagFact
	type key struct {
		client, resolver string
		id               uint16
	}
	at := map[key]int{}
	for _, m := range msgs {
		k := key{m.Src.String(), m.Dst.String(), m.DNS.ID}
		if m.DNS.QR {
			k = key{m.Dst.String(), m.Src.String(), m.DNS.ID}
		}
		i, ok := at[k]
		if !ok {
			q := m.DNS.Questions[0]
			i = len(df.Lookups)
			at[k] = i
			df.Lookups = append(df.Lookups, lookupFact{Client: k.client, Resolver: k.resolver, ID: k.id,
				Question: q.Type.String() + " " + string(q.Name)})
		}
		l := &df.Lookups[i]
		if !m.DNS.QR {
			l.Queries = append(l.Queries, "+"+m.Time.Sub(first).String())
			continue
		}
		l.Response = rcodeNames[uint8(m.DNS.ResponseCode)]
		var as []string
		for _, a := range m.DNS.Answers {
			v := string(a.CNAME)
			if a.IP != nil {
				v = a.IP.String()
			}
			as = append(as, string(a.Name)+" "+a.Type.String()+" "+v)
		}
		if len(as) > 0 {
			l.Response += ": " + strings.Join(as, ", ")
		}
	}
	for _, f := range flows {
		ff := flowFact{Client: f.Client.String(), Server: f.Server.String(), SYNs: f.SYNs, FIN: f.FIN,
			Span: f.Last.Sub(f.First).String()}
		for _, d := range []synth.Dir{synth.Client, synth.Server} {
			if f.RST[d] {
				ff.RST = d.String()
			}
			ff.Data[d] = len(f.Streams[d]) > 0
			for _, a := range plainAlerts(f.Streams[d]) {
				ff.Alerts = append(ff.Alerts, fmt.Sprintf("%v %d", d, a))
			}
		}
		cs, ss := f.Streams[synth.Client], f.Streams[synth.Server]
		if bytes.HasPrefix(cs, []byte("CONNECT ")) {
			req, _, _ := bytes.Cut(cs, []byte("\r\n"))
			resp, _, _ := bytes.Cut(ss, []byte("\r\n"))
			ff.Proxy = string(req) + " → " + string(resp)
		}
		ff.SNI = clientHelloSNI(t, afterConnect(cs))
		chain := serverCerts(t, afterConnect(ss))
		ff.Chain = len(chain)
		if len(chain) > 0 {
			leaf, err := x509.ParseCertificate(chain[0])
			if err != nil {
				t.Fatal(err)
			}
			ff.Leaf = fmt.Sprintf("%s by %s, %s..%s", leaf.Subject.CommonName, leaf.Issuer.CommonName,
				leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly))
		}
		df.Flows = append(df.Flows, ff)
	}
	return df
}

// TestDiagnoseCaptures regenerates the diagnose captures with the command,
// checks that they are byte-identical to the committed ones, and that each
// holds the lookups and connections its README row describes.
func TestDiagnoseCaptures(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"diagnose", "-dir", dir}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(diagCaptures) != len(wantDiag) {
		t.Errorf("%d captures, %d with expected facts", len(diagCaptures), len(wantDiag))
	}
	readme, err := os.ReadFile(filepath.Join(committedDiagnose, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{testCAFile, inspectionCAFile}
	for _, c := range diagCaptures {
		files = append(files, c.file)
	}
	if got := strings.Count(out.String(), "\n"); got != len(files) {
		t.Errorf("listed %d files, want %d", got, len(files))
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			fresh, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			old, err := os.ReadFile(filepath.Join(committedDiagnose, name))
			if err != nil {
				t.Fatalf("committed file: %v (regenerate: go run ./cmd/tsidgen diagnose -dir testdata/diagnose)", err)
			}
			// The suites are pinned (pinnedSuites) and the randomness
			// seeded, so unlike the samples these do not depend on the CPU.
			if !bytes.Equal(fresh, old) {
				t.Errorf("the committed file differs from a fresh one; regenerate: go run ./cmd/tsidgen diagnose -dir testdata/diagnose")
			}
			if !bytes.Contains(readme, []byte("`"+name+"`")) {
				t.Errorf("README.md does not describe %s", name)
			}
			want, ok := wantDiag[name]
			if !ok {
				return // a CA
			}
			if diff := cmp.Diff(want, diagFacts(t, fresh)); diff != "" {
				t.Errorf("facts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiagnoseCAs checks the PEM files: the samples' test CA, and the
// inspection CA that issued the refused tools.cisco.com leaf.
func TestDiagnoseCAs(t *testing.T) {
	p, err := newDiagPKI()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file    string
		subject string
		ca      *synth.Identity
	}{
		{testCAFile, "CN=Test Issuing CA,O=tsid Test PKI,C=US", p.ca},
		{inspectionCAFile, "CN=Corp SSL Inspection CA", p.inspectCA},
	} {
		b, err := os.ReadFile(filepath.Join(committedDiagnose, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			t.Fatalf("%s: no certificate", tc.file)
		}
		if !bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")) {
			t.Errorf("%s: not PEM", tc.file)
		}
		if got := tc.ca.Cert.Subject.String(); got != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.file, got, tc.subject)
		}
	}
	// The chains the captures carry verify against exactly one of them.
	roots := func(ca *synth.Identity) x509.VerifyOptions {
		pool := x509.NewCertPool()
		pool.AddCert(ca.Cert)
		return x509.VerifyOptions{Roots: pool, CurrentTime: captureStart}
	}
	if _, err := p.tools.Cert.Verify(roots(p.ca)); err != nil {
		t.Errorf("tools leaf against the test CA: %v", err)
	}
	if _, err := p.inspected.Cert.Verify(roots(p.ca)); err == nil {
		t.Error("inspected leaf verifies against the test CA")
	}
	if _, err := p.inspected.Cert.Verify(roots(p.inspectCA)); err != nil {
		t.Errorf("inspected leaf against the inspection CA: %v", err)
	}
}

func TestRunDiagnoseErrors(t *testing.T) {
	for _, args := range [][]string{{"diagnose", "-nope"}, {"diagnose", "extra"}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q): got nil error", args)
		}
	}
}

func TestPlainAlerts(t *testing.T) {
	alert := func(d byte) []byte { return []byte{recordAlert, 3, 3, 0, 2, 2, d} }
	hs := []byte{22, 3, 3, 0, 1, 0}
	ccs := []byte{recordChangeCipherSpec, 3, 3, 0, 1, 1}
	join := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, tc := range []struct {
		name   string
		stream []byte
		want   []uint8
	}{
		{"none", hs, nil},
		{"after handshake", join(hs, alert(42)), []uint8{42}},
		{"encrypted after CCS", join(hs, ccs, alert(42)), nil},
		{"truncated", join(hs, alert(42)[:5]), nil},
		{"behind CONNECT", join([]byte("HTTP/1.1 200 OK\r\n\r\n"), alert(70)), []uint8{70}},
	} {
		if diff := cmp.Diff(tc.want, plainAlerts(tc.stream)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
