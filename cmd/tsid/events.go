package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/fwlog"
	"github.com/tsid-project/tsid/sniid"
)

// What the firewall logged (--events): FTD syslog or FMC event exports,
// read into an index before the captures, each record joined to its
// connection's events, and --profile auto, which lets the log choose the
// profile.

// eventOptions are the flags of the firewall's log.
type eventOptions struct {
	files  []string
	tz     string
	window time.Duration

	index   *analysis.Events // nil: no --events
	damaged bool             // a file could not be read to its end: exit status 2
}

func addEventFlags(fs *pflag.FlagSet, o *eventOptions) {
	fs.StringArrayVar(&o.files, "events", nil, "what the firewall logged, `FILE`: FTD syslog (430002/430003) or an FMC connection events export or paste (CSV or tab-separated), plain or gzip (repeatable)")
	fs.StringVar(&o.tz, "events-tz", "UTC", "time `ZONE` of --events times written without one: an IANA name (Europe/Berlin) or an offset (+01:00)")
	fs.DurationVar(&o.window, "events-window", analysis.DefaultEventsWindow, "join an event to the connection on its 5-tuple whose first packet is closest within `DURATION`")
}

// maxEventWarnings bounds the malformed-line warnings printed per file.
const maxEventWarnings = 20

// load reads the --events files into o.index. A file that is no log, or
// cannot be read, is an exit status 2 error naming it; a malformed line is
// a warning "file:line: what".
func (o *eventOptions) load(cmd string, fs *pflag.FlagSet, stderr io.Writer, quiet bool) error {
	if len(o.files) == 0 {
		if fs.Changed("events-tz") || fs.Changed("events-window") {
			return usageErrorf("%s: --events-tz and --events-window need --events FILE", cmd)
		}
		return nil
	}
	if o.window <= 0 {
		return usageErrorf("%s: --events-window %v: want a positive duration such as 5s", cmd, o.window)
	}
	loc, err := fwlog.ParseZone(o.tz)
	if err != nil {
		return usageErrorf("%s: --events-tz: %s", cmd, trimPkg(err))
	}
	warn := func(format string, a ...any) {
		if !quiet {
			fmt.Fprintf(stderr, "tsid: "+format+"\n", a...)
		}
	}
	o.index = analysis.NewEvents(o.window)
	var summary []string
	for _, name := range o.files {
		st, format, err := o.read(name, loc, warn)
		if err != nil && format == 0 { // nothing read: not a log, or not there
			return &exitError{code: 2, msg: fmt.Sprintf("%s: --events %v", cmd, err)}
		}
		if err != nil { // the events read before the damage are kept
			fmt.Fprintf(stderr, "tsid: %s: --events %v\n", cmd, err)
			o.damaged = true
		}
		line := fmt.Sprintf("%s (%s): %d connection events", name, format, st.Events)
		if st.Skipped > 0 {
			line += fmt.Sprintf(", %d other lines skipped", st.Skipped)
		}
		if st.Malformed > 0 {
			line += fmt.Sprintf(", %d malformed", st.Malformed)
		}
		if st.BadTime > 0 {
			line += fmt.Sprintf(", %d without a readable time (joined on the 5-tuple alone)", st.BadTime)
		}
		summary = append(summary, line)
	}
	for _, l := range summary {
		warn("events: %s", l)
	}
	if n := o.index.NotTCP(); n > 0 {
		warn("events: %d events not on TCP left out (tsid's connections are TCP)", n)
	}
	if !fs.Changed("events-tz") {
		warn("events: times without a zone read as UTC (--events-tz sets the zone)")
	}
	return nil
}

