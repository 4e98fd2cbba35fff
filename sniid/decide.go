package sniid

import "strconv"

// Decision is the host one profile logs for one connection.
type Decision struct {
	Profile string // the profile's Name
	Host    string // the logged host, raw; "" when none or unknown
	Source  Source // where Host came from; SourceNone when Host is ""
	// Unknown says why the profile's result cannot be known from the capture
	// (a step needs the certificate, or the SNI, and the capture does not
	// have it: NeedsSNI). "" means decided: then an empty Host means no
	// candidate was available.
	Unknown string
	Trace   []TraceStep // one entry per step tried, in order
}

// TraceStep explains one step of a decision.
type TraceStep struct {
	Field string `json:"field"` // the step as written in an order: "sni*", "san", "cn~", …
	Value string `json:"value"` // the candidate string the step saw, raw; "" if none
	Taken bool   `json:"taken"` // this step produced the logged host
	// Unknown: the step cannot be decided from the capture (it needs the
	// certificate, or an SNI the capture did not show whole); the walk
	// stops there.
	Unknown bool   `json:"unknown,omitempty"`
	Why     string `json:"why"` // why taken, skipped or undecidable
}

// NeedsSNI is Decision.Unknown when a step needs the SNI and the capture
// did not show the ClientHello whole (Facts.SNIStatus SNIUnknown).
const NeedsSNI = "needs the SNI, which the capture did not show whole"

// sniUnknownWhy is the trace reason of a step that needs an unknown SNI.
const sniUnknownWhy = "unknown: the ClientHello is not in the capture whole"

type outcome uint8

const (
	skipped outcome = iota
	taken
	unknown
)

// Decide walks p's steps over f and returns the first candidate a step
// takes. A step that needs the certificate when f has none, or the SNI when
// f.SNIStatus is SNIUnknown, stops the walk with Decision.Unknown set: whether the firewall would have found a name
// there cannot be known, so nothing after it is guessed. f == nil is an
// empty Facts.
func (p Profile) Decide(f *Facts) Decision {
	if f == nil {
		f = &Facts{}
	}
	return p.decide(f, make([]TraceStep, 0, len(p.Steps)))
}

// decide is Decide appending the trace to buf, so that Assess can give all
// profiles one backing array; a nil buf keeps no trace. f is not nil.
func (p Profile) decide(f *Facts, buf []TraceStep) Decision {
	if p.WireOnly && f.CertStatus == CertProbed {
		// tsid's own probe read the certificate; an engine that reads only
		// the wire never sees it (TLS 1.3 encrypts it, a resumed session
		// sends none) and does not probe.
		g := *f
		g.CertStatus = certOffWire
		f = &g
	}
	d := Decision{Profile: p.Name, Trace: buf}
	for _, s := range p.Steps {
		ts, out, why := s.eval(f, buf != nil)
		if buf != nil {
			d.Trace = append(d.Trace, ts)
		}
		switch out {
		case taken:
			d.Host, d.Source = ts.Value, s.Source()
			return d
		case unknown:
			if buf != nil {
				d.Trace[len(d.Trace)-1].Unknown = true
			}
			d.Unknown = why
			return d
		}
	}
	return d
}

