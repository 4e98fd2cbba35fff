package report

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tsid-project/tsid/analysis"
)

// GroupKeys are the groupings NewGroups knows: what a group's key is.
var GroupKeys = []string{"host", "server", "sni", "client", "flag"}

// groupSetCap is the most distinct clients, servers or hosts a group
// remembers; past it the count saturates (shown "100000+").
const groupSetCap = 100_000

// Group keys for what a record does not show.
const (
	groupNoHost = "(none)"    // by host: the profile logs nothing
	groupNoFlag = "(no flag)" // by flag: a record without flags
	groupNoAddr = "(none)"    // by server or client: no address
)

// NewGroups makes a writer that gathers records and, at Close, writes one
// line per group of them instead of one per connection, largest group
// first (then by key). by says what makes a group (GroupKeys):
//
//   - host: the logged host (Record.Host); "(none)" when the profile logs
//     nothing, "?" when it cannot decide (Record.HostUnknown)
//   - server: the server's address without the port
//   - sni: the SNI; "-" absent, "?" unknown, `""` sent empty (as the table)
//   - client: the client's address without the port
//   - flag: each flag's name (near-miss:NAME counts as near-miss): a record
//     is in the group of every flag it carries, "(no flag)" without any
//
// format is "table", "json" (one object per group per line) or "csv";
// anything else is a table, as with New. The table ends with the summary
// line unless quiet. The writer keeps counters and sets per group, never
// the records; TSID probes (the firewall's own connections, which the
// summary does not count either) are left out.
func NewGroups(format string, w io.Writer, by string, quiet bool) (Writer, error) {
	if !slices.Contains(GroupKeys, by) {
		return nil, fmt.Errorf("report: cannot group by %q: want one of %s", by, strings.Join(GroupKeys, ", "))
	}
	return &groupWriter{format: format, w: w, by: by, quiet: quiet,
		groups: make(map[string]*groupStats), setCap: groupSetCap}, nil
}

// groupWriter gathers records into groups; Close writes them.
type groupWriter struct {
	format string
	w      io.Writer
	by     string
	quiet  bool
	groups map[string]*groupStats
	setCap int      // groupSetCap; smaller in tests
	keys   []string // the current record's keys, reused
	flags  []string // the current record's flag names, reused
}

// groupStats is what the writer keeps of a group's records.
type groupStats struct {
	key                      string
	conns                    int
	clients, servers, hosts  groupSet
	present, absent, unknown int // by sni_status
	flags                    map[string]int
	first, last              time.Time
}

// groupSet is a set of strings that stops growing at a cap; more says
// it saw another one past it.
type groupSet struct {
	m    map[string]struct{}
	more bool
}

func (s *groupSet) add(v string, limit int) {
	if _, ok := s.m[v]; ok {
		return
	}
	if len(s.m) >= limit {
		s.more = true
		return
	}
	if s.m == nil {
		s.m = make(map[string]struct{})
	}
	s.m[v] = struct{}{}
}

// count is the set's size as shown: "100000+" once it saturated.
func (s *groupSet) count() string {
	n := strconv.Itoa(len(s.m))
	if s.more {
		n += "+"
	}
	return n
}

// sorted is the set's members in order.
func (s *groupSet) sorted() []string {
	l := make([]string, 0, len(s.m))
	for v := range s.m {
		l = append(l, v)
	}
	slices.Sort(l)
	return l
}

func (g *groupWriter) Write(r *analysis.Record) error {
	if r.Role == analysis.RoleProbe {
		return nil
	}
	g.flags = groupFlagNames(g.flags[:0], r.Flags)
	g.keys = g.recordKeys(g.keys[:0], r)
	hosts := groupProfileHosts(r)
	client, server := groupAddr(r.Client), r.Server
	t := time.Time(r.Time)
	for _, k := range g.keys {
		gr := g.groups[k]
		if gr == nil {
			gr = &groupStats{key: k, flags: make(map[string]int)}
			g.groups[k] = gr
		}
		gr.conns++
		gr.clients.add(client, g.setCap)
		gr.servers.add(server, g.setCap)
		for _, h := range hosts {
			gr.hosts.add(h, g.setCap)
		}
		switch {
		case r.SNIStatus == analysis.SNIUnknown:
			gr.unknown++
		case r.SNIStatus == analysis.SNIPresent, r.SNIStatus == "" && r.SNI != "":
			gr.present++
		default:
			gr.absent++
		}
		for _, f := range g.flags {
			gr.flags[f]++
		}
		if !t.IsZero() {
			if gr.first.IsZero() || t.Before(gr.first) {
				gr.first = t
			}
			if gr.last.IsZero() || t.After(gr.last) {
				gr.last = t
			}
		}
	}
	return nil
}

