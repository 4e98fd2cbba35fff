// Package hugepages asks Linux for transparent huge pages: where the kernel
// gives them only to memory that asks (transparent_hugepage "madvise", the
// default of many distributions), memory that asks is touched 2 MiB at a
// time instead of 4 KiB, one page fault where there were 512. On the
// virtual machines captures are often read on a fault costs some 10 µs.
// Elsewhere than Linux its functions do nothing (Map returns nil).
package hugepages
