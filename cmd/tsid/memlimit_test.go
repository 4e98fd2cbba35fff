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
	stop := followMemory(floor, gcHeadroom)
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

// TestGCPercent: a small heap may grow by the headroom before the
// collector runs, a large one by as much as is alive (Go's default).
func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		live, headroom int64
		want           int
	}{
		{0, 16 << 20, 400}, // before the first collection: Go's 4 MiB minimum
		{1 << 20, 16 << 20, 400},
		{4 << 20, 16 << 20, 400},
		{8 << 20, 16 << 20, 200},
		{16 << 20, 16 << 20, 100},
		{200 << 20, 16 << 20, 100},
		{8 << 20, 64 << 20, 800}, // four files at once
	} {
		if got := gcPercent(tc.live, tc.headroom); got != tc.want {
			t.Errorf("gcPercent(%d MiB, %d MiB) = %d, want %d", tc.live>>20, tc.headroom>>20, got, tc.want)
		}
	}
}

// TestFollowMemoryPace: followMemory sets the pacing while it runs and
// puts Go's default back when stopped; a GOGC from the environment wins.
func TestFollowMemoryPace(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	stop := followMemory(64<<20, gcHeadroom)
	if got := debug.SetGCPercent(-1); got < 100 {
		t.Errorf("GOGC %d while following, want at least 100", got)
	}
	debug.SetGCPercent(gcPercent(0, gcHeadroom))
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC %d after stop, want 100", got)
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	stop = followMemory(64<<20, gcHeadroom)
	time.Sleep(3 * memoryTick)
	got := debug.SetGCPercent(50)
	stop()
	if got != 50 {
		t.Errorf("GOGC %d with GOGC=50 in the environment, want 50", got)
	}
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("GOGC %d after stop with GOGC=50 in the environment, want 50", got)
	}
}
