package sniid

// Flags, in the fixed order Assessment.Flags lists them. A flag with detail
// is written "name:detail" (only FlagNearMiss has one).
const (
	FlagNoSNI            = "no-sni"             // the ClientHello, read whole, had no SNI
	FlagSNIMismatch      = "sni-mismatch"       // the certificate covers none of the SNI (§2)
	FlagNearMiss         = "near-miss"          // "near-miss:<meant>": the logged host is a misspelling of a meant name or the CN
	FlagHostDiffers      = "host-differs"       // the logged host is not a name the client meant
	FlagProfilesDisagree = "profiles-disagree"  // decided profiles log different hosts
	FlagWildcard         = "wildcard"           // the logged host or the leaf CN has a '*' label
	FlagIPSNI            = "ip-sni"             // the SNI is an IP literal
	FlagECH              = "ech"                // encrypted ClientHello: the SNI is the outer name
	FlagResumed          = "resumed"            // resumed session
	FlagCertEncrypted    = "cert-encrypted"     // TLS 1.3: the certificate is encrypted
	FlagProbed           = "probed"             // the certificate is not the connection's: tsid's own probe of the server read it (CertProbed)
	FlagSelfSigned       = "self-signed"        // the leaf is self-signed
	FlagCertExpired      = "cert-expired"       // Facts.Time is after the leaf's NotAfter
	FlagCertNotYetValid  = "cert-not-yet-valid" // Facts.Time is before the leaf's NotBefore
	FlagIncomplete       = "incomplete"         // the handshake was not captured completely
	FlagSSLv2Hello       = "sslv2-hello"        // SSLv2-compatible ClientHello
)

// FlagOrder lists the flag names in the order Assessment.Flags uses.
var FlagOrder = []string{
	FlagNoSNI, FlagSNIMismatch, FlagNearMiss, FlagHostDiffers, FlagProfilesDisagree,
	FlagWildcard, FlagIPSNI, FlagECH, FlagResumed, FlagCertEncrypted, FlagProbed, FlagSelfSigned,
	FlagCertExpired, FlagCertNotYetValid, FlagIncomplete, FlagSSLv2Hello,
}

// Assessment is what tsid tells a user about one connection (model §7).
type Assessment struct {
	Decision Decision   // under the chosen profile
	Flags    []string   // in FlagOrder; nil when there is nothing to say
	Profiles []Decision // the chosen profile first, then each of the others
}

// Assess decides f under p and under others (a profile in others with p's
// name is skipped) and flags what makes the prediction unsafe. f == nil is
// an empty Facts.
func Assess(f *Facts, p Profile, others []Profile) Assessment {
	return assess(f, p, others, true, nil)
}

// AssessBrief is Assess without the traces (every Decision.Trace is nil):
// what a caller that does not explain its decisions needs, for less.
// Assessment.Profiles is appended to room[:0], which a caller deciding
// many connections one after another may reuse (nil: a new slice).
func AssessBrief(f *Facts, p Profile, others []Profile, room []Decision) Assessment {
	return assess(f, p, others, false, room)
}

