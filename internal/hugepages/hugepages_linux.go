package hugepages

import (
	"syscall"
	"unsafe"
)

const (
	// Size is a transparent huge page on amd64 and arm64.
	Size         = 2 << 20
	madvHugepage = 14 // MADV_HUGEPAGE, linux/mman.h
)

// Advise asks for huge pages on the whole huge pages within n bytes at p.
// It is advice: a kernel without huge pages, or with none free, goes on
// as before.
func Advise(p unsafe.Pointer, n int) {
	start := (uintptr(p) + Size - 1) &^ (Size - 1)
	end := (uintptr(p) + uintptr(n)) &^ (Size - 1)
	if end > start {
		syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvHugepage)
	}
}

// Map maps n bytes of anonymous memory aligned to a huge page and asks
// for huge pages on them; nil when the mapping fails. The memory is
// outside the Go heap and is never unmapped: keep it for reuse.
func Map(n int) []byte {
	m, err := syscall.Mmap(-1, 0, n+Size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	if off := int(uintptr(unsafe.Pointer(&m[0])) & (Size - 1)); off != 0 {
		m = m[Size-off:]
	}
	m = m[:n:n]
	Advise(unsafe.Pointer(&m[0]), n)
	return m
}
