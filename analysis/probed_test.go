package analysis_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/internal/samplepki"
	"github.com/tsid-project/tsid/pcaps/synth"
	"github.com/tsid-project/tsid/tlsparse"
)

// fakeSource is a CertSource that serves one chain to every server and
// counts the questions.
type fakeSource struct {
	mu    sync.Mutex
	asked []string // "server sni"
	chain []*tlsparse.Certificate
	err   error
	at    time.Time
	delay time.Duration
	probe *analysis.Probed // what the records' Probed should be
}

func (s *fakeSource) get(server netip.AddrPort, sni string) (*analysis.ProbedCert, error) {
	s.mu.Lock()
	s.asked = append(s.asked, server.String()+" "+sni)
	s.mu.Unlock()
	time.Sleep(s.delay) // several files asking at once wait for one answer
	if s.err != nil {
		return nil, s.err
	}
	return &analysis.ProbedCert{Chain: s.chain, At: s.at, Probe: s.probe}, nil
}

func (s *fakeSource) questions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := slices.Clone(s.asked)
	slices.Sort(q)
	return q
}

// chainOf parses a sample identity's chain as the Observer would.
func chainOf(t *testing.T, id *synth.Identity) []*tlsparse.Certificate {
	t.Helper()
	var out []*tlsparse.Certificate
	for _, der := range id.Chain() {
		c, err := tlsparse.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func sampleChains(t *testing.T) (www, tools []*tlsparse.Certificate) {
	t.Helper()
	ca, err := samplepki.CA()
	if err != nil {
		t.Fatal(err)
	}
	w, err := samplepki.WWW(ca)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := samplepki.Tools(ca)
	if err != nil {
		t.Fatal(err)
	}
	return chainOf(t, w), chainOf(t, tl)
}

// probedView is what these tests compare of a record.
type probedView struct {
	Client, SNI, CertStatus, Host, HostSource, ProbedAt string
	Flags                                               []string
	SnortOpen, PaloAlto                                 string
}

func view(r *analysis.Record) probedView {
	pick := func(name string) string {
		hp := r.Profiles[name]
		if hp.Unknown != "" {
			return "?"
		}
		return hp.Host + "/" + hp.HostSource
	}
	return probedView{Client: r.Client, SNI: r.SNI, CertStatus: r.CertStatus, Host: r.Host, HostSource: r.HostSource,
		ProbedAt: r.ProbedAt.String(), Flags: r.Flags, SnortOpen: pick("snort-open"), PaloAlto: pick("paloalto")}
}

// jsonOf is the records as JSON, to compare.
func jsonOf(t *testing.T, recs []*analysis.Record) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func analyzeFiles(t *testing.T, o analysis.Options, files ...string) []*analysis.Record {
	t.Helper()
	var recs []*analysis.Record
	analysis.New(o).Files(context.Background(), files, nil, 2, func(r *analysis.Record) { recs = append(recs, r) },
		func(f string, err error) {
			if err != nil {
				t.Errorf("%s: %v", f, err)
			}
		})
	return recs
}

// TestProbeMissing: the connections whose certificate TLS kept from the
// capture (TLS 1.3, resumption) are decided on the certificate the source
// gives, asked once per server and SNI even with two files at once; the
// others are not asked for.
func TestProbeMissing(t *testing.T) {
	www, _ := sampleChains(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	probe := &analysis.Probed{Target: "198.51.100.20:443", TLSAsked: "TLS 1.2-1.3", VerifyError: "x509: certificate signed by unknown authority"}
	src := &fakeSource{chain: www, at: at, delay: 20 * time.Millisecond, probe: probe}
	o := analysis.Options{AllProfiles: true, ProbeMissing: src.get}
	recs := analyzeFiles(t, o, "../testdata/samples/tls13.pcap", "../testdata/samples/tls13.pcap",
		"../testdata/samples/resumed.pcap", "../testdata/samples/field-case.pcap")
	const probedAt = "2026-12-01T10:00:00.000000Z"
	want := []probedView{
		{"192.0.2.10:50100", "www.example.com", "probed", "www.example.com", "sni", probedAt, []string{"probed"}, "www.example.com/sni", "www.example.com/sni"},
		{"192.0.2.10:50102", "", "probed", "www.example.com", "san", probedAt, []string{"no-sni", "profiles-disagree", "probed"}, "/", "?"},
	}
	want = append(want, want...) // the file twice
	want = append(want,
		probedView{"192.0.2.10:50200", "www.example.com", "present", "www.example.com", "sni", "", []string{}, "www.example.com/sni", "www.example.com/sni"},
		probedView{"192.0.2.10:50202", "www.example.com", "probed", "www.example.com", "sni", probedAt, []string{"resumed", "probed"}, "www.example.com/sni", "www.example.com/sni"},
		probedView{"10.12.1.8:51514", "", "present", "toos.cisco.com", "san", "", []string{"no-sni", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree"}, "tools.cisco.com/cn", "tools.cisco.com/cn"},
	)
	var got []probedView
	for _, r := range recs {
		got = append(got, view(r))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantAsked := []string{"198.51.100.20:443 ", "198.51.100.20:443 www.example.com", "198.51.100.30:443 www.example.com"}
	if diff := cmp.Diff(wantAsked, src.questions()); diff != "" {
		t.Errorf("questions (-want +got):\n%s", diff)
	}
	for _, r := range recs {
		if r.CertStatus == analysis.CertProbed && (r.Cert == nil || r.Cert.CN != "www.example.com" || len(r.Chain) != 2) {
			t.Errorf("%s: cert %+v chain %d", r.Client, r.Cert, len(r.Chain))
		}
		// What the source said of its probe, on each record its own copy.
		switch probed := r.CertStatus == analysis.CertProbed; {
		case probed && (r.Probed == nil || *r.Probed != *probe || r.Probed == probe):
			t.Errorf("%s: Probed %+v, want a copy of %+v", r.Client, r.Probed, probe)
		case !probed && r.Probed != nil:
			t.Errorf("%s: Probed %+v on a certificate of the capture", r.Client, r.Probed)
		}
	}
}

// TestProbeMissingFails: a source that fails leaves the records as they
// are without it; without a source nothing is asked.
func TestProbeMissingFails(t *testing.T) {
	src := &fakeSource{err: errors.New("connection refused")}
	with := analyzeFiles(t, analysis.Options{ProbeMissing: src.get}, "../testdata/samples/tls13.pcap")
	without := analyzeFiles(t, analysis.Options{}, "../testdata/samples/tls13.pcap")
	if diff := cmp.Diff(jsonOf(t, without), jsonOf(t, with)); diff != "" {
		t.Errorf("a failed probe changed the records (-without +with):\n%s", diff)
	}
	if len(src.questions()) != 2 {
		t.Errorf("asked %q, want each SNI once", src.questions())
	}
	for _, r := range with {
		if r.CertStatus != "encrypted" || !slices.Contains(r.Flags, "cert-encrypted") || !r.ProbedAt.IsZero() {
			t.Errorf("%s: %s %v %v", r.Client, r.CertStatus, r.Flags, r.ProbedAt)
		}
	}
	// An empty chain is no answer either.
	empty := &fakeSource{}
	got := analyzeFiles(t, analysis.Options{ProbeMissing: empty.get}, "../testdata/samples/tls13.pcap")
	if diff := cmp.Diff(jsonOf(t, without), jsonOf(t, got)); diff != "" {
		t.Errorf("an empty chain changed the records (-without +with):\n%s", diff)
	}
}

// TestProbeMissingExplain: --explain says the certificate is the probe's,
// and why snort-open still has none.
func TestProbeMissingExplain(t *testing.T) {
	_, tools := sampleChains(t)
	src := &fakeSource{chain: tools, at: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	recs := analyzeFiles(t, analysis.Options{AllProfiles: true, Explain: true, ProbeMissing: src.get}, "../testdata/samples/tls13.pcap")
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[1] // no SNI: ftd takes the first SAN of the probed certificate
	if r.Host != "toos.cisco.com" || r.HostSource != "san" {
		t.Errorf("host %s from %s", r.Host, r.HostSource)
	}
	var whys []string
	for _, s := range r.Explain.Steps {
		whys = append(whys, s.Field+": "+s.Why)
	}
	for _, s := range r.Explain.Profiles["snort-open"] {
		whys = append(whys, "snort-open "+s.Field+": "+s.Why)
	}
	text := strings.Join(whys, "\n")
	for _, want := range []string{
		"san: first of 4 dNSNames in the leaf certificate (certificate from tsid's probe of the server)",
		"snort-open cn~: certificate encrypted (TLS 1.3): the engine cannot read it (tsid's probe did; the engine does not probe)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("explain lacks %q:\n%s", want, text)
		}
	}
}
