package analysis

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"sync"
)

// delivery is the handing-on side of a run. One goroutine uses it, so
// records reach emit in their final order: files in the order given,
// connections in order of their first packet.
type delivery struct {
	an   *Analyzer
	emit func(*Record)
	done func(file string, err error)
	sum  Summary

	// With Options.Join: the records wait in join until every file is read.
	join *joiner
}

func (o *delivery) record(r *Record) {
	if j := o.join; j != nil {
		if j.add(r) {
			return
		}
		if !j.overflow {
			j.overflow = true
			o.an.warnf(fmt.Sprintf("--join: more than %d TLS connections; the rest are written as they come, not joined", o.join.max))
			o.flushJoin()
		}
	}
	if o.an.pass(r) {
		o.emit(r)
	}
}

// flushJoin joins the records held and hands them on.
func (o *delivery) flushJoin() {
	j := o.join
	if j == nil {
		return
	}
	joined, points, flagged, merged := j.joined, j.points, j.flagged, j.merged
	for _, r := range j.join() {
		if o.an.pass(r) {
			o.emit(r)
		}
	}
	o.sum.Joined += j.joined - joined
	o.sum.Points += j.points - points
	o.sum.Flagged += j.flagged - flagged
	o.sum.sub(&j.merged, &merged)
}

// fileDone adds a file's counters and reports its errors, once its records
// are handed on.
func (o *delivery) fileDone(name string, s *Summary, errs ...error) {
	o.sum.add(s)
	if o.join != nil {
		o.join.cur++
	}
	failed := false
	for _, e := range errs {
		if e != nil {
			failed = true
			o.done(name, e)
		}
	}
	if !failed {
		o.done(name, nil)
	}
}

// Files analyzes the captures named ("-" reads stdin) with up to jobs at
// once (less than 1: one) and hands each record to emit and each file's
// end to done, all on the calling goroutine, exactly as one file after
// another would: files in the order given, connections in order of their
// first packet. done gets a file's *FileError (each, when there are two),
// or nil when it was read whole, after its records (a record emit panics on costs that file its
// remaining records, and done says so). With Options.Join the records wait
// until every file is read. Files returns the run's counters.
func (an *Analyzer) Files(ctx context.Context, files []string, stdin io.Reader, jobs int, emit func(*Record), done func(file string, err error)) Summary {
	o := &delivery{an: an, emit: emit, done: done}
	if an.opts.Join {
		o.join = &joiner{rules: an.opts.Policy != nil, max: cmp.Or(an.opts.MaxJoin, maxJoin)}
		o.sum.Join = true
	}
	o.sum.Rules = an.opts.Policy != nil
	an.files(ctx, files, stdin, jobs, o)
	o.flushJoin()
	an.eventCounts(&o.sum)
	return o.sum
}

// src is what file reads name from: stdin for "-", else nil (the file).
func src(name string, stdin io.Reader) io.Reader {
	if name == "-" {
		return stdin
	}
	return nil
}

// files runs the files with up to jobs at once and hands the results to
// o exactly as one after another would.
func (an *Analyzer) files(ctx context.Context, files []string, stdin io.Reader, jobs int, o *delivery) {
	jobs = min(jobs, len(files))
	if jobs <= 1 {
		for _, f := range files {
			sum, err := an.file(ctx, f, src(f, stdin), o.record)
			o.fileDone(f, &sum, err)
		}
		return
	}

	spools := make([]*spool, len(files))
	for i := range spools {
		spools[i] = newSpool(an.opts.SpoolRecords)
	}
	// Workers start files in order, at most 4*jobs past the one being
	// written: that bounds the records and temporary files held.
	ahead := make(chan struct{}, 4*jobs)
	todo := make(chan int)
	go func() {
		defer close(todo)
		for i := range files {
			ahead <- struct{}{}
			todo <- i
		}
	}()
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for i := range todo {
				sum, err := an.file(ctx, files[i], src(files[i], stdin), spools[i].put)
				spools[i].close(sum, err)
			}
		})
	}
	for i, sp := range spools {
		o.take(files[i], sp)
		sp.release()
		<-ahead
	}
	wg.Wait()
}

// take writes one file's records as they arrive, then its result.
func (o *delivery) take(name string, sp *spool) {
	var werr error
	func() {
		// A bug in a writer costs this file's remaining records, not the
		// other files' (as when the writer ran on the file's goroutine).
		defer func() {
			if p := recover(); p != nil {
				werr = internalError(name, p)
			}
		}()
		for {
			recs, err := sp.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				werr = &FileError{File: name, Err: fmt.Errorf("results lost: %v", err)}
				return
			}
			for _, r := range recs {
				o.record(r)
			}
		}
	}()
	if werr != nil {
		sp.discard()
	}
	sum, err := sp.result()
	o.fileDone(name, &sum, err, werr)
}
