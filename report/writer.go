package report

import (
	"encoding/csv"
	"io"

	"github.com/tsid-project/tsid/analysis"
)

// Writer writes records as they are finished; Close ends the output with
// the run's summary.
type Writer interface {
	Write(r *analysis.Record) error
	Close(s *analysis.Summary) error
}

// Formats are the output formats New knows.
var Formats = []string{"table", "json", "csv", "ecs", "html"}

// Options say what the records hold, so that the columns fit them.
type Options struct {
	Explain     bool // the table lists candidates and steps (Record.Explain)
	Quiet       bool // the table ends without the summary
	AllProfiles bool // Record.Profiles is filled: per-profile columns
	Rules       bool // records carry verdicts: Action and Rule columns
	Join        bool // records may carry captures: CSV client_random and captures
	Events      bool // records may carry what the firewall logged: CSV logged_* columns
	// Width is the widest a table line gets, in runes (a terminal's
	// columns); 0: unlimited, the table as it always was.
	Width int
	// Files: the records come from several files; the table's first column
	// is the capture's base name (File).
	Files bool
	// Probe: records may come from tsid's own probe of the server (tsid
	// probe, analyze --probe-missing): CSV probed_at and probe_* columns.
	Probe bool
}

// New makes the writer of format ("table", "json", "csv", "ecs" or
// "html"; anything else is a table) writing to w.
func New(format string, w io.Writer, o Options) Writer {
	switch format {
	case "json":
		return &jsonWriter{w: w, enc: newRecordEncoder()}
	case "ecs":
		return NewECS(w)
	case "html":
		return NewHTML(w, o)
	case "csv":
		return &csvWriter{w: csv.NewWriter(w), all: o.AllProfiles, rules: o.Rules, join: o.Join, events: o.Events, probe: o.Probe}
	default:
		return &tableWriter{w: w, explain: o.Explain, quiet: o.Quiet, all: o.AllProfiles, rules: o.Rules,
			width: o.Width, files: o.Files}
	}
}
