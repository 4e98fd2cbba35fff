package analysis

import (
	"strings"

	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/tlsparse"
)

// The flags a Record carries beyond sniid's (sniid.FlagOrder), each added
// where the fact it needs is known: the record (odd-name,
// overlap-conflict), the URL policy's verdicts (flags.go's rule flags,
// decided in judge), and joining across files (join.go), which only the
// last file can decide.
const (
	// FlagOddName: the SNI or the logged host holds a byte that is not
	// printable ASCII (see oddName).
	FlagOddName = "odd-name"
	// FlagOverlapConflict: overlapping TCP segments carried different bytes.
	FlagOverlapConflict = "overlap-conflict"

	// With URL rules, after those.
	FlagVerdictDiffers         = "verdict-differs"          // the logged host gets another action than the name meant
	FlagProfilesVerdictDiffers = "profiles-verdict-differs" // the action depends on the firewall behaviour
	FlagRuleUnspecified        = "rule-unspecified"         // the action depends on what the vendor does not document

	// With Options.Events: the firewall logged another host than the
	// profile in use predicts (checkLogged).
	FlagLoggedDiffers = "logged-differs"

	// With Options.Join.
	FlagCertDiffers = "cert-differs-across-captures" // another leaf certificate at another capture point
	FlagSNIDiffers  = "sni-differs-across-captures"  // another SNI at another capture point
)

// Anomalies the analysis adds (the parsers' own come with them).
const (
	// AnomalyServerNotCaptured: the capture holds nothing the server sent,
	// though the client spoke TLS to it (a one-way capture: asymmetric
	// routing, a SPAN of one direction). Whatever the server answered is
	// unknown, not missing.
	AnomalyServerNotCaptured = "server-not-captured"
	// AnomalyJoinedByTiming: some capture points were joined by SNI, server
	// port and time, not by the ClientHello random.
	AnomalyJoinedByTiming = "joined-by-timing"
)

// Record.SNIStatus values (tlsparse.SNIStatus).
const (
	SNIPresent = string(tlsparse.SNIPresent)
	SNIAbsent  = string(tlsparse.SNIAbsent)
	SNIUnknown = string(tlsparse.SNIUnknown)
)

// RoleProbe is Record.Role of a TSID probe: the firewall's own connection.
const RoleProbe = "tsid-probe"

// CertFromProbe is the cert_status of a client connection whose
// certificate comes from its TSID probe.
const CertFromProbe = "from-probe"

// CertProbed is the cert_status of a connection whose certificate the
// capture could not show (TLS 1.3, resumption) and tsid's own probe of the
// server read (Options.ProbeMissing, tsid probe over TLS 1.3).
const CertProbed = string(tlsparse.CertProbed)

// Flags come in two kinds. A warning is what can make a URL rule miss or a
// prediction wrong: the connection deserves a look. A note is a fact worth
// knowing that changes neither (a TLS 1.3 certificate is encrypted, a
// session resumed, a wildcard). --only-flagged and the summary's
// "flagged" count the warnings.
var noteFlags = map[string]bool{
	sniid.FlagCertEncrypted: true,
	sniid.FlagProbed:        true,
	sniid.FlagResumed:       true,
	sniid.FlagWildcard:      true,
	sniid.FlagIPSNI:         true,
	sniid.FlagSelfSigned:    true,
	sniid.FlagSSLv2Hello:    true,
}

// IsWarning reports whether a flag is a warning (else a note); a flag
// with a value (near-miss:NAME) is judged by its name.
func IsWarning(flag string) bool {
	name, _, _ := strings.Cut(flag, ":")
	return !noteFlags[name]
}

// HasWarning reports whether flags hold a warning.
func HasWarning(flags []string) bool {
	for _, f := range flags {
		if IsWarning(f) {
			return true
		}
	}
	return false
}
