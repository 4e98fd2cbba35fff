package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/tsid-project/tsid/pcaps"
)

// ASA/FTD `show capture` text is read by pcaps like a capture file; what
// the CLI adds is the date of its times of day and the warnings on stderr.

const dateLayout = "2006-01-02"

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

// dateText dates a text capture: --date, else the file's modification
// date (today for stdin), said in a note.
func dateText(rd *pcaps.Reader, name string, f *os.File, date time.Time, n *notes) {
	if rd.Format() != "lina" {
		return
	}
	if date.IsZero() {
		date = time.Now()
		from := "today: stdin has no file date"
		if f != nil {
			if st, err := f.Stat(); err == nil {
				date, from = st.ModTime(), "file date"
			}
		}
		n.printf("%s: LINA text capture: times of day dated %s (%s; set --date)", name, date.Format(dateLayout), from)
	}
	rd.SetDate(date)
}

// warningsAtClose prints a text capture's warnings when the file is done.
type warningsAtClose struct {
	rd *pcaps.Reader
	n  *notes
}

func (w warningsAtClose) Close() error {
	for _, s := range w.rd.Warnings() {
		w.n.printf("%s", s)
	}
	return nil
}
