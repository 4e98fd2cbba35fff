package report

import (
	"fmt"

	"github.com/tsid-project/tsid/analysis"
)

// SummaryLine is the run's summary as one line, as the table ends with
// and stderr shows for JSON and CSV.
func SummaryLine(s *analysis.Summary) string {
	l := fmt.Sprintf("files %d, packets %d, TCP connections %d, TLS connections %d, without SNI %d",
		s.Files, s.Packets, s.TCPConns, s.TLS, s.NoSNI)
	if s.SNIUnknown > 0 {
		l += fmt.Sprintf(", SNI unknown %d", s.SNIUnknown)
	}
	l += fmt.Sprintf(", flagged %d, evicted %d", s.Flagged, s.Evicted)
	if s.Probes > 0 {
		l += fmt.Sprintf(", probes %d", s.Probes)
	}
	if s.Tunnelled > 0 {
		l += fmt.Sprintf(", tunnelled packets %d", s.Tunnelled)
	}
	if s.UnknownTags > 0 {
		l += fmt.Sprintf(", packets with unknown tags skipped %d", s.UnknownTags)
	}
	if s.Join {
		l += fmt.Sprintf(", joined %d", s.Joined)
		if s.Joined > 0 {
			l += fmt.Sprintf(" (at %d capture points)", s.Points)
		}
	}
	if s.Events {
		l += fmt.Sprintf(", events read %d, joined %d, not joined %d, %s %d", s.EventsRead, s.EventsJoined,
			s.EventsRead-s.EventsJoined, analysis.FlagLoggedDiffers, s.LoggedDiffers)
	}
	if s.Rules {
		l += fmt.Sprintf(", %s %d, %s %d, %s %d", analysis.FlagVerdictDiffers, s.VerdictDiffers,
			analysis.FlagProfilesVerdictDiffers, s.ProfilesVerdictDiffers, analysis.FlagRuleUnspecified, s.RuleUnspecified)
	}
	return l
}
