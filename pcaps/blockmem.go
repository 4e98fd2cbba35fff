package pcaps

import (
	"sync"

	"github.com/tsid-project/tsid/internal/hugepages"
)

// The read-ahead blocks' memory. Where the kernel gives huge pages only to
// memory that asks for them (Linux's transparent_hugepage "madvise", the
// default of many distributions), a block from the Go heap is touched 4
// KiB page by 4 KiB page the first time it is filled: 256 page faults a
// MiB, and on the virtual machines captures are often read on each costs
// some 10 µs, so that the blocks' faults alone took as long as reading 100
// MB. The blocks of a Reader of regular size are therefore one mapping
// that asks for huge pages (internal/hugepages): a few faults instead of
// thousands, which is also what lets the Reader keep 8 MiB of blocks in
// flight. Mappings are kept for the next Reader rather than unmapped, so
// that no slice a caller still holds by mistake can fault.

// blockPool keeps the block memory of closed Readers for the next ones.
var blockPool struct {
	sync.Mutex
	free [][]byte
}

// blockMemory returns n*size bytes for blocks, and whether they are
// mapped memory to give back with releaseBlocks when no block is in use.
func blockMemory(n, size int) (mem []byte, mapped bool) {
	if size == blockSize && n == blocks {
		blockPool.Lock()
		if k := len(blockPool.free); k > 0 {
			mem = blockPool.free[k-1]
			blockPool.free = blockPool.free[:k-1]
		}
		blockPool.Unlock()
		if mem != nil {
			return mem, true
		}
		if mem = hugepages.Map(n * size); mem != nil {
			return mem, true
		}
	}
	return make([]byte, n*size), false
}

// releaseBlocks gives mapped block memory back for the next Reader.
func releaseBlocks(mem []byte) {
	blockPool.Lock()
	blockPool.free = append(blockPool.free, mem)
	blockPool.Unlock()
}
