package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

const progressMin = 64 << 20 // smaller inputs are done before a bar helps

var progressTick = 200 * time.Millisecond // a variable for the tests

// isTerminal reports whether w is a terminal. Tests replace it: they never
// run on one.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// counters are what the progress display shows: an *analysis.Analyzer's.
type counters interface {
	BytesRead() int64
	TLSFound() int64
}

// progress shows bytes read, TLS connections found and the rate on stderr.
// The workers only bump the analysis's atomic counters; one goroutine
// redraws from them on a ticker.
type progress struct {
	an    counters
	total int64      // input bytes, -1 when unknown (stdin, pipes)
	mu    sync.Mutex // one writer to the terminal at a time: a redraw, or a line with the bar cleared
	bar   *progressbar.ProgressBar
	shown bool   // the bar is on the screen
	desc  string // what the bar says now
	stop  chan struct{}
	done  chan struct{}
}

// startProgress starts the display if stderr is a terminal, neither
// --quiet nor --no-progress is given and the input is large: 64 MiB or
// more in all, or of unknown size (stdin, a pipe). Otherwise it returns
// nil, which does nothing.
func startProgress(an counters, files []string, stderr io.Writer, o *analyzeOptions) *progress {
	if o.quiet || o.noProgress || !isTerminal(stderr) {
		return nil
	}
	var total int64
	for _, f := range files {
		if f == "-" {
			total = -1
			break
		}
		st, err := os.Stat(f)
		if err != nil {
			continue // reported when the file is analyzed
		}
		if !st.Mode().IsRegular() {
			total = -1
			break
		}
		total += st.Size()
	}
	if total >= 0 && total < progressMin {
		return nil
	}
	p := &progress{
		an:    an,
		total: total,
		bar: progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionUseANSICodes(true),
			progressbar.OptionSetPredictTime(total >= 0),
			progressbar.OptionSetElapsedTime(total < 0),
			// Redrawn by our ticker only, so nothing writes between a
			// cleared bar and the line printed in its place.
			progressbar.OptionSetSpinnerChangeInterval(0),
		),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go p.run()
	return p
}

func (p *progress) run() {
	defer close(p.done)
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.an.BytesRead()
	if p.total >= 0 {
		n = min(n, p.total) // a file that grew since it was measured
	}
	if d := fmt.Sprintf("%d TLS connections ", p.an.TLSFound()); d != p.desc {
		p.desc = d
		p.bar.Describe(d)
	}
	p.bar.Set64(n)
	p.shown = true
}

// pause runs print, which writes to the terminal, with the bar cleared;
// the next tick draws it again.
func (p *progress) pause(print func()) {
	if p == nil {
		print()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		p.bar.Clear()
		p.shown = false
	}
	print()
}

// finish stops the display and clears the bar: the summary follows.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.pause(func() {})
}

// behindBar is the output when the records go to the terminal too: each
// write clears the bar first. Writes come in 64 KiB chunks from a bufio.Writer.
type behindBar struct {
	p *progress
	w io.Writer
}

func (b behindBar) Write(q []byte) (n int, err error) {
	b.p.pause(func() { n, err = b.w.Write(q) })
	return n, err
}
