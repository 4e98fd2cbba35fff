package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/tsid-project/tsid/pcaps/synth"
)

// committed is where the samples live in the repository.
const committed = "../../testdata/samples"

// serverCerts returns the DER certificates of the first Certificate message
// in a TLS server stream (RFC 5246, Section 7.4.2), or nil when there is
// none in cleartext (TLS 1.3, resumption).
func serverCerts(t *testing.T, stream []byte) [][]byte {
	t.Helper()
	var hs []byte
	for len(stream) >= 5 {
		typ, n := stream[0], int(stream[3])<<8|int(stream[4])
		if len(stream) < 5+n {
			t.Fatalf("truncated TLS record")
		}
		if typ != 22 { // the cleartext handshake ends at ChangeCipherSpec
			break
		}
		hs = append(hs, stream[5:5+n]...)
		stream = stream[5+n:]
	}
	for len(hs) >= 4 {
		typ, n := hs[0], int(hs[1])<<16|int(hs[2])<<8|int(hs[3])
		if len(hs) < 4+n {
			t.Fatalf("truncated handshake message")
		}
		body := hs[4 : 4+n]
		hs = hs[4+n:]
		if typ != 11 {
			continue
		}
		var certs [][]byte
		body = body[3:]
		for len(body) >= 3 {
			m := int(body[0])<<16 | int(body[1])<<8 | int(body[2])
			certs = append(certs, body[3:3+m])
			body = body[3+m:]
		}
		return certs
	}
	return nil
}

type connFact struct {
	Client, Server string
	SNI            string
	Version        string
	Resumed        bool
	VLANs          []uint16
	Chain          int // certificates in cleartext
	CN             string
	OUs            []string
	SANs           []string
	Issuer         string
	Expired        bool
	// Server segments out of order and retransmitted.
	Ahead, Again int
}

type sampleFact struct {
	Link  layers.LinkType
	DNS   []string // "client <- resolver: answers"
	Conns []connFact
}

var longSANs = func() []string {
	s := []string{"san-heavy.example.com"}
	for i := 1; i < 300; i++ {
		s = append(s, fmt.Sprintf("h%03d.cdn.example.com", i))
	}
	return s
}()

var toolsSANs = []string{"toos.cisco.com", "tools.cisco.com", "tools1.cisco.com", "tools2.cisco.com"}

const testCA = "CN=Test Issuing CA,O=tsid Test PKI,C=US"

