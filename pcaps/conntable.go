package pcaps

import "hash/maphash"

// connTable maps connection keys to their entries: open addressing with
// linear probing, and deletion by shifting the entries after a freed slot
// back, so that no tombstones pile up. A capture that churns through
// Config.MaxConns connections (evict one, track one) then neither grows
// nor rehashes the table, where Go's map kept clearing and splitting its
// tables; and a slot is 16 bytes (the entry and its hash, side by side so
// that a probe of a table too big for the cache misses once, not twice),
// where the map held the 64-byte key beside the entry. The zero value is
// ready.
type connTable struct {
	slots []connSlot
	n     int
	seed  maphash.Seed
}

// connSlot is an entry and its key's hash; c is nil in a free slot.
type connSlot struct {
	c *conn
	h uint64
}

const (
	connTableMin = 1024 // slots when the first entry comes
	// connTableLoad: the table doubles once more than 1/connTableLoad of
	// it is used; linear probing wants it half empty.
	connTableLoad = 2
)

func (t *connTable) hash(k *connKey) uint64 { return maphash.Comparable(t.seed, *k) }

// len is the number of entries.
func (t *connTable) len() int { return t.n }

// get returns the entry of k, or nil.
func (t *connTable) get(k *connKey) *conn {
	if t.n == 0 {
		return nil
	}
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil {
			return nil
		}
		if s.h == h && s.c.is(k) {
			return s.c
		}
	}
}

// set makes c the entry of k, replacing any other.
func (t *connTable) set(k *connKey, c *conn) {
	if t.slots == nil {
		t.seed = maphash.MakeSeed()
		t.slots = make([]connSlot, connTableMin)
	}
	if (t.n+1)*connTableLoad > len(t.slots) {
		t.grow()
	}
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil {
			*s = connSlot{c, h}
			t.n++
			return
		}
		if s.h == h && s.c.is(k) {
			s.c = c
			return
		}
	}
}

// grow doubles the table and puts every entry in its new place.
func (t *connTable) grow() {
	slots := t.slots
	t.slots = make([]connSlot, 2*len(slots))
	mask := uint64(len(t.slots) - 1)
	for _, s := range slots {
		if s.c == nil {
			continue
		}
		i := s.h & mask
		for t.slots[i].c != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// delete removes the entry of k when it is c, and reports whether it was.
func (t *connTable) delete(k *connKey, c *conn) bool {
	if t.n == 0 {
		return false
	}
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].c != c {
		if t.slots[i].c == nil {
			return false
		}
		i = (i + 1) & mask
	}
	// Shift back the entries of the run after i whose home slot is not in
	// (i, j]: they would not be found past the hole otherwise.
	for j := (i + 1) & mask; t.slots[j].c != nil; j = (j + 1) & mask {
		home := t.slots[j].h & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = connSlot{}
	t.n--
	return true
}

// clear removes every entry, keeping the room.
func (t *connTable) clear() {
	clear(t.slots)
	t.n = 0
}