// recordKeys appends the keys of the groups r is in: one, or with by
// flag one per flag name.
func (g *groupWriter) recordKeys(dst []string, r *analysis.Record) []string {
	switch g.by {
	case "host":
		return append(dst, groupHost(r.Host, r.HostUnknown))
	case "server":
		return append(dst, groupAddr(r.Server))
	case "client":
		return append(dst, groupAddr(r.Client))
	case "sni":
		sni, _ := sniCell(r)
		return append(dst, sni)
	}
	if len(g.flags) == 0 {
		return append(dst, groupNoFlag)
	}
	return append(dst, g.flags...)
}

// groupHost is a logged host as the groups show it.
func groupHost(host, unknown string) string {
	switch {
	case host != "":
		return host
	case unknown != "":
		return "?" // the profile needs what the capture does not show
	}
	return groupNoHost
}

// groupFlagNames appends the names of flags, each once, in their order:
// near-miss:NAME is near-miss.
func groupFlagNames(dst, flags []string) []string {
	for _, f := range flags {
		name, _, _ := strings.Cut(f, ":")
		if !slices.Contains(dst, name) {
			dst = append(dst, name)
		}
	}
	return dst
}

// groupProfileHosts are the hosts the profiles pick for r when they differ;
// nil when they agree or r has no Profiles.
func groupProfileHosts(r *analysis.Record) []string {
	var hosts []string
	for _, hp := range r.Profiles {
		h := groupHost(hp.Host, hp.Unknown)
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) < 2 {
		return nil
	}
	return hosts
}

// groupAddr is an ip:port's address ([::1]:443 gives ::1); the string as
// it is when it has no port.
func groupAddr(a string) string {
	if a == "" {
		return groupNoAddr
	}
	if h, _, err := net.SplitHostPort(a); err == nil {
		return h
	}
	return a
}

// sortedGroups are the groups, largest first, then by key.
func (g *groupWriter) sortedGroups() []*groupStats {
	l := make([]*groupStats, 0, len(g.groups))
	for _, gr := range g.groups {
		l = append(l, gr)
	}
	slices.SortFunc(l, func(a, b *groupStats) int {
		return cmp.Or(cmp.Compare(b.conns, a.conns), strings.Compare(a.key, b.key))
	})
	return l
}

func (g *groupWriter) Close(s *analysis.Summary) error {
	groups := g.sortedGroups()
	g.groups = nil
	switch g.format {
	case "json":
		return g.writeJSON(groups)
	case "csv":
		return g.writeCSV(groups)
	}
	return g.writeTable(groups, s)
}

// flagCounts are a group's flags as name:count, most frequent first,
// then by name.
func (gr *groupStats) flagCounts() []string {
	names := make([]string, 0, len(gr.flags))
	for f := range gr.flags {
		names = append(names, f)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(gr.flags[b], gr.flags[a]), strings.Compare(a, b))
	})
	for i, f := range names {
		names[i] = f + ":" + strconv.Itoa(gr.flags[f])
	}
	return names
}

// groupJSON is one line of the json format.
type groupJSON struct {
	By            string         `json:"by"`
	Key           string         `json:"key"`
	Connections   int            `json:"connections"`
	Clients       int            `json:"clients"`
	ClientsCapped bool           `json:"clients_capped,omitempty"` // more than Clients: the count saturated
	Servers       int            `json:"servers"`
	ServersCapped bool           `json:"servers_capped,omitempty"`
	SNI           groupSNI       `json:"sni"`
	Hosts         []string       `json:"hosts,omitempty"` // the profiles' hosts where they differ
	HostsCapped   bool           `json:"hosts_capped,omitempty"`
	Flags         map[string]int `json:"flags"`
	First         analysis.Time  `json:"first"`
	Last          analysis.Time  `json:"last"`
}

// groupSNI counts a group's connections by sni_status.
type groupSNI struct {
	Present int `json:"present"`
	Absent  int `json:"absent"`
	Unknown int `json:"unknown"`
}

