package urlrules

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// The lists of a policy's sources, named as tsid's flags name them.
const (
	ListRules    = "rules"     // access rules: rules files and FMC REST API JSON
	ListSIBlock  = "si-block"  // Security Intelligence URL Block lists
	ListSIAllow  = "si-allow"  // Security Intelligence URL Do-Not-Block lists
	ListDNSBlock = "dns-block" // Security Intelligence DNS Block lists
)

// Sources are the files a policy is read from.
type Sources struct {
	// Rules are rules files and FMC REST API responses, in order. The
	// JSON files (told by their first character) together are one export,
	// whose rules go where the first of them is given.
	Rules                      []string
	SIBlock, SIAllow, DNSBlock []string
	// Default is the default action; "" takes the export's, else Block.
	Default               Action
	AssumeOtherConditions bool
}

// ReadError is a source file that could not be read.
type ReadError struct {
	List string // ListRules, ListSIBlock, …
	File string
	Err  error
}

func (e *ReadError) Error() string { return e.List + " " + e.File + ": " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// LoadPolicy reads the files of s into a Policy. A file that cannot be
// read is a *ReadError; a bad line an error "file:line: why". Entries the
// vendor does not document are accepted, with a Warning each.
func LoadPolicy(s Sources) (*Policy, []Warning, error) {
	p := &Policy{AssumeOtherConditions: s.AssumeOtherConditions}
	def := s.Default
	var warns []Warning
	add := func(w []Warning, err error) error {
		warns = append(warns, w...)
		return err
	}

	// Plain rules files are read in order; the JSON files together are one
	// FMC export, whose rules go where the first of them was given.
	var docs []Doc
	fmcAt := -1
	for _, name := range s.Rules {
		data, err := readSource(ListRules, name)
		if err != nil {
			return nil, warns, err
		}
		if IsJSON(data) {
			if fmcAt < 0 {
				fmcAt = len(p.Rules)
			}
			docs = append(docs, Doc{Name: name, Data: data})
			continue
		}
		rules, w, err := ParseRules(name, strings.NewReader(string(data)))
		if err := add(w, err); err != nil {
			return nil, warns, err
		}
		p.Rules = append(p.Rules, rules...)
	}
	if len(docs) > 0 {
		exp, w, err := ParseFMC(docs...)
		if err := add(w, err); err != nil {
			return nil, warns, err
		}
		p.Rules = slices.Insert(p.Rules, fmcAt, exp.Rules...)
		switch {
		case def == "":
			def = exp.Default
		case exp.Default != "" && exp.Default != def:
			warns = append(warns, Warning{Source: docs[0].Name, Msg: fmt.Sprintf("--default-action %s replaces the export's default action %s", def, exp.Default)})
		}
	}
	lists := []struct {
		list  string
		files []string
		into  *[]Rule
		parse func(string, io.Reader) ([]Rule, []Warning, error)
	}{
		{ListDNSBlock, s.DNSBlock, &p.DNSBlock, ParseDNSList},
		{ListSIAllow, s.SIAllow, &p.SIAllow, func(n string, r io.Reader) ([]Rule, []Warning, error) {
			return ParseSIList(n, r, Allow)
		}},
		{ListSIBlock, s.SIBlock, &p.SIBlock, func(n string, r io.Reader) ([]Rule, []Warning, error) {
			return ParseSIList(n, r, Block)
		}},
	}
	for _, l := range lists {
		for _, name := range l.files {
			data, err := readSource(l.list, name)
			if err != nil {
				return nil, warns, err
			}
			rules, w, err := l.parse(name, strings.NewReader(string(data)))
			if err := add(w, err); err != nil {
				return nil, warns, err
			}
			*l.into = append(*l.into, rules...)
		}
	}
	if def == "" {
		def = Block
	}
	p.Default = def
	return p, warns, nil
}

// readSource reads a file of list.
func readSource(list, name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &ReadError{List: list, File: name, Err: err}
	}
	return data, nil
}
