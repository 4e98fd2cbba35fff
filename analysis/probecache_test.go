package analysis

import (
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestProbeCacheParallel: probes of different servers run at once (each
// here waits until all three are under way, which one at a time would
// never see), those of one server one at a time in the order asked, and
// a source that panics still answers its waiters.
func TestProbeCacheParallel(t *testing.T) {
	servers := []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.1:443"), netip.MustParseAddrPort("192.0.2.2:443"), netip.MustParseAddrPort("192.0.2.3:443"),
	}
	var c probeCache
	var arrived sync.WaitGroup
	arrived.Add(len(servers))
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	together := func(netip.AddrPort, string) (*ProbedCert, error) {
		arrived.Done()
		select {
		case <-all:
			return nil, nil
		case <-time.After(5 * time.Second):
			return nil, errors.New("alone: the other probes did not start")
		}
	}
	var calls []*probeCall
	for _, s := range servers {
		calls = append(calls, c.start(probeKey{server: s}, together))
	}
	for i, call := range calls {
		<-call.done
		if call.err != nil {
			t.Errorf("server %d: %v", i, call.err)
		}
	}

	var mu sync.Mutex
	var order []string
	var inFlight, most atomic.Int32
	oneAtATime := func(_ netip.AddrPort, sni string) (*ProbedCert, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		order = append(order, sni)
		mu.Unlock()
		return nil, nil
	}
	one := netip.MustParseAddrPort("198.51.100.7:443")
	for _, sni := range []string{"a.example", "", "b.example", "c.example"} {
		c.start(probeKey{server: one, sni: sni}, oneAtATime)
	}
	for _, sni := range []string{"a.example", "", "b.example", "c.example"} {
		if call := c.get(probeKey{server: one, sni: sni}, oneAtATime); call.err != nil {
			t.Errorf("%q: %v", sni, call.err)
		}
	}
	if want := []string{"a.example", "", "b.example", "c.example"}; !slices.Equal(order, want) || most.Load() != 1 {
		t.Errorf("one server: asked %q with up to %d at once, want %q one at a time", order, most.Load(), want)
	}

	panics := func(netip.AddrPort, string) (*ProbedCert, error) { panic("source broke") }
	if call := c.get(probeKey{server: netip.MustParseAddrPort("203.0.113.9:443")}, panics); !errors.Is(call.err, errNoAnswer) {
		t.Errorf("a source that panics: %v, want errNoAnswer", call.err)
	}
}
