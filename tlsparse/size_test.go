package tlsparse

import (
	"testing"
	"unsafe"
)

// TestObserverSize: every connection with payload holds an Observer until
// its handshake is read, so its size is what a busy capture costs (the
// allocator's class: 384).
func TestObserverSize(t *testing.T) {
	if n := unsafe.Sizeof(Observer{}); n > 384 {
		t.Errorf("Observer is %d bytes, want at most 384 (dirState %d, Handshake %d)", n, unsafe.Sizeof(dirState{}), unsafe.Sizeof(Handshake{}))
	}
}
