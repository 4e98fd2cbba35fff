package sniid

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// osaNaive is the textbook full-matrix optimal-string-alignment distance,
// the reference for the banded nearDistance.
func osaNaive(a, b string) int {
	a, b = strings.ToLower(trimDot(a)), strings.ToLower(trimDot(b))
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestNearDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"tools.cisco.com", "tools.cisco.com", 0},
		{"TOOLS.cisco.com.", "tools.Cisco.COM", 0},
		{"toos.cisco.com", "tools.cisco.com", 1},   // deletion
		{"tols.cisco.com", "tools.cisco.com", 1},   // deletion
		{"toolz.cisco.com", "tools.cisco.com", 1},  // substitution
		{"otols.cisco.com", "tools.cisco.com", 1},  // transposition
		{"tool.cisco.com", "tools1.cisco.com", 2},  // two edits
		{"tools1.cisco.com", "tools.cisco.com", 1}, // insertion
		{"to.cisco.com", "tools.cisco.com", -1},    // three deletions: fast path
		{"txxls.cisco.com", "tools.cisco.com", 2},
		{"txxxs.cisco.com", "tools.cisco.com", -1}, // three substitutions
		{"ca", "abc", -1},                          // OSA 3 (true Damerau 2)
		{"", "", 0},
		{"", "ab", 2},
		{"", "abc", -1},
		{"a.", "a", 0},
		{strings.Repeat("a", 254), strings.Repeat("a", 254), -1}, // too long: skipped
		{strings.Repeat("a", 253), strings.Repeat("a", 252) + "b", 1},
	}
	for _, tt := range tests {
		if got := nearDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("nearDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := nearDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("nearDistance(%q, %q) = %d, want %d (swapped)", tt.b, tt.a, got, tt.want)
		}
	}
}

// TestNearDistanceAgainstNaive compares the banded computation with the full
// matrix on random short strings over a small alphabet (many near hits).
func TestNearDistanceAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abC."
	str := func() string {
		b := make([]byte, r.IntN(9))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 50000 {
		a, b := str(), str()
		want := osaNaive(a, b)
		if want > maxNearDistance {
			want = -1
		}
		if got := nearDistance(a, b); got != want {
			t.Fatalf("nearDistance(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
}

func TestNearestMiss(t *testing.T) {
	tests := []struct {
		host, name string
		want       bool
	}{
		{"toos.cisco.com", "tools.cisco.com", true},
		{"tools.cisco.com", "tools.cisco.com", false}, // same name is no miss
		{"TOOLS.cisco.com.", "tools.cisco.com", false},
		{"tool.cisco.com", "tools1.cisco.com", true},   // distance 2
		{"to.cisco.com", "tools.cisco.com", false},     // distance 3
		{"cisco.com", "cisco.co", false},               // different registrable domain
		{"cisco.com", "cisko.com", false},              // different registrable domain
		{"www.cisco.com", "ww.cisco.com", true},        // same registrable domain
		{"www.bbc.co.uk", "ww.bbc.co.uk", true},        // eTLD co.uk
		{"bbc.co.uk", "bbd.co.uk", false},              // two owners under co.uk
		{"a.co.uk", "co.uk", false},                    // co.uk is a public suffix
		{"co.uk", "co.ul", false},                      // public suffixes have no owner
		{"a.github.io", "b.github.io", false},          // github.io is a public suffix (private section)
		{"x.a.github.io", "y.a.github.io", true},       // both under a.github.io
		{"10.1.0.1", "10.2.0.1", false},                // IP literals are not names
		{"localhost", "localhos", false},               // no registrable domain
		{"*.cisco.com", "a.cisco.com", false},          // a wildcard differs by design
		{"cisco.com", "*.cisco.com", false},            // also as the meant name
		{"TOOS.CISCO.COM", "tools.cisco.com", true},    // case-insensitive
		{"toos.cisco.com.", "tools.cisco.com", true},   // trailing dot ignored
		{"toos.cisco.com", "tools.cisco.com..", false}, // only one dot ignored
	}
	for _, tt := range tests {
		got := nearestMiss(&Facts{DNSNames: []string{tt.name}}, tt.host, false)
		if (got != "") != tt.want || got != "" && got != tt.name {
			t.Errorf("nearestMiss(%q, [%q]) = %q, want near=%v", tt.host, tt.name, got, tt.want)
		}
	}

	// The closest wins; on a tie the earlier name (SNI, DNS names, CN).
	f := &Facts{SNI: "tolls.cisco.com", DNSNames: []string{"tools.cisco.com"}, CNs: []string{"toos.cisco.com"}}
	if got := nearestMiss(f, "tols.cisco.com", true); got != "tolls.cisco.com" {
		t.Errorf("tie: got %q, want the SNI", got)
	}
	f.SNI = "txols.cisco.com"
	if got := nearestMiss(f, "toos.cisco.com", true); got != "tools.cisco.com" {
		t.Errorf("closest: got %q, want tools.cisco.com", got)
	}
	// The CN counts only with a certificate.
	f = &Facts{CNs: []string{"tools.cisco.com"}}
	if got := nearestMiss(f, "toos.cisco.com", false); got != "" {
		t.Errorf("CN without certificate: got %q", got)
	}
}

func BenchmarkNearDistance(b *testing.B) {
	b.ReportAllocs()
	x, y := strings.Repeat("ab", 126), strings.Repeat("ab", 125)+"ba"
	for b.Loop() {
		nearDistance(x, y)
	}
}
