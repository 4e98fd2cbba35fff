package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/report"
	"github.com/tsid-project/tsid/urlrules"
)

// TestTableWidth lays out the table of every sample capture, alone and all
// together (with the File column), at 120 columns: with and without
// --profile all, URL rules and --explain, no line may be wider, and with
// rules the Action column must be on the header line. report.Options.Width
// is set directly: the flag that sets it is wired in analyze.go.
func TestTableWidth(t *testing.T) {
	repoRoot(t)
	const width = 120
	rules := filepath.Join(t.TempDir(), "rules.txt")
	if err := os.WriteFile(rules, []byte("allow tools.cisco.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	policy, _, err := urlrules.LoadPolicy(urlrules.Sources{Rules: []string{rules}})
	if err != nil {
		t.Fatal(err)
	}
	files := samples(t)
	sets := [][]string{files} // all together: the File column
	for _, f := range files {
		sets = append(sets, []string{f})
	}
	for _, set := range sets {
		for _, all := range []bool{false, true} {
			for _, withRules := range []bool{false, true} {
				for _, explain := range []bool{false, true} {
					name := "all-files"
					if len(set) == 1 {
						name = filepath.Base(set[0])
					}
					name = fmt.Sprintf("%s/all=%v/rules=%v/explain=%v", name, all, withRules, explain)
					t.Run(name, func(t *testing.T) {
						ao := analysis.Options{AllProfiles: all, Explain: explain}
						if withRules {
							ao.Policy = policy
						}
						ro := report.Options{Width: width, AllProfiles: all, Rules: withRules,
							Explain: explain, Files: len(set) > 1}
						out := widthTable(t, set, ao, ro)
						checkWidth(t, out, width)
						head, _, _ := strings.Cut(out, "\n")
						if withRules && (!strings.Contains(head, "  Action  ") || !strings.HasSuffix(head, "Rule")) {
							t.Errorf("header %q lacks the Action and Rule columns\n%s", head, out)
						}
						for _, col := range []string{"First Packet (UTC)", "URL"} {
							if !strings.Contains(head, col) {
								t.Errorf("header %q lacks %q\n%s", head, col, out)
							}
						}
						if ro.Files && !strings.HasPrefix(head, "File ") {
							t.Errorf("header %q does not start with the File column\n%s", head, out)
						}
					})
				}
			}
		}
	}
}

// widthTable analyzes the files and writes their table with ro.
func widthTable(t *testing.T, files []string, ao analysis.Options, ro report.Options) string {
	t.Helper()
	var b bytes.Buffer
	w := report.New("table", &b, ro)
	// Files is Analyze over each file in turn, with the run's counters.
	var werr error
	sum := analysis.New(ao).Files(context.Background(), files, nil, 1, func(r *analysis.Record) {
		if werr == nil {
			werr = w.Write(r)
		}
	}, func(file string, err error) {
		if err != nil {
			t.Errorf("%s: %v", file, err)
		}
	})
	if werr != nil {
		t.Fatal(werr)
	}
	if err := w.Close(&sum); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkWidth fails on every line of out wider than width runes.
func checkWidth(t *testing.T, out string, width int) {
	t.Helper()
	bad := 0
	for i, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > width {
			bad++
			t.Errorf("line %d is %d runes wide, more than %d: %q", i+1, n, width, l)
		}
	}
	if bad > 0 {
		t.Logf("the table:\n%s", out)
	}
}
