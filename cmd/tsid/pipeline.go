package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/tlsparse"
)

// analysis runs captures through reassembly, the TLS observer and the
// identity model, and hands each file's finished records on in order. It is
// shared by the files analyzed at once: besides the settings it holds only
// atomic counters, read by the progress display.
type analysis struct {
	opts   *analyzeOptions
	chosen sniid.Profile   // decides host/host_source and the flags
	others []sniid.Profile // compared against for profiles-disagree
	all    bool            // --profile all: report every profile

	bytesRead atomic.Int64 // capture bytes read so far (compressed, for gzip)
	tlsFound  atomic.Int64 // TLS connections found so far
}

func newAnalysis(o *analyzeOptions) (*analysis, error) {
	an := &analysis{opts: o}
	var err error
	switch {
	case o.order != "":
		an.chosen, err = sniid.ParseOrder(o.order)
		if err != nil {
			return nil, usageErrorf("analyze: --order: %v", trimPkg(err))
		}
		an.all = o.profile == "all"
	case o.profile == "all":
		an.all = true
		an.chosen = sniid.Profiles()[0]
	default:
		an.chosen, err = sniid.Lookup(o.profile)
		if err != nil {
			return nil, usageErrorf("analyze: --profile %q is not a profile (want %s or all)", o.profile, strings.Join(profileNames(), ", "))
		}
	}
	for _, p := range sniid.Profiles() {
		if p.Name != an.chosen.Name {
			an.others = append(an.others, p)
		}
	}
	return an, nil
}

func profileNames() []string {
	var n []string
	for _, p := range sniid.Profiles() {
		n = append(n, p.Name)
	}
	return n
}

// trimPkg drops a "pkg: " prefix from a library error for the CLI message.
func trimPkg(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i > 0 && !strings.Contains(s[:i], " ") {
		return s[i+2:]
	}
	return s
}

// file analyzes one capture and hands its records, in connection order, to
// put; it returns the file's counters. It shares nothing with other files
// but the atomic counters, so several can run at once. Records read before
// an error are still handed on.
func (an *analysis) file(name string, stdin io.Reader, put func(*Record)) (sum summary, err error) {
	sum.files = 1
	fr := &fileRun{an: an, name: name, ready: map[uint64]*Record{}, next: 1, sum: &sum, put: put}
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
		fr.drain()
	}()
	rd, closer, err := an.open(name, stdin)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return sum, fmt.Errorf("%s: %v", name, pe.Err) // "FILE: reason", as for the other errors
	}
	if err != nil {
		return sum, err
	}
	defer closer.Close()
	fr.asm = pcaps.NewAssembler(fr.newStream, pcaps.Config{})
	for {
		data, ci, link, rerr := rd.Next()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
		fr.asm.Packet(data, ci, link)
	}
	fr.asm.Close()
	st := fr.asm.Stats()
	sum.packets += st.Packets
	sum.tcpConns += st.Conns
	sum.evicted += st.Evicted
	return sum, err
}

func internalError(name string, p any) error {
	return fmt.Errorf("%s: internal error, results may be incomplete: %v (please report this with the capture)", name, p)
}

// fileRun is the state of one capture being analyzed.
type fileRun struct {
	an    *analysis
	name  string
	asm   *pcaps.Assembler
	ready map[uint64]*Record // finished, waiting for earlier connections
	next  uint64             // the next connection ID to write
	sum   *summary           // this file's counters
	put   func(*Record)      // takes the records to write, in order
}

// notTLS marks a finished connection that produces no record.
var notTLS = &Record{}

func (fr *fileRun) newStream(c *pcaps.ConnInfo) pcaps.Stream {
	return &connStream{fr: fr, info: c}
}

