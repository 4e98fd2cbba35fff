package diagnose

import (
	"context"
	"crypto/x509"
	"io"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/pcaps"
)

// Options say what a Diagnoser checks against.
type Options struct {
	// Roots are the trusted roots besides the public ones (the Mozilla
	// bundle): an enterprise CA a user expects (--trust).
	Roots []*x509.Certificate
	// ExpectIssuer maps a destination name to a substring its leaf's
	// issuer must contain (--expect-issuer): an inspection device shows
	// even when its CA is trusted.
	ExpectIssuer []IssuerRule
	// TextDate dates the times of ASA/FTD text captures (see analysis).
	TextDate time.Time
	// Warn receives notes about the input, one line each; nil drops them.
	Warn func(msg string)
}

// IssuerRule is one --expect-issuer NAME=SUBSTRING.
type IssuerRule struct {
	Name      string // a destination name; "*.example.com" matches its subdomains
	Substring string // must occur in the leaf's issuer (RFC 4514 form), case-insensitively
}

// Destination is what happened to the connections a client meant for one
// name (the JSON Lines contract of 'tsid diagnose -f json').
type Destination struct {
	Name        string    `json:"name"`
	NameFrom    string    `json:"name_from"` // sni, connect, dns, address
	Servers     []string  `json:"servers"`
	Connections int       `json:"connections"`
	OK          int       `json:"ok"`      // handshakes completed (or plain TCP that carried data both ways)
	Failed      int       `json:"failed"`  // connections with a failure finding
	Unknown     int       `json:"unknown"` // connections the capture did not show to their outcome
	Findings    []Finding `json:"findings"`
	Lookups     int       `json:"dns_lookups"` // DNS lookups of the name
}

// Finding is one kind of failure (or, for proxy-connect, a fact) with its
// evidence and the next step.
type Finding struct {
	Code     string `json:"code"`
	Count    int    `json:"count"`
	First    Where  `json:"first"`
	Evidence string `json:"evidence"`
	Advice   string `json:"advice"`
	// Failure says whether it makes the connection (or lookup) a failure;
	// proxy-connect does not.
	Failure bool `json:"failure"`
	// Logged lists the FMC log's curl errors this finding explains
	// (--log): "file:line: curl error N (text) at TIME".
	Logged []string `json:"logged,omitempty"`
}

// Where names the first connection (or lookup) a finding was seen on.
type Where struct {
	Time   analysis.Time `json:"time"`
	Client string        `json:"client"`
	Server string        `json:"server"`
	File   string        `json:"file"`
}

// Diagnoser gathers the connections and lookups of captures and sorts
// them by destination. Add is safe to call from one goroutine at a time.
type Diagnoser struct {
	opts  Options
	roots *x509.CertPool
	an    *analysis.Analyzer // opens captures, as tsid analyze does

	mu    sync.Mutex
	dests map[string]*dest
	order []string
	// Names each client resolved, by address: a connection to an address
	// is meant for the name it was resolved from.
	resolved map[netip.Addr][]string
	curl     []CurlError // the FMC log's errors (AddLog)
}

// dest is a Destination being gathered.
type dest struct {
	Destination
	servers  map[string]bool
	findings []*Finding // in the order first raised
	byCode   map[string]*Finding
}

// New returns a Diagnoser.
func New(o Options) *Diagnoser {
	return &Diagnoser{
		opts:     o,
		roots:    rootPool(o.Roots),
		an:       analysis.New(analysis.Options{TextDate: o.TextDate, Warn: o.Warn}),
		dests:    map[string]*dest{},
		resolved: map[netip.Addr][]string{},
	}
}

// Add reads one capture (src, or the file name when src is nil). The
// connections read before a damaged part count; the error names the file.
func (d *Diagnoser) Add(ctx context.Context, name string, src io.Reader) error {
	rd, closer, err := d.an.Open(name, src)
	if err != nil {
		return err
	}
	defer closer.Close()
	f := &fileRun{d: d, name: name}
	asm := pcaps.NewAssembler(f.newStream, pcaps.Config{DNSLookups: f.lookup})
	for n := 0; ; n++ {
		if n&4095 == 0 && ctx.Err() != nil {
			err = &analysis.FileError{File: name, Err: ctx.Err()}
			break
		}
		data, ci, link, rerr := rd.Next()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = &analysis.FileError{File: name, Err: rerr}
			break
		}
		asm.Packet(data, ci, link)
		if ci.Timestamp.After(f.last) {
			f.last = ci.Timestamp
		}
	}
	asm.Close()
	f.finish()
	return err
}

