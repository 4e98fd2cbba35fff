package analysis

import (
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tsid-project/tsid/fwlog"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

var t0 = time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)

func tm(sec float64) *Time {
	t := Time(t0.Add(time.Duration(sec * float64(time.Second))))
	return &t
}

func TestEventsJoin(t *testing.T) {
	client, server := ap("10.12.1.8:51514"), ap("72.163.4.38:443")
	ev := func(line int, mod func(*fwlog.Event)) fwlog.Event {
		e := fwlog.Event{File: "fw.log", Line: line, Client: client, Server: server, Protocol: "tcp", Time: t0,
			URL: "https://toos.cisco.com", Action: "Allow", Rule: "R1"}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	for _, c := range []struct {
		name   string
		events []fwlog.Event
		client netip.AddrPort
		first  time.Time
		want   *Logged
	}{
		{name: "tuple and time", events: []fwlog.Event{ev(1, nil)}, want: &Logged{URL: "https://toos.cisco.com", Host: "toos.cisco.com",
			Action: "Allow", Rule: "R1", Event: "fw.log:1", Time: tm(0), Via: ViaTuple}},
		{name: "closest in time wins", events: []fwlog.Event{
			ev(1, func(e *fwlog.Event) {
				e.Time = t0.Add(-4 * time.Second)
				e.URL = "https://a.example"
				e.ConnectionID = "1"
			}),
			ev(2, func(e *fwlog.Event) { e.Time = t0.Add(time.Second); e.URL = "https://b.example"; e.ConnectionID = "2" }),
		}, want: &Logged{URL: "https://b.example", Host: "b.example", Action: "Allow", Rule: "R1", Event: "fw.log:2", Time: tm(1), Via: ViaTuple}},
		{name: "outside the window", events: []fwlog.Event{ev(1, func(e *fwlog.Event) { e.Time = t0.Add(6 * time.Second) })}},
		{name: "other port", events: []fwlog.Event{ev(1, nil)}, client: ap("10.12.1.8:51515")},
		{name: "not tcp", events: []fwlog.Event{ev(1, func(e *fwlog.Event) { e.Protocol = "udp" })}},
		{name: "430002 and 430003 are one answer, the 430003's URL", events: []fwlog.Event{
			ev(1, func(e *fwlog.Event) { e.ID = 430002; e.URL = ""; e.ConnectionID = "7" }),
			ev(2, func(e *fwlog.Event) {
				e.ID = 430003
				e.End = true
				e.ConnectionID = "7"
				e.Action = "Block"
				e.Rule = "R2"
			}),
		}, want: &Logged{URL: "https://toos.cisco.com", Host: "toos.cisco.com", Action: "Block", Rule: "R2", Event: "fw.log:2",
			Time: tm(0), Via: ViaTuple, Others: "fw.log:1"}},
		{name: "only a 430002", events: []fwlog.Event{ev(1, func(e *fwlog.Event) { e.ID = 430002; e.URL = "" })},
			want: &Logged{Action: "Allow", Rule: "R1", Event: "fw.log:1", Time: tm(0), Via: ViaTuple}},
		{name: "NAT keys", events: []fwlog.Event{ev(1, func(e *fwlog.Event) {
			e.Client, e.NATClient = ap("192.168.10.10:40000"), client
			e.NATServer = server
		})}, want: &Logged{URL: "https://toos.cisco.com", Host: "toos.cisco.com", Action: "Allow", Rule: "R1", Event: "fw.log:1", Time: tm(0), Via: ViaNAT}},
		{name: "a time that could not be read: the tuple alone", events: []fwlog.Event{ev(1, func(e *fwlog.Event) {
			e.Time, e.TimeNote = time.Time{}, `cannot read time "Nov 32"`
		})}, want: &Logged{URL: "https://toos.cisco.com", Host: "toos.cisco.com", Action: "Allow", Rule: "R1", Event: "fw.log:1",
			Via: ViaTuple, Note: `joined on the 5-tuple alone: cannot read time "Nov 32"`}},
		{name: "no year: the capture's", events: []fwlog.Event{ev(1, func(e *fwlog.Event) {
			e.Time, e.NoYear = time.Date(0, 11, 2, 9, 15, 2, 0, time.UTC), true
		})}, want: &Logged{URL: "https://toos.cisco.com", Host: "toos.cisco.com", Action: "Allow", Rule: "R1", Event: "fw.log:1", Time: tm(2), Via: ViaTuple}},
		{name: "no year across new year", first: time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC), events: []fwlog.Event{ev(1, func(e *fwlog.Event) {
			e.Time, e.NoYear = time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC), true
		})}, want: &Logged{URL: "https://toos.cisco.com", Host: "toos.cisco.com", Action: "Allow", Rule: "R1", Event: "fw.log:1",
			Time: func() *Time { t := Time(time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)); return &t }(), Via: ViaTuple}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ix := NewEvents(0)
			for i := range c.events {
				ix.Add(&c.events[i])
			}
			cl, first := client, t0
			if c.client.IsValid() {
				cl = c.client
			}
			if !c.first.IsZero() {
				first = c.first
			}
			got := ix.join(cl, server, first)
			if diff := cmp.Diff(c.want, got, cmp.Comparer(func(a, b Time) bool { return time.Time(a).Equal(time.Time(b)) })); diff != "" {
				t.Errorf("join (-want +got):\n%s", diff)
			}
			joined := 0
			if got != nil {
				joined = 1
				if got.Others != "" {
					joined = 2
				}
			}
			if ix.Joined() != joined {
				t.Errorf("Joined() = %d, want %d", ix.Joined(), joined)
			}
			ix.ResetJoins()
			if ix.Joined() != 0 {
				t.Errorf("after ResetJoins, Joined() = %d", ix.Joined())
			}
		})
	}
}

