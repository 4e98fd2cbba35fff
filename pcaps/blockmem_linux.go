package pcaps

import (
	"syscall"
	"unsafe"
)

const (
	hugePage     = 2 << 20 // a transparent huge page on amd64 and arm64
	madvHugepage = 14      // MADV_HUGEPAGE, linux/mman.h
)

// mapBlocks maps n bytes aligned to a huge page and asks for huge pages;
// nil when the mapping fails. The advice may be ignored (no huge pages
// configured or free): the memory works the same.
func mapBlocks(n int) []byte {
	m, err := syscall.Mmap(-1, 0, n+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	if off := int(uintptr(unsafe.Pointer(&m[0])) & (hugePage - 1)); off != 0 {
		m = m[hugePage-off:]
	}
	m = m[:n:n]
	syscall.Madvise(m, madvHugepage)
	return m
}