// eval runs one step. For an unknown outcome the third result is the short
// reason that becomes Decision.Unknown. Without trace, the reasons that
// would need a string built (TraceStep.Why naming a value) are left out:
// only a trace shows them, and a decision without one is made for every
// connection of a capture.
func (s Step) eval(f *Facts, trace bool) (TraceStep, outcome, string) {
	ts := TraceStep{Field: s.String()}
	switch s {
	case StepSNI:
		if f.sniUnknown() {
			ts.Why = sniUnknownWhy
			return ts, unknown, NeedsSNI
		}
		sni := f.sni()
		if sni == "" {
			ts.Why = "absent"
			return ts, skipped, ""
		}
		ts.Value, ts.Taken, ts.Why = sni, true, "present (raw, no spoof check)"
		return ts, taken, ""

	case StepSNIChecked, stepSNIVerified:
		if f.sniUnknown() {
			ts.Why = sniUnknownWhy
			return ts, unknown, NeedsSNI
		}
		sni := f.sni()
		if sni == "" {
			ts.Why = "absent"
			return ts, skipped, ""
		}
		ts.Value = sni
		if !f.certPresent() {
			gap := certUnavailable(f.CertStatus)
			if s == stepSNIVerified {
				ts.Why = gap.whyVerify
				return ts, unknown, gap.needsVerify
			}
			ts.Taken = true
			ts.Why = gap.whySpoof
			return ts, taken, ""
		}
		_, isIP := parseIP(sni)
		if name, ok := matchCert(sni, f.SANDNS, f.SANIP, f.CNs); ok {
			ts.Taken = true
			if !trace {
				return ts, taken, ""
			}
			if isIP {
				ts.Why = "matches the certificate's iPAddress SAN " + name
			} else {
				ts.Why = "matches the certificate name " + quoteIfOdd(name)
			}
			ts.Why += fromProbe(f)
			return ts, taken, ""
		}
		if !trace {
			return ts, skipped, ""
		}
		var why string
		switch names := certNames(sni, f); {
		case names != "":
			why = "matches none of the certificate names " + names
		case isIP:
			why = "an IP literal, and the certificate has no iPAddress SAN"
		default:
			why = "the certificate has no dNSName SAN and no CN"
		}
		if s == stepSNIVerified {
			ts.Why = "not covered: " + why
		} else {
			ts.Why = "spoofed: " + why
		}
		ts.Why += fromProbe(f)
		return ts, skipped, ""

	case StepSAN, StepCN, StepOU:
		if !f.certPresent() {
			gap := certUnavailable(f.CertStatus)
			ts.Why = gap.why
			return ts, unknown, gap.needs
		}
		var list []string
		var what string
		switch s {
		case StepSAN:
			list, what = f.SANDNS, "no dNSName in the subjectAltName"
		case StepCN:
			list, what = f.CNs, "no CN in the subject"
		default:
			list, what = f.OUs, "no OU in the subject"
		}
		if len(list) == 0 {
			ts.Why = "absent: " + what
			return ts, skipped, ""
		}
		ts.Value = list[0]
		if ts.Value == "" {
			ts.Why = "empty"
			return ts, skipped, ""
		}
		ts.Taken, ts.Why = true, "first in the leaf certificate"
		if s == StepSAN && len(f.SANDNS) > 1 {
			ts.Why = firstOf(len(f.SANDNS))
		}
		if trace {
			ts.Why += fromProbe(f)
		}
		return ts, taken, ""

	case stepCNChain:
		return evalCNChain(f, ts)
	}
	ts.Why = "unknown step"
	return ts, skipped, ""
}

// evalCNChain is open-source Snort's CN: the first CN walking the chain from
// the leaf to its issuers, one leading "*." stripped. The engine reads only
// the wire, so a certificate that was encrypted or never sent is absent for
// it as well (model §3: "TLS 1.3 gives SNI only"); only a certificate the
// capture lost leaves the result unknown.
func evalCNChain(f *Facts, ts TraceStep) (TraceStep, outcome, string) {
	switch f.CertStatus {
	case CertPresent, CertProbed:
	case CertEncrypted:
		ts.Why = "certificate encrypted (TLS 1.3): the engine cannot read it either"
		return ts, skipped, ""
	case CertResumed:
		ts.Why = "resumed session: no certificate on the wire for the engine either"
		return ts, skipped, ""
	case certOffWire:
		if f.Resumed {
			ts.Why = "resumed session: no certificate on the wire for the engine (tsid's probe read one; the engine does not probe)"
		} else {
			ts.Why = "certificate encrypted (TLS 1.3): the engine cannot read it (tsid's probe did; the engine does not probe)"
		}
		return ts, skipped, ""
	default:
		gap := certUnavailable(f.CertStatus)
		ts.Why = gap.why
		return ts, unknown, gap.needs
	}
	cn, at := "", -1
	if len(f.Chain) == 0 {
		if len(f.CNs) > 0 && f.CNs[0] != "" {
			cn, at = f.CNs[0], 0
		}
	} else {
		for i, c := range f.Chain {
			if c.CN != "" {
				cn, at = c.CN, i
				break
			}
		}
	}
	if at < 0 {
		ts.Why = "absent: no CN anywhere in the chain"
		return ts, skipped, ""
	}
	ts.Why = "leaf CN"
	if at > 0 {
		ts.Why = "leaf has no CN; CN of chain certificate " + strconv.Itoa(at+1) + " (an issuer)"
	}
	if rest, ok := cutWildcard(cn); ok {
		cn = rest
		ts.Why += `; leading "*." stripped`
	}
	ts.Value = cn
	if cn == "" {
		ts.Why += "; empty"
		return ts, skipped, ""
	}
	ts.Taken = true
	return ts, taken, ""
}

