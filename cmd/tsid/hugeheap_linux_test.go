package main

import "testing"

func TestHugeHeapHelps(t *testing.T) {
	const (
		madvise = "always [madvise] never\n"
		big     = "MemTotal:       24683700 kB\nMemFree:        17082900 kB\n"
	)
	tests := []struct {
		name                     string
		thp, overcommit, meminfo string
		want                     bool
	}{
		{"madvise, heuristic overcommit, 24 GB", madvise, "0\n", big, true},
		{"madvise, always overcommit", madvise, "1\n", big, true},
		{"always: the heap has huge pages already", "[always] madvise never\n", "0\n", big, false},
		{"never", "always madvise [never]\n", "0\n", big, false},
		{"strict overcommit", madvise, "2\n", big, false},
		{"1 GB of memory", madvise, "0\n", "MemTotal:        1000000 kB\n", false},
		{"no meminfo", madvise, "0\n", "", false},
		{"garbled meminfo", madvise, "0\n", "MemTotal: lots kB\n", false},
		{"nothing readable", "", "", "", false},
	}
	for _, tc := range tests {
		if got := hugeHeapHelps([]byte(tc.thp), []byte(tc.overcommit), []byte(tc.meminfo)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestHugeHeap runs the set-up itself: whatever the machine, it must
// leave the process working (a panic or a fault here would end every run).
func TestHugeHeap(t *testing.T) {
	hugeHeap()
	b := make([]byte, 8<<20)
	b[len(b)-1] = 1
}
