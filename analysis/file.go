package analysis

import (
	"context"
	"io"
	"net/netip"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/tlsparse"
)

// file analyzes one capture, from src or else the file of that name, and
// hands its records, in connection order, to put; it returns the file's
// counters. Its state is its own: with other files it shares only the
// Analyzer's atomic counters and Warn, so several can run at once. Records
// read before an error are still handed on.
func (an *Analyzer) file(ctx context.Context, name string, src io.Reader, put func(*Record)) (sum Summary, err error) {
	sum.Files = 1
	fr := &fileRun{an: an, name: name, ready: map[uint64]*Record{}, next: 1, sum: &sum, put: put,
		prints: tlsparse.NewFingerprintCache()}
	defer func() {
		// A bug must not cost the user the results of the other files, nor
		// print a Go trace: report it as one line naming the file.
		if p := recover(); p != nil {
			err = internalError(name, p)
		}
		defer func() { // the bug may be in what takes the records
			if p := recover(); p != nil && err == nil {
				err = internalError(name, p)
			}
		}()
		if fr.stage != nil {
			if p := fr.stage.close(); p != nil && err == nil {
				err = internalError(name, p)
			}
		}
		fr.drain()
		fr.flushHeld()
	}()
	rd, closer, err := an.Open(name, src)
	if err != nil {
		return sum, fileError(name, err)
	}
	defer closer.Close()
	fr.udp = &udpFlows{fr: fr, flows: map[udpKey]*udpFlow{}}
	fr.asm = pcaps.NewAssembler(fr.newStream, pcaps.Config{Datagrams: fr.udp.datagram})
	fr.stage = newRecordStage(fr.build)
	for n := 0; !fr.broken; n++ {
		if n&ctxCheckMask == 0 && ctx.Err() != nil {
			err = &FileError{File: name, Err: ctx.Err()}
			break
		}
		data, ci, link, rerr := rd.Next()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = fileError(name, rerr)
			break
		}
		fr.asm.Packet(data, ci, link)
	}
	fr.asm.Close()
	fr.udp.close()
	if p := fr.stage.close(); p != nil && err == nil {
		err = internalError(name, p)
	}
	st := fr.asm.Stats()
	sum.Packets += st.Packets
	sum.TCPConns += st.Conns
	sum.Evicted += st.Evicted
	sum.Tunnelled += st.Decap.Tunneled
	sum.UnknownTags += st.Decap.UnknownOther
	for _, u := range st.Decap.Unknown {
		sum.UnknownTags += u.Packets
	}
	return sum, err
}

// ctxCheckMask: the context is checked once every ctxCheckMask+1 packets.
const ctxCheckMask = 1<<12 - 1

// fileRun is the state of one capture being analyzed.
type fileRun struct {
	an    *Analyzer
	name  string
	asm   *pcaps.Assembler
	ready map[uint64]*Record // finished, waiting for earlier connections
	next  uint64             // the next connection ID to write
	sum   *Summary           // this file's counters
	put   func(*Record)      // takes the records to write, in order

	stage  *recordStage // builds and emits the records
	broken bool         // the stage failed; stop reading
	udp    *udpFlows    // QUIC and DTLS over UDP

	spareObs   []*tlsparse.Observer // observers to reuse (packet side)
	spareEarly []*earlyBytes        // early byte buffers to reuse (packet side)

	// Used by the record stage only.
	late      map[uint64]bool // connections passed over while undecided
	certs     map[*tlsparse.Certificate]*certView
	prints    *tlsparse.FingerprintCache    // JA3, JA4, JA3S of hellos seen before
	verdicts  map[string]*Verdict           // URL policy verdicts by name (fileRun.verdict)
	decisions []sniid.Decision              // room for a record's decisions (sniid.AssessBrief)
	blank     map[blankKey]sniid.Assessment // assessments of blank facts, by kind (blankAssessment)
	facts     map[*Record]*probeFacts       // finished TLS records' facts for probe matching, until emitted
	hold      []*held                       // records held back for their probes (probe.go)
	holdBy    map[[2]netip.AddrPort][]*held // hold by endpoints (client, server), oldest first
}

// maxWaiting bounds the finished records held back behind one undecided
// connection (a SYN never answered, a ClientHello never answered): past
// it, that connection gives up its place and its record comes when it is
// decided. Output then stays in order of first packet except for it.
const maxWaiting = 10_000

// notTLS marks a finished connection that produces no record.
var notTLS = &Record{}

func (fr *fileRun) newStream(c *pcaps.ConnInfo) pcaps.Stream {
	return &connStream{fr: fr, info: c}
}

// finished records r (or notTLS) for connection id and writes every record
// whose predecessors are all finished, so output follows first-packet order.
func (fr *fileRun) finished(id uint64, r *Record) {
	if fr.late[id] {
		delete(fr.late, id)
		fr.emit(r)
		return
	}
	fr.ready[id] = r
	for len(fr.ready) > maxWaiting {
		if _, ok := fr.ready[fr.next]; ok {
			break
		}
		if fr.late == nil {
			fr.late = map[uint64]bool{}
		}
		fr.late[fr.next] = true
		fr.next++
	}
	for {
		r, ok := fr.ready[fr.next]
		if !ok {
			return
		}
		delete(fr.ready, fr.next)
		fr.next++
		fr.emit(r)
	}
}

// drain writes what is left after an early stop, in order.
func (fr *fileRun) drain() {
	for len(fr.ready) > 0 {
		if r, ok := fr.ready[fr.next]; ok {
			delete(fr.ready, fr.next)
			fr.emit(r)
		}
		fr.next++
	}
}

func (fr *fileRun) emit(r *Record) {
	if r == notTLS {
		return
	}
	f := fr.facts[r]
	delete(fr.facts, r)
	fr.holdForProbes(r, f)
}

// out counts r and hands it on, once probes are matched.
func (fr *fileRun) out(r *Record) {
	if r.Role == RoleProbe {
		fr.sum.Probes++ // the firewall's connection, not the client's
	} else {
		fr.an.tlsFound.Add(1)
		fr.sum.countRecord(r, fr.an.opts.Policy != nil)
	}
	fr.put(r)
}

// build runs on the record stage: it makes the job's record and passes it
// on in order.
func (fr *fileRun) build(j *job) {
	if j.hs == nil {
		fr.finished(j.id, notTLS)
		return
	}
	// Built here, on the record stage, also when a probe may still bring
	// the certificate the connection lacks: then it is built once more
	// (withProbeCert), which is rare, rather than every time in order.
	pf := newProbeFacts(j)
	r := fr.an.record(fr, j)
	if pf != nil {
		if fr.facts == nil {
			fr.facts = map[*Record]*probeFacts{}
		}
		fr.facts[r] = pf
	}
	fr.finished(j.id, r)
}