var wantFacts = map[string]sampleFact{
	"field-case.pcap": {Link: layers.LinkTypeEthernet, DNS: []string{"10.12.1.8 <- 10.12.1.1: tools.cisco.com A 72.163.4.38"},
		Conns: []connFact{{Client: "10.12.1.8:51514", Server: "72.163.4.38:443", Version: "TLS 1.2", Chain: 2,
			CN: "tools.cisco.com", SANs: toolsSANs, Issuer: testCA}}},
	"field-case-sni.pcap": {Link: layers.LinkTypeEthernet, DNS: []string{"10.12.1.8 <- 10.12.1.1: tools.cisco.com A 72.163.4.38"},
		Conns: []connFact{{Client: "10.12.1.8:51516", Server: "72.163.4.38:443", SNI: "tools.cisco.com", Version: "TLS 1.2", Chain: 2,
			CN: "tools.cisco.com", SANs: toolsSANs, Issuer: testCA}}},
	"tls13.pcap": {Link: layers.LinkTypeEthernet, Conns: []connFact{
		{Client: "192.0.2.10:50100", Server: "198.51.100.20:443", SNI: "www.example.com", Version: "TLS 1.3"},
		{Client: "192.0.2.10:50102", Server: "198.51.100.20:443", Version: "TLS 1.3"}}},
	"resumed.pcap": {Link: layers.LinkTypeEthernet, Conns: []connFact{
		{Client: "192.0.2.10:50200", Server: "198.51.100.30:443", SNI: "www.example.com", Version: "TLS 1.2", Chain: 2,
			CN: "www.example.com", SANs: []string{"www.example.com", "example.com"}, Issuer: testCA},
		{Client: "192.0.2.10:50202", Server: "198.51.100.30:443", SNI: "www.example.com", Version: "TLS 1.2", Resumed: true}}},
	"cn-only.pcap": {Link: layers.LinkTypeLinuxSLL, Conns: []connFact{{Client: "192.0.2.10:50300", Server: "198.51.100.40:443",
		Version: "TLS 1.2", Chain: 2, CN: "legacy.example.com", Issuer: testCA}}},
	"ou-only.pcap": {Link: layers.LinkTypeRaw, Conns: []connFact{{Client: "192.0.2.10:50400", Server: "198.51.100.50:443",
		Version: "TLS 1.2", Chain: 2, OUs: []string{"Device Management"}, Issuer: testCA}}},
	"spoofed-sni.pcap": {Link: layers.LinkTypeEthernet, Conns: []connFact{{Client: "10.12.1.8:51600", Server: "72.163.4.38:443",
		SNI: "www.example.org", Version: "TLS 1.2", Chain: 2, CN: "tools.cisco.com", SANs: toolsSANs, Issuer: testCA}}},
	"wildcard.pcap": {Link: layers.LinkTypeEthernet, Conns: []connFact{{Client: "192.0.2.10:50600", Server: "198.51.100.60:443",
		SNI: "api.example.net", Version: "TLS 1.2", Chain: 2, CN: "*.example.net", SANs: []string{"*.example.net", "example.net"}, Issuer: testCA}}},
	"long-san-reordered.pcap": {Link: layers.LinkTypeEthernet, Conns: []connFact{{Client: "192.0.2.10:50700", Server: "198.51.100.70:443",
		SNI: "san-heavy.example.com", Version: "TLS 1.2", Chain: 2, CN: "san-heavy.example.com", SANs: longSANs, Issuer: testCA,
		Ahead: 2, Again: 5}}},
	"vlan.pcap": {Link: layers.LinkTypeEthernet, Conns: []connFact{
		{Client: "192.0.2.10:50800", Server: "198.51.100.80:443", SNI: "www.example.com", Version: "TLS 1.2", VLANs: []uint16{100}, Chain: 2,
			CN: "www.example.com", SANs: []string{"www.example.com", "example.com"}, Issuer: testCA},
		{Client: "192.0.2.10:50802", Server: "198.51.100.80:443", SNI: "www.example.com", Version: "TLS 1.2", VLANs: []uint16{200, 300}, Chain: 2,
			CN: "www.example.com", SANs: []string{"www.example.com", "example.com"}, Issuer: testCA}}},
	"ipv6.pcapng": {Link: layers.LinkTypeEthernet,
		DNS: []string{"2001:db8:1::8 <- 2001:db8:1::1: www.example.com CNAME www.example.com.edge.example.net, www.example.com.edge.example.net AAAA 2001:db8:ff::443"},
		Conns: []connFact{{Client: "[2001:db8:1::8]:50900", Server: "[2001:db8:ff::443]:443", SNI: "www.example.com", Version: "TLS 1.2", Chain: 2,
			CN: "www.example.com", SANs: []string{"www.example.com", "example.com"}, Issuer: testCA}}},
	"self-signed.pcap": {Link: layers.LinkTypeNull, Conns: []connFact{{Client: "127.0.0.1:51000", Server: "127.0.0.1:8443",
		SNI: "self.example.com", Version: "TLS 1.2", Chain: 1, CN: "self.example.com", SANs: []string{"self.example.com"}, Issuer: "CN=self.example.com"}}},
	"expired.pcap": {Link: layers.LinkTypeEthernet, Conns: []connFact{{Client: "192.0.2.10:51100", Server: "198.51.100.110:443",
		SNI: "expired.example.com", Version: "TLS 1.2", Chain: 2, CN: "expired.example.com", SANs: []string{"expired.example.com"}, Issuer: testCA, Expired: true}}},
}

