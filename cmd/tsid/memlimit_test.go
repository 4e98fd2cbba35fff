package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestFollowMemory: the soft limit is the floor while little is alive,
// and rises to twice the live heap when more is: never below what the run
// needs, which would make the collector run without pause.
func TestFollowMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	const floor = 8 << 20
	stop := followMemory(floor)
	defer stop()
	if got := debug.SetMemoryLimit(-1); got < floor {
		t.Fatalf("limit %d below the floor %d", got, floor)
	}
	live := make([]byte, 64<<20)
	for i := range live {
		live[i] = byte(i)
	}
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) < 2*int64(len(live)) {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d MiB with %d MiB alive", debug.SetMemoryLimit(-1)>>20, len(live)>>20)
		}
		runtime.GC()
		time.Sleep(2 * memoryTick)
	}
	runtime.KeepAlive(live)
	stop()
	if got := debug.SetMemoryLimit(-1); got == math.MaxInt64 {
		t.Errorf("limit %d after stop", got)
	}
}
