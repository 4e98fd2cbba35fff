package report

import (
	"fmt"
	"strings"

	"github.com/tsid-project/tsid/analysis"
)

// actionText shows a verdict's action for the table and CSV: "?" when
// unknown, every possible action joined with "|" when undocumented.
func actionText(v *analysis.Verdict) string {
	switch {
	case v == nil:
		return "?"
	case len(v.Actions) > 1:
		return strings.Join(v.Actions, "|")
	}
	return v.Action
}

// ruleText names the deciding rule for the table: "(default)" for the
// default action.
func ruleText(v *analysis.Verdict) string {
	switch {
	case v == nil:
		return ""
	case v.Rule == nil:
		return "(default)"
	}
	return v.Rule.Source + " " + v.Rule.Text
}

// writeIntended adds the table's line for the name the client meant, when
// it is another name than the logged host or gets another action.
func writeIntended(b *strings.Builder, r *analysis.Record) {
	iv, v := r.IntendedVerdict, r.Verdict
	if iv == nil || v != nil && iv.Name == v.Name && analysis.SameActions(iv, v) {
		return
	}
	items := []string{fmt.Sprintf("%s (%s): %s", iv.Name, iv.From, verdictPhrase(iv))}
	for _, o := range iv.Others {
		ov := &analysis.Verdict{Action: o.Action, Actions: o.Actions, Rule: o.Rule}
		items = append(items, fmt.Sprintf("%s (dns): %s", o.Name, verdictPhrase(ov)))
	}
	b.WriteString(wrapList("    intended: ", items))
	b.WriteByte('\n')
}

// verdictPhrase says a verdict in words: "allow by rules.txt:1 allow
// tools.cisco.com", "block by the default action".
func verdictPhrase(v *analysis.Verdict) string {
	if v.Rule == nil {
		return actionText(v) + " by the default action"
	}
	return actionText(v) + " by " + ruleText(v)
}

// writeWhy adds the --explain lines that say why each verdict is what it is.
func writeWhy(b *strings.Builder, r *analysis.Record) {
	if v := r.Verdict; v != nil {
		fmt.Fprintf(b, "    verdict: %s\n", cut(Printable(v.Why), explainWidth))
	}
	if iv := r.IntendedVerdict; iv != nil {
		fmt.Fprintf(b, "    intended verdict (%s): %s\n", Printable(iv.Name), cut(Printable(iv.Why), explainWidth))
	}
}