// facts reads a sample file back and describes it.
func facts(t *testing.T, file []byte, convs []synth.Conversation) (sampleFact, [][][]byte) {
	t.Helper()
	var sf sampleFact
	if bytes.HasPrefix(file, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		sf.Link = r.LinkType()
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		sf.Link = r.LinkType()
	}
	flows, msgs, err := synth.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if !m.DNS.QR {
			continue
		}
		var as []string
		for _, a := range m.DNS.Answers {
			v := string(a.CNAME)
			if a.IP != nil {
				v = a.IP.String()
			}
			as = append(as, string(a.Name)+" "+a.Type.String()+" "+v)
		}
		sf.DNS = append(sf.DNS, m.Dst.Addr().String()+" <- "+m.Src.Addr().String()+": "+strings.Join(as, ", "))
	}
	if len(flows) != len(convs) {
		t.Fatalf("%d flows in the file, %d conversations recorded", len(flows), len(convs))
	}
	var chains [][][]byte
	for i, f := range flows {
		c := convs[i]
		if !bytes.Equal(f.Streams[synth.Server], c.Stream(synth.Server)) || !bytes.Equal(f.Streams[synth.Client], c.Stream(synth.Client)) {
			t.Errorf("flow %d: reassembled streams differ from the recorded conversation", i)
		}
		cf := connFact{Client: f.Client.String(), Server: f.Server.String(), SNI: c.SNI,
			Version: tls.VersionName(c.Version), Resumed: c.Resumed, VLANs: f.VLANs,
			Ahead: f.Ahead[synth.Server], Again: f.Again[synth.Server]}
		chain := serverCerts(t, f.Streams[synth.Server])
		chains = append(chains, chain)
		cf.Chain = len(chain)
		if len(chain) > 0 {
			leaf, err := x509.ParseCertificate(chain[0])
			if err != nil {
				t.Fatal(err)
			}
			cf.CN, cf.OUs, cf.SANs = leaf.Subject.CommonName, leaf.Subject.OrganizationalUnit, leaf.DNSNames
			cf.Issuer = leaf.Issuer.String()
			cf.Expired = captureStart.After(leaf.NotAfter)
		}
		sf.Conns = append(sf.Conns, cf)
	}
	return sf, chains
}

// TestSamples regenerates every sample, checks what it contains, and
// checks that the committed copy carries the same connections and
// certificates, so that a stale testdata/samples is caught.
func TestSamples(t *testing.T) {
	p, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != len(wantFacts) {
		t.Errorf("%d samples, %d with expected facts", len(samples), len(wantFacts))
	}
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			fresh, convs, err := render(s, p)
			if err != nil {
				t.Fatal(err)
			}
			got, chains := facts(t, fresh, convs)
			if diff := cmp.Diff(wantFacts[s.file], got); diff != "" {
				t.Errorf("facts (-want +got):\n%s", diff)
			}
			old, err := os.ReadFile(filepath.Join(committed, s.file))
			if err != nil {
				t.Fatalf("committed sample: %v (regenerate: go run ./cmd/tsidgen samples -dir testdata/samples)", err)
			}
			flows, _, err := synth.Decode(bytes.NewReader(old))
			if err != nil {
				t.Fatalf("committed sample: %v", err)
			}
			var oldChains [][][]byte
			for _, f := range flows {
				oldChains = append(oldChains, serverCerts(t, f.Streams[synth.Server]))
			}
			if !cmp.Equal(chains, oldChains) {
				t.Errorf("committed sample carries other certificates; regenerate: go run ./cmd/tsidgen samples -dir testdata/samples")
			}
			if !bytes.Equal(fresh, old) {
				// Expected only where crypto/tls orders cipher suites
				// differently (no AES hardware): names and certificates
				// still match, checked above.
				t.Logf("committed sample is not byte-identical to a fresh one")
			}
		})
	}
}

// TestSamplesRepeat checks that two runs give byte-identical files.
func TestSamplesRepeat(t *testing.T) {
	p, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples[:3] {
		a, _, err := render(s, p)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := render(s, p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", s.file)
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if err := run([]string{"samples", "-dir", dir}, &out, &errs); err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	if n := strings.Count(out.String(), "\n"); n != len(samples) {
		t.Errorf("listed %d files, want %d", n, len(samples))
	}
	for _, s := range samples {
		if _, err := os.Stat(filepath.Join(dir, s.file)); err != nil {
			t.Error(err)
		}
	}
	for _, args := range [][]string{nil, {"bogus"}, {"samples", "-nope"}, {"samples", "extra"}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q): got nil error", args)
		}
	}
}
