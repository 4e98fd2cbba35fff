package sniid

import (
	"fmt"
	"strings"
)

// Profile is a precedence order that models one firewall (model §3).
type Profile struct {
	Name        string // "ftd", "snort3", …, or "custom" from ParseOrder
	Description string // one line, for --help and the README
	Steps       []Step
	// WireOnly: the engine names a server from what crosses the wire and
	// never fetches a certificate itself. A certificate tsid's own probe
	// read (CertProbed) is then not there for it: it decides as if the
	// certificate were still encrypted or never sent. TSID (ftd, snort3,
	// cisco-doc) probes; so, assumed, do FortiGate's certificate
	// inspection and Check Point's SNI verification; a custom order is
	// taken to model an engine that probes.
	WireOnly bool
}

// Order returns the steps as a comma-separated list ("sni*,san,cn").
func (p Profile) Order() string {
	var b strings.Builder
	for i, s := range p.Steps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// builtin is the table of the model's profiles (model §3), in doc order.
var builtin = []Profile{
	{
		Name:        "ftd",
		Description: "Cisco FTD with TSID (Snort 2, Snort 3 before 3.9.5.0): SNI unless spoofed, first SAN, CN",
		Steps:       []Step{StepSNIChecked, StepSAN, StepCN},
	},
	{
		Name:        "snort3",
		Description: "Cisco FTD with TSID on Snort 3.9.5.0 and later: SNI unless spoofed, CN, first SAN",
		Steps:       []Step{StepSNIChecked, StepCN, StepSAN},
	},
	{
		Name:        "snort-open",
		Description: "open-source Snort 3, no TSID: raw SNI, then CN walking the chain (\"*.\" stripped); never SAN",
		Steps:       []Step{StepSNI, stepCNChain},
		WireOnly:    true,
	},
	{
		Name:        "cisco-doc",
		Description: "Cisco TSID documentation and TAC note: CN, first SAN, OU, raw SNI",
		Steps:       []Step{StepCN, StepSAN, StepOU, StepSNI},
	},
	{
		Name:        "paloalto",
		Description: "Palo Alto PAN-OS without decryption: raw SNI, then CN",
		Steps:       []Step{StepSNI, StepCN},
		WireOnly:    true, // assumption: PAN-OS without decryption does not probe
	},
	{
		Name:        "fortinet",
		Description: "FortiGate certificate inspection with SNI check: SNI unless spoofed, CN, first SAN",
		Steps:       []Step{StepSNIChecked, StepCN, StepSAN},
	},
	{
		Name:        "checkpoint",
		Description: "Check Point R80.30+: SNI only if the certificate covers it, then CN",
		Steps:       []Step{stepSNIVerified, StepCN},
	},
}

// Profiles returns the built-in profiles in doc order, ftd (the default)
// first. The result is a fresh copy.
func Profiles() []Profile {
	out := make([]Profile, len(builtin))
	for i, p := range builtin {
		p.Steps = append([]Step(nil), p.Steps...)
		out[i] = p
	}
	return out
}

// Lookup returns the built-in profile called name (case-insensitive).
func Lookup(name string) (Profile, error) {
	n := strings.TrimSpace(name)
	for _, p := range builtin {
		if strings.EqualFold(p.Name, n) {
			p.Steps = append([]Step(nil), p.Steps...)
			return p, nil
		}
	}
	names := make([]string, len(builtin))
	for i, p := range builtin {
		names[i] = p.Name
	}
	return Profile{}, fmt.Errorf("sniid: unknown profile %q (want %s)", name, strings.Join(names, ", "))
}
