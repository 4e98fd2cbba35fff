package analysis

import (
	"slices"
	"strconv"
	"strings"
)

// Agreement tallies how often each profile's prediction is the host the
// firewall logged, to tell which behaviour a device has (--profile auto).
// Feed it records made with Options.AllProfiles and Options.Events.
type Agreement struct {
	// Logged counts the records with a logged host.
	Logged int
	// Agree counts, per profile, the logged hosts its prediction is.
	Agree map[string]int
	// Deciding are the records on which the profiles that could decide
	// disagree: the evidence that tells the profiles apart, in the order
	// the records came.
	Deciding []Evidence
}

// Evidence is one connection that tells profiles apart.
type Evidence struct {
	Where  string   // file, client -> server
	Logged string   // the logged host
	Agree  []string // the profiles that predict it, in the profiles' order
	Others []string // the others that could decide, "name=host"
}

// maxEvidence bounds Agreement.Deciding.
const maxEvidence = 1000

// Add counts one record; records without a logged host count nothing.
func (a *Agreement) Add(r *Record, order []string) {
	lg := r.Logged
	if lg == nil || lg.Host == "" {
		return
	}
	a.Logged++
	if a.Agree == nil {
		a.Agree = map[string]int{}
	}
	var ev Evidence
	for _, name := range order {
		hp, ok := r.Profiles[name]
		if !ok || hp.Agrees == nil {
			continue
		}
		if *hp.Agrees {
			a.Agree[name]++
			ev.Agree = append(ev.Agree, name)
		} else {
			ev.Others = append(ev.Others, name+"="+hostText(hp.Host))
		}
	}
	if len(ev.Agree) > 0 && len(ev.Others) > 0 && len(a.Deciding) < maxEvidence {
		ev.Where = r.File + " " + r.Client + " -> " + r.Server
		ev.Logged = lg.Host
		a.Deciding = append(a.Deciding, ev)
	}
}

func hostText(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}

// Choose returns the profile of order that agrees with the most logged
// hosts, the first in order among equals, and the others it tied with.
func (a *Agreement) Choose(order []string) (best string, tied []string) {
	for _, name := range order {
		switch n := a.Agree[name]; {
		case best == "" || n > a.Agree[best]:
			best, tied = name, nil
		case n == a.Agree[best]:
			tied = append(tied, name)
		}
	}
	return best, tied
}

// Summary is the choice in one line: "snort3 (agrees with 5 of 5 logged
// hosts; ftd 4 of 5, …)".
func (a *Agreement) Summary(order []string) string {
	best, tied := a.Choose(order)
	var b strings.Builder
	b.WriteString(best)
	if a.Logged == 0 {
		b.WriteString(" (no connection joined to a logged host: nothing to choose by; the first profile)")
		return b.String()
	}
	b.WriteString(" (agrees with " + strconv.Itoa(a.Agree[best]) + " of " + strconv.Itoa(a.Logged) + " logged hosts")
	var rest []string
	for _, name := range order {
		if name != best {
			rest = append(rest, name+" "+strconv.Itoa(a.Agree[name])+" of "+strconv.Itoa(a.Logged))
		}
	}
	if len(rest) > 0 {
		b.WriteString("; " + strings.Join(rest, ", "))
	}
	b.WriteString(")")
	if len(tied) > 0 {
		b.WriteString("; tied with " + strings.Join(tied, ", ") + ", chosen by the profiles' order")
	}
	return b.String()
}

// Decided is the evidence that separates best from the profiles it was
// chosen over: the records where best agrees and one of those does not,
// or the other way round.
func (a *Agreement) Decided(best string) []Evidence {
	var out []Evidence
	for _, ev := range a.Deciding {
		if slices.Contains(ev.Agree, best) || slices.ContainsFunc(ev.Others, func(o string) bool { return strings.HasPrefix(o, best+"=") }) {
			out = append(out, ev)
		}
	}
	return out
}