// finished records r (or notTLS) for connection id and writes every record
// whose predecessors are all finished, so output follows first-packet order.
func (fr *fileRun) finished(id uint64, r *Record) {
	fr.ready[id] = r
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
	fr.an.tlsFound.Add(1)
	fr.sum.tls++
	if r.SNI == "" {
		fr.sum.noSNI++
	}
	if len(r.Flags) > 0 {
		fr.sum.flagged++
	}
	if fr.an.opts.onlyFlagged && len(r.Flags) == 0 {
		return
	}
	fr.put(r)
}

// connStream feeds one TCP connection to a TLS observer.
type connStream struct {
	fr        *fileRun
	info      *pcaps.ConnInfo
	obs       tlsparse.Observer
	anomalies []string
	done      bool
}

func (c *connStream) Data(dir pcaps.Dir, b []byte, ts time.Time) bool {
	if c.done {
		return false
	}
	if c.obs.Data(int(dir), b) {
		c.finish()
		return false
	}
	return true
}

func (c *connStream) Gap(dir pcaps.Dir, n int) {
	if !c.done {
		c.obs.Gap(int(dir))
	}
}

func (c *connStream) Anomaly(dir pcaps.Dir, what string) {
	if len(c.anomalies) < 16 && !contains(c.anomalies, what) {
		c.anomalies = append(c.anomalies, what)
	}
}

func (c *connStream) End(reason pcaps.EndReason, ts time.Time) {
	if c.done {
		return
	}
	c.done = true
	hs := c.obs.Handshake()
	switch reason {
	case pcaps.EndEOF, pcaps.EndIdle, pcaps.EndEvicted:
		// The handshake was still undecided when the capture (or tsid's
		// tracking) let go of the connection: what came next is unknown,
		// which is not the same as a server that sent no certificate.
		if hs.IsTLS && !c.obs.Decided() {
			hs.Incomplete = true
			if hs.Status == tlsparse.CertMissing {
				hs.Status = tlsparse.CertIncomplete
			}
			c.anomalies = append(c.anomalies, "handshake-unfinished:"+reason.String())
		}
	}
	c.record(hs)
}

func (c *connStream) finish() {
	c.done = true
	c.record(c.obs.Handshake())
}

func (c *connStream) record(hs *tlsparse.Handshake) {
	if !hs.IsTLS {
		c.fr.finished(c.info.ID, notTLS)
		return
	}
	c.fr.finished(c.info.ID, c.fr.an.record(c.fr, c.info, hs, c.anomalies))
}

