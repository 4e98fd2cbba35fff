package urlrules

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Rule is one access rule, or one SI or DNS list entry seen as a rule, so
// that a verdict can name whatever decided it.
type Rule struct {
	Layer  Layer
	Action Action // lists: Block, or Allow for an SI Do-Not-Block list
	// Entries are URL values as written: for an access rule, URL objects
	// and literals, any of which matching makes the URL condition match;
	// for a list entry, the one entry.
	Entries []string
	Source  string // "file:line"
	Text    string // the line as written; for an FMC rule a one-line summary
	Name    string // FMC rule name, "" otherwise
	// Categories are the FMC rule's URL categories (with reputation):
	// not predictable offline, so a URL that no entry matches is
	// Unspecified for such a rule.
	Categories []string
	// Conditions are the FMC rule's conditions other than URLs (field
	// names: sourceNetworks, destinationPorts, applications, ...), which
	// tsid cannot evaluate; see Policy.AssumeOtherConditions.
	Conditions []string

	objs []Object  // parsed Entries of an access rule
	pats []Pattern // parsed Entries of a list entry
}

// NewRule makes an access rule (LayerAccess) or a list entry (LayerSI,
// LayerDNS) from entries as written, parsed as ParseObject, ParseSIEntry or
// ParseDNSEntry do; warns are theirs. Parsers return rules made this way.
func NewRule(layer Layer, action Action, source string, entries ...string) (Rule, []string, error) {
	r := Rule{Layer: layer, Action: action, Entries: entries, Source: source}
	var warns []string
	for _, e := range entries {
		var w []string
		var err error
		switch layer {
		case LayerAccess:
			var o Object
			o, w, err = ParseObject(e)
			r.objs = append(r.objs, o)
		case LayerSI, LayerDNS:
			var p Pattern
			p, w, err = parsePattern(e, layer == LayerDNS)
			r.pats = append(r.pats, p)
		default:
			err = fmt.Errorf("unknown layer %q", layer)
		}
		if err != nil {
			return Rule{}, nil, err
		}
		warns = append(warns, w...)
	}
	return r, warns, nil
}

// hasURLCondition reports whether the rule looks at the URL at all.
func (r *Rule) hasURLCondition() bool { return len(r.Entries) > 0 || len(r.Categories) > 0 }

// MatchURL matches the rule's URL condition against s: a URL or bare host
// for access rules and SI entries, a DNS name for DNS entries. An access
// rule without URL condition matches every URL; any other rule matches no
// empty s. Conditions other than URLs are not looked at (Policy does).
func (r *Rule) MatchURL(s string) (Result, string) {
	return r.match(s, targetFor(r.Layer, s))
}

// targetFor parses s once for every rule of a layer: a DNS name for
// LayerDNS, else a URL or bare host.
func targetFor(l Layer, s string) target {
	if l == LayerDNS {
		return dnsTarget(s)
	}
	return parseTarget(s)
}

// match is MatchURL with s parsed as t.
func (r *Rule) match(s string, t target) (Result, string) {
	if r.Layer == LayerAccess && !r.hasURLCondition() {
		return Match, "the rule has no URL condition"
	}
	if s == "" {
		return NoMatch, "no URL logged"
	}
	best, why := NoMatch, "no entry matches"
	for i, e := range r.Entries {
		var res Result
		var w string
		switch {
		case i < len(r.objs):
			res, w = r.objs[i].matchTarget(t)
		case i < len(r.pats):
			res, w = r.pats[i].matchTarget(t)
		case r.Layer == LayerAccess:
			res, w = MatchObject(e, s)
		case r.Layer == LayerDNS:
			res, w = MatchDNS(e, s)
		default:
			res, w = MatchSI(e, s)
		}
		if res == Match {
			return Match, e + ": " + w
		}
		if res == Unspecified && best == NoMatch {
			best, why = res, e+": "+w
		}
	}
	if len(r.Categories) > 0 {
		c := "URL categories (" + strings.Join(r.Categories, ", ") + ") are not predictable offline"
		if best == Unspecified {
			return Unspecified, why + "; " + c
		}
		return Unspecified, c
	}
	return best, why
}

