package report

import (
	"cmp"
	_ "embed"
	"html/template"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/sniid"
)

// The HTML report is one file a TAC engineer attaches to a case: inline
// CSS and JS, nothing fetched. Every name goes through html/template,
// after Printable: a certificate's CN is attacker-chosen, and may be
// markup, an attribute break or control characters.

//go:embed html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// What the report shows is bounded; the JSON output has everything.
const (
	htmlMaxRows   = 5000 // flagged connections listed
	htmlMaxGroups = 1000 // logged hosts listed
	htmlMaxSANs   = 16   // SAN entries listed per connection, besides the marked ones
	htmlMaxFiles  = 20   // capture files named in the header
	htmlNameWidth = 300  // runes of a name shown
)

// NewHTML makes a writer that gathers the records and, at Close, writes
// one self-contained HTML page to w: the run's summary, the connections
// grouped by logged host, and every connection with a warning flag, with the
// certificate's names and the one each profile logs marked on them. It
// keeps the groups and at most 5,000 connections, not the records.
func NewHTML(w io.Writer, o Options) Writer {
	return &htmlWriter{w: w, o: o, groups: map[string]*htmlGroup{}, fileSet: map[string]bool{}, flagRows: map[string]int{}}
}

type htmlWriter struct {
	w io.Writer
	o Options

	n           int       // records written
	first, last time.Time // the earliest and latest first packet
	files       []string  // in order of first record
	fileSet     map[string]bool
	profile     string // the profile in use (Record.Profile)
	groups      map[string]*htmlGroup
	rows        []htmlRow
	more        int            // flagged connections past htmlMaxRows
	flagRows    map[string]int // flag name (before ":") -> flagged connections with it
	verdicts    bool           // some row has a verdict
	logged      bool           // some row has what the firewall logged
	probed      int            // records decided on a certificate tsid's probe read
}

// htmlGroup is the connections of one logged host.
type htmlGroup struct {
	Host             string // as shown: "(none)" or "?" when there is none
	Conns            int
	clients, servers map[string]bool
	flags            map[string]int
}

// htmlCount is a name with a number, for the page.
type htmlCount struct {
	Name string
	N    int
}

// htmlRow is one flagged connection as the page shows it.
type htmlRow struct {
	Date, Clock               string // the first packet's, UTC: "2026-11-02", "09:15:00.022000Z"
	Client, Server, File      string
	SNI, SNITitle             string
	Host, HostSource, HostWhy string
	Flags                     []string
	FlagNames                 string // space-separated, for the flag filter
	Names                     []htmlName
	Why                       string   // which name the profile in use logs, and why it is that one
	Others                    []string // picks that are on no name listed: "snort3: ? (needs …)"
	CertStatus                string
	CertFrom                  string // where a certificate not in the connection came from
	Verdict                   *htmlVerdict
	Intended                  []string
	Logged                    *htmlLogged
}

// htmlName is one name a firewall may log: the SNI, the certificate's CN,
// a SAN or an OU, with the profiles that log it. Gap > 0 stands for that
// many SAN entries left out.
type htmlName struct {
	Kind, Value string
	Marks       []htmlMark
	Logged      bool // the profile in use logs this name
	Gap         int
}

// htmlMark is a profile that logs a name; Chosen: the profile in use.
type htmlMark struct {
	Profile string
	Chosen  bool
}

type htmlVerdict struct {
	Name, Action, Source, Text, Why string
}

type htmlLogged struct {
	URL, Host, Action, Rule, Event, Note string
}

func (h *htmlWriter) Write(r *analysis.Record) error {
	h.n++
	if t := time.Time(r.Time); !t.IsZero() {
		if h.first.IsZero() || t.Before(h.first) {
			h.first = t
		}
		if t.After(h.last) {
			h.last = t
		}
	}
	if r.CertStatus == analysis.CertProbed {
		h.probed++
	}
	if !h.fileSet[r.File] {
		h.fileSet[r.File] = true
		h.files = append(h.files, r.File)
	}
	if h.profile == "" {
		h.profile = r.Profile
	}
	h.group(r)
	if !analysis.HasWarning(r.Flags) { // notes (cert-encrypted, wildcard, …) are not worth a row
		return nil
	}
	for _, name := range htmlFlagNames(r.Flags) {
		h.flagRows[name]++
	}
	if len(h.rows) >= htmlMaxRows {
		h.more++
		return nil
	}
	row := h.row(r)
	h.verdicts = h.verdicts || row.Verdict != nil || len(row.Intended) > 0
	h.logged = h.logged || row.Logged != nil
	h.rows = append(h.rows, row)
	return nil
}

// group counts r in the group of its logged host.
func (h *htmlWriter) group(r *analysis.Record) {
	key := "h:" + r.Host // "(none)" and "?" are not hosts a name can pose as
	if r.Host == "" {
		key = "u:" + htmlHost(r)
	}
	g := h.groups[key]
	if g == nil {
		g = &htmlGroup{Host: htmlHost(r), clients: map[string]bool{}, servers: map[string]bool{}, flags: map[string]int{}}
		h.groups[key] = g
	}
	g.Conns++
	client := r.Client
	if ip, _, err := net.SplitHostPort(client); err == nil {
		client = ip // clients by address: their ports change with every connection
	}
	g.clients[client] = true
	g.servers[r.Server] = true
	for _, f := range r.Flags {
		g.flags[f]++
	}
}

