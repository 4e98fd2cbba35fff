package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tsid-project/tsid/pcaps"
)

// TestCount checks bareread's counts against tsid's own capture reader on
// every shipped sample, pcap and pcapng.
func TestCount(t *testing.T) {
	files, err := filepath.Glob("../../testdata/samples/*.pcap*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, name := range files {
		packets, bytes, size, err := count(name)
		if err != nil {
			t.Fatalf("count(%s): %v", name, err)
		}
		r, err := pcaps.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		var wantPackets, wantBytes int64
		for {
			data, _, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			wantPackets++
			wantBytes += int64(len(data))
		}
		r.Close()
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if packets != wantPackets || bytes != wantBytes || size != st.Size() {
			t.Errorf("count(%s) = %d packets, %d bytes, size %d; want %d, %d, %d",
				name, packets, bytes, size, wantPackets, wantBytes, st.Size())
		}
	}
}

func TestCountNotACapture(t *testing.T) {
	name := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(name, []byte("this is not a capture file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := count(name); err == nil {
		t.Fatal("count on a text file: no error")
	}
}