func (g *groupWriter) writeJSON(groups []*groupStats) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, gr := range groups {
		buf.Reset()
		v := groupJSON{By: g.by, Key: gr.key, Connections: gr.conns,
			Clients: len(gr.clients.m), ClientsCapped: gr.clients.more,
			Servers: len(gr.servers.m), ServersCapped: gr.servers.more,
			SNI:   groupSNI{Present: gr.present, Absent: gr.absent, Unknown: gr.unknown},
			Hosts: gr.hosts.sorted(), HostsCapped: gr.hosts.more,
			Flags: gr.flags, First: analysis.Time(gr.first), Last: analysis.Time(gr.last)}
		if err := enc.Encode(v); err != nil {
			return err
		}
		if _, err := g.w.Write(escapeInvisible(buf.Bytes())); err != nil {
			return err
		}
	}
	return nil
}

// groupCSVColumns are the csv format's header; lists are joined with ";",
// counts that saturated end in "+".
var groupCSVColumns = []string{"by", "key", "connections", "clients", "servers",
	"sni_present", "sni_absent", "sni_unknown", "hosts", "flags", "first", "last"}

func (g *groupWriter) writeCSV(groups []*groupStats) error {
	cw := csv.NewWriter(g.w)
	if err := cw.Write(groupCSVColumns); err != nil {
		return err
	}
	for _, gr := range groups {
		hosts := gr.hosts.sorted()
		if gr.hosts.more {
			hosts = append(hosts, "+")
		}
		row := []string{g.by, gr.key, strconv.Itoa(gr.conns), gr.clients.count(), gr.servers.count(),
			strconv.Itoa(gr.present), strconv.Itoa(gr.absent), strconv.Itoa(gr.unknown),
			strings.Join(hosts, ";"), strings.Join(gr.flagCounts(), ";"),
			timeText(analysis.Time(gr.first)), timeText(analysis.Time(gr.last))}
		for i, v := range row {
			row[i] = csvCell(v)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// groupKeyCap is the widest the table's key column gets; a longer key is
// cut keeping both ends (the JSON has it whole).
const groupKeyCap = 64

var groupKeyTitles = map[string]string{"host": "Host", "server": "Server", "sni": "SNI", "client": "Client", "flag": "Flag"}

// groupNumeric marks the table's right-aligned columns.
var groupNumeric = []bool{false, true, true, true, false, false, false, false}

func (g *groupWriter) writeTable(groups []*groupStats, s *analysis.Summary) error {
	var b strings.Builder
	if len(groups) == 0 {
		if !g.quiet {
			b.WriteString("no TLS connections found\n")
		}
	} else {
		header := []string{groupKeyTitles[g.by], "Connections", "Clients", "Servers", "SNI p/a/u", "Flags", "First (UTC)", "Last (UTC)"}
		rows := [][]string{header}
		for _, gr := range groups {
			flags := strings.Join(gr.flagCounts(), " ")
			if flags == "" {
				flags = "-"
			}
			rows = append(rows, []string{cut(Printable(gr.key), groupKeyCap), strconv.Itoa(gr.conns),
				gr.clients.count(), gr.servers.count(),
				fmt.Sprintf("%d/%d/%d", gr.present, gr.absent, gr.unknown),
				Printable(flags), groupTime(gr.first), groupTime(gr.last)})
		}
		widths := make([]int, len(header))
		for _, row := range rows {
			for i, c := range row {
				widths[i] = max(widths[i], width(c))
			}
		}
		for i, row := range rows {
			var line strings.Builder
			for j, c := range row {
				pad := strings.Repeat(" ", widths[j]-width(c))
				if groupNumeric[j] {
					line.WriteString(pad + c)
				} else {
					line.WriteString(c + pad)
				}
				line.WriteString("  ")
			}
			b.WriteString(strings.TrimRight(line.String(), " "))
			b.WriteByte('\n')
			if i == 0 {
				continue
			}
			if gr := groups[i-1]; len(gr.hosts.m) > 0 {
				hosts := gr.hosts.sorted()
				if gr.hosts.more {
					hosts = append(hosts, "+")
				}
				b.WriteString(wrapList("    hosts: ", hosts))
				b.WriteByte('\n')
			}
		}
	}
	if !g.quiet && s != nil {
		fmt.Fprintf(&b, "\n%s\n", SummaryLine(s))
	}
	_, err := io.WriteString(g.w, b.String())
	return err
}

// groupTime is a time as the table shows it; "-" when there is none.
func groupTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
