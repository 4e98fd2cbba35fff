//go:build !linux

package hugepages

import "unsafe"

// Size is a transparent huge page where Linux has them.
const Size = 2 << 20

// Advise does nothing outside Linux.
func Advise(unsafe.Pointer, int) {}

// Map maps nothing outside Linux: the caller takes Go heap memory.
func Map(int) []byte { return nil }
