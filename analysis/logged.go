package analysis

import (
	"encoding/binary"
	"hash/maphash"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tsid-project/tsid/fwlog"
)

// What the firewall logged, as ground truth for the prediction: the
// connection events of an FTD syslog or an FMC export (package fwlog) are
// indexed here, and each record is joined to the events of its 5-tuple
// (or of the NAT'd tuple) closest to its first packet.
//
// The events are indexed and the captures streamed, not the other way
// round: a record must leave in order as soon as it is made, and an event
// indexed costs about 120 bytes (the tuples as hashes, the strings
// interned; BenchmarkEventsIndex), a third of the log line it came from.

// Logged is what the firewall logged of a connection (Record.Logged).
type Logged struct {
	URL    string `json:"url"`              // as logged; "" when the event has none
	Host   string `json:"host"`             // the URL's host; "" when the event has no URL
	SNI    string `json:"sni,omitempty"`    // the SNI the device saw (SSLServerName)
	Action string `json:"action"`           // what the policy did
	Rule   string `json:"rule"`             // the rule that decided
	Event  string `json:"event"`            // file:line of the event the answer comes from
	Time   *Time  `json:"time"`             // the event's first-packet time; null when it could not be read
	Via    string `json:"via"`              // "tuple" or "nat": which of the event's tuples is the capture's
	Others string `json:"others,omitempty"` // the other events of the connection (430002 with 430003), file:line, comma-separated
	Note   string `json:"note,omitempty"`   // why the join is less than sure (a time that could not be read)
}

// Join methods of Logged.Via.
const (
	ViaTuple = "tuple"
	ViaNAT   = "nat"
)

// VerdictFromLog is Verdict.From of a verdict on the logged host.
const VerdictFromLog = "log"

// DefaultEventsWindow is how far an event's time may be from a
// connection's first packet: a paste has one-second resolution and device
// clocks drift.
const DefaultEventsWindow = 5 * time.Second

// Events is an index of connection events for Options.Events. Add them
// all before the analysis starts; it is then safe for concurrent use.
type Events struct {
	window time.Duration
	seed   maphash.Seed
	ev     []event
	heads  map[uint64]int32 // tuple hash -> newest event with that tuple or NAT tuple
	strs   strTable
	files  []string
	// Records with events on their tuple but none within the window, and
	// the gap of the first: a wrong --events-tz shows as whole hours.
	offTime atomic.Int64
	offGap  atomic.Int64
	others  int // events not on TCP: skipped
}

// event is one indexed event. It holds no pointers, so a million of them
// cost the collector nothing to scan.
type event struct {
	t        int64  // first packet, Unix nanoseconds; 0: unknown
	tuple    uint64 // hash of (client, server)
	nat      uint64 // hash of the NAT'd (client, server); 0 when not logged
	connID   uint64 // hash of the ConnectionID; 0 when not logged
	next     int32  // next event with the same tuple hash; -1 ends
	natNext  int32  // next event with the same NAT hash; -1 ends
	line     int32
	url, sni uint32 // strTable indices
	host     uint32 // the URL's host (fwlog.Event.Host)
	action   uint32
	rule     uint32
	timeNote uint32
	file     uint16
	end      bool
	noYear   bool
	used     uint32 // joined to a record; atomic (sync/atomic: a struct in a slice that grows)
}

const noEvent = -1

// NewEvents returns an empty index joining within window of a connection's
// first packet (0: DefaultEventsWindow).
func NewEvents(window time.Duration) *Events {
	if window <= 0 {
		window = DefaultEventsWindow
	}
	e := &Events{window: window, seed: maphash.MakeSeed(), heads: map[uint64]int32{}}
	e.strs.init()
	return e
}

// Window is how far an event's time may be from a first packet.
func (e *Events) Window() time.Duration { return e.window }

