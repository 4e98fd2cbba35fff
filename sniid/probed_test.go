package sniid

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const unkOffWire = "needs the certificate, which is not on the wire; this engine does not fetch it as tsid's probe did"

// TestProbedCertificate: a certificate tsid's probe read (CertProbed) is
// known to every profile whose engine probes, and still not there for an
// engine that reads only the wire (snort-open: absent, as for TLS 1.3;
// paloalto: unknown, as for TLS 1.3).
func TestProbedCertificate(t *testing.T) {
	probed := func(fn func(*Facts)) *Facts {
		return with(fieldCase(), func(f *Facts) {
			f.CertStatus = CertProbed
			if fn != nil {
				fn(f)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		facts *Facts
		want  map[string]result
		flags []string
	}{
		{"no-sni", probed(nil), map[string]result{
			"ftd": res("toos.cisco.com", SourceSAN), "snort3": res("tools.cisco.com", SourceCN),
			"snort-open": res("", SourceNone), "cisco-doc": res("tools.cisco.com", SourceCN),
			"paloalto": unk(unkOffWire), "fortinet": res("tools.cisco.com", SourceCN),
			"checkpoint": res("tools.cisco.com", SourceCN),
		}, []string{"no-sni", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree", "probed"}},
		{"sni", probed(func(f *Facts) { f.SNI = "tools.cisco.com" }), map[string]result{
			"ftd": res("tools.cisco.com", SourceSNI), "snort3": res("tools.cisco.com", SourceSNI),
			"snort-open": res("tools.cisco.com", SourceSNI), "cisco-doc": res("tools.cisco.com", SourceCN),
			"paloalto": res("tools.cisco.com", SourceSNI), "fortinet": res("tools.cisco.com", SourceSNI),
			"checkpoint": res("tools.cisco.com", SourceSNI),
		}, []string{"probed"}},
		{"spoofed-sni", probed(func(f *Facts) { f.SNI = "www.example.org" }), map[string]result{
			"ftd": res("toos.cisco.com", SourceSAN), "snort3": res("tools.cisco.com", SourceCN),
			"snort-open": res("www.example.org", SourceSNI), "cisco-doc": res("tools.cisco.com", SourceCN),
			"paloalto": res("www.example.org", SourceSNI), "fortinet": res("tools.cisco.com", SourceCN),
			"checkpoint": res("tools.cisco.com", SourceCN),
		}, []string{"sni-mismatch", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree", "probed"}},
		{"resumed", probed(func(f *Facts) { f.Resumed = true }), map[string]result{
			"ftd": res("toos.cisco.com", SourceSAN), "snort3": res("tools.cisco.com", SourceCN),
			"snort-open": res("", SourceNone), "cisco-doc": res("tools.cisco.com", SourceCN),
			"paloalto": unk(unkOffWire), "fortinet": res("tools.cisco.com", SourceCN),
			"checkpoint": res("tools.cisco.com", SourceCN),
		}, []string{"no-sni", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree", "resumed", "probed"}},
	} {
		got := map[string]result{}
		for _, p := range Profiles() {
			d := p.Decide(tc.facts)
			got[p.Name] = result{Host: d.Host, Source: d.Source, Unknown: d.Unknown}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
		all := Profiles()
		a := Assess(tc.facts, all[0], all[1:])
		if diff := cmp.Diff(tc.flags, a.Flags); diff != "" {
			t.Errorf("%s flags (-want +got):\n%s", tc.name, diff)
		}
		if b := AssessBrief(tc.facts, all[0], all[1:], nil); !slices.Equal(a.Flags, b.Flags) {
			t.Errorf("%s: AssessBrief flags %v, Assess %v", tc.name, b.Flags, a.Flags)
		}
	}
}

// TestProbedExplain: the trace says where the certificate came from, and
// why an engine that reads only the wire does not have it.
func TestProbedExplain(t *testing.T) {
	f := with(fieldCase(), func(f *Facts) { f.CertStatus = CertProbed })
	why := map[string]string{}
	for _, p := range Profiles() {
		d := p.Decide(f)
		var parts []string
		for _, s := range d.Trace {
			parts = append(parts, s.Field+": "+s.Why)
		}
		why[p.Name] = strings.Join(parts, " | ")
	}
	for name, want := range map[string]string{
		"ftd":        "sni*: absent | san: first of 4 dNSNames in the leaf certificate (certificate from tsid's probe of the server)",
		"snort-open": "sni: absent | cn~: certificate encrypted (TLS 1.3): the engine cannot read it (tsid's probe did; the engine does not probe)",
		"paloalto":   "sni: absent | cn: certificate not on the wire (tsid's probe read it; this engine does not probe)",
	} {
		if why[name] != want {
			t.Errorf("%s trace\n got %q\nwant %q", name, why[name], want)
		}
	}
	// The caller's facts are not changed by a WireOnly profile's reading.
	if f.CertStatus != CertProbed {
		t.Errorf("facts changed: %q", f.CertStatus)
	}
}
