package urlrules

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEvaluate evaluates one host against 1000 access rules and 1000
// SI entries that it does not match, the worst case of first-match order.
func BenchmarkEvaluate(b *testing.B) {
	var rules, list strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&rules, "block host%d.example%d.com\n", i, i%7)
		fmt.Fprintf(&list, "*.bad%d.example\n", i)
	}
	r, _, err := ParseRules("b.rules", strings.NewReader(rules.String()))
	if err != nil {
		b.Fatal(err)
	}
	l, _, err := ParseSIList("b.txt", strings.NewReader(list.String()), Block)
	if err != nil {
		b.Fatal(err)
	}
	p := &Policy{Rules: r, SIBlock: l, Default: Allow}
	b.ReportAllocs()
	for b.Loop() {
		if v := p.Evaluate("toos.cisco.com"); v.Action != Allow {
			b.Fatal(v.Why)
		}
	}
}
