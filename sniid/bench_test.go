package sniid

import "testing"

// BenchmarkAssess is the per-connection cost of the model: the default
// profile plus every other for profiles-disagree, on the field case.
func BenchmarkAssess(b *testing.B) {
	f := fieldCase()
	ftd := mustLookup(b, "ftd")
	others := Profiles()
	b.ReportAllocs()
	for b.Loop() {
		a := Assess(f, ftd, others)
		if len(a.Flags) != 4 {
			b.Fatal(a.Flags)
		}
	}
}

// BenchmarkDecide is one profile's decision alone.
func BenchmarkDecide(b *testing.B) {
	f := fieldCase()
	ftd := mustLookup(b, "ftd")
	b.ReportAllocs()
	for b.Loop() {
		if d := ftd.Decide(f); d.Host == "" {
			b.Fatal(d)
		}
	}
}

func BenchmarkAssessBrief(b *testing.B) {
	f := fieldCase()
	ps := Profiles()
	var room []Decision
	b.ReportAllocs()
	for b.Loop() {
		room = AssessBrief(f, ps[0], ps, room).Profiles
	}
}
