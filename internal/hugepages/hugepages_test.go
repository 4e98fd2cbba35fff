package hugepages

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestMap: the memory is aligned to a huge page, as long as asked, and
// writable; elsewhere than Linux there is none.
func TestMap(t *testing.T) {
	m := Map(3 << 20)
	if runtime.GOOS != "linux" {
		if m != nil {
			t.Fatalf("Map outside Linux returned memory")
		}
		return
	}
	if m == nil {
		t.Fatal("Map failed")
	}
	if len(m) != 3<<20 || cap(m) != 3<<20 {
		t.Errorf("len %d cap %d, want %d", len(m), cap(m), 3<<20)
	}
	if p := uintptr(unsafe.Pointer(&m[0])); p%Size != 0 {
		t.Errorf("address %#x not aligned to %d", p, Size)
	}
	m[0], m[len(m)-1] = 1, 2
	Advise(unsafe.Pointer(&m[1]), 10) // less than a huge page: nothing to ask
}
