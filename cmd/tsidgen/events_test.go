package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEventLogs regenerates the sample firewall logs from the committed
// sample captures: they must be what testdata/events holds (refresh with
// go run ./cmd/tsidgen events -dir testdata/events).
func TestEventLogs(t *testing.T) {
	root := filepath.Join("..", "..")
	dir := t.TempDir()
	files, err := writeEventLogs(dir, filepath.Join(root, "testdata", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(eventLogs) {
		t.Fatalf("%d files written, want %d", len(files), len(eventLogs))
	}
	for _, l := range eventLogs {
		got, err := os.ReadFile(filepath.Join(dir, l.file))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(root, "testdata", "events", l.file))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s differs from a fresh one (-committed +fresh):\n%s", l.file, diff)
		}
	}
}