// cutWildcard strips one leading "*.".
func cutWildcard(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '*' && s[1] == '.' {
		return s[2:], true
	}
	return s, false
}

// certUnavailable explains a CertStatus other than CertPresent.
func certUnavailable(status string) *certGap {
	switch status {
	case CertEncrypted:
		return &gapEncrypted
	case CertResumed:
		return &gapResumed
	case CertIncomplete:
		return &gapIncomplete
	case CertMissing, "":
		return &gapMissing
	case certOffWire:
		return &gapOffWire
	}
	q := quoteIfOdd(status)
	g := newCertGap("certificate not in capture (status "+q+")", "status "+q, ", which is not in the capture")
	return &g
}

// certGap is what the steps say of a certificate the capture did not
// show, composed once per status rather than once per connection.
type certGap struct {
	why         string // the step's reason
	needs       string // Decision.Unknown of a step that reads the certificate
	needsVerify string // Decision.Unknown of SNI verified against it
	whyVerify   string // the reason of SNI verified against it
	whySpoof    string // the reason of SNI taken unchecked
}

// newCertGap composes the reasons from the step's reason, the status in a
// few words and the tail of the Unknown reason (", which is …").
func newCertGap(why, cause, which string) certGap {
	return certGap{
		why:         why,
		needs:       "needs the certificate" + which,
		needsVerify: "needs the certificate to verify the SNI" + which,
		whyVerify:   why + ": cannot verify the SNI",
		whySpoof:    "present; spoof check impossible without the certificate (" + cause + ")",
	}
}

var (
	gapEncrypted  = newCertGap("certificate not in capture (encrypted, TLS 1.3)", "encrypted, TLS 1.3", ", which is encrypted (TLS 1.3)")
	gapResumed    = newCertGap("resumed session: no certificate", "resumed session", "; the session was resumed without one")
	gapIncomplete = newCertGap("certificate not in capture (capture incomplete)", "capture incomplete", ", which the capture lost (incomplete)")
	gapMissing    = newCertGap("certificate not in capture", "not in capture", ", which is not in the capture")
	gapOffWire    = newCertGap("certificate not on the wire (tsid's probe read it; this engine does not probe)",
		"not on the wire, and the engine does not probe", ", which is not on the wire; this engine does not fetch it as tsid's probe did")
)

// certOffWire is the CertStatus a WireOnly profile decides with when the
// certificate was probed (CertProbed): what its engine saw of it is
// nothing. Never a caller's Facts value.
const certOffWire = "\x00probed, not on the wire"

// fromProbe is what a step's reason adds when the certificate it read
// came from tsid's probe of the server, not from the connection.
func fromProbe(f *Facts) string {
	if f.CertStatus == CertProbed {
		return " (certificate from tsid's probe of the server)"
	}
	return ""
}

// firstOfSmall holds the common SAN-count explanations, so that a decision
// on an ordinary certificate does not build a string.
var firstOfSmall = func() (t [17]string) {
	for n := 2; n < len(t); n++ {
		t[n] = "first of " + strconv.Itoa(n) + " dNSNames in the leaf certificate"
	}
	return t
}()

func firstOf(n int) string {
	if n < len(firstOfSmall) {
		return firstOfSmall[n]
	}
	return "first of " + strconv.Itoa(n) + " dNSNames in the leaf certificate"
}
