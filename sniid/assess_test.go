package sniid

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLookup(t testing.TB, name string) Profile {
	t.Helper()
	p, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAssessFlags(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	wild := &Facts{CertStatus: CertPresent, SANDNS: []string{"*.example.com"}, CNs: []string{"*.example.com"}}
	tests := []struct {
		name     string
		profile  string
		facts    *Facts
		wantHost string
		want     []string
	}{
		{"field case ftd", "ftd", fieldCase(), "toos.cisco.com",
			[]string{"no-sni", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree"}},
		{"field case snort3", "snort3", fieldCase(), "tools.cisco.com",
			[]string{"no-sni", "profiles-disagree"}},
		{"field case cisco-doc", "cisco-doc", fieldCase(), "tools.cisco.com",
			[]string{"no-sni", "profiles-disagree"}},
		{"field case without the DNS name: near-miss of the CN", "ftd",
			with(fieldCase(), func(f *Facts) { f.DNSNames = nil }), "toos.cisco.com",
			[]string{"no-sni", "near-miss:tools.cisco.com", "profiles-disagree"}},
		{"field case with SNI", "ftd", with(fieldCase(), func(f *Facts) { f.SNI = "tools.cisco.com" }), "tools.cisco.com",
			nil},
		{"SNI case and trailing dot are the same name", "ftd",
			with(fieldCase(), func(f *Facts) { f.SNI = "Tools.Cisco.COM." }), "Tools.Cisco.COM.",
			// The SNI is the meant name, so the host does not differ from it. But
			// cisco-doc logs the CN "tools.cisco.com": profiles compare raw hosts
			// case-insensitively only, and a trailing dot is logged as such.
			[]string{"profiles-disagree"}},
		{"spoofed SNI", "ftd", with(fieldCase(), func(f *Facts) { f.SNI = "evil.example" }), "toos.cisco.com",
			[]string{"sni-mismatch", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree"}},
		{"spoofed SNI snort-open", "snort-open", with(fieldCase(), func(f *Facts) { f.SNI = "evil.example" }), "evil.example",
			[]string{"sni-mismatch", "profiles-disagree"}},
		{"DNS name meant, host is a near miss", "ftd", &Facts{CertStatus: CertPresent, SANDNS: []string{"wwww.example.com", "www.example.com"},
			DNSNames: []string{"www.example.com"}}, "wwww.example.com",
			// paloalto and checkpoint find no CN and log nothing: that differs too.
			[]string{"no-sni", "near-miss:www.example.com", "host-differs", "profiles-disagree"}},
		{"DNS name meant is one of several", "ftd", &Facts{CertStatus: CertPresent, SANDNS: []string{"b.example.com"},
			DNSNames: []string{"a.example.com", "B.example.com."}, CNs: []string{"b.example.com"}}, "b.example.com",
			[]string{"no-sni"}},
		{"different registrable domain is no near miss", "ftd", &Facts{CertStatus: CertPresent, SANDNS: []string{"cisco.co"},
			CNs: []string{"cisco.co"}, DNSNames: []string{"cisco.com"}}, "cisco.co",
			[]string{"no-sni", "host-differs"}},
		{"nothing meant, host equals CN", "ftd", &Facts{CertStatus: CertPresent, CNs: []string{"a.example"}}, "a.example",
			[]string{"no-sni"}},
		{"TLS 1.3 with SNI", "ftd", &Facts{SNI: "www.example.com", CertStatus: CertEncrypted}, "www.example.com",
			[]string{"cert-encrypted"}},
		{"TLS 1.3 without SNI: unknown, so nothing differs", "ftd", &Facts{CertStatus: CertEncrypted, DNSNames: []string{"a.example"}}, "",
			[]string{"no-sni", "cert-encrypted"}},
		{"TLS 1.3 without SNI under snort-open", "snort-open", &Facts{CertStatus: CertEncrypted}, "",
			[]string{"no-sni", "cert-encrypted"}},
		{"resumed", "ftd", &Facts{SNI: "a.example", CertStatus: CertResumed, Resumed: true}, "a.example",
			[]string{"resumed"}},
		{"wildcard host", "ftd", with(wild, func(f *Facts) { f.SNI = "example.com" }), "*.example.com",
			[]string{"sni-mismatch", "host-differs", "profiles-disagree", "wildcard"}},
		{"wildcard CN with a covered SNI", "ftd", with(wild, func(f *Facts) { f.SNI = "a.example.com" }), "a.example.com",
			[]string{"profiles-disagree", "wildcard"}},
		{"IP SNI", "ftd", &Facts{SNI: "192.0.2.1", CertStatus: CertPresent, SANIP: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}, "192.0.2.1",
			[]string{"ip-sni"}},
		{"IP SNI spoofed", "ftd", &Facts{SNI: "192.0.2.1", CertStatus: CertPresent, SANDNS: []string{"a.example"}}, "a.example",
			[]string{"sni-mismatch", "host-differs", "profiles-disagree", "ip-sni"}},
		{"ECH and SSLv2 and incomplete", "ftd", &Facts{SNI: "public.example", ECH: true, SSLv2: true, Incomplete: true, CertStatus: CertIncomplete}, "public.example",
			[]string{"ech", "incomplete", "sslv2-hello"}},
		{"self-signed and expired", "ftd", &Facts{SNI: "a.example", CertStatus: CertPresent, CNs: []string{"a.example"}, SelfSigned: true,
			NotBefore: t0.AddDate(-2, 0, 0), NotAfter: t0.AddDate(-1, 0, 0), Time: t0}, "a.example",
			[]string{"self-signed", "cert-expired"}},
		{"not yet valid", "ftd", &Facts{SNI: "a.example", CertStatus: CertPresent, CNs: []string{"a.example"},
			NotBefore: t0.Add(time.Hour), NotAfter: t0.AddDate(1, 0, 0), Time: t0}, "a.example",
			[]string{"cert-not-yet-valid"}},
		{"validity unknown without Time", "ftd", &Facts{SNI: "a.example", CertStatus: CertPresent, CNs: []string{"a.example"},
			NotAfter: t0}, "a.example", nil},
		{"certificate flags need a certificate", "ftd", &Facts{SNI: "a.example", CertStatus: CertEncrypted, SelfSigned: true,
			CNs: []string{"*.x"}, NotAfter: t0, Time: t0.AddDate(1, 0, 0)}, "a.example",
			[]string{"cert-encrypted"}},
		{"nothing at all", "ftd", &Facts{CertStatus: CertPresent}, "", []string{"no-sni"}},
		// Issue 10: an SNI the capture did not show is not absent.
		{"field case, SNI unknown: ftd cannot decide", "ftd",
			with(fieldCase(), func(f *Facts) { f.SNIStatus, f.Incomplete = SNIUnknown, true }), "",
			[]string{"incomplete"}},
		{"field case, SNI unknown: cisco-doc decides on the CN", "cisco-doc",
			with(fieldCase(), func(f *Facts) { f.SNIStatus, f.Incomplete = SNIUnknown, true }), "tools.cisco.com",
			[]string{"incomplete"}},
		{"SNI unknown: the DNS name is still meant", "cisco-doc", &Facts{SNIStatus: SNIUnknown, CertStatus: CertPresent,
			CNs: []string{"wwww.example.com"}, DNSNames: []string{"www.example.com"}}, "wwww.example.com",
			[]string{"near-miss:www.example.com", "host-differs"}},
		{"SNI unknown: a stale IP SNI is not flagged", "cisco-doc", &Facts{SNIStatus: SNIUnknown, SNI: "192.0.2.1",
			CertStatus: CertPresent, CNs: []string{"a.example"}}, "a.example", nil},
		{"SNI status absent", "ftd", &Facts{SNIStatus: SNIAbsent, CertStatus: CertPresent, CNs: []string{"a.example"}}, "a.example",
			[]string{"no-sni"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assess(tt.facts, mustLookup(t, tt.profile), Profiles())
			if a.Decision.Host != tt.wantHost {
				t.Errorf("host = %q, want %q", a.Decision.Host, tt.wantHost)
			}
			if diff := cmp.Diff(tt.want, a.Flags); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
			checkFlagOrder(t, a.Flags)
		})
	}
}

// checkFlagOrder verifies that flags follow FlagOrder without repeats.
func checkFlagOrder(t testing.TB, flags []string) {
	t.Helper()
	last := -1
	for _, f := range flags {
		name, _, _ := strings.Cut(f, ":")
		i := slices.Index(FlagOrder, name)
		if i < 0 {
			t.Errorf("unknown flag %q in %q", f, flags)
		} else if i <= last {
			t.Errorf("flag %q out of order in %q", f, flags)
		}
		last = i
	}
}

func TestAssessProfiles(t *testing.T) {
	ftd := mustLookup(t, "ftd")
	a := Assess(fieldCase(), ftd, Profiles())
	var got []string
	for _, d := range a.Profiles {
		got = append(got, d.Profile+"="+d.Host+"/"+string(d.Source))
	}
	want := []string{
		"ftd=toos.cisco.com/san", // the chosen profile first, not repeated
		"snort3=tools.cisco.com/cn",
		"snort-open=tools.cisco.com/cn",
		"cisco-doc=tools.cisco.com/cn",
		"paloalto=tools.cisco.com/cn",
		"fortinet=tools.cisco.com/cn",
		"checkpoint=tools.cisco.com/cn",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(a.Profiles[0], a.Decision); diff != "" {
		t.Errorf("Profiles[0] is not the Decision (-want +got):\n%s", diff)
	}

	// Undecided profiles are listed but are no disagreement.
	tls13 := &Facts{SNI: "a.example", CertStatus: CertEncrypted}
	a = Assess(tls13, ftd, Profiles())
	if slices.Contains(a.Flags, FlagProfilesDisagree) {
		t.Errorf("undecided cisco-doc counted as disagreement: %q", a.Flags)
	}
	if len(a.Profiles) != 7 || a.Profiles[3].Unknown == "" {
		t.Errorf("cisco-doc should be listed as unknown: %+v", a.Profiles)
	}

	// Without others there is nobody to disagree with.
	a = Assess(fieldCase(), ftd, nil)
	if len(a.Profiles) != 1 || slices.Contains(a.Flags, FlagProfilesDisagree) {
		t.Errorf("Assess without others: %d profiles, flags %q", len(a.Profiles), a.Flags)
	}

	// nil Facts do not panic.
	a = Assess(nil, ftd, Profiles())
	if a.Decision.Unknown != unkMissing {
		t.Errorf("Assess(nil).Decision.Unknown = %q", a.Decision.Unknown)
	}
}

// TestAssessNearMissIgnoresWildcardAndIP: a wildcard or IP host is no typo.
func TestAssessNearMissIgnoresWildcardAndIP(t *testing.T) {
	ftd := mustLookup(t, "ftd")
	for _, f := range []*Facts{
		{CertStatus: CertPresent, SANDNS: []string{"*.cisco.com"}, DNSNames: []string{"a.cisco.com"}},
		{CertStatus: CertPresent, SANDNS: []string{"10.1.0.1"}, DNSNames: []string{"10.2.0.1"}},
	} {
		a := Assess(f, ftd, nil)
		for _, fl := range a.Flags {
			if strings.HasPrefix(fl, FlagNearMiss) {
				t.Errorf("%q: unexpected %s", a.Decision.Host, fl)
			}
		}
		if !slices.Contains(a.Flags, FlagHostDiffers) {
			t.Errorf("%q: want host-differs in %q", a.Decision.Host, a.Flags)
		}
	}
}

// TestAssessHostileDetail: an odd near-miss name is quoted, not pasted.
func TestAssessHostileDetail(t *testing.T) {
	f := &Facts{SNI: "tool\ns.cisco.com", CertStatus: CertPresent, SANDNS: []string{"toos.cisco.com"}}
	a := Assess(f, mustLookup(t, "ftd"), nil)
	want := []string{"sni-mismatch", `near-miss:"tool\ns.cisco.com"`, "host-differs"}
	if diff := cmp.Diff(want, a.Flags); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
}

func TestMeant(t *testing.T) {
	f := &Facts{SNI: "Tools.cisco.com", DNSNames: []string{"tools.cisco.com.", "", "www.cisco.com", "WWW.cisco.com"}}
	want := []string{"Tools.cisco.com", "www.cisco.com"}
	if diff := cmp.Diff(want, f.Meant()); diff != "" {
		t.Errorf("Meant (-want +got):\n%s", diff)
	}
	if got := (&Facts{}).Meant(); got != nil {
		t.Errorf("Meant of nothing = %q", got)
	}
	unknown := &Facts{SNIStatus: SNIUnknown, SNI: "stale.example", DNSNames: []string{"www.cisco.com"}}
	if diff := cmp.Diff([]string{"www.cisco.com"}, unknown.Meant()); diff != "" {
		t.Errorf("Meant with the SNI unknown (-want +got):\n%s", diff)
	}
	many := &Facts{}
	for i := range 100 {
		many.DNSNames = append(many.DNSNames, strings.Repeat("a", i+1)+".example")
	}
	if got := len(many.Meant()); got != maxMeant {
		t.Errorf("Meant kept %d names, want the cap %d", got, maxMeant)
	}
}

// TestAssessBrief: the same decisions and flags as Assess, without traces.
func TestAssessBrief(t *testing.T) {
	for _, f := range []*Facts{fieldCase(), with(fieldCase(), func(f *Facts) { f.SNIStatus = SNIUnknown }),
		with(fieldCase(), func(f *Facts) { f.SNI = "evil.example" }), {SNI: "a.example", CertStatus: CertEncrypted}, nil} {
		for _, p := range Profiles() {
			full, brief := Assess(f, p, Profiles()), AssessBrief(f, p, Profiles(), make([]Decision, 3))
			for i := range full.Profiles {
				if brief.Profiles[i].Trace != nil {
					t.Fatalf("%s: brief keeps a trace", p.Name)
				}
				full.Profiles[i].Trace = nil
			}
			full.Decision.Trace = nil
			if diff := cmp.Diff(full, brief); diff != "" {
				t.Errorf("%s: brief differs (-full +brief):\n%s", p.Name, diff)
			}
		}
	}
}
