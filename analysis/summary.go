package analysis

import "slices"

// Summary counts what a run saw.
type Summary struct {
	Files                      int
	Packets, TCPConns, Evicted uint64
	TLS                        int // client TLS connections (TSID probes apart)
	NoSNI                      int // ClientHello read whole, without an SNI
	SNIUnknown                 int // ClientHello not read whole: not counted in NoSNI
	Flagged                    int // records with at least one warning flag (IsWarning)

	Probes int // TSID probes, not in TLS

	// Packets that came out of an IP tunnel, and packets with a tag of
	// unknown EtherType that was skipped.
	Tunnelled, UnknownTags uint64

	// With Options.Join: connections seen at several capture points, and
	// their points. TLS and the other counts count each such connection once.
	Join           bool
	Joined, Points int

	// With Options.Events: the events indexed (EventsRead) and joined to a
	// record by the end of the run, the records joined to an event
	// (Logged) and those among them flagged logged-differs.
	Events                   bool
	EventsRead, EventsJoined int
	Logged, LoggedDiffers    int
	// LoggedCompared counts the records whose logged host could be
	// compared with the prediction (both known).
	LoggedCompared int

	// With Options.Policy: the connections with each of the rule flags.
	Rules                                                   bool
	VerdictDiffers, ProfilesVerdictDiffers, RuleUnspecified int
}

// Count returns the connections counted with one of the rule flags.
func (s *Summary) Count(flag string) int {
	switch flag {
	case FlagVerdictDiffers:
		return s.VerdictDiffers
	case FlagProfilesVerdictDiffers:
		return s.ProfilesVerdictDiffers
	case FlagRuleUnspecified:
		return s.RuleUnspecified
	case FlagLoggedDiffers:
		return s.LoggedDiffers
	}
	return 0
}

// countRecord counts one client connection's record; rules: count the
// rule flags too.
func (s *Summary) countRecord(r *Record, rules bool) {
	s.TLS++
	switch r.SNIStatus {
	case SNIAbsent:
		s.NoSNI++
	case SNIUnknown:
		s.SNIUnknown++
	}
	if HasWarning(r.Flags) {
		s.Flagged++
	}
	if r.Logged != nil {
		s.Logged++
		if r.Logged.Host != "" && r.HostUnknown == "" {
			s.LoggedCompared++
		}
		if slices.Contains(r.Flags, FlagLoggedDiffers) {
			s.LoggedDiffers++
		}
	}
	if !rules {
		return
	}
	for _, f := range r.Flags {
		switch f {
		case FlagVerdictDiffers:
			s.VerdictDiffers++
		case FlagProfilesVerdictDiffers:
			s.ProfilesVerdictDiffers++
		case FlagRuleUnspecified:
			s.RuleUnspecified++
		}
	}
}

// sub takes off s the counts of records that now minus before holds.
func (s *Summary) sub(now, before *Summary) {
	s.TLS -= now.TLS - before.TLS
	s.NoSNI -= now.NoSNI - before.NoSNI
	s.SNIUnknown -= now.SNIUnknown - before.SNIUnknown
	s.Flagged -= now.Flagged - before.Flagged
	s.Logged -= now.Logged - before.Logged
	s.LoggedDiffers -= now.LoggedDiffers - before.LoggedDiffers
	s.LoggedCompared -= now.LoggedCompared - before.LoggedCompared
	s.VerdictDiffers -= now.VerdictDiffers - before.VerdictDiffers
	s.ProfilesVerdictDiffers -= now.ProfilesVerdictDiffers - before.ProfilesVerdictDiffers
	s.RuleUnspecified -= now.RuleUnspecified - before.RuleUnspecified
}

// add adds the counts of o, another file's.
func (s *Summary) add(o *Summary) {
	s.Files += o.Files
	s.Packets += o.Packets
	s.TCPConns += o.TCPConns
	s.Evicted += o.Evicted
	s.TLS += o.TLS
	s.NoSNI += o.NoSNI
	s.SNIUnknown += o.SNIUnknown
	s.Flagged += o.Flagged
	s.Logged += o.Logged
	s.LoggedDiffers += o.LoggedDiffers
	s.LoggedCompared += o.LoggedCompared
	s.Probes += o.Probes
	s.Tunnelled += o.Tunnelled
	s.UnknownTags += o.UnknownTags
	s.VerdictDiffers += o.VerdictDiffers
	s.ProfilesVerdictDiffers += o.ProfilesVerdictDiffers
	s.RuleUnspecified += o.RuleUnspecified
}
