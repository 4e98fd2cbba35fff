package analysis

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/tsid-project/tsid/pcaps"
)

func TestOuterSwapped(t *testing.T) {
	o := outerOf(t, "10.1.1.1:40000", "192.0.2.80:443", true)
	if o == nil || o.Client != "203.0.113.1" || o.Server != "203.0.113.2" {
		t.Errorf("A is the client: outer %+v", o)
	}
	o = outerOf(t, "192.0.2.80:443", "10.1.1.1:40000", false)
	if o == nil || o.Client != "203.0.113.2" || o.Server != "203.0.113.1" {
		t.Errorf("B is the client: outer %+v", o)
	}
}

func outerOf(t *testing.T, a, b string, aIsClient bool) *Outer {
	t.Helper()
	info := pcapsConnInfo(a, b)
	client := info.A
	if !aIsClient {
		client = info.B
	}
	return outer(&info, client)
}

// pcapsConnInfo is a tunnelled connection from a to b, A's outer side
// 203.0.113.1.
func pcapsConnInfo(a, b string) pcaps.ConnInfo {
	return pcaps.ConnInfo{A: netip.MustParseAddrPort(a), B: netip.MustParseAddrPort(b),
		Outer: [2]netip.Addr{netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("203.0.113.2")}}
}

// TestJoinSNIUnknownDoesNotDiffer: a capture point that did not see the
// ClientHello whole has no SNI to compare: it differs from no other.
func TestJoinSNIUnknownDoesNotDiffer(t *testing.T) {
	rec := func(file, sni, status, random string) *Record {
		return &Record{File: file, SNI: sni, SNIStatus: status, ClientRandom: random, Flags: []string{}, Server: "192.0.2.80:443"}
	}
	for _, tc := range []struct {
		name   string
		second *Record
		differ bool
	}{
		{"unknown", rec("outside.pcap", "", SNIUnknown, "r1"), false},
		{"absent", rec("outside.pcap", "", SNIAbsent, "r1"), true},
		{"other", rec("outside.pcap", "evil.example", SNIPresent, "r1"), true},
	} {
		j := &joiner{max: maxJoin}
		j.add(rec("inside.pcap", "www.example.com", SNIPresent, "r1"))
		j.cur = 1
		j.add(tc.second)
		out := j.join()
		if len(out) != 1 || len(out[0].Captures) != 2 {
			t.Fatalf("%s: %d records, want one joined", tc.name, len(out))
		}
		if got := slices.Contains(out[0].Flags, FlagSNIDiffers); got != tc.differ {
			t.Errorf("%s: %s %v, want %v", tc.name, FlagSNIDiffers, got, tc.differ)
		}
		if j.joined != 1 || j.points != 2 || j.merged.TLS != 1 {
			t.Errorf("%s: joined %d points %d merged %d, want 1, 2, 1", tc.name, j.joined, j.points, j.merged.TLS)
		}
	}
}