// read adds one file's events to the index.
func (o *eventOptions) read(name string, loc *time.Location, warn func(string, ...any)) (fwlog.Stats, fwlog.Format, error) {
	f, err := os.Open(name)
	if err != nil {
		return fwlog.Stats{}, 0, fmt.Errorf("%s: cannot open: %v", name, errors.Unwrap(err))
	}
	defer f.Close()
	warned := 0
	r, err := fwlog.NewReader(name, f, fwlog.Options{Location: loc, Warn: func(msg string) {
		warned++
		if warned <= maxEventWarnings {
			warn("%s", msg)
		} else if warned == maxEventWarnings+1 {
			warn("%s: more malformed lines; their count follows", name)
		}
	}})
	if err != nil {
		return fwlog.Stats{}, 0, err
	}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.Stats(), r.Format(), err
		}
		o.index.Add(&ev)
	}
	return r.Stats(), r.Format(), nil
}

// autoProfile runs the captures once with every profile to find the one
// whose predictions agree with the most logged hosts (--profile auto), and
// says which and why on stderr.
func (o *analyzeOptions) autoProfile(cmd string, files []string, stderr io.Writer) (sniid.Profile, error) {
	for _, f := range files {
		if f == "-" {
			return sniid.Profile{}, usageErrorf("%s: --profile auto reads the captures twice (once to choose, once to report), which stdin cannot be: save it to a file", cmd)
		}
	}
	an := analysis.New(analysis.Options{
		AllProfiles: true,
		Events:      o.events.index,
		Join:        o.join,
		TextDate:    o.textDate,
	})
	var agree analysis.Agreement
	order := profileNames() // ties go to the first in the profiles table
	an.Files(context.Background(), files, nil, o.jobs, func(r *analysis.Record) { agree.Add(r, order) }, func(string, error) {})
	o.events.index.ResetJoins()
	best, _ := agree.Choose(order)
	p, err := sniid.Lookup(best)
	if err != nil {
		return sniid.Profile{}, err
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "tsid: profile auto: %s\n", agree.Summary(order))
		ev := agree.Decided(best)
		for i, e := range ev {
			if i == maxEvidenceLines {
				fmt.Fprintf(stderr, "tsid:   … and %d more\n", len(ev)-i)
				break
			}
			fmt.Fprintf(stderr, "tsid:   decided by %s: logged %s; agree: %s; differ: %s\n", e.Where, e.Logged, strings.Join(e.Agree, ", "), strings.Join(e.Others, ", "))
		}
	}
	return p, nil
}

// maxEvidenceLines bounds the connections listed as deciding auto.
const maxEvidenceLines = 10

// eventsDone says what the events did, after the run: the profile's
// agreement, and the events no connection was joined to (listed with
// --explain).
func (o *analyzeOptions) eventsDone(sum *analysis.Summary, profile string, stderr io.Writer) {
	ix := o.events.index
	if ix == nil || o.quiet {
		return
	}
	if sum.LoggedCompared > 0 {
		fmt.Fprintf(stderr, "tsid: events: profile %s agrees with %d of %d logged hosts it predicts (%s %d)\n", profile,
			sum.LoggedCompared-sum.LoggedDiffers, sum.LoggedCompared, analysis.FlagLoggedDiffers, sum.LoggedDiffers)
	}
	if n, gap := ix.OffTime(); n > 0 {
		has := "connections have"
		if n == 1 {
			has = "connection has"
		}
		fmt.Fprintf(stderr, "tsid: events: %d %s events on its 5-tuple but none within --events-window %v (the first %v off): is --events-tz %s right?\n",
			n, has, o.events.window, gap.Round(time.Second), o.events.tz)
	}
	if n := sum.EventsRead - sum.EventsJoined; n > 0 {
		if o.explain {
			var where []string
			ix.Unjoined(func(file string, line int) { where = append(where, fmt.Sprintf("%s:%d", file, line)) })
			fmt.Fprintf(stderr, "tsid: events not joined to a captured connection (%d): %s\n", n, strings.Join(where, ", "))
		} else {
			fmt.Fprintf(stderr, "tsid: %d events not joined to a captured connection (--explain lists them)\n", n)
		}
	}
}
