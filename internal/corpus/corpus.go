// Package corpus finds the shared corpus of real captures that other
// projects wrote (with their own expected values) for the tests that
// compare with them. It lives beside the repository, never in it.
package corpus

import (
	"os"
	"path/filepath"
)

// Dir is the corpus directory: $TSID_CORPUS when set, else "shared/corpus"
// beside the directory holding go.mod above the working directory; ""
// when there is no go.mod. The directory may not exist: callers skip then.
func Dir() string {
	if d := os.Getenv("TSID_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "corpus")
		}
	}
	return ""
}
