package urlrules_test

import (
	"fmt"
	"strings"

	"github.com/tsid-project/tsid/urlrules"
)

// The field case: a rule written for tools.cisco.com misses the connection
// FTD logs as toos.cisco.com (its certificate's first SAN).
func Example() {
	rules, warns, err := urlrules.ParseRules("licensing.rules", strings.NewReader("allow tools.cisco.com # Smart Licensing\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range warns {
		fmt.Println("warning:", w)
	}
	p := &urlrules.Policy{Rules: rules, Default: urlrules.Block}
	for _, host := range []string{"tools.cisco.com", "toos.cisco.com"} {
		v := p.Evaluate(host)
		fmt.Printf("%s: %s (%s)\n", host, v.Action, v.Why)
	}
	captured := []string{"tools.cisco.com", "toos.cisco.com", "www.cisco.com", "software.cisco.com"}
	for _, s := range p.Suggest("toos.cisco.com", "tools.cisco.com") {
		fmt.Println(s)
		fmt.Println("  also matches:", s.Matches(captured), "changes:", s.Changed(captured))
	}
	// Output:
	// tools.cisco.com: allow (licensing.rules:1 "allow tools.cisco.com # Smart Licensing" matches: tools.cisco.com: host match at a label start)
	// toos.cisco.com: block (no rule matches: default action block)
	// add "allow toos.cisco.com" after the last rule (the rule also matches names ending in .toos.cisco.com)
	//   also matches: [] changes: []
	// add "allow cisco.com" after the last rule (the rule matches cisco.com and every name ending in .cisco.com)
	//   also matches: [tools.cisco.com www.cisco.com software.cisco.com] changes: [www.cisco.com software.cisco.com]
}

func ExampleMatchObject() {
	for _, url := range []string{"https://tools.cisco.com", "https://verisign.com", "https://cisco.com.evil.example"} {
		r, why := urlrules.MatchObject("cisco.com", url)
		fmt.Printf("%s: %s (%s)\n", url, r, why)
	}
	// Output:
	// https://tools.cisco.com: match (host match at a label start)
	// https://verisign.com: no-match (not in the host at a label start)
	// https://cisco.com.evil.example: unspecified (found at a label start but the host goes on after it: FMC does not document where a match must end)
}
