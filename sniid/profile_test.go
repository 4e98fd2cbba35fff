package sniid

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProfiles(t *testing.T) {
	var got []string
	for _, p := range Profiles() {
		got = append(got, p.Name+" "+p.Order())
		if p.Description == "" {
			t.Errorf("%s has no description", p.Name)
		}
	}
	want := []string{
		"ftd sni*,san,cn",
		"snort3 sni*,cn,san",
		"snort-open sni,cn~",
		"cisco-doc cn,san,ou,sni",
		"paloalto sni,cn",
		"fortinet sni*,cn,san",
		"checkpoint sni+,cn",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}

	// The result is a copy: changing it must not change the built-ins.
	ps := Profiles()
	ps[0].Steps[0] = StepOU
	if Profiles()[0].Steps[0] != StepSNIChecked {
		t.Error("Profiles returned the built-in table itself")
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"ftd", "FTD", " snort-open ", "CheckPoint"} {
		p, err := Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
			continue
		}
		if !equalFold(p.Name, trimSpace(name)) {
			t.Errorf("Lookup(%q) = %q", name, p.Name)
		}
	}
	_, err := Lookup("asa")
	const want = `sniid: unknown profile "asa" (want ftd, snort3, snort-open, cisco-doc, paloalto, fortinet, checkpoint)`
	if err == nil || err.Error() != want {
		t.Errorf("Lookup(asa) error = %v, want %s", err, want)
	}
}

func trimSpace(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

func TestParseOrder(t *testing.T) {
	tests := []struct {
		in      string
		want    []Step
		wantErr string
	}{
		{in: "sni*,san,cn", want: []Step{StepSNIChecked, StepSAN, StepCN}},
		{in: "SNI*, SAN , Cn", want: []Step{StepSNIChecked, StepSAN, StepCN}},
		{in: "cn,san,ou,sni", want: []Step{StepCN, StepSAN, StepOU, StepSNI}},
		{in: "ou", want: []Step{StepOU}},
		{in: "sni,sni*", want: []Step{StepSNI, StepSNIChecked}},
		{in: "", wantErr: "sniid: empty --order (want sni, sni*, san, cn, ou)"},
		{in: "  ", wantErr: "sniid: empty --order (want sni, sni*, san, cn, ou)"},
		{in: "foo", wantErr: `sniid: unknown step "foo" in --order (want sni, sni*, san, cn, ou)`},
		{in: "sni,cn~", wantErr: `sniid: unknown step "cn~" in --order (want sni, sni*, san, cn, ou)`},
		{in: "sni+", wantErr: `sniid: unknown step "sni+" in --order (want sni, sni*, san, cn, ou)`},
		{in: "sni,,cn", wantErr: `sniid: empty step in --order "sni,,cn" (want sni, sni*, san, cn, ou)`},
		{in: "cn,", wantErr: `sniid: empty step in --order "cn," (want sni, sni*, san, cn, ou)`},
		{in: "cn,san,CN", wantErr: `sniid: duplicate step "cn" in --order`},
	}
	for _, tt := range tests {
		p, err := ParseOrder(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseOrder(%q) error = %v, want %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseOrder(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, p.Steps); diff != "" {
			t.Errorf("ParseOrder(%q) steps (-want +got):\n%s", tt.in, diff)
		}
		if p.Name != "custom" || p.Description != "custom order: "+p.Order() {
			t.Errorf("ParseOrder(%q) = %q, %q", tt.in, p.Name, p.Description)
		}
	}
}

func TestStepString(t *testing.T) {
	if got := Step(0).String(); got != "Step(0)" {
		t.Errorf("Step(0) = %q", got)
	}
	if got := Step(200).Source(); got != SourceNone {
		t.Errorf("Step(200).Source() = %q", got)
	}
}
