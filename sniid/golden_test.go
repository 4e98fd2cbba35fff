package sniid

import (
	"bytes"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenCases is a matrix of connections, each printed under every profile.
func goldenCases() []struct {
	name  string
	facts *Facts
} {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cisco := fieldCase()
	wild := &Facts{CertStatus: CertPresent, SANDNS: []string{"*.example.com", "example.com"}, CNs: []string{"*.example.com"},
		Chain: []ChainCert{{CN: "*.example.com"}, {CN: "Example CA"}}}
	return []struct {
		name  string
		facts *Facts
	}{
		{"field case: no SNI", cisco},
		{"field case: SNI tools.cisco.com", with(cisco, func(f *Facts) { f.SNI = "tools.cisco.com" })},
		{"field case: SNI TOOLS.cisco.com. (case, trailing dot)", with(cisco, func(f *Facts) { f.SNI = "TOOLS.cisco.com." })},
		{"field case: spoofed SNI evil.example", with(cisco, func(f *Facts) { f.SNI = "evil.example" })},
		{"TLS 1.3 with SNI", &Facts{SNI: "www.example.com", CertStatus: CertEncrypted, DNSNames: []string{"www.example.com"}}},
		{"TLS 1.3 without SNI", &Facts{CertStatus: CertEncrypted, DNSNames: []string{"www.example.com"}}},
		{"resumed with SNI", &Facts{SNI: "www.example.com", CertStatus: CertResumed, Resumed: true}},
		{"resumed without SNI", &Facts{CertStatus: CertResumed, Resumed: true}},
		{"certificate lost (incomplete)", &Facts{SNI: "www.example.com", CertStatus: CertIncomplete, Incomplete: true}},
		{"certificate missing, no SNI", &Facts{CertStatus: CertMissing}},
		{"wildcard: SNI a.example.com", with(wild, func(f *Facts) { f.SNI = "a.example.com" })},
		{"wildcard: SNI example.com (second SAN)", with(wild, func(f *Facts) { f.SNI = "example.com" })},
		{"wildcard: SNI a.b.example.com", with(wild, func(f *Facts) { f.SNI = "a.b.example.com" })},
		{"wildcard: no SNI", wild},
		{"CN-only certificate, no SNI", &Facts{CertStatus: CertPresent, CNs: []string{"legacy.example"}, Chain: []ChainCert{{CN: "legacy.example"}}}},
		{"OU-only certificate, no SNI", &Facts{CertStatus: CertPresent, OUs: []string{"Smart Licensing"},
			Chain: []ChainCert{{OU: "Smart Licensing"}, {CN: "Issuing CA", OU: "PKI"}}}},
		{"IP SNI, iPAddress SAN", &Facts{SNI: "192.0.2.10", CertStatus: CertPresent, SANDNS: []string{"device.example"},
			SANIP: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, CNs: []string{"device.example"}}},
		{"IP SNI, no iPAddress SAN", &Facts{SNI: "192.0.2.10", CertStatus: CertPresent, SANDNS: []string{"device.example"}, CNs: []string{"device.example"}}},
		{"self-signed, expired, ECH", &Facts{SNI: "public.example", ECH: true, CertStatus: CertPresent, CNs: []string{"public.example"},
			SelfSigned: true, NotBefore: t0.AddDate(-2, 0, 0), NotAfter: t0.AddDate(-1, 0, 0), Time: t0}},
		{"SSLv2 hello", &Facts{SSLv2: true, CertStatus: CertPresent, SANDNS: []string{"old.example"}, CNs: []string{"old.example"}}},
	}
}

func writeGolden(b *bytes.Buffer) {
	profiles := Profiles()
	for _, c := range goldenCases() {
		fmt.Fprintf(b, "== %s\n", c.name)
		for _, p := range profiles {
			a := Assess(c.facts, p, profiles)
			d := a.Decision
			switch {
			case d.Unknown != "":
				fmt.Fprintf(b, "%-10s ? unknown: %s\n", p.Name, d.Unknown)
			case d.Host == "":
				fmt.Fprintf(b, "%-10s - (nothing)\n", p.Name)
			default:
				fmt.Fprintf(b, "%-10s = %s (%s)\n", p.Name, d.Host, d.Source)
			}
			for _, s := range d.Trace {
				mark := " "
				if s.Taken {
					mark = "*"
				}
				fmt.Fprintf(b, "             %s %-4s %q: %s\n", mark, s.Field, s.Value, s.Why)
			}
			fmt.Fprintf(b, "             flags: %s\n", strings.Join(a.Flags, " "))
		}
	}
}

// TestGolden prints every profile's decision and flags over the matrix; run
// with -update to accept a change after reading the diff.
func TestGolden(t *testing.T) {
	var b bytes.Buffer
	writeGolden(&b)
	path := filepath.Join("testdata", "decide.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
