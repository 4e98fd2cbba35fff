//go:build cpuprofile

package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// A build with -tags cpuprofile writes a CPU profile of the whole run to
// the file $TSID_CPUPROFILE names: how bench/README.md finds where the time
// goes on a capture too large for a benchmark.
// $TSID_MEMPROFILE names a file for the allocation profile at the end;
// $TSID_TRACE one for an execution trace (go tool trace), which shows how
// the goroutines share the cores and where they wait.
func init() {
	if name := os.Getenv("TSID_TRACE"); name != "" {
		if f, err := os.Create(name); err == nil && trace.Start(f) == nil {
			stop := stopProfile
			stopProfile = func() {
				stop()
				trace.Stop()
				f.Close()
			}
		}
	}
	if name := os.Getenv("TSID_MEMPROFILE"); name != "" {
		runtime.MemProfileRate = 4096
		stop := stopProfile
		stopProfile = func() {
			stop()
			if f, err := os.Create(name); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	name := os.Getenv("TSID_CPUPROFILE")
	if name == "" {
		return
	}
	f, err := os.Create(name)
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	stop := stopProfile
	stopProfile = func() {
		stop()
		pprof.StopCPUProfile()
		f.Close()
	}
}
