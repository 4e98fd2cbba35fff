package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoHeavyPackageInit keeps gopacket's layer packages out of the tsid
// binary: gopacket/layers' package set-up alone costs every run about
// 20 ms, more than tsid takes for a 50 MB capture (README, Dependencies).
func TestNoHeavyPackageInit(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/google/gopacket/") {
			t.Errorf("tsid links %s; only the root gopacket package (CaptureInfo) is wanted", p)
		}
	}
}
