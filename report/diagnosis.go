package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tsid-project/tsid/diagnose"
)

// WriteDiagnosis writes what 'tsid diagnose' found: JSON Lines, one object
// per destination (format "json"), or a table, one block per destination,
// failures first, with the evidence and advice under each finding, and a
// last line counting the destinations that failed.
func WriteDiagnosis(w io.Writer, format string, dsts []diagnose.Destination) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := range dsts {
			if err := enc.Encode(&dsts[i]); err != nil {
				return err
			}
		}
		return nil
	}
	var b strings.Builder
	failed := 0
	for i := range dsts {
		d := &dsts[i]
		if d.HasFailed() {
			failed++
		}
		writeDestination(&b, d)
	}
	fmt.Fprintf(&b, "destinations %d, failed %d\n", len(dsts), failed)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDestination(b *strings.Builder, d *diagnose.Destination) {
	state := "ok"
	switch {
	case d.HasFailed():
		state = "FAILED"
	case d.OK == 0 && d.Connections > 0:
		state = "unknown"
	case d.Connections == 0:
		state = "no connection"
	}
	fmt.Fprintf(b, "%s  %s (name from %s)\n", state, Printable(d.Name), d.NameFrom)
	var facts []string
	if len(d.Servers) > 0 {
		facts = append(facts, "servers "+strings.Join(d.Servers, ", "))
	}
	facts = append(facts, fmt.Sprintf("connections %d: ok %d, failed %d, unknown %d", d.Connections, d.OK, d.Failed, d.Unknown))
	if d.Lookups > 0 {
		facts = append(facts, fmt.Sprintf("DNS lookups %d", d.Lookups))
	}
	b.WriteString("    " + strings.Join(facts, "; ") + "\n")
	for _, f := range d.Findings {
		mark := "failure"
		if !f.Failure {
			mark = "note"
		}
		n := ""
		if f.Count > 1 {
			n = fmt.Sprintf(" ×%d", f.Count)
		}
		b.WriteString(wrapWords(fmt.Sprintf("    %s %s%s: ", mark, f.Code, n), "        ", Printable(f.Evidence)))
		fmt.Fprintf(b, "      first: %s %s -> %s (%s)\n", time.Time(f.First.Time).UTC().Format("2006-01-02 15:04:05"), f.First.Client, f.First.Server, Printable(f.First.File))
		for _, l := range f.Logged {
			b.WriteString(wrapWords("      FMC log: ", "               ", Printable(l)))
		}
		b.WriteString(wrapWords("      next: ", "            ", Printable(f.Advice)))
	}
	b.WriteByte('\n')
}

// diagnosisWidth is where the diagnosis's sentences wrap.
const diagnosisWidth = 100

// wrapWords writes text after lead, wrapped at word boundaries before
// diagnosisWidth columns, the next lines indented by indent; a word longer
// than a line stays whole.
func wrapWords(lead, indent, text string) string {
	var b strings.Builder
	b.WriteString(lead)
	col := width(lead)
	for i, w := range strings.Fields(text) {
		if i > 0 {
			if col+1+width(w) > diagnosisWidth {
				b.WriteString("\n" + indent)
				col = width(indent)
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(w)
		col += width(w)
	}
	b.WriteByte('\n')
	return b.String()
}
