package sniid

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzAssess feeds arbitrary strings into every field of Facts. Properties:
// no panic, the same answer twice, the invariants of every Decision, flags in
// FlagOrder, and bounded time even for long names and long lists.
func FuzzAssess(f *testing.F) {
	f.Add("", "present", "toos.cisco.com", "tools.cisco.com", "", "tools.cisco.com", "", "", "", "tools.cisco.com", "", uint16(0), uint8(1), int64(0), int64(0), int64(0))
	f.Add("evil.example", "present", "toos.cisco.com", "tools.cisco.com", "", "tools.cisco.com", "Ops", "", "CA", "", "", uint16(0), uint8(1), int64(0), int64(0), int64(0))
	f.Add("www.example.com", "encrypted", "", "", "", "", "", "", "", "www.example.com", "", uint16(1), uint8(0), int64(0), int64(0), int64(0))
	f.Add("a.b.example.com.", "present", "*.example.com", "example.com", "", "*.example.com", "", "", "*.ca.example", "", "", uint16(0), uint8(3), int64(100), int64(200), int64(300))
	f.Add("[2001:db8::1]", "present", "", "", "2001:db8::1", "", "", "", "", "", "", uint16(2), uint8(0), int64(0), int64(0), int64(0))
	f.Add("192.0.2.1", "resumed", "", "", "", "", "", "", "", "10.0.0.1", "10.0.0.2", uint16(0xffff), uint8(200), int64(5), int64(1), int64(3))
	f.Add("tool\x00s.cisco.com", "bogus", "toos.cisco.com", "", "", "", "", "", "", "tools.cisco.com", "", uint16(4), uint8(0), int64(0), int64(0), int64(0))
	f.Add("tools.cisco.com", "present", "toos.cisco.com", "tools.cisco.com", "", "tools.cisco.com", "", "", "", "tools.cisco.com", "", uint16(512|16), uint8(1), int64(0), int64(0), int64(0))
	f.Add("192.0.2.1", "present", "", "", "192.0.2.1", "a.example", "", "", "", "", "", uint16(1024), uint8(0), int64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, sni, status, san1, san2, ip, cn, ou, chainCN, chainOU, dns1, dns2 string,
		bits uint16, repeat uint8, notBefore, notAfter, now int64) {
		facts := &Facts{
			SNI:        sni,
			CertStatus: status,
			SANDNS:     []string{san1, san2},
			CNs:        []string{cn},
			OUs:        []string{ou},
			Chain:      []ChainCert{{CN: cn, OU: ou}, {CN: chainCN, OU: chainOU}},
			DNSNames:   []string{dns1, dns2},
			SelfSigned: bits&1 != 0,
			ECH:        bits&2 != 0,
			Resumed:    bits&4 != 0,
			SSLv2:      bits&8 != 0,
			Incomplete: bits&16 != 0,
			NotBefore:  time.Unix(notBefore, 0),
			NotAfter:   time.Unix(notAfter, 0),
			Time:       time.Unix(now, 0),
		}
		if bits&32 != 0 {
			facts.CertStatus = CertPresent
		}
		if bits&64 != 0 {
			facts.CNs, facts.Chain = nil, facts.Chain[1:]
		}
		if bits&128 != 0 {
			facts.SANDNS = nil
		}
		if a, err := netip.ParseAddr(ip); err == nil {
			facts.SANIP = []netip.Addr{a}
		}
		// Long lists and long names must stay cheap.
		for range int(repeat) {
			facts.SANDNS = append(facts.SANDNS, san2)
			facts.DNSNames = append(facts.DNSNames, dns2)
			facts.CNs = append(facts.CNs, cn)
		}
		if bits&256 != 0 {
			facts.SNI = strings.Repeat(sni+".", 300)
		}
		switch {
		case bits&512 != 0:
			facts.SNIStatus = SNIUnknown
		case bits&1024 != 0:
			facts.SNIStatus = SNIAbsent
		}

		profiles := Profiles()
		start := time.Now()
		for _, p := range profiles {
			a := Assess(facts, p, profiles)
			b := Assess(facts, p, profiles)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: two answers:\n%+v\n%+v", p.Name, a, b)
			}
			if len(a.Profiles) != len(profiles) || a.Profiles[0].Profile != p.Name {
				t.Fatalf("%s: profiles %d, first %q", p.Name, len(a.Profiles), a.Profiles[0].Profile)
			}
			for _, d := range a.Profiles {
				checkDecision(t, profiles[indexOf(profiles, d.Profile)], d)
			}
			checkFlagOrder(t, a.Flags)
			if facts.SNIStatus == SNIUnknown || facts.SNIStatus == SNIAbsent {
				// An SNI not seen, or said absent, is never taken nor judged.
				for _, d := range a.Profiles {
					if d.Source == SourceSNI {
						t.Fatalf("%s: SNI status %s, but %s logs the SNI %q", p.Name, facts.SNIStatus, d.Profile, d.Host)
					}
				}
				for _, fl := range a.Flags {
					if fl == FlagSNIMismatch || fl == FlagIPSNI || fl == FlagNoSNI && facts.SNIStatus == SNIUnknown {
						t.Fatalf("%s: SNI status %s, flag %s", p.Name, facts.SNIStatus, fl)
					}
				}
			}
			if facts.SNIStatus == "" && facts.CertStatus == CertPresent && facts.SNI != "" &&
				SNIMatchesCert(facts.SNI, facts.SANDNS, facts.SANIP, facts.CNs) {
				if p.Name == "ftd" && a.Decision.Host != facts.SNI {
					t.Fatalf("ftd: SNI %q matches the certificate but host is %q", facts.SNI, a.Decision.Host)
				}
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("14 assessments took %v", d)
		}
	})
}

func indexOf(ps []Profile, name string) int {
	for i, p := range ps {
		if p.Name == name {
			return i
		}
	}
	return -1
}
