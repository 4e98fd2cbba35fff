package analysis

import (
	"slices"
	"strings"
	"testing"

	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/urlrules"
)

// TestIntendedDNSNames: when the client resolved several names that get
// different actions, the intended verdict is the first name's with the
// others, and the logged host differs only if it matches none of them.
func TestIntendedDNSNames(t *testing.T) {
	rules, _, err := urlrules.ParseRules("t.rules", strings.NewReader("allow a.example\nblock b.example\ninteractive-block c.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := &urlrules.Policy{Rules: rules, Default: urlrules.Allow}
	fr := &fileRun{}
	iv := fr.intendedVerdict(p, &sniid.Facts{DNSNames: []string{"a.example", "x.example", "b.example"}})
	if iv.Name != "a.example" || iv.From != "dns" || iv.Action != "allow" || len(iv.Others) != 1 || iv.Others[0].Name != "b.example" || iv.Others[0].Action != "block" {
		t.Fatalf("intended %+v", iv)
	}
	if sni := fr.intendedVerdict(p, &sniid.Facts{SNI: "c.example", DNSNames: []string{"a.example"}}); sni.Name != "c.example" || sni.From != "sni" || sni.Others != nil {
		t.Errorf("with an SNI: %+v", sni)
	}
	if fr.intendedVerdict(p, &sniid.Facts{}) != nil {
		t.Error("no name: want no intended verdict")
	}
	// An SNI the capture did not show whole is not what the client meant.
	if iv := fr.intendedVerdict(p, &sniid.Facts{SNIStatus: sniid.SNIUnknown, SNI: "c.example", DNSNames: []string{"b.example"}}); iv.Name != "b.example" || iv.From != "dns" {
		t.Errorf("SNI unknown: %+v", iv)
	}
	an := New(Options{Policy: p})
	for _, tc := range []struct {
		logged  string
		differs bool
	}{
		{"a.example", false},
		{"b.example", false}, // the client may have meant b.example
		{"c.example", true},
	} {
		r := &Record{SNI: "", DNSNames: []string{"a.example", "b.example"}}
		an.judge(fr, r, &sniid.Facts{DNSNames: r.DNSNames}, assessFor(an, tc.logged, r.DNSNames))
		if got := slices.Contains(r.Flags, FlagVerdictDiffers); got != tc.differs {
			t.Errorf("logged %s: verdict-differs %v, want %v (flags %v)", tc.logged, got, tc.differs, r.Flags)
		}
	}
	// The verdicts are cached per file; a name with bytes that are not
	// UTF-8 is evaluated as sent and shown escaped.
	v1, v2 := fr.verdict(p, "a.example", nil), fr.verdict(p, "a.example", []string{"z"})
	if v1 != v2 {
		t.Error("the DNS names changed the cache key without DNS lists")
	}
	if v := fr.verdict(p, "b\xff.example", nil); v.Name != `b\xff.example` {
		t.Errorf("name %q", v.Name)
	}
}

// assessFor is an assessment in which every profile logs host.
func assessFor(an *Analyzer, host string, dns []string) *sniid.Assessment {
	a := &sniid.Assessment{Decision: sniid.Decision{Profile: an.chosen.Name, Host: host}}
	a.Profiles = append(a.Profiles, a.Decision)
	for _, p := range an.others {
		a.Profiles = append(a.Profiles, sniid.Decision{Profile: p.Name, Host: host})
	}
	return a
}
