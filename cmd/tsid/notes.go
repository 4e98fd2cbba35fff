package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tsid-project/tsid/analysis"
)

// The notes every command prints on stderr, and --date, the date of the
// times of day in ASA/FTD text captures.

const dateLayout = analysis.DateLayout

// parseDate reads --date.
func parseDate(cmd, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, usageErrorf("%s: --date %q: want YYYY-MM-DD", cmd, s)
	}
	return d, nil
}

// notes prints "tsid: …" lines on stderr, one at a time from any
// goroutine, clearing the progress bar first; nothing when quiet.
type notes struct {
	mu    sync.Mutex
	w     io.Writer
	prog  *progress
	quiet bool
}

func (n *notes) printf(format string, args ...any) {
	if n == nil || n.quiet {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.prog.pause(func() { fmt.Fprintf(n.w, "tsid: "+format+"\n", args...) })
}

// alwaysf prints a "tsid: …" line even when quiet: what tsid did on the
// network (the servers --probe-missing contacts) is never hidden.
func (n *notes) alwaysf(format string, args ...any) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.prog.pause(func() { fmt.Fprintf(n.w, "tsid: "+format+"\n", args...) })
}
