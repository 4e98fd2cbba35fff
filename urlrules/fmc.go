package urlrules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Doc is one file given to ParseFMC: its name, for messages, and content.
type Doc struct {
	Name string
	Data []byte
}

// IsJSON reports whether data looks like a JSON document (its first
// non-blank byte opens an object), as FMC API responses are, rather than
// a rules file.
func IsJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// FMCExport is what ParseFMC read from FMC REST API responses.
type FMCExport struct {
	Rules   []Rule // enabled access rules in policy order
	Default Action // from an access policy document; "" when none says
	Policy  string // the access policy's name, when given
}

// fmcRef is a reference to a URL object or group, or a literal URL.
type fmcRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// fmcItem holds the fields tsid reads of any item it knows.
type fmcItem struct {
	Type     string   `json:"type"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	URL      string   `json:"url"`      // Url
	Objects  []fmcRef `json:"objects"`  // UrlGroup
	Literals []fmcRef `json:"literals"` // UrlGroup
	Action   string   `json:"action"`   // AccessRule
	Enabled  *bool    `json:"enabled"`  // AccessRule
	Metadata struct {
		RuleIndex *int `json:"ruleIndex"`
	} `json:"metadata"`
	DefaultAction struct {
		Action string `json:"action"`
	} `json:"defaultAction"` // AccessPolicy
}

// fmcURLs is an access rule's URL condition.
type fmcURLs struct {
	Literals   []fmcRef `json:"literals"`
	Objects    []fmcRef `json:"objects"`
	Categories []struct {
		Category   fmcRef `json:"category"`
		Reputation string `json:"reputation"`
	} `json:"urlCategoriesWithReputation"`
}

var fmcActions = map[string]Action{
	"ALLOW":                   Allow,
	"TRUST":                   Trust,
	"MONITOR":                 Monitor,
	"BLOCK":                   Block,
	"BLOCK_RESET":             Block,
	"BLOCK_INTERACTIVE":       InteractiveBlock,
	"BLOCK_RESET_INTERACTIVE": InteractiveBlock,
}

// fmcDefaults maps an access policy's default action. PERMIT (intrusion
// prevention) and NETWORK_DISCOVERY let traffic pass.
var fmcDefaults = map[string]Action{
	"BLOCK":             Block,
	"TRUST":             Trust,
	"PERMIT":            Allow,
	"NETWORK_DISCOVERY": Allow,
}

// fmcConditions are the access rule fields that are conditions other than
// URLs. Fields neither here nor in fmcSettings are taken as conditions too,
// with a warning.
var fmcConditions = map[string]bool{
	"sourceZones": true, "destinationZones": true,
	"sourceNetworks": true, "destinationNetworks": true, "originalClientNetworks": true,
	"sourceDynamicObjects": true, "destinationDynamicObjects": true,
	"sourcePorts": true, "destinationPorts": true,
	"vlanTags": true, "applications": true, "users": true,
	"sourceSecurityGroupTags": true, "destinationSecurityGroupTags": true,
	"endPointDeviceTypes": true, "networkAccessDeviceIPs": true, "timeRangeObjects": true,
}

// fmcSettings are access rule fields that do not decide whether it matches.
var fmcSettings = map[string]bool{
	"type": true, "id": true, "name": true, "action": true, "enabled": true, "urls": true,
	"links": true, "metadata": true, "description": true, "version": true,
	"logBegin": true, "logEnd": true, "logFiles": true, "sendEventsToFMC": true,
	"enableSyslog": true, "syslogConfig": true, "syslogSeverity": true, "snmpConfig": true,
	"ipsPolicy": true, "filePolicy": true, "variableSet": true,
	"newComments": true, "commentHistoryList": true,
}

// fmcRule is an access rule item with where it was found.
type fmcRule struct {
	item   fmcItem
	fields map[string]json.RawMessage
	src    string
	order  int
}

type fmcGroup struct {
	item fmcItem
	src  string
}

// ParseFMC reads FMC REST API responses (any order, any number): pages of
// access rules (GET .../accesspolicies/{id}/accessrules?expanded=true),
// URL objects (GET .../object/urls?expanded=true), URL groups (GET
// .../object/urlgroups?expanded=true) and optionally the access policy
// itself (GET .../accesspolicies/{id}) for its default action. A document
// is one response ({"items": [...], "paging": {...}}) or one item.
//
// Rules come in metadata.ruleIndex order (document order when an index is
// missing); disabled rules are skipped. URL objects and groups referenced
// by rules are resolved by id, then by name, groups recursively. What
// cannot be read, a reference that cannot be resolved, a missing page of
// rules, or an unknown action is a *ParseError naming file:line.
func ParseFMC(docs ...Doc) (*FMCExport, []Warning, error) {
	var (
		exp      FMCExport
		warns    []Warning
		rules    []fmcRule
		urls     = map[string]fmcItem{} // by "id:" + id and "name:" + name
		groups   = map[string]fmcGroup{}
		ruleIDs  = map[string]string{}
		ruleDocs []string
		count    int // largest paging.count of an access rules page
	)
	for _, d := range docs {
		items, pageCount, err := splitItems(d)
		if err != nil {
			return nil, nil, err
		}
		hasRules := false
		for _, it := range items {
			src := fmt.Sprintf("%s:%d", d.Name, it.line)
			var x fmcItem
			if err := json.Unmarshal(it.raw, &x); err != nil {
				return nil, nil, &ParseError{src, "unreadable item: " + oneLine(err)}
			}
			switch x.Type {
			case "AccessRule":
				hasRules = true
				var fields map[string]json.RawMessage
				_ = json.Unmarshal(it.raw, &fields) // it decoded above
				if x.ID != "" {
					if prev, ok := ruleIDs[x.ID]; ok {
						return nil, nil, &ParseError{src, fmt.Sprintf("access rule %q given twice (also at %s)", x.Name, prev)}
					}
					ruleIDs[x.ID] = src
				}
				rules = append(rules, fmcRule{x, fields, src, len(rules)})
			case "Url":
				for _, k := range []string{"id:" + x.ID, "name:" + x.Name} {
					if k != "id:" && k != "name:" {
						urls[k] = x
					}
				}
			case "UrlGroup":
				for _, k := range []string{"id:" + x.ID, "name:" + x.Name} {
					if k != "id:" && k != "name:" {
						groups[k] = fmcGroup{x, src}
					}
				}
			case "AccessPolicy":
				exp.Policy = x.Name
				a, ok := fmcDefaults[x.DefaultAction.Action]
				switch {
				case ok:
					exp.Default = a
				case x.DefaultAction.Action == "":
				default:
					warns = append(warns, Warning{src, fmt.Sprintf("default action %s of policy %q is not in this export: the default action must be given", x.DefaultAction.Action, x.Name)})
				}
			case "":
				return nil, nil, &ParseError{src, "item without a type: not an FMC API response"}
			default:
				warns = append(warns, Warning{src, fmt.Sprintf("item of type %s ignored", x.Type)})
			}
		}
		if hasRules {
			ruleDocs = append(ruleDocs, d.Name)
			count = max(count, pageCount)
		}
	}
	if count > len(rules) {
		return nil, nil, &ParseError{strings.Join(ruleDocs, ", "), fmt.Sprintf("%d of %d access rules: give every page of the accessrules response, or ask for limit=1000", len(rules), count)}
	}
	indexed := true
	for _, r := range rules {
		indexed = indexed && r.item.Metadata.RuleIndex != nil
	}
	if indexed {
		sort.SliceStable(rules, func(i, j int) bool {
			return *rules[i].item.Metadata.RuleIndex < *rules[j].item.Metadata.RuleIndex
		})
	}
	for _, fr := range rules {
		if fr.item.Enabled != nil && !*fr.item.Enabled {
			continue
		}
		r, ws, err := fmcAccessRule(fr, urls, groups)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, ws...)
		exp.Rules = append(exp.Rules, r)
	}
	return &exp, warns, nil
}

// fmcAccessRule turns one access rule item into a Rule.
func fmcAccessRule(fr fmcRule, urls map[string]fmcItem, groups map[string]fmcGroup) (Rule, []Warning, error) {
	x, src := fr.item, fr.src
	fail := func(format string, a ...any) (Rule, []Warning, error) {
		return Rule{}, nil, &ParseError{src, fmt.Sprintf("rule %q: ", x.Name) + fmt.Sprintf(format, a...)}
	}
	action, ok := fmcActions[x.Action]
	if !ok {
		return fail("unknown action %q", x.Action)
	}
	var warns []Warning
	var u fmcURLs
	if raw, ok := fr.fields["urls"]; ok {
		var sub map[string]json.RawMessage
		if err := json.Unmarshal(raw, &sub); err != nil {
			return fail("unreadable urls: %s", oneLine(err))
		}
		for k, v := range sub {
			if k != "literals" && k != "objects" && k != "urlCategoriesWithReputation" && !emptyJSON(v) {
				return fail("unsupported URL condition %q", k)
			}
		}
		if err := json.Unmarshal(raw, &u); err != nil {
			return fail("unreadable urls: %s", oneLine(err))
		}
	}
	var entries, shown []string
	for _, l := range u.Literals {
		if l.Type != "" && l.Type != "Url" {
			return fail("URL literal of type %q is not supported", l.Type)
		}
		entries = append(entries, l.URL)
		shown = append(shown, l.URL)
	}
	for _, o := range u.Objects {
		var got []string
		var err error
		switch o.Type {
		case "Url":
			got, err = resolveURL(o, urls)
		case "UrlGroup":
			got, err = resolveGroup(o, urls, groups, nil)
		default:
			err = fmt.Errorf("URL condition object of type %q is not supported", o.Type)
		}
		if err != nil {
			return fail("%s", err.Error())
		}
		entries = append(entries, got...)
		shown = append(shown, refName(o))
	}
	var cats []string
	for _, c := range u.Categories {
		name := c.Category.Name
		if name == "" {
			name = c.Category.ID
		}
		if c.Reputation != "" {
			name += " (" + c.Reputation + ")"
		}
		cats = append(cats, name)
	}
	var conds []string
	for k, v := range fr.fields {
		if fmcSettings[k] || emptyJSON(v) {
			continue
		}
		if !fmcConditions[k] {
			warns = append(warns, Warning{src, fmt.Sprintf("rule %q: unknown field %q taken as a condition tsid cannot evaluate", x.Name, k)})
		}
		conds = append(conds, k)
	}
	sort.Strings(conds)
	r, ws, err := NewRule(LayerAccess, action, src, entries...)
	if err != nil {
		return fail("%s", err.Error())
	}
	for _, w := range ws {
		warns = append(warns, Warning{src, fmt.Sprintf("rule %q: %s", x.Name, w)})
	}
	r.Name, r.Categories, r.Conditions = x.Name, cats, conds
	text := fmt.Sprintf("rule %s (%s)", x.Name, x.Action)
	var what []string
	if len(shown) > 0 {
		what = append(what, "urls "+strings.Join(shown, ", "))
	}
	if len(cats) > 0 {
		what = append(what, "categories "+strings.Join(cats, ", "))
	}
	if len(conds) > 0 {
		what = append(what, "conditions on "+strings.Join(conds, ", "))
	}
	if len(what) > 0 {
		text += ": " + strings.Join(what, "; ")
	}
	r.Text = text
	return r, warns, nil
}

func refName(o fmcRef) string {
	if o.Name != "" {
		return o.Name
	}
	return o.ID
}

// lookup finds a reference by id, then by name.
func lookup[T any](o fmcRef, m map[string]T) (T, bool) {
	if o.ID != "" {
		if v, ok := m["id:"+o.ID]; ok {
			return v, true
		}
	}
	if o.Name != "" {
		if v, ok := m["name:"+o.Name]; ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func resolveURL(o fmcRef, urls map[string]fmcItem) ([]string, error) {
	if o.URL != "" {
		return []string{o.URL}, nil // the reference carries its value
	}
	x, ok := lookup(o, urls)
	if !ok {
		return nil, fmt.Errorf("URL object %q (id %s) is not in the URL objects given (GET .../object/urls?expanded=true)", o.Name, o.ID)
	}
	if x.URL == "" {
		return nil, fmt.Errorf("URL object %q has no url value", refName(o))
	}
	return []string{x.URL}, nil
}

// resolveGroup expands a URL group, nested groups too; seen holds the
// groups being expanded, to refuse a cycle.
func resolveGroup(o fmcRef, urls map[string]fmcItem, groups map[string]fmcGroup, seen []string) ([]string, error) {
	g, ok := lookup(o, groups)
	if !ok {
		return nil, fmt.Errorf("URL group %q (id %s) is not in the URL groups given (GET .../object/urlgroups?expanded=true)", o.Name, o.ID)
	}
	key := g.item.ID + "/" + g.item.Name
	for _, s := range seen {
		if s == key {
			return nil, fmt.Errorf("URL group %q contains itself", g.item.Name)
		}
	}
	seen = append(seen, key)
	var out []string
	for _, m := range g.item.Objects {
		var got []string
		var err error
		switch m.Type {
		case "Url", "":
			got, err = resolveURL(m, urls)
		case "UrlGroup":
			got, err = resolveGroup(m, urls, groups, seen)
		default:
			err = fmt.Errorf("URL group %q holds an object of type %q", g.item.Name, m.Type)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	for _, l := range g.item.Literals {
		if l.URL == "" {
			return nil, fmt.Errorf("URL group %q has a literal without url", g.item.Name)
		}
		out = append(out, l.URL)
	}
	return out, nil
}

// item is one element of a response's items, with its line.
type item struct {
	raw  json.RawMessage
	line int
}

// splitItems returns the items of an FMC API response and its
// paging.count (0 when absent); a document without "items" is one item.
func splitItems(d Doc) ([]item, int, error) {
	data := bytes.TrimPrefix(d.Data, []byte("\ufeff"))
	fail := func(off int64, msg string) ([]item, int, error) {
		return nil, 0, &ParseError{fmt.Sprintf("%s:%d", d.Name, lineAt(data, int(off))), msg}
	}
	syntax := func(err error) ([]item, int, error) {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fail(se.Offset, "not valid JSON: "+oneLine(err))
		}
		return fail(int64(len(data)), "not valid JSON: "+oneLine(err))
	}
	if !json.Valid(data) {
		var v any
		return syntax(json.Unmarshal(data, &v))
	}
	if !IsJSON(data) {
		return fail(0, "not an FMC API response (a JSON object)")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '{'
		return syntax(err)
	}
	var items []item
	hasItems, count := false, 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		switch key, _ := t.(string); key {
		case "items":
			hasItems = true
			off := dec.InputOffset()
			if t, err = dec.Token(); err != nil {
				return syntax(err)
			}
			if t == nil {
				continue
			}
			if t != json.Delim('[') {
				return fail(off, "items is not a list")
			}
			for dec.More() {
				start := skipSep(data, int(dec.InputOffset()))
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return syntax(err)
				}
				items = append(items, item{raw, lineAt(data, start)})
			}
			if _, err := dec.Token(); err != nil { // ']'
				return syntax(err)
			}
		case "paging":
			var p struct {
				Count int `json:"count"`
			}
			off := dec.InputOffset()
			if err := dec.Decode(&p); err != nil {
				return fail(off, "unreadable paging: "+oneLine(err))
			}
			count = p.Count
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntax(err)
			}
		}
	}
	if !hasItems {
		return []item{{json.RawMessage(data), 1}}, 0, nil
	}
	return items, count, nil
}

// skipSep skips blanks and commas from i.
func skipSep(data []byte, i int) int {
	for i < len(data) && strings.IndexByte(" \t\r\n,[", data[i]) >= 0 {
		i++
	}
	return i
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// emptyJSON reports a value that sets nothing: null, "", an empty list, or
// an object all of whose values are empty ({"objects": []}).
func emptyJSON(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	return emptyValue(v)
}

func emptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !emptyValue(e) {
				return false
			}
		}
		return true
	}
	return false
}

// oneLine keeps an error message on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