func TestSameHost(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"tools.cisco.com", "tools.cisco.com", true},
		{"TOOLS.cisco.com", "tools.cisco.com.", true},
		{"toos.cisco.com", "tools.cisco.com", false},
		{"", "", true},
		{"", "tools.cisco.com", false},
	} {
		if got := SameHost(c.a, c.b); got != c.want {
			t.Errorf("SameHost(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestAgreement(t *testing.T) {
	yes, no := true, false
	rec := func(logged string, picks map[string]*bool) *Record {
		r := &Record{File: "f", Client: "c", Server: "s", Logged: &Logged{Host: logged}, Profiles: map[string]HostPick{}}
		for name, a := range picks {
			r.Profiles[name] = HostPick{Host: name + ".host", Agrees: a}
		}
		return r
	}
	order := []string{"ftd", "snort3", "cisco-doc"}
	var a Agreement
	a.Add(rec("x", map[string]*bool{"ftd": &yes, "snort3": &yes, "cisco-doc": &yes}), order)
	a.Add(rec("y", map[string]*bool{"ftd": &no, "snort3": &yes, "cisco-doc": nil}), order)
	a.Add(&Record{Profiles: map[string]HostPick{}}, order)             // not logged
	a.Add(rec("", map[string]*bool{"ftd": &no, "snort3": &no}), order) // no host logged
	if best, tied := a.Choose(order); best != "snort3" || len(tied) != 0 {
		t.Errorf("Choose = %q, %v; want snort3 untied", best, tied)
	}
	if got, want := a.Summary(order), "snort3 (agrees with 2 of 2 logged hosts; ftd 1 of 2, cisco-doc 1 of 2)"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if d := a.Decided("snort3"); len(d) != 1 || d[0].Logged != "y" {
		t.Errorf("Decided = %+v, want the one record ftd got wrong", d)
	}
	var b Agreement
	b.Add(rec("x", map[string]*bool{"ftd": &yes, "snort3": &yes}), order)
	if best, tied := b.Choose(order); best != "ftd" || !cmp.Equal(tied, []string{"snort3"}) {
		t.Errorf("tie: Choose = %q, %v; want ftd tied with snort3", best, tied)
	}
	var none Agreement
	if best, _ := none.Choose(order); best != "ftd" {
		t.Errorf("nothing logged: Choose = %q, want the first", best)
	}
}

// BenchmarkEventsIndex indexes a million-event log's worth of events and
// reports what each costs in memory (the README says about 70 bytes): a
// few rules, actions and hosts repeated, every tuple different.
func BenchmarkEventsIndex(b *testing.B) {
	const n = 1 << 20
	b.ReportAllocs()
	hosts := []string{"https://tools.cisco.com", "https://www.example.com", "https://api.example.net", ""}
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ix := NewEvents(0)
		ev := fwlog.Event{File: "fw.log", Protocol: "tcp", Action: "Allow", Rule: "ALLOW_ALL_CLIENTS_80_443", Time: t0}
		for i := range n {
			ev.Line = i + 1
			ev.Client = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
			ev.Server = netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 200)}), 443)
			ev.URL = hosts[i%len(hosts)]
			ev.ConnectionID = strconv.Itoa(i)
			ix.Add(&ev)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/event")
		runtime.KeepAlive(ix)
	}
}
