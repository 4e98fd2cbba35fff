package pcaps

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestConnTable: the table answers as a Go map does through inserts,
// replacements and deletions at random, across growth and with long
// probe runs (few ports, so that runs wrap around the end of the table),
// and every entry stays reachable from its home slot.
func TestConnTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	keyOf := func(i int) (connKey, *conn) {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(1000+i%7))
		b := netip.MustParseAddrPort("192.0.2.1:443")
		c := &conn{info: ConnInfo{ID: uint64(i), A: a, B: b}}
		return makeKey(a, b), c
	}
	for _, keys := range []int{5, 50, 700, 5000} {
		var tab connTable
		want := map[connKey]*conn{}
		for op := range 20 * keys {
			k, c := keyOf(rng.IntN(keys))
			switch rng.IntN(3) {
			case 0, 1:
				tab.set(&k, c)
				want[k] = c
			case 2:
				if old := want[k]; old != nil {
					if !tab.delete(&k, old) {
						t.Fatalf("keys %d op %d: delete of a present entry failed", keys, op)
					}
					delete(want, k)
				} else if tab.delete(&k, c) {
					t.Fatalf("keys %d op %d: deleted an absent entry", keys, op)
				}
			}
			if tab.len() != len(want) {
				t.Fatalf("keys %d op %d: len %d, want %d", keys, op, tab.len(), len(want))
			}
			if op%97 == 0 || keys <= 50 {
				for i := range keys {
					k, _ := keyOf(i)
					if got := tab.get(&k); got != want[k] {
						t.Fatalf("keys %d op %d: get(%d) = %p, want %p", keys, op, i, got, want[k])
					}
				}
			}
		}
		// Deleting an entry that is not the one of its key changes nothing.
		for k, c := range want {
			other := &conn{info: c.info}
			if tab.delete(&k, other) || tab.get(&k) != c {
				t.Fatalf("keys %d: delete of another entry for a key", keys)
			}
			break
		}
		tab.clear()
		if tab.len() != 0 {
			t.Fatalf("clear left %d", tab.len())
		}
	}
}
