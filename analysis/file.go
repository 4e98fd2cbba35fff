package analysis

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/tlsparse"
)

// file analyzes one capture and hands its records, in connection order, to
// put; it returns the file's counters. It shares nothing with other files
// but the atomic counters, so several can run at once. Records read before
// an error are still handed on.
func (an *Analyzer) file(ctx context.Context, name string, src io.Reader, put func(*Record)) (sum Summary, err error) {
	sum.Files = 1
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
	fr.asm = pcaps.NewAssembler(fr.newStream, pcaps.Config{})
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

	spareObs []*tlsparse.Observer // observers to reuse (packet side)

	// Used by the record stage only.
	late     map[uint64]bool // connections passed over while undecided
	certs    map[*tlsparse.Certificate]*certView
	verdicts map[string]*Verdict           // URL policy verdicts by name (fileRun.verdict)
	facts    map[*Record]*probeFacts       // finished TLS records' facts for probe matching, until emitted
	hold     []*held                       // records held back for their probes (probe.go)
	holdBy   map[[2]netip.AddrPort][]*held // hold by endpoints (client, server), oldest first
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

// connStream feeds one TCP connection to a TLS observer. The observer
// comes with the connection's first bytes and goes back to the file's
// spares once the handshake is read: a flood of SYNs costs no observers.
type connStream struct {
	fr        *fileRun
	info      *pcaps.ConnInfo
	obs       *tlsparse.Observer
	anomalies []string
	done      bool
}

// maxSpareObservers bounds the observers kept for reuse per file.
const maxSpareObservers = 256

func (c *connStream) observer() *tlsparse.Observer {
	if c.obs == nil {
		fr := c.fr
		if n := len(fr.spareObs); n > 0 {
			c.obs, fr.spareObs = fr.spareObs[n-1], fr.spareObs[:n-1]
		} else {
			c.obs = tlsparse.NewObserver()
		}
	}
	return c.obs
}

// handshake returns what the observer found and gives the observer back.
func (c *connStream) handshake() (hs *tlsparse.Handshake, decided bool) {
	if c.obs == nil {
		return &tlsparse.Handshake{ClientDir: -1}, false // no bytes: not TLS
	}
	hs, decided = c.obs.Handshake(), c.obs.Decided()
	if len(c.fr.spareObs) < maxSpareObservers {
		c.obs.Reset()
		c.fr.spareObs = append(c.fr.spareObs, c.obs)
	}
	c.obs = nil
	return hs, decided
}

func (c *connStream) Data(dir pcaps.Dir, b []byte, ts time.Time) bool {
	if c.done {
		return false
	}
	if c.observer().Data(int(dir), b) {
		c.finish()
		return false
	}
	return true
}

func (c *connStream) Gap(dir pcaps.Dir, n int) {
	if !c.done {
		c.observer().Gap(int(dir))
	}
}

func (c *connStream) Anomaly(dir pcaps.Dir, what string) {
	if len(c.anomalies) < 16 && !slices.Contains(c.anomalies, what) {
		c.anomalies = append(c.anomalies, what)
	}
}

func (c *connStream) End(e pcaps.Ending) {
	if c.done {
		return
	}
	c.done = true
	hs, decided := c.handshake()
	unknownEnd := func() {
		hs.Incomplete = true
		if hs.Status == tlsparse.CertMissing {
			hs.Status = tlsparse.CertIncomplete
		}
	}
	switch e.Reason {
	case pcaps.EndEOF, pcaps.EndIdle, pcaps.EndEvicted:
		// The handshake was still undecided when the capture (or tsid's
		// tracking) let go of the connection: what came next is unknown,
		// which is not the same as a server that sent no certificate.
		if hs.IsTLS && !decided {
			unknownEnd()
			c.anomalies = append(c.anomalies, "handshake-unfinished:"+e.Reason.String())
		}
	}
	if hs.IsTLS && !decided && hs.ClientDir >= 0 && e.Packets[1-hs.ClientDir] == 0 {
		unknownEnd()
		c.anomalies = append(c.anomalies, AnomalyServerNotCaptured)
	}
	c.record(hs)
}

func (c *connStream) finish() {
	c.done = true
	hs, _ := c.handshake()
	c.record(hs)
}

// record hands the finished connection to the record stage, with what
// only the packet side knows: which side is the client, and the DNS
// answers seen before it.
func (c *connStream) record(hs *tlsparse.Handshake) {
	j := job{id: c.info.ID, info: *c.info}
	if hs.IsTLS {
		j.hs, j.anomalies = hs, c.anomalies
		client, server := c.endpoints(hs)
		if dns := c.fr.asm.DNS; dns != nil && client.IsValid() {
			j.dns = dns.Names(client.Addr(), server.Addr(), c.info.First)
		}
	}
	if !c.fr.stage.add(j) {
		c.fr.broken = true
	}
}

// endpoints returns the client and server sides of the connection.
func (c *connStream) endpoints(hs *tlsparse.Handshake) (client, server netip.AddrPort) {
	info := c.info
	switch {
	case hs.ClientDir == 1:
		return info.B, info.A
	case hs.ClientDir < 0 && !info.SYN:
		// No hello and no SYN (the capture began mid-connection): the
		// side on a well-known port is most likely the server.
		if info.A.Port() < 1024 && info.B.Port() >= 1024 {
			return info.B, info.A
		}
	}
	return info.A, info.B
}

// build runs on the record stage: it makes the job's record and passes it
// on in order.
func (fr *fileRun) build(j *job) {
	if j.hs == nil {
		fr.finished(j.id, notTLS)
		return
	}
	r := fr.an.record(fr, j)
	if fr.facts == nil {
		fr.facts = map[*Record]*probeFacts{}
	}
	fr.facts[r] = newProbeFacts(j)
	fr.finished(j.id, r)
}

// Record is the record of one connection whose handshake was observed
// elsewhere: what Analyze makes of a connection of a capture named file,
// with info from the assembler, the observer's handshake and the DNS names
// the client resolved to the server just before. hs and its parts are
// not changed. A library that reassembles on its own gets tsid's records
// from it; probes and joining, which need the other connections, are not
// applied.
func (an *Analyzer) Record(file string, info pcaps.ConnInfo, hs *tlsparse.Handshake, dns []string) *Record {
	return an.record(&fileRun{an: an, name: file}, &job{id: info.ID, info: info, hs: hs, dns: dns})
}

// record turns a finished handshake into a Record.
func (an *Analyzer) record(fr *fileRun, j *job) *Record {
	info, hs, tcpAnomalies := &j.info, j.hs, j.anomalies
	client, server := (&connStream{info: info}).endpoints(hs)
	if hs.ClientDir < 0 && !info.SYN {
		tcpAnomalies = append(tcpAnomalies, "client-side-guessed")
	}
	r := &Record{
		File:       fr.name,
		Time:       Time(info.First),
		Client:     client.String(),
		Server:     server.String(),
		SNIStatus:  string(hs.SNIStatus),
		CertStatus: string(hs.Status),
		DNSNames:   []string{},
		Flags:      []string{},
	}
	r.Outer = outer(info, client)
	if hs.Version != 0 {
		r.TLSVersion = hs.Version.String()
	}
	f := sniid.Facts{
		SNIStatus:  string(hs.SNIStatus),
		CertStatus: string(hs.Status),
		Time:       info.First,
		Resumed:    hs.Resumed,
		Incomplete: hs.Incomplete,
	}
	rawSNI := "" // the first host_name as sent, not cut at a NUL
	// Only a ClientHello read whole is set (tlsparse.Handshake): what a
	// partial one held is unknown, and stays out of the record.
	if ch := hs.ClientHello; ch != nil {
		r.SNI = ch.SNI
		f.SNI = ch.SNI
		f.ECH = ch.ECH
		f.SSLv2 = ch.SSLv2
		r.ALPN = nonNil(ch.ALPN)
		rawSNI = firstHostName(ch)
		if len(ch.ServerNames) > 1 || rawSNI != ch.SNI {
			for _, sn := range ch.ServerNames {
				r.ServerNames = append(r.ServerNames, string(sn.Name))
			}
		}
		for _, v := range ch.SupportedVersions {
			r.Offered = append(r.Offered, v.String())
		}
		r.Anomalies = append(r.Anomalies, ch.Anomalies...)
		if an.opts.Join {
			r.ClientRandom = hex.EncodeToString(ch.Random)
		}
	}
	if sh := hs.ServerHello; sh != nil {
		r.CipherSuite = cipherSuiteName(sh.CipherSuite)
		r.Anomalies = append(r.Anomalies, sh.Anomalies...)
	}
	var certBad []string // keys of the certificate fields escaped
	if len(hs.Chain) > 0 {
		leaf := hs.Chain[0]
		v := fr.view(leaf)
		r.Cert, certBad = v.rec, v.bad
		f.SANDNS = leaf.DNSNames
		f.SANIP = leaf.IPs
		f.CNs = leaf.CNs
		f.OUs = leaf.OUs
		f.SelfSigned = leaf.SelfSigned
		f.NotBefore, f.NotAfter = leaf.NotBefore, leaf.NotAfter
		for i, c := range hs.Chain {
			v := fr.view(c)
			r.Chain = append(r.Chain, v.line)
			if v.lineBad && !slices.Contains(certBad, "chain") {
				certBad = append(certBad[:len(certBad):len(certBad)], "chain")
			}
			// What the DER reader noticed (san-too-many: the SAN list was
			// cut), named as --explain names the certificates.
			for _, a := range c.Anomalies {
				where := "leaf:"
				if i > 0 {
					where = "chain[" + strconv.Itoa(i) + "]:"
				}
				r.Anomalies = append(r.Anomalies, where+a)
			}
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
	if len(j.dns) > 0 {
		r.DNSNames = j.dns
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
	r.SNIUnicode = idnForm(r, "sni", r.SNI)
	r.HostUnicode = idnForm(r, "host", d.Host)
	if oddName(rawSNI, r.SNIUnicode) || oddName(d.Host, r.HostUnicode) {
		r.Flags = append(r.Flags, FlagOddName)
	}
	for _, a := range tcpAnomalies {
		if a == FlagOverlapConflict {
			r.Flags = append(r.Flags, a)
		}
	}
	if an.opts.AllProfiles {
		r.Profiles = map[string]HostPick{}
		for _, pd := range as.Profiles {
			r.Profiles[pd.Profile] = HostPick{Host: pd.Host, HostSource: string(pd.Source), Unknown: pd.Unknown}
		}
	}
	if an.opts.Policy != nil {
		an.judge(fr, r, &as)
	}
	if an.opts.Explain {
		r.Explain = explain(hs, r, &as, an.opts.AllProfiles)
	}
	escapeRecord(r, certBad)
	return r
}

// outer is the tunnel's outer address pair oriented like the record (the
// client's side first; ConnInfo keeps A's side first), nil when the
// connection came untunnelled.
func outer(info *pcaps.ConnInfo, client netip.AddrPort) *Outer {
	o := info.Outer
	if !o[0].IsValid() {
		return nil
	}
	if client != info.A {
		o[0], o[1] = o[1], o[0]
	}
	return &Outer{Client: o[0].String(), Server: o[1].String()}
}

// firstHostName is the first host_name entry of the server_name
// extension as sent: ClientHello.SNI is cut at a NUL, as the engines read
// it, but the bytes after the NUL are part of what the client sent.
func firstHostName(ch *tlsparse.ClientHello) string {
	for _, sn := range ch.ServerNames {
		if sn.Type == 0 {
			return sn.Name
		}
	}
	return ch.SNI
}

// idnForm is the Unicode form of a name with IDNA A-labels, "" when it
// has none; a label that does not decode adds anomaly idn-invalid:<key>.
func idnForm(r *Record, key, name string) string {
	uni, ok := unicodeName(name)
	if !ok {
		r.Anomalies = append(r.Anomalies, "idn-invalid:"+key)
	}
	return uni
}

// escapeRecord makes every string of r valid UTF-8 (escapeNonUTF8), so
// that no output shows another name than the one sent. Each key of the
// JSON contract that needed it gets an anomaly name-not-utf8:<key>
// (certBad: those of the certificate, escaped once per certificate);
// profiles and explain repeat those names and are escaped silently.
func escapeRecord(r *Record, certBad []string) {
	var u utf8Check
	u.str("", &r.File)
	u.str("sni", &r.SNI)
	u.list("server_names", &r.ServerNames)
	u.str("sni_unicode", &r.SNIUnicode)
	u.list("dns_names", &r.DNSNames)
	u.str("host", &r.Host)
	u.str("host_unicode", &r.HostUnicode)
	u.str("url", &r.URL)
	u.list("alpn", &r.ALPN)
	u.str("", &r.HostUnknown)
	u.list("", &r.Flags)
	for _, k := range certBad {
		u.note(k)
	}
	u.list("", &r.Anomalies)
	for p, hp := range r.Profiles {
		if !utf8.ValidString(hp.Host) || !utf8.ValidString(hp.Unknown) {
			u.str("", &hp.Host)
			u.str("", &hp.Unknown)
			r.Profiles[p] = hp
		}
	}
	if e := r.Explain; e != nil {
		for i := range e.Candidates {
			u.str("", &e.Candidates[i].Value)
			u.str("", &e.Candidates[i].Field)
		}
		steps := func(tr []sniid.TraceStep) {
			for i := range tr {
				u.str("", &tr[i].Value)
				u.str("", &tr[i].Why)
			}
		}
		steps(e.Steps)
		for _, tr := range e.Profiles {
			steps(tr)
		}
	}
	for _, k := range u.bad {
		r.Anomalies = append(r.Anomalies, "name-not-utf8:"+k)
	}
}

// certView is what a record shows of a certificate. It is made once per
// certificate and shared by the records (which are not modified once
// made): a busy capture shows the same few certificates again and again,
// and tlsparse hands out one *Certificate for equal ones.
type certView struct {
	rec     *CertRecord
	bad     []string // keys of rec escaped for not being UTF-8 (certRecord)
	line    string
	lineBad bool // line holds an escaped byte
}

func (fr *fileRun) view(c *tlsparse.Certificate) *certView {
	if v := fr.certs[c]; v != nil {
		return v
	}
	if len(fr.certs) >= 4096 || fr.certs == nil {
		fr.certs = make(map[*tlsparse.Certificate]*certView)
	}
	v := new(certView)
	v.rec, v.bad = certRecord(c)
	v.line, v.lineBad = chainLine(c)
	fr.certs[c] = v
	return v
}

// cipherSuiteName is tls.CipherSuiteName without its per-call list of
// every suite.
func cipherSuiteName(id uint16) string {
	if n, ok := cipherNames()[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id) // "0x1234" for unknown suites
}

var cipherNames = sync.OnceValue(func() map[uint16]string {
	m := map[uint16]string{}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, cs := range list {
			m[cs.ID] = cs.Name
		}
	}
	return m
})

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
