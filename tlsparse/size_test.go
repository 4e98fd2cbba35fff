package tlsparse

import (
	"testing"
	"unsafe"
)

// maxObserverSize is the allocator's size class an Observer must fit: every
// connection with payload holds one until its handshake is read, so its
// size is what a busy capture costs. It was 384 until Handshake gained
// Alerts and Connect (32 bytes) for tsid diagnose; the other new fields sit
// in padding, and the Follow flag in the last free byte. Do not grow it
// further: move rare state behind a pointer instead.
const maxObserverSize = 416

func TestObserverSize(t *testing.T) {
	if n := unsafe.Sizeof(Observer{}); n > maxObserverSize {
		t.Errorf("Observer is %d bytes, want at most %d (dirState %d, Handshake %d)", n, maxObserverSize, unsafe.Sizeof(dirState{}), unsafe.Sizeof(Handshake{}))
	}
}