// record turns a finished handshake into a Record.
func (an *analysis) record(fr *fileRun, info *pcaps.ConnInfo, hs *tlsparse.Handshake, tcpAnomalies []string) *Record {
	client, server := info.A, info.B
	switch {
	case hs.ClientDir == 1:
		client, server = info.B, info.A
	case hs.ClientDir < 0 && !info.SYN:
		// No hello and no SYN (the capture began mid-connection): the
		// side on a well-known port is most likely the server.
		if info.A.Port() < 1024 && info.B.Port() >= 1024 {
			client, server = info.B, info.A
		}
		tcpAnomalies = append(tcpAnomalies, "client-side-guessed")
	}
	r := &Record{
		File:       fr.name,
		Time:       jsonTime(info.First),
		Client:     client.String(),
		Server:     server.String(),
		CertStatus: string(hs.Status),
		DNSNames:   []string{},
		ALPN:       []string{},
		Flags:      []string{},
	}
	if hs.Version != 0 {
		r.TLSVersion = hs.Version.String()
	}
	f := sniid.Facts{
		CertStatus: string(hs.Status),
		Time:       info.First,
		Resumed:    hs.Resumed,
		Incomplete: hs.Incomplete,
	}
	if ch := hs.ClientHello; ch != nil {
		r.SNI = ch.SNI
		f.SNI = ch.SNI
		f.ECH = ch.ECH
		f.SSLv2 = ch.SSLv2
		if len(ch.ALPN) > 0 {
			r.ALPN = ch.ALPN
		}
		if len(ch.ServerNames) > 1 {
			for _, sn := range ch.ServerNames {
				r.ServerNames = append(r.ServerNames, string(sn.Name))
			}
		}
		for _, v := range ch.SupportedVersions {
			r.Offered = append(r.Offered, v.String())
		}
		r.Anomalies = append(r.Anomalies, ch.Anomalies...)
	}
	if sh := hs.ServerHello; sh != nil {
		r.CipherSuite = tls.CipherSuiteName(sh.CipherSuite)
		r.Anomalies = append(r.Anomalies, sh.Anomalies...)
	}
	if len(hs.Chain) > 0 {
		leaf := hs.Chain[0]
		r.Cert = certRecord(leaf)
		f.SANDNS = leaf.DNSNames
		f.SANIP = leaf.IPs
		f.CNs = leaf.CNs
		f.OUs = leaf.OUs
		f.SelfSigned = leaf.SelfSigned
		f.NotBefore, f.NotAfter = leaf.NotBefore, leaf.NotAfter
		for _, c := range hs.Chain {
			r.Chain = append(r.Chain, chainLine(c))
			ou := ""
			if len(c.OUs) > 0 {
				ou = c.OUs[0]
			}
			f.Chain = append(f.Chain, sniid.ChainCert{CN: c.CN, OU: ou})
			if c.X509Error != "" {
				r.Anomalies = append(r.Anomalies, "x509-refused: "+c.X509Error)
			}
		}
	}
	r.Anomalies = append(r.Anomalies, hs.Anomalies...)
	r.Anomalies = append(r.Anomalies, tcpAnomalies...)
	if dns := fr.asm.DNS; dns != nil && client.IsValid() {
		if names := dns.Names(client.Addr(), server.Addr(), info.First); len(names) > 0 {
			r.DNSNames = names
		}
	}
	f.DNSNames = r.DNSNames

	as := sniid.Assess(&f, an.chosen, an.others)
	d := as.Decision
	r.Profile = an.chosen.Name
	r.Host, r.HostSource, r.HostUnknown = d.Host, string(d.Source), d.Unknown
	if d.Host != "" {
		r.URL = "https://" + d.Host
	}
	r.Flags = append(r.Flags, as.Flags...)
	for _, a := range tcpAnomalies {
		if a == "overlap-conflict" {
			r.Flags = append(r.Flags, a)
		}
	}
	if an.all {
		r.Profiles = map[string]HostPick{}
		for _, pd := range as.Profiles {
			r.Profiles[pd.Profile] = HostPick{Host: pd.Host, HostSource: string(pd.Source), Unknown: pd.Unknown}
		}
	}
	if an.opts.explain {
		r.Explain = explain(hs, r, &as, an.all)
	}
	return r
}

// explain lists the candidate strings and the profile steps.
func explain(hs *tlsparse.Handshake, r *Record, as *sniid.Assessment, all bool) *Explained {
	e := &Explained{Steps: as.Decision.Trace}
	add := func(field, value string) { e.Candidates = append(e.Candidates, Candidate{field, value}) }
	add("sni", r.SNI) // "" shows as absent
	for i, n := range r.ServerNames {
		if i > 0 {
			add(fmt.Sprintf("server_name[%d] (ignored by the engines)", i), n)
		}
	}
	for i, c := range hs.Chain {
		where := "leaf"
		if i > 0 {
			where = fmt.Sprintf("chain[%d]", i)
		}
		if i == 0 {
			for _, s := range c.SANs {
				add(where+" san:"+s.Type, s.Value)
			}
		}
		for _, cn := range c.CNs {
			add(where+" cn", cn)
		}
		for _, ou := range c.OUs {
			add(where+" ou", ou)
		}
	}
	for _, n := range r.DNSNames {
		add("dns", n)
	}
	if all {
		e.Profiles = map[string][]sniid.TraceStep{}
		for _, pd := range as.Profiles {
			e.Profiles[pd.Profile] = pd.Trace
		}
	}
	return e
}