// maxLine is the longest line a rules file or list may have.
const maxLine = 1 << 20

// eachLine calls fn with every line of r (1-based number, CR and a leading
// UTF-8 byte order mark removed).
func eachLine(name string, r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ParseError{fmt.Sprintf("%s:%d", name, n+1), "line longer than 1 MiB"}
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ParseRules reads a rules file: one rule a line, "ACTION ENTRY [# comment]",
// ACTION one of the Actions, ENTRY an FMC URL object value or literal URL;
// blank lines and lines starting with '#' are skipped. The first bad line
// is a *ParseError "name:line: why"; warnings name their line too.
func ParseRules(name string, r io.Reader) ([]Rule, []Warning, error) {
	var rules []Rule
	var warns []Warning
	err := eachLine(name, r, func(n int, line string) error {
		src := fmt.Sprintf("%s:%d", name, n)
		text := strings.TrimSpace(line)
		if text == "" || text[0] == '#' {
			return nil
		}
		f := strings.Fields(text)
		for i, w := range f {
			if i > 0 && strings.HasPrefix(w, "#") {
				f = f[:i]
				break
			}
		}
		a, err := ParseAction(f[0])
		if err != nil {
			return &ParseError{src, err.Error()}
		}
		switch {
		case len(f) < 2:
			return &ParseError{src, "missing URL entry after " + f[0]}
		case len(f) > 2:
			return &ParseError{src, fmt.Sprintf("one entry a line: unexpected %q after %q (a comment starts with #)", f[2], f[1])}
		}
		rule, ws, err := NewRule(LayerAccess, a, src, f[1])
		if err != nil {
			return &ParseError{src, err.Error()}
		}
		rule.Text = text
		if strings.Contains(f[1], "#") {
			ws = append(ws, fmt.Sprintf("'#' in %q is part of the entry: a comment needs a blank before it", f[1]))
		}
		for _, w := range ws {
			warns = append(warns, Warning{src, w})
		}
		rules = append(rules, rule)
		return nil
	})
	return rules, warns, err
}

// ParseSIList reads an SI URL list as FMC takes it: one entry a line, lines
// starting with '#' are comments, blank lines skipped. action is Block for
// a Block list and Allow for a Do-Not-Block list. Blanks around an entry
// and inline comments (" # ...") are removed with a warning: FMC documents
// neither.
func ParseSIList(name string, r io.Reader, action Action) ([]Rule, []Warning, error) {
	if action != Block && action != Allow {
		return nil, nil, fmt.Errorf("%s: an SI list blocks or allows, not %q", name, action)
	}
	return parseList(name, r, LayerSI, action)
}

// ParseDNSList reads an SI DNS Block list, in the format of ParseSIList.
func ParseDNSList(name string, r io.Reader) ([]Rule, []Warning, error) {
	return parseList(name, r, LayerDNS, Block)
}

func parseList(name string, r io.Reader, layer Layer, action Action) ([]Rule, []Warning, error) {
	var rules []Rule
	var warns []Warning
	err := eachLine(name, r, func(n int, line string) error {
		src := fmt.Sprintf("%s:%d", name, n)
		text := strings.TrimSpace(line)
		if text == "" || text[0] == '#' {
			return nil
		}
		if i := strings.Index(text, "#"); i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
			text = strings.TrimSpace(text[:i])
			warns = append(warns, Warning{src, fmt.Sprintf("inline comment removed (FMC documents only whole-line comments): entry taken as %q", text)})
		} else if text != line {
			warns = append(warns, Warning{src, "blanks around the entry removed"})
		}
		rule, ws, err := NewRule(layer, action, src, text)
		if err != nil {
			return &ParseError{src, err.Error()}
		}
		rule.Text = strings.TrimSpace(line)
		for _, w := range ws {
			warns = append(warns, Warning{src, w})
		}
		rules = append(rules, rule)
		return nil
	})
	return rules, warns, err
}
