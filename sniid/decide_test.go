package sniid

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fieldCase is the case that motivates tsid (model, introduction): no SNI,
// and the Smart Licensing certificate lists toos.cisco.com first.
func fieldCase() *Facts {
	return &Facts{
		CertStatus: CertPresent,
		SANDNS:     []string{"toos.cisco.com", "tools.cisco.com", "tools1.cisco.com", "tools2.cisco.com"},
		CNs:        []string{"tools.cisco.com"},
		OUs:        []string{"Cisco Smart Licensing"},
		Chain:      []ChainCert{{CN: "tools.cisco.com"}, {CN: "HydrantID Server CA O1", OU: "HydrantID Trusted Certificate Service"}},
		DNSNames:   []string{"tools.cisco.com"},
	}
}

// with returns a copy of f changed by fn.
func with(f *Facts, fn func(*Facts)) *Facts {
	c := *f
	fn(&c)
	return &c
}

// result is the part of a Decision the matrix compares.
type result struct {
	Host    string
	Source  Source
	Unknown string
}

func res(host string, src Source) result { return result{Host: host, Source: src} }
func unk(why string) result              { return result{Unknown: why} }

const (
	unkEncrypted       = "needs the certificate, which is encrypted (TLS 1.3)"
	unkEncryptedVerify = "needs the certificate to verify the SNI, which is encrypted (TLS 1.3)"
	unkResumed         = "needs the certificate; the session was resumed without one"
	unkResumedVerify   = "needs the certificate to verify the SNI; the session was resumed without one"
	unkIncomplete      = "needs the certificate, which the capture lost (incomplete)"
	unkMissing         = "needs the certificate, which is not in the capture"
)

// needsSNI is the matrix row of facts whose SNI is unknown: every profile
// that asks for the SNI first cannot decide; cisco-doc, CN first, gets
// ciscoDoc.
func needsSNI(ciscoDoc result) map[string]result {
	m := map[string]result{"cisco-doc": ciscoDoc}
	for _, p := range []string{"ftd", "snort3", "snort-open", "paloalto", "fortinet", "checkpoint"} {
		m[p] = unk(NeedsSNI)
	}
	return m
}