// htmlHost is the logged host as the page shows it: "?" when the profile
// cannot decide, "(none)" when it has nothing to log.
func htmlHost(r *analysis.Record) string {
	switch {
	case r.Host != "":
		return htmlText(r.Host)
	case r.HostUnknown != "":
		return "?"
	}
	return "(none)"
}

// htmlText is a name as the page shows it: escaped, at most htmlNameWidth runes.
func htmlText(s string) string { return cut(Printable(s), htmlNameWidth) }

// htmlFlagNames lists the names of flags (near-miss for near-miss:NAME), each once.
func htmlFlagNames(flags []string) []string {
	var out []string
	for _, f := range flags {
		n, _, _ := strings.Cut(f, ":")
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func (h *htmlWriter) row(r *analysis.Record) htmlRow {
	row := htmlRow{
		Client:     r.Client,
		Server:     r.Server,
		File:       htmlText(r.File),
		Host:       htmlHost(r),
		HostSource: r.HostSource,
		HostWhy:    Printable(r.HostUnknown),
		FlagNames:  strings.Join(htmlFlagNames(r.Flags), " "),
		CertStatus: r.CertStatus,
	}
	row.Date, row.Clock, _ = strings.Cut(r.Time.String(), "T")
	for _, f := range r.Flags {
		row.Flags = append(row.Flags, htmlText(f))
	}
	if sni, why := sniCell(r); why == "" {
		row.SNI = htmlText(sni)
	} else {
		row.SNI, row.SNITitle = sni, why
	}
	switch r.CertStatus {
	case analysis.CertProbed:
		row.CertFrom = "certificate from tsid's probe of the server at " + timeText(r.ProbedAt) + ", not from the capture"
		if r.Probed != nil {
			row.CertFrom += "; " + Printable(verifyText(r.Probed))
		}
	case analysis.CertFromProbe:
		row.CertFrom = "certificate from the firewall's own TSID probe in the capture, not from this connection"
	}
	row.Names, row.Others = htmlNames(r)
	row.Why = htmlWhy(r, row.Names)
	if v := r.Verdict; v != nil {
		hv := &htmlVerdict{Name: htmlText(v.Name), Action: Printable(actionText(v)), Source: "(default action)", Why: Printable(v.Why)}
		if v.Rule != nil {
			hv.Source, hv.Text = Printable(v.Rule.Source), cut(Printable(v.Rule.Text), htmlNameWidth)
		}
		row.Verdict = hv
	}
	if iv := r.IntendedVerdict; iv != nil {
		row.Intended = append(row.Intended, cut(Printable(iv.Name+" ("+iv.From+"): "+verdictPhrase(iv)), htmlNameWidth))
		for _, o := range iv.Others {
			ov := &analysis.Verdict{Action: o.Action, Actions: o.Actions, Rule: o.Rule}
			row.Intended = append(row.Intended, cut(Printable(o.Name+" (dns): "+verdictPhrase(ov)), htmlNameWidth))
		}
	}
	if lg := r.Logged; lg != nil {
		row.Logged = &htmlLogged{URL: cmp.Or(htmlText(lg.URL), "(no URL)"), Host: htmlText(lg.Host), Action: Printable(lg.Action),
			Rule: htmlText(lg.Rule), Event: Printable(lg.Event), Note: Printable(lg.Note)}
	}
	return row
}

// htmlPick is one profile's choice.
type htmlPick struct {
	profile, host, source, unknown string
}

// htmlPicks lists what each profile logs, in sniid.Profiles order; without
// Record.Profiles, only the profile in use.
func htmlPicks(r *analysis.Record) []htmlPick {
	if len(r.Profiles) == 0 {
		return []htmlPick{{r.Profile, r.Host, r.HostSource, r.HostUnknown}}
	}
	var out []htmlPick
	for _, p := range sniid.Profiles() {
		if hp, ok := r.Profiles[p.Name]; ok {
			out = append(out, htmlPick{p.Name, hp.Host, hp.HostSource, hp.Unknown})
		}
	}
	return out
}

// htmlNames lists the names a firewall may log, in the certificate's order
// (CN, then the SAN DNS names), the SNI and OUs first and last when a
// profile logs them, each with the profiles that log it; others: the picks
// that are on none of them.
func htmlNames(r *analysis.Record) (list []htmlName, others []string) {
	ps := htmlPicks(r)
	picked := func(source string) bool {
		return slices.ContainsFunc(ps, func(p htmlPick) bool { return p.host != "" && p.source == source })
	}
	type entry struct {
		kind, value string
		source      string
		marks       []htmlMark
	}
	var es []entry
	if r.SNI != "" && picked("sni") {
		es = append(es, entry{kind: "SNI", value: r.SNI, source: "sni"})
	}
	if c := r.Cert; c != nil {
		if c.CN != "" {
			es = append(es, entry{kind: "CN", value: c.CN, source: "cn"})
		}
		for i, s := range c.SANDNS {
			es = append(es, entry{kind: "SAN " + strconv.Itoa(i+1), value: s, source: "san"})
		}
		if picked("ou") {
			for _, ou := range c.OU {
				es = append(es, entry{kind: "OU", value: ou, source: "ou"})
			}
		}
	}
	for _, p := range ps {
		m := htmlMark{Profile: p.profile, Chosen: p.profile == r.Profile}
		if p.host == "" {
			others = append(others, p.profile+": "+cmp.Or(Printable(p.unknown), "nothing to log"))
			continue
		}
		i := slices.IndexFunc(es, func(e entry) bool { return e.source == p.source && e.value == p.host })
		if i < 0 {
			i = slices.IndexFunc(es, func(e entry) bool {
				return e.source == p.source && strings.EqualFold(strings.TrimSuffix(e.value, "."), strings.TrimSuffix(p.host, "."))
			})
		}
		if i < 0 {
			others = append(others, p.profile+": "+htmlText(p.host)+" ("+cmp.Or(p.source, "-")+")")
			continue
		}
		es[i].marks = append(es[i].marks, m)
	}
	gap, san := 0, 0
	for _, e := range es {
		if e.source == "san" {
			san++
		}
		if e.source == "san" && len(e.marks) == 0 && san > htmlMaxSANs {
			gap++
			continue
		}
		if gap > 0 {
			list = append(list, htmlName{Gap: gap})
			gap = 0
		}
		n := htmlName{Kind: e.kind, Value: htmlText(e.value), Marks: e.marks}
		n.Logged = slices.ContainsFunc(e.marks, func(m htmlMark) bool { return m.Chosen })
		list = append(list, n)
	}
	if gap > 0 {
		list = append(list, htmlName{Gap: gap})
	}
	return list, others
}

// htmlWhy says which name the profile in use logs: "ftd logs SAN 1,
// toos.cisco.com".
func htmlWhy(r *analysis.Record, list []htmlName) string {
	if r.Host == "" {
		if r.HostUnknown != "" {
			return r.Profile + " cannot tell: " + Printable(r.HostUnknown)
		}
		return r.Profile + " has nothing to log"
	}
	for _, n := range list {
		if n.Logged {
			return r.Profile + " logs " + n.Kind + ", " + n.Value
		}
	}
	return r.Profile + " logs " + htmlText(r.Host) + " (" + cmp.Or(r.HostSource, "-") + ")"
}

// htmlPage is what the template is given.
type htmlPage struct {
	Summary        string
	From, To       string
	Records        int
	Files          []string
	MoreFiles      int
	Profile        string
	Groups         []htmlGroupRow
	MoreGroups     int
	Rows           []htmlRow
	Flagged, More  int
	FlagCounts     []htmlCount
	Verdicts, Logs bool
	Probed         int // records whose certificate tsid's probe read, not the capture
}

type htmlGroupRow struct {
	Host                    string
	Conns, Clients, Servers int
	Flags                   []htmlCount
}

func (h *htmlWriter) Close(s *analysis.Summary) error {
	p := htmlPage{
		Records:  h.n,
		Profile:  h.profile,
		Rows:     h.rows,
		Flagged:  len(h.rows) + h.more,
		More:     h.more,
		Verdicts: h.verdicts || h.o.Rules,
		Logs:     h.logged || h.o.Events,
		Probed:   h.probed,
	}
	if s != nil {
		p.Summary = SummaryLine(s)
	}
	if !h.first.IsZero() {
		p.From, p.To = analysis.Time(h.first).String(), analysis.Time(h.last).String()
	}
	for i, f := range h.files {
		if i == htmlMaxFiles {
			p.MoreFiles = len(h.files) - i
			break
		}
		p.Files = append(p.Files, htmlText(f))
	}
	for _, g := range h.groups {
		p.Groups = append(p.Groups, htmlGroupRow{Host: g.Host, Conns: g.Conns, Clients: len(g.clients), Servers: len(g.servers), Flags: htmlCounts(g.flags, htmlText)})
	}
	slices.SortFunc(p.Groups, func(a, b htmlGroupRow) int {
		return cmp.Or(cmp.Compare(b.Conns, a.Conns), strings.Compare(a.Host, b.Host))
	})
	if len(p.Groups) > htmlMaxGroups {
		p.MoreGroups = len(p.Groups) - htmlMaxGroups
		p.Groups = p.Groups[:htmlMaxGroups]
	}
	p.FlagCounts = htmlCounts(h.flagRows, htmlText)
	return htmlTemplate.Execute(h.w, p)
}

// htmlCounts sorts m by count, most first, then by name; show makes the name
// printable.
func htmlCounts(m map[string]int, show func(string) string) []htmlCount {
	out := make([]htmlCount, 0, len(m))
	for k, n := range m {
		out = append(out, htmlCount{show(k), n})
	}
	slices.SortFunc(out, func(a, b htmlCount) int { return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(a.Name, b.Name)) })
	return out
}