// AddLog adds the FMC log's curl errors, to be joined with the findings
// by time.
func (d *Diagnoser) AddLog(errs []CurlError) {
	d.mu.Lock()
	d.curl = append(d.curl, errs...)
	d.mu.Unlock()
}

// curlWindow is how long after a finding's first connection a curl error
// may come and still be its outcome (libcurl gives up after its connect
// and operation timeouts), and curlSkew how far before (clocks differ).
const (
	curlWindow = 5 * time.Minute
	curlSkew   = time.Minute
)

// joinLog puts each curl error on the finding it is nearest to in time
// among those it can explain; it returns the errors no finding explains.
func (d *Diagnoser) joinLog(dsts []Destination) []CurlError {
	var rest []CurlError
	for i := range d.curl {
		ce := &d.curl[i]
		var best *Finding
		var bestGap time.Duration
		for di := range dsts {
			for fi := range dsts[di].Findings {
				f := &dsts[di].Findings[fi]
				if !f.Failure || !ce.explains(f.Code) {
					continue
				}
				first := time.Time(f.First.Time)
				lt := ce.Time
				if ce.NoYear && !lt.IsZero() {
					lt = lt.AddDate(first.Year()-lt.Year(), 0, 0)
				}
				gap := lt.Sub(first)
				if lt.IsZero() || gap < -curlSkew || gap > curlWindow {
					continue
				}
				if gap < 0 {
					gap = -gap
				}
				if best == nil || gap < bestGap {
					best, bestGap = f, gap
				}
			}
		}
		if best == nil {
			rest = append(rest, *ce)
			continue
		}
		best.Logged = append(best.Logged, ce.String())
	}
	return rest
}

// UnexplainedLog returns the FMC log's curl errors no finding explains.
func (d *Diagnoser) UnexplainedLog() []CurlError {
	dsts := d.Destinations()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.joinLog(dsts)
}

// Destinations returns the destinations seen so far: those with failures
// first (most failed first), then the others, each in order of first sight.
func (d *Diagnoser) Destinations() []Destination {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Destination
	for _, name := range d.order {
		x := d.dests[name]
		dst := x.Destination
		dst.Servers = sortedKeys(x.servers)
		dst.Findings = nil
		for _, f := range x.findings {
			dst.Findings = append(dst.Findings, *f)
		}
		sort.SliceStable(dst.Findings, func(i, j int) bool {
			a, b := dst.Findings[i], dst.Findings[j]
			if a.Failure != b.Failure {
				return a.Failure
			}
			return time.Time(a.First.Time).Before(time.Time(b.First.Time))
		})
		if dst.Findings == nil {
			dst.Findings = []Finding{}
		}
		out = append(out, dst)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].HasFailed() && !out[j].HasFailed() })
	d.joinLog(out)
	return out
}

// HasFailed reports whether the destination has a failure finding.
func (d *Destination) HasFailed() bool {
	return slices.ContainsFunc(d.Findings, func(f Finding) bool { return f.Failure })
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// destination returns the destination named name, made on first sight.
func (d *Diagnoser) destination(name, from string) *dest {
	x := d.dests[name]
	if x == nil {
		x = &dest{Destination: Destination{Name: name, NameFrom: from}, servers: map[string]bool{}, byCode: map[string]*Finding{}}
		d.dests[name] = x
		d.order = append(d.order, name)
	}
	if fromRank[from] > fromRank[x.NameFrom] {
		x.NameFrom = from // the best evidence of the name: the SNI over a lookup
	}
	return x
}

// fromRank orders the sources of a destination's name.
var fromRank = map[string]int{FromAddress: 0, FromDNS: 1, FromConnect: 2, FromSNI: 3}

// add records one finding on x.
func (x *dest) add(f Finding) {
	if g := x.byCode[f.Code]; g != nil {
		g.Count++
		return
	}
	f.Count = 1
	x.byCode[f.Code] = &f
	x.findings = append(x.findings, &f)
}
