package analysis

import (
	"sync"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/tlsparse"
)

// A finished handshake becomes a record on a second goroutine: the
// identity model, the certificate fields and the writing run beside the
// packet path, which keeps one core on reading and reassembly.

// job is one finished connection; hs is nil for one that is not TLS.
type job struct {
	id        uint64
	info      pcaps.ConnInfo
	hs        *tlsparse.Handshake
	anomalies []string
	dns       []string
	transport string // TransportQUIC, TransportDTLS; "" is TCP
	gquic     bool   // gQUIC: hs holds only the CHLO's server name
	socks     string // the domain the client asked its SOCKS proxy for
}

// maxPending bounds the jobs waiting for the record stage; the packet path
// waits beyond it.
const maxPending = 4096

// recordStage hands jobs from the packet goroutine to the record
// goroutine in batches: whatever piled up while the last batch was being
// turned into records, so a busy file costs few wake-ups and a quiet one
// (live capture from stdin) no waiting.
type recordStage struct {
	mu      sync.Mutex
	room    sync.Cond // signalled when pending shrinks
	pending []job
	closed  bool
	failed  any // the panic that stopped the stage
	wake    chan struct{}
	done    chan struct{}
}

// newRecordStage starts a goroutine that calls do for each job in order.
func newRecordStage(do func(*job)) *recordStage {
	s := &recordStage{wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.room.L = &s.mu
	go s.run(do)
	return s
}

// add queues j; false once the stage has failed.
func (s *recordStage) add(j job) bool {
	s.mu.Lock()
	for len(s.pending) >= maxPending && s.failed == nil {
		s.room.Wait()
	}
	if s.failed != nil {
		s.mu.Unlock()
		return false
	}
	s.pending = append(s.pending, j)
	first := len(s.pending) == 1
	s.mu.Unlock()
	if first {
		s.signal()
	}
	return true
}

func (s *recordStage) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// close waits until every queued job is done and returns the panic that
// stopped the stage, if one did.
func (s *recordStage) close() any {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
	<-s.done
	return s.failed
}

func (s *recordStage) run(do func(*job)) {
	defer close(s.done)
	var batch []job
	for {
		s.mu.Lock()
		for len(s.pending) == 0 && !s.closed {
			s.mu.Unlock()
			<-s.wake
			s.mu.Lock()
		}
		batch, s.pending = s.pending, batch[:0]
		closed := s.closed
		s.room.Broadcast()
		s.mu.Unlock()
		if p := s.doAll(batch, do); p != nil {
			s.mu.Lock()
			s.failed = p
			s.pending = nil
			s.room.Broadcast()
			s.mu.Unlock()
			return
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}

func (s *recordStage) doAll(batch []job, do func(*job)) (failed any) {
	defer func() { failed = recover() }()
	for i := range batch {
		do(&batch[i])
		batch[i] = job{} // let the handshake go
	}
	return nil
}