// Add indexes one event; events of other protocols than TCP are counted
// and dropped (tsid's records are TCP connections).
func (e *Events) Add(fe *fwlog.Event) {
	if fe.Protocol != "" && fe.Protocol != "tcp" {
		e.others++
		return
	}
	i := int32(len(e.ev))
	ev := event{
		tuple: e.hash(fe.Client, fe.Server), next: noEvent, natNext: noEvent,
		line: int32(fe.Line), file: e.file(fe.File),
		url: e.strs.id(fe.URL), host: e.strs.id(fe.Host()), sni: e.strs.id(fe.SNI), action: e.strs.id(fe.Action), rule: e.strs.id(fe.Rule),
		connID: e.idHash(fe.ConnectionID), timeNote: e.strs.id(fe.TimeNote),
		end: fe.End, noYear: fe.NoYear,
	}
	if t := fe.Time; !t.IsZero() {
		if fe.NoYear { // year 0 is beyond UnixNano; 2000 has a February 29
			t = time.Date(2000, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		}
		ev.t = t.UnixNano()
	}
	if h, ok := e.heads[ev.tuple]; ok {
		ev.next = h
	}
	e.heads[ev.tuple] = i
	if fe.NATClient.IsValid() || fe.NATServer.IsValid() {
		c, s := cmpOr(fe.NATClient, fe.Client), cmpOr(fe.NATServer, fe.Server)
		if n := e.hash(c, s); n != ev.tuple {
			ev.nat = n
			if h, ok := e.heads[n]; ok {
				ev.natNext = h
			}
			e.heads[n] = i
		}
	}
	e.ev = append(e.ev, ev)
}

// idHash keys a ConnectionID: unique per connection, so not worth
// interning; 0 when there is none.
func (e *Events) idHash(id string) uint64 {
	if id == "" {
		return 0
	}
	return maphash.String(e.seed, id) | 1
}

func cmpOr(a, b netip.AddrPort) netip.AddrPort {
	if a.IsValid() {
		return a
	}
	return b
}

// Len is the number of events indexed.
func (e *Events) Len() int { return len(e.ev) }

// NotTCP is the number of events dropped for not being on TCP.
func (e *Events) NotTCP() int { return e.others }

// Joined is the number of events joined to a record so far.
func (e *Events) Joined() int {
	n := 0
	for i := range e.ev {
		if atomic.LoadUint32(&e.ev[i].used) != 0 {
			n++
		}
	}
	return n
}

// Unjoined calls fn with the file and line of each event no record was
// joined to, in the order added.
func (e *Events) Unjoined(fn func(file string, line int)) {
	for i := range e.ev {
		if atomic.LoadUint32(&e.ev[i].used) == 0 {
			fn(e.files[e.ev[i].file], int(e.ev[i].line))
		}
	}
}

// OffTime is the number of records with events on their 5-tuple none of
// which is within the window, and the gap (event minus first packet) of
// the first such: hours off mean the events' time zone is wrong.
func (e *Events) OffTime() (n int, gap time.Duration) {
	return int(e.offTime.Load()), time.Duration(e.offGap.Load())
}

// ResetJoins forgets which events were joined, for a second run over the
// same captures (--profile auto).
func (e *Events) ResetJoins() {
	for i := range e.ev {
		atomic.StoreUint32(&e.ev[i].used, 0)
	}
	e.offTime.Store(0)
	e.offGap.Store(0)
}

func (e *Events) file(name string) uint16 {
	for i, f := range e.files {
		if f == name {
			return uint16(i)
		}
	}
	e.files = append(e.files, name)
	return uint16(len(e.files) - 1)
}

// hash is the key of a (client, server) pair; IPv4 and its IPv4-mapped
// IPv6 form are one address, as a device logs either.
func (e *Events) hash(c, s netip.AddrPort) uint64 {
	var b [36]byte
	a := c.Addr().Unmap().As16()
	copy(b[0:16], a[:])
	binary.BigEndian.PutUint16(b[16:], c.Port())
	a = s.Addr().Unmap().As16()
	copy(b[18:34], a[:])
	binary.BigEndian.PutUint16(b[34:], s.Port())
	h := maphash.Bytes(e.seed, b[:])
	if h == 0 { // 0 means "no NAT tuple"
		h = 1
	}
	return h
}

// join finds the events of the connection info describes, seen from
// client to server: the ones on its tuple (or NAT tuple) closest to its
// first packet within the window, with the other events of the same
// connection (a 430002 and its 430003). nil when none.
func (e *Events) join(client, server netip.AddrPort, first time.Time) *Logged {
	if e == nil || len(e.ev) == 0 {
		return nil
	}
	h := e.hash(client, server)
	t := first.UnixNano()
	best, bestGap, via := int32(noEvent), int64(-1), ""
	untimed := int32(noEvent)
	untimedVia := ""
	var cands []int32
	var nearest int64 // the event time minus first closest to 0
	head, ok := e.heads[h]
	if !ok {
		return nil
	}
	for i := head; i != noEvent; {
		ev := &e.ev[i]
		next := ev.next
		how := ViaTuple
		if ev.tuple != h {
			next, how = ev.natNext, ViaNAT
		}
		if et, ok := e.eventTime(ev, first); ok {
			if nearest == 0 || abs(et-t) < abs(nearest) {
				nearest = et - t
			}
			if gap := abs(et - t); gap <= int64(e.window) {
				cands = append(cands, i)
				if bestGap < 0 || gap < bestGap {
					best, bestGap, via = i, gap, how
				}
			}
		} else if untimed == noEvent {
			untimed, untimedVia = i, how
			cands = append(cands, i)
		}
		i = next
	}
	note := ""
	if best == noEvent {
		if untimed == noEvent {
			if nearest != 0 && e.offTime.Add(1) == 1 {
				e.offGap.Store(nearest)
			}
			return nil
		}
		best, via = untimed, untimedVia
		note = "joined on the 5-tuple alone: " + e.strs.get(e.ev[best].timeNote)
	}
	// The events of one connection: the same ConnectionID (when logged),
	// within the window of the best one.
	b := &e.ev[best]
	bt, bTimed := e.eventTime(b, first)
	group := []int32{best}
	for _, i := range cands {
		if i == best {
			continue
		}
		ev := &e.ev[i]
		if ev.connID != b.connID && ev.connID != 0 && b.connID != 0 {
			continue
		}
		if et, ok := e.eventTime(ev, first); ok && bTimed && abs(et-bt) > int64(e.window) {
			continue
		}
		group = append(group, i)
	}
	// The answer: the end-of-connection event with a URL wins (it carries
	// the final URL), then any with a URL, then the best one.
	ans := best
	for _, i := range group {
		ev, a := &e.ev[i], &e.ev[ans]
		if ev.url == 0 {
			continue
		}
		if a.url == 0 || ev.end && !a.end {
			ans = i
		}
	}
	a := &e.ev[ans]
	lg := &Logged{
		URL:    e.strs.get(a.url),
		Host:   e.strs.get(a.host),
		SNI:    e.strs.get(a.sni),
		Action: e.strs.get(a.action),
		Rule:   e.strs.get(a.rule),
		Event:  e.where(ans),
		Via:    via,
		Note:   note,
	}
	if et, ok := e.eventTime(a, first); ok {
		tt := Time(time.Unix(0, et).UTC())
		lg.Time = &tt
	}
	var others []string
	for _, i := range group {
		atomic.StoreUint32(&e.ev[i].used, 1)
		if i != ans {
			others = append(others, e.where(i))
		}
	}
	lg.Others = strings.Join(others, ", ")
	return lg
}

// eventTime is ev's first-packet time in Unix nanoseconds; an RFC 3164
// time without a year takes the year that puts it closest to first.
func (e *Events) eventTime(ev *event, first time.Time) (int64, bool) {
	if ev.t == 0 {
		return 0, false
	}
	if !ev.noYear {
		return ev.t, true
	}
	t := time.Unix(0, ev.t).UTC()
	best := int64(0)
	for _, y := range []int{first.Year() - 1, first.Year(), first.Year() + 1} {
		c := time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixNano()
		if best == 0 || abs(c-first.UnixNano()) < abs(best-first.UnixNano()) {
			best = c
		}
	}
	return best, true
}

func (e *Events) where(i int32) string {
	ev := &e.ev[i]
	return e.files[ev.file] + ":" + strconv.Itoa(int(ev.line))
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// strTable interns the events' strings: a log repeats a few actions,
// rules and hosts a million times. Index 0 is "".
type strTable struct {
	ids  map[string]uint32
	strs []string
}

func (t *strTable) init() {
	t.ids = map[string]uint32{"": 0}
	t.strs = []string{""}
}

func (t *strTable) id(s string) uint32 {
	if id, ok := t.ids[s]; ok {
		return id
	}
	id := uint32(len(t.strs))
	s = strings.Clone(s)
	t.strs = append(t.strs, s)
	t.ids[s] = id
	return id
}

func (t *strTable) get(id uint32) string { return t.strs[id] }

// SameHost reports whether a logged host and a predicted one are the same
// name: DNS names are case-insensitive, and a trailing dot names the same
// host.
func SameHost(logged, predicted string) bool {
	return strings.EqualFold(strings.TrimSuffix(logged, "."), strings.TrimSuffix(predicted, "."))
}

// checkLogged joins r to what the firewall logged and compares: flag
// logged-differs when the logged host is not the host the profile in use
// predicts, and with every profile, whether each agrees. A prediction the
// capture cannot make (host unknown) and an event without a URL are not
// compared: neither says anything of the other.
func (an *Analyzer) checkLogged(r *Record, client, server netip.AddrPort, first time.Time) {
	lg := an.opts.Events.join(client, server, first)
	if lg == nil {
		return
	}
	r.Logged = lg
	if lg.Host == "" {
		return
	}
	if r.HostUnknown == "" && !SameHost(lg.Host, r.Host) {
		r.Flags = append(r.Flags, FlagLoggedDiffers)
	}
	for name, hp := range r.Profiles {
		if hp.Unknown == "" {
			agrees := SameHost(lg.Host, hp.Host)
			hp.Agrees = &agrees
			r.Profiles[name] = hp
		}
	}
}
