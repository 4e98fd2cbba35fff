package analysis

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/urlrules"
)

// Options say what an Analyzer reports. The zero value analyzes under
// the ftd profile with nothing extra.
type Options struct {
	// Profile decides Record.Host, HostSource and the flags; a Profile with
	// no Name is ftd. The others are compared with it (profiles-disagree).
	Profile sniid.Profile
	// AllProfiles fills Record.Profiles with every built-in profile's
	// result (--profile all).
	AllProfiles bool
	// Policy, when not nil, judges each connection's names: Record.Verdict,
	// IntendedVerdict and the flags verdict-differs,
	// profiles-verdict-differs and rule-unspecified.
	Policy *urlrules.Policy
	// Events, when not nil, joins each record to what the firewall logged
	// of its connection: Record.Logged, the flag logged-differs and, with
	// AllProfiles, HostPick.Agrees. It must be filled before the run.
	Events *Events
	// Explain fills Record.Explain: every candidate name and every step.
	Explain bool
	// Join reports a connection seen in several files once, with
	// Record.Captures (see join.go); Files only.
	Join bool
	// MaxJoin bounds the records held for joining; past it the rest are
	// handed on as they come, unjoined, with a warning. 0: 1,000,000.
	MaxJoin int
	// OnlyFlagged passes on only the records with at least one warning
	// flag (IsWarning; notes such as cert-encrypted do not count).
	OnlyFlagged bool
	// OnlyFlags, when not empty, passes on only the records with at least
	// one of these flags (by name: near-miss matches near-miss:NAME).
	OnlyFlags []string
	// TextDate dates the times of day of ASA/FTD text captures; zero: the
	// file's modification date (today for a reader), said through Warn.
	TextDate time.Time
	// SpoolRecords is how many records of a file analyzed ahead of its
	// turn (Files with jobs > 1) are kept in memory; the rest wait in a
	// temporary file. 0: 4096.
	SpoolRecords int
	// Warn receives notes and warnings as one line each (a text capture's
	// date and warnings, the join cap). It is called from the goroutines
	// that analyze files, one call at a time; nil drops them.
	Warn func(msg string)
	// ProbeMissing, when not nil, is asked for the certificate of each TCP
	// connection whose certificate TLS kept from the capture (cert_status
	// encrypted or resumed), as TSID's own probe connection would get it:
	// once per server address and SNI per Analyzer (see probed.go), also
	// for Analyzer.Record. Nil, the default, keeps the analysis offline.
	ProbeMissing CertSource
}

// Analyzer runs captures through reassembly, the TLS observer and the
// identity model, and hands the records on in order. It is safe for
// concurrent use: besides its options it holds only atomic counters, which
// a progress display may read while it runs.
type Analyzer struct {
	opts   Options
	chosen sniid.Profile   // decides host/host_source and the flags
	others []sniid.Profile // compared against for profiles-disagree
	warnMu sync.Mutex      // one Warn call at a time
	probes probeCache      // Options.ProbeMissing's answers, once per server and SNI

	bytesRead atomic.Int64 // capture bytes read so far (compressed, for gzip)
	tlsFound  atomic.Int64 // TLS connections found so far
}

// New returns an Analyzer with options o.
func New(o Options) *Analyzer {
	an := &Analyzer{opts: o, chosen: o.Profile}
	if an.chosen.Name == "" {
		an.chosen = sniid.Profiles()[0]
	}
	for _, p := range sniid.Profiles() {
		if p.Name != an.chosen.Name {
			an.others = append(an.others, p)
		}
	}
	return an
}

// Profile is the profile that decides Record.Host.
func (an *Analyzer) Profile() sniid.Profile { return an.chosen }

// BytesRead is how many capture bytes were read so far (compressed bytes
// for gzip), for a progress display.
func (an *Analyzer) BytesRead() int64 { return an.bytesRead.Load() }

// TLSFound is how many client TLS connections were found so far.
func (an *Analyzer) TLSFound() int64 { return an.tlsFound.Load() }

// Analyze reads one capture from r (pcap, pcapng or ASA/FTD text, gzip or
// not; name is used in errors and in Record.File) and hands each record
// to emit, in order of the connection's first packet, on one goroutine.
// It returns the capture's counters and, when the capture could not be
// read whole, a *FileError: the records read before the damage are
// handed on all the same.
func (an *Analyzer) Analyze(ctx context.Context, name string, r io.Reader, emit func(*Record)) (Summary, error) {
	sum, err := an.file(ctx, name, r, func(rec *Record) {
		if an.pass(rec) {
			emit(rec)
		}
	})
	sum.Rules = an.opts.Policy != nil
	an.eventCounts(&sum)
	return sum, err
}

// eventCounts adds Options.Events' counts to a run's summary.
func (an *Analyzer) eventCounts(s *Summary) {
	if ev := an.opts.Events; ev != nil {
		s.Events, s.EventsRead, s.EventsJoined = true, ev.Len(), ev.Joined()
	}
}

// pass applies OnlyFlagged and OnlyFlags: the one place records are left
// out.
func (an *Analyzer) pass(r *Record) bool {
	if an.opts.OnlyFlagged && !HasWarning(r.Flags) {
		return false
	}
	if len(an.opts.OnlyFlags) == 0 {
		return true
	}
	for _, f := range r.Flags {
		name, _, _ := strings.Cut(f, ":")
		if slices.Contains(an.opts.OnlyFlags, name) {
			return true
		}
	}
	return false
}

// warnf passes a note to Options.Warn, one at a time.
func (an *Analyzer) warnf(msg string) {
	if an.opts.Warn == nil {
		return
	}
	an.warnMu.Lock()
	defer an.warnMu.Unlock()
	an.opts.Warn(msg)
}