// TestDecideMatrix runs every built-in profile over the cases of the model.
func TestDecideMatrix(t *testing.T) {
	wild := &Facts{CertStatus: CertPresent, SANDNS: []string{"*.example.com"}, CNs: []string{"*.example.com"}}
	noSNI13 := &Facts{CertStatus: CertEncrypted}
	tests := []struct {
		name  string
		facts *Facts
		want  map[string]result // by profile name; every built-in must be listed
	}{
		{"field case: no SNI", fieldCase(), map[string]result{
			"ftd":        res("toos.cisco.com", SourceSAN),
			"snort3":     res("tools.cisco.com", SourceCN),
			"snort-open": res("tools.cisco.com", SourceCN),
			"cisco-doc":  res("tools.cisco.com", SourceCN),
			"paloalto":   res("tools.cisco.com", SourceCN),
			"fortinet":   res("tools.cisco.com", SourceCN),
			"checkpoint": res("tools.cisco.com", SourceCN),
		}},
		{"field case with SNI", with(fieldCase(), func(f *Facts) { f.SNI = "tools.cisco.com" }), map[string]result{
			"ftd":        res("tools.cisco.com", SourceSNI),
			"snort3":     res("tools.cisco.com", SourceSNI),
			"snort-open": res("tools.cisco.com", SourceSNI),
			"cisco-doc":  res("tools.cisco.com", SourceCN),
			"paloalto":   res("tools.cisco.com", SourceSNI),
			"fortinet":   res("tools.cisco.com", SourceSNI),
			"checkpoint": res("tools.cisco.com", SourceSNI),
		}},
		{"SNI toos.cisco.com is covered by the first SAN", with(fieldCase(), func(f *Facts) { f.SNI = "toos.cisco.com" }), map[string]result{
			"ftd":        res("toos.cisco.com", SourceSNI),
			"snort3":     res("toos.cisco.com", SourceSNI),
			"snort-open": res("toos.cisco.com", SourceSNI),
			"cisco-doc":  res("tools.cisco.com", SourceCN),
			"paloalto":   res("toos.cisco.com", SourceSNI),
			"fortinet":   res("toos.cisco.com", SourceSNI),
			"checkpoint": res("toos.cisco.com", SourceSNI),
		}},
		{"spoofed SNI", with(fieldCase(), func(f *Facts) { f.SNI = "evil.example" }), map[string]result{
			"ftd":        res("toos.cisco.com", SourceSAN),
			"snort3":     res("tools.cisco.com", SourceCN),
			"snort-open": res("evil.example", SourceSNI),
			"cisco-doc":  res("tools.cisco.com", SourceCN),
			"paloalto":   res("evil.example", SourceSNI),
			"fortinet":   res("tools.cisco.com", SourceCN),
			"checkpoint": res("tools.cisco.com", SourceCN),
		}},
		{"TLS 1.3 with SNI", &Facts{SNI: "www.example.com", CertStatus: CertEncrypted}, map[string]result{
			"ftd":        res("www.example.com", SourceSNI),
			"snort3":     res("www.example.com", SourceSNI),
			"snort-open": res("www.example.com", SourceSNI),
			"cisco-doc":  unk(unkEncrypted),
			"paloalto":   res("www.example.com", SourceSNI),
			"fortinet":   res("www.example.com", SourceSNI),
			"checkpoint": unk(unkEncryptedVerify),
		}},
		{"TLS 1.3 without SNI", noSNI13, map[string]result{
			"ftd":        unk(unkEncrypted),
			"snort3":     unk(unkEncrypted),
			"snort-open": res("", SourceNone), // TLS 1.3 gives open Snort the SNI only
			"cisco-doc":  unk(unkEncrypted),
			"paloalto":   unk(unkEncrypted),
			"fortinet":   unk(unkEncrypted),
			"checkpoint": unk(unkEncrypted),
		}},
		{"resumed with SNI", &Facts{SNI: "a.example", CertStatus: CertResumed, Resumed: true}, map[string]result{
			"ftd":        res("a.example", SourceSNI),
			"snort3":     res("a.example", SourceSNI),
			"snort-open": res("a.example", SourceSNI),
			"cisco-doc":  unk(unkResumed),
			"paloalto":   res("a.example", SourceSNI),
			"fortinet":   res("a.example", SourceSNI),
			"checkpoint": unk(unkResumedVerify),
		}},
		{"resumed without SNI", &Facts{CertStatus: CertResumed, Resumed: true}, map[string]result{
			"ftd":        unk(unkResumed),
			"snort3":     unk(unkResumed),
			"snort-open": res("", SourceNone),
			"cisco-doc":  unk(unkResumed),
			"paloalto":   unk(unkResumed),
			"fortinet":   unk(unkResumed),
			"checkpoint": unk(unkResumed),
		}},
		{"capture lost the certificate", &Facts{CertStatus: CertIncomplete, Incomplete: true}, map[string]result{
			"ftd":        unk(unkIncomplete),
			"snort3":     unk(unkIncomplete),
			"snort-open": unk(unkIncomplete),
			"cisco-doc":  unk(unkIncomplete),
			"paloalto":   unk(unkIncomplete),
			"fortinet":   unk(unkIncomplete),
			"checkpoint": unk(unkIncomplete),
		}},
		{"zero Facts", &Facts{}, map[string]result{
			"ftd":        unk(unkMissing),
			"snort3":     unk(unkMissing),
			"snort-open": unk(unkMissing),
			"cisco-doc":  unk(unkMissing),
			"paloalto":   unk(unkMissing),
			"fortinet":   unk(unkMissing),
			"checkpoint": unk(unkMissing),
		}},
		{"certificate without any name", &Facts{CertStatus: CertPresent}, map[string]result{
			"ftd": {}, "snort3": {}, "snort-open": {}, "cisco-doc": {}, "paloalto": {}, "fortinet": {}, "checkpoint": {},
		}},
		{"CN-only certificate", &Facts{CertStatus: CertPresent, CNs: []string{"cn.example"}}, map[string]result{
			"ftd":        res("cn.example", SourceCN),
			"snort3":     res("cn.example", SourceCN),
			"snort-open": res("cn.example", SourceCN),
			"cisco-doc":  res("cn.example", SourceCN),
			"paloalto":   res("cn.example", SourceCN),
			"fortinet":   res("cn.example", SourceCN),
			"checkpoint": res("cn.example", SourceCN),
		}},
		{"CN-only certificate covers the SNI", &Facts{SNI: "CN.example.", CertStatus: CertPresent, CNs: []string{"cn.example"}}, map[string]result{
			"ftd":        res("CN.example.", SourceSNI),
			"snort3":     res("CN.example.", SourceSNI),
			"snort-open": res("CN.example.", SourceSNI),
			"cisco-doc":  res("cn.example", SourceCN),
			"paloalto":   res("CN.example.", SourceSNI),
			"fortinet":   res("CN.example.", SourceSNI),
			"checkpoint": res("CN.example.", SourceSNI),
		}},
		{"OU-only certificate", &Facts{CertStatus: CertPresent, OUs: []string{"Smart Licensing"}, Chain: []ChainCert{{OU: "Smart Licensing"}}}, map[string]result{
			"ftd":        {},
			"snort3":     {},
			"snort-open": {},
			"cisco-doc":  res("Smart Licensing", SourceOU),
			"paloalto":   {},
			"fortinet":   {},
			"checkpoint": {},
		}},
		{"wildcard covers the SNI", with(wild, func(f *Facts) { f.SNI = "a.example.com" }), map[string]result{
			"ftd":        res("a.example.com", SourceSNI),
			"snort3":     res("a.example.com", SourceSNI),
			"snort-open": res("a.example.com", SourceSNI),
			"cisco-doc":  res("*.example.com", SourceCN),
			"paloalto":   res("a.example.com", SourceSNI),
			"fortinet":   res("a.example.com", SourceSNI),
			"checkpoint": res("a.example.com", SourceSNI),
		}},
		{"wildcard does not cover the apex", with(wild, func(f *Facts) { f.SNI = "example.com" }), map[string]result{
			"ftd":        res("*.example.com", SourceSAN),
			"snort3":     res("*.example.com", SourceCN),
			"snort-open": res("example.com", SourceSNI),
			"cisco-doc":  res("*.example.com", SourceCN),
			"paloalto":   res("example.com", SourceSNI),
			"fortinet":   res("*.example.com", SourceCN),
			"checkpoint": res("*.example.com", SourceCN),
		}},
		{"wildcard does not cover two labels", with(wild, func(f *Facts) { f.SNI = "a.b.example.com" }), map[string]result{
			"ftd":        res("*.example.com", SourceSAN),
			"snort3":     res("*.example.com", SourceCN),
			"snort-open": res("a.b.example.com", SourceSNI),
			"cisco-doc":  res("*.example.com", SourceCN),
			"paloalto":   res("a.b.example.com", SourceSNI),
			"fortinet":   res("*.example.com", SourceCN),
			"checkpoint": res("*.example.com", SourceCN),
		}},
		{"wildcard without SNI: snort-open strips it", wild, map[string]result{
			"ftd":        res("*.example.com", SourceSAN),
			"snort3":     res("*.example.com", SourceCN),
			"snort-open": res("example.com", SourceCN),
			"cisco-doc":  res("*.example.com", SourceCN),
			"paloalto":   res("*.example.com", SourceCN),
			"fortinet":   res("*.example.com", SourceCN),
			"checkpoint": res("*.example.com", SourceCN),
		}},
		{"IP SNI covered by an iPAddress SAN", &Facts{SNI: "192.0.2.10", CertStatus: CertPresent, SANDNS: []string{"host.example"}, SANIP: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, CNs: []string{"host.example"}}, map[string]result{
			"ftd":        res("192.0.2.10", SourceSNI),
			"snort3":     res("192.0.2.10", SourceSNI),
			"snort-open": res("192.0.2.10", SourceSNI),
			"cisco-doc":  res("host.example", SourceCN),
			"paloalto":   res("192.0.2.10", SourceSNI),
			"fortinet":   res("192.0.2.10", SourceSNI),
			"checkpoint": res("192.0.2.10", SourceSNI),
		}},
		{"IP SNI without iPAddress SAN", &Facts{SNI: "192.0.2.10", CertStatus: CertPresent, SANDNS: []string{"192.0.2.10"}, CNs: []string{"192.0.2.10"}}, map[string]result{
			"ftd":        res("192.0.2.10", SourceSAN),
			"snort3":     res("192.0.2.10", SourceCN),
			"snort-open": res("192.0.2.10", SourceSNI),
			"cisco-doc":  res("192.0.2.10", SourceCN),
			"paloalto":   res("192.0.2.10", SourceSNI),
			"fortinet":   res("192.0.2.10", SourceCN),
			"checkpoint": res("192.0.2.10", SourceCN),
		}},
		{"snort-open walks the chain", &Facts{CertStatus: CertPresent, SANDNS: []string{"a.example"},
			Chain: []ChainCert{{}, {CN: "*.issuer.example"}, {CN: "Root CA"}}}, map[string]result{
			"ftd":        res("a.example", SourceSAN),
			"snort3":     res("a.example", SourceSAN),
			"snort-open": res("issuer.example", SourceCN),
			"cisco-doc":  res("a.example", SourceSAN),
			"paloalto":   {},
			"fortinet":   res("a.example", SourceSAN),
			"checkpoint": {},
		}},
		{"snort-open strips only one wildcard", &Facts{CertStatus: CertPresent, CNs: []string{"*.*.example"}, Chain: []ChainCert{{CN: "*.*.example"}}}, map[string]result{
			"ftd":        res("*.*.example", SourceCN),
			"snort3":     res("*.*.example", SourceCN),
			"snort-open": res("*.example", SourceCN),
			"cisco-doc":  res("*.*.example", SourceCN),
			"paloalto":   res("*.*.example", SourceCN),
			"fortinet":   res("*.*.example", SourceCN),
			"checkpoint": res("*.*.example", SourceCN),
		}},
		// Issue 10: a ClientHello not read whole leaves the SNI unknown;
		// every step that needs it stops, cisco-doc decides on the CN.
		{"field case, SNI unknown", with(fieldCase(), func(f *Facts) { f.SNIStatus = SNIUnknown }), needsSNI(res("tools.cisco.com", SourceCN))},
		{"SNI unknown, a stale SNI ignored", with(fieldCase(), func(f *Facts) { f.SNIStatus, f.SNI = SNIUnknown, "evil.example" }), needsSNI(res("tools.cisco.com", SourceCN))},
		{"SNI unknown, certificate with OU only", &Facts{SNIStatus: SNIUnknown, CertStatus: CertPresent, OUs: []string{"Unit"}}, needsSNI(res("Unit", SourceOU))},
		{"SNI unknown, no certificate names: cisco-doc reaches the SNI", &Facts{SNIStatus: SNIUnknown, CertStatus: CertPresent}, needsSNI(unk(NeedsSNI))},
		{"SNI and certificate unknown (client's hello cut, server not captured)", &Facts{SNIStatus: SNIUnknown, CertStatus: CertIncomplete}, needsSNI(unk(unkIncomplete))},
		{"SNI status absent wins over a stale SNI", with(fieldCase(), func(f *Facts) { f.SNIStatus, f.SNI = SNIAbsent, "evil.example" }), map[string]result{
			"ftd":        res("toos.cisco.com", SourceSAN),
			"snort3":     res("tools.cisco.com", SourceCN),
			"snort-open": res("tools.cisco.com", SourceCN),
			"cisco-doc":  res("tools.cisco.com", SourceCN),
			"paloalto":   res("tools.cisco.com", SourceCN),
			"fortinet":   res("tools.cisco.com", SourceCN),
			"checkpoint": res("tools.cisco.com", SourceCN),
		}},
		{"certificate fields ignored unless present", &Facts{CertStatus: CertEncrypted, SANDNS: []string{"x.example"}, CNs: []string{"x.example"}}, map[string]result{
			"ftd":        unk(unkEncrypted),
			"snort3":     unk(unkEncrypted),
			"snort-open": {},
			"cisco-doc":  unk(unkEncrypted),
			"paloalto":   unk(unkEncrypted),
			"fortinet":   unk(unkEncrypted),
			"checkpoint": unk(unkEncrypted),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.want) != len(builtin) {
				t.Fatalf("want lists %d profiles, there are %d", len(tt.want), len(builtin))
			}
			got := map[string]result{}
			for _, p := range Profiles() {
				d := p.Decide(tt.facts)
				got[p.Name] = result{d.Host, d.Source, d.Unknown}
				checkDecision(t, p, d)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decisions mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// checkDecision verifies the invariants every Decision keeps.
func checkDecision(t *testing.T, p Profile, d Decision) {
	t.Helper()
	if d.Profile != p.Name {
		t.Errorf("%s: Profile = %q", p.Name, d.Profile)
	}
	if len(d.Trace) == 0 && len(p.Steps) > 0 || len(d.Trace) > len(p.Steps) {
		t.Errorf("%s: %d trace steps for %d profile steps", p.Name, len(d.Trace), len(p.Steps))
	}
	for i, ts := range d.Trace {
		if ts.Field != p.Steps[i].String() {
			t.Errorf("%s: trace[%d].Field = %q, want %q", p.Name, i, ts.Field, p.Steps[i])
		}
		if ts.Why == "" {
			t.Errorf("%s: trace[%d] has no Why", p.Name, i)
		}
		if ts.Taken != (i == len(d.Trace)-1 && d.Host != "") {
			t.Errorf("%s: trace[%d].Taken = %v, host %q", p.Name, i, ts.Taken, d.Host)
		}
	}
	switch {
	case d.Unknown != "" && (d.Host != "" || d.Source != SourceNone):
		t.Errorf("%s: unknown %q but host %q source %q", p.Name, d.Unknown, d.Host, d.Source)
	case d.Host != "" && d.Source == SourceNone, d.Host == "" && d.Source != SourceNone:
		t.Errorf("%s: host %q with source %q", p.Name, d.Host, d.Source)
	case d.Host != "" && d.Trace[len(d.Trace)-1].Value != d.Host:
		t.Errorf("%s: host %q is not the taken step's value", p.Name, d.Host)
	}
	for i, ts := range d.Trace {
		if ts.Unknown != (d.Unknown != "" && i == len(d.Trace)-1) {
			t.Errorf("%s: trace[%d].Unknown = %v, decision unknown %q", p.Name, i, ts.Unknown, d.Unknown)
		}
	}
}

// TestDecideTrace checks the explanations word for word on a few cases.
func TestDecideTrace(t *testing.T) {
	lookup := func(name string) Profile {
		p, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		profile Profile
		facts   *Facts
		want    Decision
	}{
		{"ftd field case", lookup("ftd"), fieldCase(), Decision{
			Profile: "ftd", Host: "toos.cisco.com", Source: SourceSAN,
			Trace: []TraceStep{
				{Field: "sni*", Why: "absent"},
				{Field: "san", Value: "toos.cisco.com", Taken: true, Why: "first of 4 dNSNames in the leaf certificate"},
			},
		}},
		{"ftd spoofed", lookup("ftd"), with(fieldCase(), func(f *Facts) { f.SNI = "evil.example" }), Decision{
			Profile: "ftd", Host: "toos.cisco.com", Source: SourceSAN,
			Trace: []TraceStep{
				{Field: "sni*", Value: "evil.example", Why: "spoofed: matches none of the certificate names [toos.cisco.com, tools.cisco.com, tools1.cisco.com, tools2.cisco.com]"},
				{Field: "san", Value: "toos.cisco.com", Taken: true, Why: "first of 4 dNSNames in the leaf certificate"},
			},
		}},
		{"ftd SNI matches a wildcard", lookup("ftd"), &Facts{SNI: "A.example.com", CertStatus: CertPresent, SANDNS: []string{"*.example.com"}}, Decision{
			Profile: "ftd", Host: "A.example.com", Source: SourceSNI,
			Trace: []TraceStep{
				{Field: "sni*", Value: "A.example.com", Taken: true, Why: "matches the certificate name *.example.com"},
			},
		}},
		{"snort3 TLS 1.3 with SNI", lookup("snort3"), &Facts{SNI: "www.example.com", CertStatus: CertEncrypted}, Decision{
			Profile: "snort3", Host: "www.example.com", Source: SourceSNI,
			Trace: []TraceStep{
				{Field: "sni*", Value: "www.example.com", Taken: true, Why: "present; spoof check impossible without the certificate (encrypted, TLS 1.3)"},
			},
		}},
		{"cisco-doc TLS 1.3 stops at the first step", lookup("cisco-doc"), &Facts{SNI: "www.example.com", CertStatus: CertEncrypted}, Decision{
			Profile: "cisco-doc", Unknown: unkEncrypted,
			Trace: []TraceStep{
				{Field: "cn", Unknown: true, Why: "certificate not in capture (encrypted, TLS 1.3)"},
			},
		}},
		{"checkpoint resumed", lookup("checkpoint"), &Facts{SNI: "a.example", CertStatus: CertResumed}, Decision{
			Profile: "checkpoint", Unknown: unkResumedVerify,
			Trace: []TraceStep{
				{Field: "sni+", Value: "a.example", Unknown: true, Why: "resumed session: no certificate: cannot verify the SNI"},
			},
		}},
		{"snort3 SNI unknown stops at the first step", lookup("snort3"), with(fieldCase(), func(f *Facts) { f.SNIStatus = SNIUnknown }), Decision{
			Profile: "snort3", Unknown: NeedsSNI,
			Trace: []TraceStep{
				{Field: "sni*", Unknown: true, Why: "unknown: the ClientHello is not in the capture whole"},
			},
		}},
		{"cisco-doc SNI unknown decides on the CN", lookup("cisco-doc"), with(fieldCase(), func(f *Facts) { f.SNIStatus = SNIUnknown }), Decision{
			Profile: "cisco-doc", Host: "tools.cisco.com", Source: SourceCN,
			Trace: []TraceStep{
				{Field: "cn", Value: "tools.cisco.com", Taken: true, Why: "first in the leaf certificate"},
			},
		}},
		{"checkpoint not covered", lookup("checkpoint"), &Facts{SNI: "1.2.3.4", CertStatus: CertPresent, CNs: []string{"x"}, SANIP: []netip.Addr{netip.MustParseAddr("5.6.7.8")}}, Decision{
			Profile: "checkpoint", Host: "x", Source: SourceCN,
			Trace: []TraceStep{
				{Field: "sni+", Value: "1.2.3.4", Why: "not covered: matches none of the certificate names [5.6.7.8]"},
				{Field: "cn", Value: "x", Taken: true, Why: "first in the leaf certificate"},
			},
		}},
		{"snort-open chain walk", lookup("snort-open"), &Facts{CertStatus: CertPresent, Chain: []ChainCert{{}, {CN: "*.ca.example"}}}, Decision{
			Profile: "snort-open", Host: "ca.example", Source: SourceCN,
			Trace: []TraceStep{
				{Field: "sni", Why: "absent"},
				{Field: "cn~", Value: "ca.example", Taken: true, Why: `leaf has no CN; CN of chain certificate 2 (an issuer); leading "*." stripped`},
			},
		}},
		{"snort-open TLS 1.3", lookup("snort-open"), &Facts{CertStatus: CertEncrypted}, Decision{
			Profile: "snort-open",
			Trace: []TraceStep{
				{Field: "sni", Why: "absent"},
				{Field: "cn~", Why: "certificate encrypted (TLS 1.3): the engine cannot read it either"},
			},
		}},
		{"cisco-doc reaches OU", lookup("cisco-doc"), &Facts{CertStatus: CertPresent, OUs: []string{"Ops"}}, Decision{
			Profile: "cisco-doc", Host: "Ops", Source: SourceOU,
			Trace: []TraceStep{
				{Field: "cn", Why: "absent: no CN in the subject"},
				{Field: "san", Why: "absent: no dNSName in the subjectAltName"},
				{Field: "ou", Value: "Ops", Taken: true, Why: "first in the leaf certificate"},
			},
		}},
		{"many names are cut in the trace", lookup("ftd"), &Facts{SNI: "x.example", CertStatus: CertPresent,
			SANDNS: strings.Split("a,b,c,d,e,f,g,h,i,j", ",")}, Decision{
			Profile: "ftd", Host: "a", Source: SourceSAN,
			Trace: []TraceStep{
				{Field: "sni*", Value: "x.example", Why: "spoofed: matches none of the certificate names [a, b, c, d, e, f, g, h, +2 more]"},
				{Field: "san", Value: "a", Taken: true, Why: "first of 10 dNSNames in the leaf certificate"},
			},
		}},
		{"odd names are quoted in the trace", lookup("ftd"), &Facts{SNI: "x", CertStatus: CertPresent, SANDNS: []string{"a, b]\n"}}, Decision{
			Profile: "ftd", Host: "a, b]\n", Source: SourceSAN,
			Trace: []TraceStep{
				{Field: "sni*", Value: "x", Why: `spoofed: matches none of the certificate names ["a, b]\n"]`},
				{Field: "san", Value: "a, b]\n", Taken: true, Why: "first in the leaf certificate"},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.profile.Decide(tt.facts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideNilAndEmpty(t *testing.T) {
	p, _ := Lookup("ftd")
	if d := p.Decide(nil); d.Unknown != unkMissing {
		t.Errorf("Decide(nil).Unknown = %q, want %q", d.Unknown, unkMissing)
	}
	d := Profile{Name: "none"}.Decide(fieldCase())
	if diff := cmp.Diff(Decision{Profile: "none", Trace: []TraceStep{}}, d); diff != "" {
		t.Errorf("empty profile (-want +got):\n%s", diff)
	}
}
