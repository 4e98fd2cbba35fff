package sniid_test

import (
	"fmt"

	"github.com/tsid-project/tsid/sniid"
)

// The field case that motivates tsid: no SNI, and the Cisco Smart Licensing
// certificate lists toos.cisco.com as its first SAN.
func fieldCase() *sniid.Facts {
	return &sniid.Facts{
		CertStatus: sniid.CertPresent,
		SANDNS:     []string{"toos.cisco.com", "tools.cisco.com", "tools1.cisco.com", "tools2.cisco.com"},
		CNs:        []string{"tools.cisco.com"},
		DNSNames:   []string{"tools.cisco.com"},
	}
}

func ExampleProfile_Decide() {
	for _, name := range []string{"ftd", "snort3"} {
		p, _ := sniid.Lookup(name)
		d := p.Decide(fieldCase())
		fmt.Printf("%s logs %s (from %s)\n", d.Profile, d.Host, d.Source)
		for _, s := range d.Trace {
			fmt.Printf("  %-4s taken=%-5v %s\n", s.Field, s.Taken, s.Why)
		}
	}
	// Output:
	// ftd logs toos.cisco.com (from san)
	//   sni* taken=false absent
	//   san  taken=true  first of 4 dNSNames in the leaf certificate
	// snort3 logs tools.cisco.com (from cn)
	//   sni* taken=false absent
	//   cn   taken=true  first in the leaf certificate
}

func ExampleAssess() {
	ftd, _ := sniid.Lookup("ftd")
	a := sniid.Assess(fieldCase(), ftd, sniid.Profiles())
	fmt.Println(a.Decision.Host, a.Flags)
	for _, d := range a.Profiles[1:] {
		fmt.Printf("  %-10s %s\n", d.Profile, d.Host)
	}
	// Output:
	// toos.cisco.com [no-sni near-miss:tools.cisco.com host-differs profiles-disagree]
	//   snort3     tools.cisco.com
	//   snort-open tools.cisco.com
	//   cisco-doc  tools.cisco.com
	//   paloalto   tools.cisco.com
	//   fortinet   tools.cisco.com
	//   checkpoint tools.cisco.com
}

func ExampleAssess_tls13() {
	ftd, _ := sniid.Lookup("ftd")
	f := &sniid.Facts{SNI: "www.example.com", CertStatus: sniid.CertEncrypted}
	a := sniid.Assess(f, ftd, sniid.Profiles())
	fmt.Println(a.Flags)
	for _, d := range a.Profiles {
		if d.Unknown != "" {
			fmt.Printf("%-10s unknown: %s\n", d.Profile, d.Unknown)
		} else {
			fmt.Printf("%-10s %s\n", d.Profile, d.Host)
		}
	}
	// Output:
	// [cert-encrypted]
	// ftd        www.example.com
	// snort3     www.example.com
	// snort-open www.example.com
	// cisco-doc  unknown: needs the certificate, which is encrypted (TLS 1.3)
	// paloalto   www.example.com
	// fortinet   www.example.com
	// checkpoint unknown: needs the certificate to verify the SNI, which is encrypted (TLS 1.3)
}

func ExampleParseOrder() {
	p, err := sniid.ParseOrder("SNI*, cn, san")
	fmt.Println(p.Name, p.Order(), err)
	_, err = sniid.ParseOrder("sni,foo")
	fmt.Println(err)
	// Output:
	// custom sni*,cn,san <nil>
	// sniid: unknown step "foo" in --order (want sni, sni*, san, cn, ou)
}

func ExampleSNIMatchesCert() {
	san := []string{"*.example.com"}
	for _, sni := range []string{"a.example.com", "A.EXAMPLE.COM.", "example.com", "a.b.example.com"} {
		fmt.Println(sni, sniid.SNIMatchesCert(sni, san, nil, nil))
	}
	// Output:
	// a.example.com true
	// A.EXAMPLE.COM. true
	// example.com false
	// a.b.example.com false
}
