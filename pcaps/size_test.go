package pcaps

import (
	"testing"
	"unsafe"
)

// TestConnSize: a busy capture tracks up to Config.MaxConns connections,
// so a connection's size is what it costs (the allocator's class: 416,
// up from 384 for the SYN, byte and reset facts of Ending).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 416 {
		t.Errorf("conn is %d bytes, want at most 416 (half %d, ConnInfo %d)", n, unsafe.Sizeof(half{}), unsafe.Sizeof(ConnInfo{}))
	}
}
