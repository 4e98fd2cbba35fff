package main

import (
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

// memoryPerFile is the least soft memory limit per file analyzed at once.
const memoryPerFile = 64 << 20

// memoryHeadroom caps the garbage the limit lets pile up above the live
// heap: a busy capture's 100,000 tracked connections then cost at most
// that much more than they hold.
const memoryHeadroom = 128 << 20

// memoryTick is how often the limit follows the live heap.
const memoryTick = 5 * time.Millisecond

// followMemory sets the soft limit now and keeps it above the live heap
// until stop is called (once or more).
func followMemory(floor int64) (stop func()) {
	debug.SetMemoryLimit(floor)
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
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-finished }) }
}
