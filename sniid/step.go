package sniid

import (
	"errors"
	"fmt"
	"strings"
)

// Step is one element of a precedence order: which candidate string to try
// and how. The exported steps are those --order accepts.
type Step uint8

// Steps that --order accepts (model §3).
const (
	// StepSNI is the raw SNI, without a spoofed-SNI check.
	StepSNI Step = iota + 1
	// StepSNIChecked ("sni*") is the SNI when present and not spoofed
	// (SNIMatchesCert). Without a certificate the check is impossible and the
	// SNI is taken, as the engine would unless it were spoofed.
	StepSNIChecked
	// StepSAN is the leaf's first dNSName SAN, wildcard kept as written.
	StepSAN
	// StepCN is the leaf subject's first commonName, raw.
	StepCN
	// StepOU is the leaf subject's first organizationalUnitName, raw.
	StepOU

	// stepCNChain ("cn~") is open-source Snort's CN: the first CN walking the
	// chain from the leaf to its issuers, one leading "*." stripped. It reads
	// only what is on the wire: an encrypted or never-sent certificate is
	// absent for the engine as well, not unknown.
	stepCNChain
	// stepSNIVerified ("sni+") is Check Point's SNI: taken only when the
	// certificate covers it, so without a certificate it is unknown.
	stepSNIVerified
)

var stepNames = [...]string{
	StepSNI:         "sni",
	StepSNIChecked:  "sni*",
	StepSAN:         "san",
	StepCN:          "cn",
	StepOU:          "ou",
	stepCNChain:     "cn~",
	stepSNIVerified: "sni+",
}

// String returns the step as written in an order ("sni*"). The two steps
// only built-in profiles use are "cn~" (snort-open's chain walk) and "sni+"
// (checkpoint's verified SNI).
func (s Step) String() string {
	if int(s) < len(stepNames) && stepNames[s] != "" {
		return stepNames[s]
	}
	return fmt.Sprintf("Step(%d)", uint8(s))
}

// Source returns the candidate string the step reads.
func (s Step) Source() Source {
	switch s {
	case StepSNI, StepSNIChecked, stepSNIVerified:
		return SourceSNI
	case StepSAN:
		return SourceSAN
	case StepCN, stepCNChain:
		return SourceCN
	case StepOU:
		return SourceOU
	}
	return SourceNone
}

// orderSteps are the steps ParseOrder accepts, in the order error messages
// list them.
var orderSteps = []Step{StepSNI, StepSNIChecked, StepSAN, StepCN, StepOU}

const orderWant = "(want sni, sni*, san, cn, ou)"

// ParseOrder turns a custom --order list such as "sni*,san,cn" into a
// profile named "custom". Steps are case-insensitive and comma-separated,
// blanks around them are ignored; the list must be non-empty and must not
// repeat a step.
func ParseOrder(list string) (Profile, error) {
	if strings.TrimSpace(list) == "" {
		return Profile{}, errors.New("sniid: empty --order " + orderWant)
	}
	var steps []Step
	var seen [len(stepNames)]bool
	for _, f := range strings.Split(list, ",") {
		name := strings.TrimSpace(f)
		if name == "" {
			return Profile{}, fmt.Errorf("sniid: empty step in --order %q %s", list, orderWant)
		}
		var step Step
		for _, s := range orderSteps {
			if strings.EqualFold(name, s.String()) {
				step = s
				break
			}
		}
		if step == 0 {
			return Profile{}, fmt.Errorf("sniid: unknown step %q in --order %s", name, orderWant)
		}
		if seen[step] {
			return Profile{}, fmt.Errorf("sniid: duplicate step %q in --order", step.String())
		}
		seen[step] = true
		steps = append(steps, step)
	}
	p := Profile{Name: "custom", Steps: steps}
	p.Description = "custom order: " + p.Order()
	return p, nil
}
