//go:build !linux

package pcaps

// mapBlocks maps block memory on Linux only (blockmem_linux.go); elsewhere
// the blocks come from the Go heap.
func mapBlocks(int) []byte { return nil }
