package pcaps

import (
	"testing"
	"unsafe"
)

// TestConnSize: a busy capture tracks up to Config.MaxConns connections,
// so a connection's size is what it costs (the allocator's class: 384).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 384 {
		t.Errorf("conn is %d bytes, want at most 384 (half %d, ConnInfo %d)", n, unsafe.Sizeof(half{}), unsafe.Sizeof(ConnInfo{}))
	}
}
