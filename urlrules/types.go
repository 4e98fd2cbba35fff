package urlrules

import (
	"fmt"
	"strings"
)

// Action is what a rule does with a connection it matches.
type Action string

// The actions of a rules file. FMC's BLOCK_RESET and
// BLOCK_RESET_INTERACTIVE map to Block and InteractiveBlock: the reset
// does not change whether the connection passes.
const (
	Allow            Action = "allow"
	Trust            Action = "trust"
	Monitor          Action = "monitor" // logs and lets evaluation go on
	Block            Action = "block"
	InteractiveBlock Action = "interactive-block"
)

// Actions lists every action in the order the documentation gives them.
var Actions = []Action{Allow, Trust, Monitor, Block, InteractiveBlock}

// ParseAction returns the action named s (any case).
func ParseAction(s string) (Action, error) {
	for _, a := range Actions {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown action %q (want allow, trust, monitor, block or interactive-block)", s)
}

// Result is the outcome of matching one entry against one URL or name.
type Result uint8

const (
	// NoMatch: the entry does not match.
	NoMatch Result = iota
	// Match: the entry matches.
	Match
	// Unspecified: the vendor does not document what happens; the reason
	// returned with it says what is undocumented and, where there is one,
	// the likely answer.
	Unspecified
)

func (r Result) String() string {
	switch r {
	case NoMatch:
		return "no-match"
	case Match:
		return "match"
	case Unspecified:
		return "unspecified"
	}
	return fmt.Sprintf("Result(%d)", uint8(r))
}

// better returns the stronger of two results: Match over Unspecified over
// NoMatch. An entry list matches when any entry does.
func better(a, b Result) Result {
	if a == Match || b == Match {
		return Match
	}
	if a == Unspecified || b == Unspecified {
		return Unspecified
	}
	return NoMatch
}

// Layer is the part of the firewall's policy a rule belongs to. The layers
// are evaluated in this order: DNS, SI, access rules.
type Layer string

const (
	LayerDNS    Layer = "dns"    // an SI DNS list entry (acts on DNS names)
	LayerSI     Layer = "si"     // an SI URL list entry
	LayerAccess Layer = "access" // an access rule (rules file or FMC export)
)

// Warning is a problem that does not stop loading: an entry whose result is
// undocumented or assumed. Source is "file:line".
type Warning struct {
	Source string
	Msg    string
}

func (w Warning) String() string { return w.Source + ": " + w.Msg }

// ParseError is a bad line or an unsupported construct. Its message is one
// line, "file:line: why"; the CLI exits with status 2 on it.
type ParseError struct {
	Source string // "file:line", or "file" when no line applies
	Msg    string
}

func (e *ParseError) Error() string { return e.Source + ": " + e.Msg }
