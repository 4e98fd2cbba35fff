package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Go's soft memory limit, derived from what the run needs. Most captures
// keep little alive (the connections in flight, records waiting for their
// turn): a low limit keeps their heap, and so the process, small. But a
// capture of many connections that never finish keeps up to 100,000 of
// them tracked per file, and a limit below that live data makes the
// collector run without pause (issue 12: 200,000 half-open handshakes
// took 8.6 s under a fixed 64 MiB). So the limit follows the live heap:
// twice what the last collection left alive (at most memoryHeadroom
// more), and at least memoryPerFile per file analyzed at once.
//
// Below the limit, the collector's own pacing (GOGC) lets the heap grow by
// as much as is alive before it collects again. For a bulk capture that is
// a few MiB: nine collections a GB, each running beside the packet path
// with write barriers on, were a tenth of the run's CPU. So the heap may
// also grow by gcHeadroom per file before a collection, whichever is
// more: a fixed 16 MiB of garbage that costs a few collections instead.

// memoryPerFile is the least soft memory limit per file analyzed at once.
const memoryPerFile = 64 << 20

// memoryHeadroom caps the garbage the limit lets pile up above the live
// heap: a busy capture's 100,000 tracked connections then cost at most
// that much more than they hold.
const memoryHeadroom = 128 << 20

// gcHeadroom is the least the heap may grow per file analyzed at once
// before the collector runs.
const gcHeadroom = 16 << 20

// heapMinimum is the live heap Go's pacer assumes at the least (its 4 MiB
// heap minimum at GOGC=100).
const heapMinimum = 4 << 20

// memoryTick is how often the limit follows the live heap.
const memoryTick = 5 * time.Millisecond

// followMemory sets the soft limit now and keeps it above the live heap,
// and the collector's pacing to let the heap grow by at least headroom,
// until stop is called (once or more). A GOGC set in the environment is
// left alone.
func followMemory(floor, headroom int64) (stop func()) {
	debug.SetMemoryLimit(floor)
	pace := os.Getenv("GOGC") == ""
	pct := gcPercent(0, headroom)
	if pace {
		debug.SetGCPercent(pct)
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(memoryTick)
		defer t.Stop()
		last := floor
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(s)
			if s[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			live := int64(s[0].Value.Uint64())
			if limit := max(floor, live+min(live, memoryHeadroom)); limit != last {
				debug.SetMemoryLimit(limit)
				last = limit
			}
			if p := gcPercent(live, headroom); pace && p != pct {
				debug.SetGCPercent(p)
				pct = p
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
			if pace {
				debug.SetGCPercent(100)
			}
		})
	}
}

// gcPercent is the GOGC that lets a heap of live bytes grow by at least
// headroom, and by no less than Go's default of 100% of what is alive.
func gcPercent(live, headroom int64) int {
	return int(max(100, headroom*100/max(live, heapMinimum)))
}
