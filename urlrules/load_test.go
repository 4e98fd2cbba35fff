package urlrules

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.rules", "allow tools.cisco.com\n")
	last := write("last.rules", "block example.com\n")
	si := write("si.txt", "evil.example\n")
	port := write("port.rules", "allow cisco.com:443\n")
	bad := write("bad.rules", "allw cisco.com\n")
	fmc, _ := filepath.Glob("testdata/fmc/*.json")
	if len(fmc) == 0 {
		t.Fatal("no FMC export in testdata/fmc")
	}

	p, _, err := LoadPolicy(Sources{Rules: append(append([]string{first}, fmc...), last), SIBlock: []string{si}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) < 3 || p.Rules[0].Source != first+":1" || p.Rules[len(p.Rules)-1].Source != last+":1" {
		t.Errorf("rules out of order: first %q, last %q", p.Rules[0].Source, p.Rules[len(p.Rules)-1].Source)
	}
	if len(p.SIBlock) != 1 || p.Default == "" {
		t.Errorf("SI block %d entries, default %q", len(p.SIBlock), p.Default)
	}

	p, warns, err := LoadPolicy(Sources{Rules: []string{port}})
	if err != nil || p.Default != Block || len(warns) != 1 || !strings.Contains(warns[0].String(), "port :443") {
		t.Errorf("port: default %q, warnings %v, %v", p.Default, warns, err)
	}

	_, _, err = LoadPolicy(Sources{SIAllow: []string{filepath.Join(dir, "missing.txt")}})
	var re *ReadError
	if !errors.As(err, &re) || re.List != ListSIAllow || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err = LoadPolicy(Sources{Rules: []string{bad}}); err == nil || !strings.HasPrefix(err.Error(), bad+":1: ") {
		t.Errorf("bad line: %v", err)
	}
}
