package hugepages

import (
	"syscall"
	"unsafe"
)

// Size is a transparent huge page on amd64 and arm64.
const Size = 2 << 20

// Advise asks for huge pages on the whole huge pages within n bytes at p.
// It is advice: a kernel without huge pages, or with none free, goes on
// as before.
func Advise(p unsafe.Pointer, n int) {
	head := int((Size - uintptr(p)%Size) % Size) // bytes before the first huge page
	if n -= head; n >= Size {
		syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, head)), n&^(Size-1)), syscall.MADV_HUGEPAGE)
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
