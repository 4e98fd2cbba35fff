package pcaps

import "hash/maphash"

// connTable maps connection keys to their entries: open addressing with
// linear probing, and deletion by shifting the entries after a freed slot
// back, so that no tombstones pile up. A capture that churns through
// Config.MaxConns connections (evict one, track one) then neither grows
// nor rehashes the table, where Go's map kept clearing and splitting its
// tables; and a slot is 16 bytes (the entry and its hash), where the map
// held the 64-byte key beside the entry. The zero value is ready.
type connTable struct {
	slots  []*conn
	hashes []uint64 // of the entries in slots
	n      int
	seed   maphash.Seed
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
		c := t.slots[i]
		if c == nil {
			return nil
		}
		if t.hashes[i] == h && c.is(k) {
			return c
		}
	}
}

// set makes c the entry of k, replacing any other.
func (t *connTable) set(k *connKey, c *conn) {
	if t.slots == nil {
		t.seed = maphash.MakeSeed()
		t.slots, t.hashes = make([]*conn, connTableMin), make([]uint64, connTableMin)
	}
	if (t.n+1)*connTableLoad > len(t.slots) {
		t.grow()
	}
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		old := t.slots[i]
		if old == nil {
			t.slots[i], t.hashes[i] = c, h
			t.n++
			return
		}
		if t.hashes[i] == h && old.is(k) {
			t.slots[i] = c
			return
		}
	}
}

// grow doubles the table and puts every entry in its new place.
func (t *connTable) grow() {
	slots, hashes := t.slots, t.hashes
	t.slots, t.hashes = make([]*conn, 2*len(slots)), make([]uint64, 2*len(slots))
	mask := uint64(len(t.slots) - 1)
	for j, c := range slots {
		if c == nil {
			continue
		}
		h := hashes[j]
		i := h & mask
		for t.slots[i] != nil {
			i = (i + 1) & mask
		}
		t.slots[i], t.hashes[i] = c, h
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
	for t.slots[i] != c {
		if t.slots[i] == nil {
			return false
		}
		i = (i + 1) & mask
	}
	// Shift back the entries of the run after i whose home slot is not in
	// (i, j]: they would not be found past the hole otherwise.
	for j := (i + 1) & mask; t.slots[j] != nil; j = (j + 1) & mask {
		home := t.hashes[j] & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i], t.hashes[i] = t.slots[j], t.hashes[j]
			i = j
		}
	}
	t.slots[i], t.hashes[i] = nil, 0
	t.n--
	return true
}

// clear removes every entry, keeping the room.
func (t *connTable) clear() {
	clear(t.slots)
	clear(t.hashes)
	t.n = 0
}
