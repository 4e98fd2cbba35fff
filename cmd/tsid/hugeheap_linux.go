package main

import (
	"bytes"
	"os"
	"syscall"
	"unsafe"
)

// Transparent huge pages for Go's heap. Where Linux gives huge pages only
// to memory that asks for them (transparent_hugepage "madvise", the
// default of many distributions), the heap grows 4 KiB page by 4 KiB page
// and every first touch is a page fault: on the virtual machines captures
// are often read on, some 10 µs each. 200,000 half-open connections
// touch 170 MB, 40,000 faults, a third of the run. The Go runtime asks for
// no huge pages itself and maps its heap as it grows, after any advice
// could be given, so tsid takes the heap's first ballastSize bytes up
// front in one allocation (address space only: nothing is touched), asks
// for huge pages on them, and lets the collector free them: the heap then
// grows into memory that faults in 2 MiB at a time (37,000 faults became
// 2,400 and the run 30% shorter; 1 GB of bulk traffic took 7% less CPU).
// Peak RSS does not change. It is advice, and it is skipped where it
// cannot help or could hurt: huge pages off or already always on, strict
// overcommit (the untouched bytes would still count), less than 2 GiB of
// memory.

// ballastSize covers the heap of the largest runs (a million half-open
// connections keep it under 256 MiB, TestMillionHalfOpen).
const ballastSize = 256 << 20

const (
	hugePage     = 2 << 20
	madvHugepage = 14 // MADV_HUGEPAGE, linux/mman.h
)

func hugeHeap() {
	if unsafe.Sizeof(uintptr(0)) < 8 || !hugeHeapHelps(readSmall("/sys/kernel/mm/transparent_hugepage/enabled"),
		readSmall("/proc/sys/vm/overcommit_memory"), readSmall("/proc/meminfo")) {
		return
	}
	b := make([]byte, ballastSize) // fresh from the OS: Go does not clear it
	p := uintptr(unsafe.Pointer(&b[0]))
	start := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + ballastSize) &^ (hugePage - 1)
	syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvHugepage)
	// b is dropped here; the next collection frees it for the heap.
}

// hugeHeapHelps decides from the contents of
// /sys/kernel/mm/transparent_hugepage/enabled, /proc/sys/vm/overcommit_memory
// and /proc/meminfo whether asking for huge pages is worth it.
func hugeHeapHelps(thp, overcommit, meminfo []byte) bool {
	if !bytes.Contains(thp, []byte("[madvise]")) {
		return false // never: no huge pages; always: the heap has them already
	}
	if string(bytes.TrimSpace(overcommit)) == "2" {
		return false // strict: the untouched bytes would count against the limit
	}
	for _, line := range bytes.Split(meminfo, []byte("\n")) {
		if f := bytes.Fields(line); len(f) >= 2 && string(f[0]) == "MemTotal:" {
			kb := 0
			for _, c := range f[1] {
				if c < '0' || c > '9' {
					return false
				}
				kb = kb*10 + int(c-'0')
			}
			return kb >= 2<<20 // 2 GiB in KiB
		}
	}
	return false
}

// readSmall reads a small /proc or /sys file; nil when it cannot.
func readSmall(name string) []byte {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, _ := f.Read(b)
	return b[:n]
}