func assess(f *Facts, p Profile, others []Profile, trace bool, room []Decision) Assessment {
	if f == nil {
		f = &Facts{}
	}
	if cap(room) < 1+len(others) {
		room = make([]Decision, 0, 1+len(others))
	}
	a := Assessment{Profiles: room[:0]}
	// One backing array for every trace; each decision gets a full slice
	// expression so that its trace cannot grow into the next one.
	var buf []TraceStep
	if trace {
		n := len(p.Steps)
		for _, o := range others {
			n += len(o.Steps)
		}
		buf = make([]TraceStep, n)
	}
	next := func(q Profile) Decision {
		if !trace {
			return q.decide(f, nil)
		}
		d := q.decide(f, buf[:0:len(q.Steps)])
		buf = buf[len(q.Steps):]
		return d
	}
	a.Decision = next(p)
	a.Profiles = append(a.Profiles, a.Decision)
	disagree := false
	for _, o := range others {
		if o.Name == p.Name {
			continue
		}
		d := next(o)
		a.Profiles = append(a.Profiles, d)
		if a.Decision.Unknown == "" && d.Unknown == "" && !equalFold(a.Decision.Host, d.Host) {
			disagree = true
		}
	}

	cert := f.certPresent()
	host := a.Decision.Host
	add := func(flag string) {
		if a.Flags == nil {
			a.Flags = make([]string, 0, 6)
		}
		a.Flags = append(a.Flags, flag)
	}

	sni := f.sni()
	switch {
	case f.sniUnknown():
		// Not seen is not absent: nothing is said of the SNI.
	case sni == "":
		add(FlagNoSNI)
	case cert && !SNIMatchesCert(sni, f.SANDNS, f.SANIP, f.CNs):
		add(FlagSNIMismatch)
	}
	if host != "" {
		var room [4]string
		names := f.appendMeant(room[:0])
		meant, isMeant := meantNames(names, host)
		if !isMeant {
			if name := nearestMissIn(f, names, host, cert); name != "" {
				add(FlagNearMiss + ":" + quoteIfOdd(name))
			}
		}
		if meant && !isMeant {
			add(FlagHostDiffers)
		}
	}
	if disagree {
		add(FlagProfilesDisagree)
	}
	if hasWildcardLabel(host) || cert && len(f.CNs) > 0 && hasWildcardLabel(f.CNs[0]) {
		add(FlagWildcard)
	}
	if _, ok := parseIP(sni); ok {
		add(FlagIPSNI)
	}
	if f.ECH {
		add(FlagECH)
	}
	if f.Resumed {
		add(FlagResumed)
	}
	if f.CertStatus == CertEncrypted {
		add(FlagCertEncrypted)
	}
	if f.CertStatus == CertProbed {
		add(FlagProbed)
	}
	if cert && f.SelfSigned {
		add(FlagSelfSigned)
	}
	if cert && !f.Time.IsZero() {
		if !f.NotAfter.IsZero() && f.Time.After(f.NotAfter) {
			add(FlagCertExpired)
		}
		if !f.NotBefore.IsZero() && f.Time.Before(f.NotBefore) {
			add(FlagCertNotYetValid)
		}
	}
	if f.Incomplete || f.CertStatus == CertIncomplete {
		add(FlagIncomplete)
	}
	if f.SSLv2 {
		add(FlagSSLv2Hello)
	}
	return a
}

// meantNames reports whether the client meant any name (Facts.Meant) and
// whether host is one of them (ASCII case-insensitive, one trailing dot
// ignored; a wildcard host is never one).
func meantNames(meant []string, host string) (any, isMeant bool) {
	wild := hasWildcardLabel(host)
	for _, n := range meant {
		if !wild && host != "" && sameName(n, host) {
			isMeant = true
		}
	}
	return len(meant) > 0, isMeant
}

// nearestMiss returns the name host is a near-miss of: the closest of the
// names the client meant (Facts.Meant: SNI, then DNS names) and the leaf
// CNs, earlier ones winning ties; "" when there is none. Wildcards are never part of a
// near-miss: "*.example.com" differs from "a.example.com" (and snort-open's
// stripped "example.com" from "*.example.com") by design, not by a typo.
func nearestMiss(f *Facts, host string, cert bool) string {
	return nearestMissIn(f, f.Meant(), host, cert)
}

// nearestMissIn is nearestMiss with the names meant given.
func nearestMissIn(f *Facts, meant []string, host string, cert bool) string {
	if hasWildcardLabel(host) {
		return ""
	}
	if _, ok := parseIP(host); ok {
		return ""
	}
	best, bestD := "", maxNearDistance+1
	rh, rhDone := "", false
	try := func(n string) {
		if n == "" || hasWildcardLabel(n) {
			return
		}
		d := nearDistance(host, n)
		if d <= 0 || d >= bestD {
			return
		}
		if !rhDone {
			rh, rhDone = registrable(host), true
		}
		if rh != "" && equalFold(rh, registrable(n)) {
			best, bestD = n, d
		}
	}
	for _, n := range meant {
		try(n)
	}
	if cert {
		for i, n := range f.CNs {
			if i == maxMeant {
				break
			}
			try(n)
		}
	}
	return best
}
