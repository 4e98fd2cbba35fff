package report

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/sniid"
)

// tableWriter prints rows in the spirit of FMC connection events. Column
// widths come from the first rows; later rows are cut to fit.
type tableWriter struct {
	w       io.Writer
	explain bool
	quiet   bool
	all     bool
	rules   bool // URL rules given: the Action and Rule columns
	files   bool // several files: the File column
	width   int  // the widest line, in runes; 0: unlimited
	pending []*analysis.Record
	cols    []column
	widths  []int
	moved   []bool // columns shown on the line below the row (see fit)
	ports   bool   // the addresses' ports are shown on the line below the row
	fixed   bool
}

const (
	tableWidth  = 120 // where lists wrap when Options.Width is 0
	tableSample = 200 // rows looked at to size the columns
)

// column is one of the table's columns. Addresses are never cut, and
// names only when very long: a table that hid "toos" against "tools"
// would defeat its purpose. Cut names keep both ends; the JSON has them
// whole.
type column struct {
	header string
	short  string // the header when the column is narrower than header
	cap    int    // the widest the column gets
	// With Options.Width: names are cut to floor before a column moves,
	// to min after; 0: never cut there.
	floor, min int
	sub        string // the label of the value on the line below once moved; "": never moves
	// late: a name that moves below the row, whole, only when cutting it
	// below its floor is all that is left (see fit).
	late     bool
	ipHeader string // an address column: the header once its port moved below the row
}

// The columns in the order of the row; fit keeps Time, File, Client,
// Server, SNI, URL, Action and Rule in it whatever the width.
var (
	fileColumn   = column{header: "File", cap: 40, floor: 16, min: 9}
	tableColumns = []column{
		{header: "First Packet (UTC)", cap: 19},
		{header: "Initiator IP:Port", short: "Initiator", cap: 47, ipHeader: "Initiator IP"},
		{header: "Responder IP:Port", short: "Responder", cap: 47, ipHeader: "Responder IP"},
		{header: "TLS", cap: 7, sub: "tls"}, // "1.2" … "SSL 3.0", "0x7f1c"
		{header: "SSL Server Name", short: "SNI", cap: 40, floor: 24, min: 9, sub: "sni", late: true},
		{header: "URL", cap: 48, floor: 32, min: 9, sub: "url", late: true},
		{header: "From", cap: 4, sub: "from"},
	}
	// With URL rules, the Action and Rule columns follow.
	ruleColumns = []column{
		{header: "Action", cap: 27, min: minName},    // "interactive-block|allow|block"
		{header: "Rule", cap: 48, floor: 24, min: 9}, // a rule cut keeps file:line
	}
)

func (t *tableWriter) columns() []column {
	if t.cols == nil {
		if t.files {
			t.cols = append(t.cols, fileColumn)
		}
		t.cols = append(t.cols, tableColumns...)
		if t.rules {
			t.cols = append(t.cols, ruleColumns...)
		}
	}
	return t.cols
}

func (t *tableWriter) Write(r *analysis.Record) error {
	if t.fixed {
		return t.row(r)
	}
	t.pending = append(t.pending, r)
	if len(t.pending) >= tableSample {
		return t.fix()
	}
	return nil
}

// sniCell is the SNI as the views show it: the name as sent (not yet
// escaped), or a mark with why: "?" when the ClientHello was not read
// whole, `""` when the name was sent empty (not the same as none), "-"
// when there was none.
func sniCell(r *analysis.Record) (text, why string) {
	switch {
	case r.SNI != "":
		return r.SNI, ""
	case r.SNIStatus == analysis.SNIUnknown:
		return "?", "the ClientHello was not read whole: it may have had one"
	case slices.Contains(r.Anomalies, "sni-empty"):
		return `""`, "sent, but empty"
	}
	return "-", "no SNI"
}

// cells are the row's cells, one per column.
func (t *tableWriter) cells(r *analysis.Record) []string {
	sni, _ := sniCell(r)
	url := r.URL
	switch {
	case url != "":
	case r.HostUnknown != "":
		url = "?" // the profile needs what the capture does not show
	default:
		url = "(none)" // nothing the profile looks at was there
	}
	ver := strings.TrimPrefix(r.TLSVersion, "TLS ")
	switch {
	case ver == "":
		ver = "-"
	case r.Transport == analysis.TransportQUIC:
		ver = "Q" + ver // QUIC: TLS 1.3 in Initial packets
	case r.Transport == analysis.TransportDTLS:
		ver = "D" + strings.TrimPrefix(ver, "DTLS ") // "DTLS 1.2": D1.2
	}
	src := r.HostSource
	if src == "" {
		src = "-"
	}
	var c []string
	if t.files {
		f := "-" // standard input, or a record made by hand
		if r.File != "" && r.File != "-" {
			f = filepath.Base(r.File)
		}
		c = append(c, Printable(f))
	}
	c = append(c,
		time.Time(r.Time).UTC().Format("2006-01-02 15:04:05"),
		r.Client, r.Server,
		ver, Printable(sni), Printable(url), src,
	)
	if t.rules {
		c = append(c, Printable(actionText(r.Verdict)), Printable(ruleText(r.Verdict)))
	}
	return c
}

func (t *tableWriter) fix() error {
	t.fixed = true
	cols := t.columns()
	data := make([]int, len(cols))   // the widest cell, capped
	dataIP := make([]int, len(cols)) // the widest address without its port
	for _, r := range t.pending {
		for i, c := range t.cells(r) {
			data[i] = max(data[i], min(width(c), cols[i].cap))
			if cols[i].ipHeader != "" {
				ip, _ := splitPort(c)
				dataIP[i] = max(dataIP[i], min(width(ip), cols[i].cap))
			}
		}
	}
	t.widths = make([]int, len(cols))
	t.moved = make([]bool, len(cols))
	for i, c := range cols {
		t.widths[i] = max(data[i], width(c.header))
	}
	if t.width > 0 {
		t.fit(data, dataIP)
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.header
		if t.ports && c.ipHeader != "" {
			header[i] = c.ipHeader
		}
		if width(header[i]) > t.widths[i] && c.short != "" {
			header[i] = c.short
		}
	}
	if _, err := fmt.Fprintln(t.w, t.join(header)); err != nil {
		return err
	}
	for _, r := range t.pending {
		if err := t.row(r); err != nil {
			return err
		}
	}
	t.pending = nil
	return nil
}

// fit narrows the row to t.width, data being the widest cell of each
// column and dataIP the widest address without its port: first the
// headers that have a short form give way to the data ("Initiator
// IP:Port" to "Initiator", "SSL Server Name" to "SNI"), then long names
// are cut in the middle down to their column's floor, then TLS, From and
// the ports of both addresses move to the line below the row
// ("    tls 1.2, from san, ports 51514 -> 443"), then File, Action and
// Rule are cut down to their min. A name cut shorter than its floor would
// lose what the table is for ("toos" against "tools" as "http…o.com"), so
// then the SNI moves below the row, whole, or if that is not enough the
// URL, or both ("    url https://toos.cisco.com, tls 1.2, …"); what
// still does not fit is cut to its min. Time and the addresses stay in
// the row and are never cut. A row that does not fit even so (a width
// under some 70) is as narrow as it gets.
func (t *tableWriter) fit(data, dataIP []int) {
	cols := t.columns()
	rowWidth := func() int {
		n, w := 0, 0
		for i := range cols {
			if !t.moved[i] {
				n++
				w += t.widths[i]
			}
		}
		return w + 2*max(n-1, 0)
	}
	// shrink takes one rune at a time from the widest column that is
	// above its limit (the later column on a tie: lower priority), so
	// that names are cut evenly.
	shrink := func(limit func(i int) int) {
		for rowWidth() > t.width {
			at := -1
			for i := range cols {
				if !t.moved[i] && limit(i) > 0 && t.widths[i] > limit(i) && (at < 0 || t.widths[i] >= t.widths[at]) {
					at = i
				}
			}
			if at < 0 {
				return
			}
			t.widths[at]--
		}
	}
	shrink(func(i int) int {
		if cols[i].short == "" {
			return 0
		}
		return max(data[i], width(cols[i].short))
	})
	shrink(func(i int) int { return cols[i].floor })
	for i, c := range cols {
		if c.sub != "" && !c.late && rowWidth() > t.width {
			t.moved[i] = true
		}
	}
	if rowWidth() > t.width {
		t.ports = true
		for i, c := range cols {
			if c.ipHeader != "" {
				t.widths[i] = max(dataIP[i], width(c.short))
			}
		}
	}
	shrink(func(i int) int {
		if cols[i].late {
			return 0
		}
		return cols[i].min
	})
	t.moveNames(rowWidth)
	shrink(func(i int) int { return cols[i].min })
}

// moveNames moves the late columns (SNI, URL) below the row while it is
// wider than t.width: the first alone if that is enough, else the second
// alone, else both.
func (t *tableWriter) moveNames(rowWidth func() int) {
	if rowWidth() <= t.width {
		return
	}
	var late []int
	for i, c := range t.columns() {
		if c.late {
			late = append(late, i)
		}
	}
	for _, i := range late {
		t.moved[i] = true
		if rowWidth() <= t.width {
			return
		}
		t.moved[i] = false
	}
	for _, i := range late {
		t.moved[i] = true
	}
}

// join lays out one row, without the columns moved below it. What
// follows the row (flags, …) is on indented lines of its own, so the
// row's layout never depends on it.
func (t *tableWriter) join(cells []string) string {
	var b strings.Builder
	t.appendJoined(&b, cells)
	return b.String()
}

// appendJoined writes what join returns to b.
func (t *tableWriter) appendJoined(b *strings.Builder, cells []string) {
	pad := 0 // spaces owed before the next cell: none after the last
	for i, c := range cells {
		if t.moved[i] {
			continue
		}
		if t.ports && t.cols[i].ipHeader != "" {
			c, _ = splitPort(c)
		}
		c = cut(c, t.widths[i])
		writeSpaces(b, pad)
		b.WriteString(c)
		pad = max(0, t.widths[i]-width(c)) + 2
	}
}

// spaces is padding to write from without allocating.
const spaces = "                                                                "

func writeSpaces(b *strings.Builder, n int) {
	for n > len(spaces) {
		b.WriteString(spaces)
		n -= len(spaces)
	}
	b.WriteString(spaces[:n])
}

// movedLine is the line below the row with the cells of the columns fit
// moved there: "    tls 1.2, from san"; "" when none moved. A name moved
// comes first, the URL before the SNI: it is the answer.
func (t *tableWriter) movedLine(cells []string) string {
	var items []string
	for i := len(cells) - 1; i >= 0; i-- {
		if t.moved[i] && t.cols[i].late {
			items = append(items, t.cols[i].sub+" "+cells[i])
		}
	}
	var ports []string
	for i, c := range cells {
		switch {
		case t.moved[i] && t.cols[i].late:
		case t.moved[i]:
			items = append(items, t.cols[i].sub+" "+c)
		case t.ports && t.cols[i].ipHeader != "":
			_, p := splitPort(c)
			ports = append(ports, cmp.Or(p, "-"))
		}
	}
	if len(ports) > 0 {
		items = append(items, "ports "+strings.Join(ports, " -> "))
	}
	if len(items) == 0 {
		return ""
	}
	return t.wrapList("    ", items)
}

// splitPort splits "ip:port" and "[ipv6]:port"; an address without a
// port is all ip.
func splitPort(addr string) (ip, port string) {
	ip, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, ""
	}
	return ip, port
}

// wrapList prints lead and the items separated by ", ", wrapped within
// tableWidth under the first item.
func wrapList(lead string, items []string) string { return wrapListAt(lead, items, 0) }

// wrapList is the package's wrapList within the table's width.
func (t *tableWriter) wrapList(lead string, items []string) string {
	return wrapListAt(lead, items, t.width)
}

// wrapListAt wraps within w runes, the comma that ends a wrapped line
// included, and cuts an item that would not fit alone; w 0 wraps as
// wrapList always did.
func wrapListAt(lead string, items []string, w int) string {
	limit, itemWidth, comma := tableWidth, explainWidth, 0
	if w > 0 {
		limit, itemWidth, comma = w, min(explainWidth, max(w-len(lead)-1, minName)), 1
	}
	var b strings.Builder
	b.WriteString(lead)
	col := len(lead)
	for i, f := range items {
		f = cut(Printable(f), itemWidth)
		if i > 0 {
			more := 0
			if i < len(items)-1 {
				more = comma
			}
			if col+2+width(f)+more > limit {
				b.WriteString(",\n" + strings.Repeat(" ", len(lead)))
				col = len(lead)
			} else {
				b.WriteString(", ")
				col += 2
			}
		}
		b.WriteString(f)
		col += width(f)
	}
	return b.String()
}

// minName is the fewest runes a cut name keeps: "abcd…wxyz".
const minName = 9

// fold breaks each line of s wider than the table's width at a space,
// or within a word that does not fit, under its label ("    logged: ")
// or indented four more; s as it is with no width.
func (t *tableWriter) fold(s string) string {
	if t.width <= 0 {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		text := strings.TrimSuffix(l, "\n")
		if width(text) <= t.width {
			b.WriteString(l)
			continue
		}
		b.WriteString(foldLine(text, t.width))
		if len(text) < len(l) {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// foldLine folds one line within w runes (see fold).
func foldLine(line string, w int) string {
	r := []rune(line)
	indent := 0
	for indent < len(r) && r[indent] == ' ' {
		indent++
	}
	hang := indent + 4
	rest := string(r[indent:])
	if i := strings.Index(rest, ": "); i >= 0 && i < 30 && !strings.Contains(rest[:i], "  ") {
		hang = indent + width(rest[:i]) + 2
	}
	hang = min(hang, w*2/3)
	var b strings.Builder
	start := hang // no break before: under the label, or in it
	for len(r) > w {
		p := w
		for p > start && r[p] != ' ' {
			p--
		}
		head, tail := r[:w], r[w:]
		if p > start {
			head, tail = r[:p], r[p:]
		}
		b.WriteString(strings.TrimRight(string(head), " "))
		tail = []rune(strings.TrimLeft(string(tail), " "))
		if len(tail) == 0 {
			return b.String()
		}
		b.WriteByte('\n')
		r = append([]rune(strings.Repeat(" ", hang)), tail...)
		start = hang
	}
	b.WriteString(string(r))
	return b.String()
}

func (t *tableWriter) row(r *analysis.Record) error {
	var b strings.Builder
	cells := t.cells(r)
	t.appendJoined(&b, cells)
	b.WriteByte('\n')
	if l := t.movedLine(cells); l != "" {
		b.WriteString(l + "\n")
	}
	if len(r.Flags) > 0 {
		b.WriteString(t.wrapList("    flags: ", r.Flags) + "\n")
	}
	if t.all && len(r.Profiles) > 0 {
		var picks []string
		for _, p := range sniid.Profiles() {
			hp := r.Profiles[p.Name]
			h := hp.Host
			switch {
			case h != "":
			case hp.Unknown != "":
				h = "?"
			default:
				h = "(none)"
			}
			if hp.HostSource != "" {
				h += " (" + hp.HostSource + ")"
			}
			if t.rules {
				h += ": " + actionText(hp.Verdict)
			}
			picks = append(picks, p.Name+"="+h)
		}
		b.WriteString(t.wrapList("    profiles: ", picks))
		b.WriteByte('\n')
	}
	if len(r.ServerNames) > 0 {
		// Several names, or the SNI cut at a NUL: what was really sent.
		b.WriteString(t.wrapList("    server_names: ", r.ServerNames))
		b.WriteByte('\n')
	}
	if u := unicodeLine(r); len(u) > 0 {
		b.WriteString(t.wrapList("    unicode: ", u))
		b.WriteByte('\n')
	}
	if r.HostUnknown != "" {
		b.WriteString("    host unknown: " + Printable(r.HostUnknown) + "\n") // every half-open record has one
	}
	if l := loggedLine(r); l != "" {
		b.WriteString("    logged: " + Printable(l) + "\n")
	}
	if pr := r.ProbeOf; pr != nil {
		fmt.Fprintf(&b, "    tsid-probe of %s -> %s at %s (the firewall's own connection; not counted)\n",
			pr.Client, pr.Server, timeText(pr.Time))
	}
	if pr := r.Probe; pr != nil {
		fmt.Fprintf(&b, "    probe: the firewall's TSID probe at %s (%s, cert %s)\n", timeText(pr.Time), cmp.Or(pr.TLSVersion, "-"), pr.CertStatus)
		b.WriteString(t.wrapList("      evidence: ", pr.Evidence))
		b.WriteByte('\n')
	}
	for _, cp := range r.Captures {
		fmt.Fprintf(&b, "    capture: %s\n", Printable(captureText(cp)))
	}
	switch p := r.Probed; {
	case !r.ProbedAt.IsZero() && r.File != "": // a capture's record (tsid probe's have no file)
		fmt.Fprintf(&b, "    certificate: from tsid's probe of the server at %s; the capture could not show it", timeText(r.ProbedAt))
		if p != nil {
			b.WriteString("; " + Printable(verifyText(p)))
		}
		b.WriteByte('\n')
	case p != nil:
		b.WriteString("    probed: " + Printable(probedText(p)) + "\n")
	}
	if t.rules {
		writeIntended(&b, r)
	}
	if t.explain && r.Explain != nil {
		t.writeExplain(&b, r)
	}
	if t.rules && t.explain {
		writeWhy(&b, r)
	}
	// The row fits, or cannot; the lines under it are folded to the width.
	out := b.String()
	n := strings.IndexByte(out, '\n') + 1 // the row ends with one
	if _, err := io.WriteString(t.w, out[:n]); err != nil {
		return err
	}
	_, err := io.WriteString(t.w, t.fold(out[n:]))
	return err
}

// probedText is what tsid probe asked and whether the chain verifies, on
// one line.
func probedText(p *analysis.Probed) string {
	var b strings.Builder
	b.WriteString(p.Target)
	if p.Via != "" {
		b.WriteString(" via proxy " + p.Via)
	}
	b.WriteString(" (" + p.TLSAsked + " offered); " + verifyText(p))
	if p.HandshakeError != "" {
		b.WriteString("; the handshake failed after the certificate: " + p.HandshakeError)
	}
	if p.Cut {
		b.WriteString("; bytes recorded cut at the cap")
	}
	return b.String()
}

// verifyText says whether the chain a probe got verifies.
func verifyText(p *analysis.Probed) string {
	if p.Verified {
		return "chain verified"
	}
	return "chain not verified: " + cmp.Or(p.VerifyError, "unknown")
}

// captureText is one capture point of a joined connection on one line:
// file, addresses (and tunnel), SNI, certificate, how it was joined.
func captureText(c analysis.CapturePoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s -> %s", c.File, c.Client, c.Server)
	if c.Outer != nil {
		fmt.Fprintf(&b, " (outer %s -> %s)", c.Outer.Client, c.Outer.Server)
	}
	sni := c.SNI
	switch {
	case sni != "":
	case c.SNIStatus == analysis.SNIUnknown:
		sni = "?"
	default:
		sni = "-"
	}
	b.WriteString(" sni=" + sni)
	if c.CertSHA256 != "" {
		b.WriteString(" cert=" + c.CertSHA256[:min(16, len(c.CertSHA256))])
	} else {
		b.WriteString(" cert=" + c.CertStatus)
	}
	if c.JoinedBy != "" {
		b.WriteString(" by " + c.JoinedBy)
	}
	return b.String()
}

// unicodeLine lists the Unicode forms of IDNA names for the table: the
// URL column keeps the A-labels as sent.
func unicodeLine(r *analysis.Record) []string {
	switch {
	case r.SNIUnicode == "" && r.HostUnicode == "":
		return nil
	case r.SNIUnicode == r.HostUnicode:
		return []string{r.SNIUnicode + " (sni, host)"}
	}
	var u []string
	if r.SNIUnicode != "" {
		u = append(u, r.SNIUnicode+" (sni)")
	}
	if r.HostUnicode != "" {
		u = append(u, r.HostUnicode+" (host)")
	}
	return u
}

// What the table prints of a name is bounded, the JSON has it all: at
// most explainRun --explain candidates of one kind in a row (a
// certificate may carry 10,000 SANs), and at most explainWidth runes of
// a name on the indented lines (a CN may be 60 KB).
const (
	explainRun   = 16
	explainWidth = 300
)

func (t *tableWriter) writeExplain(b *strings.Builder, r *analysis.Record) {
	e := r.Explain
	// With a width, a name is cut to fit its line; fold wraps the rest.
	nameWidth := func(lead int) int {
		if t.width <= 0 {
			return explainWidth
		}
		return min(explainWidth, max(t.width-lead, minName))
	}
	if r.JA3 != "" || r.JA4 != "" || r.JA3S != "" {
		var fp []string
		for _, f := range [][2]string{{"ja3", r.JA3}, {"ja4", r.JA4}, {"ja3s", r.JA3S}} {
			if f[1] != "" {
				fp = append(fp, f[0]+"="+f[1])
			}
		}
		b.WriteString("    fingerprints: " + strings.Join(fp, " ") + "\n")
	}
	b.WriteString("    candidates:\n")
	run := 0
	for i, c := range e.Candidates {
		if i > 0 && c.Field == e.Candidates[i-1].Field {
			run++
		} else {
			run = 1
		}
		if run > explainRun {
			if run == explainRun+1 {
				n := 1
				for n < len(e.Candidates)-i && e.Candidates[i+n].Field == c.Field {
					n++
				}
				fmt.Fprintf(b, "      %-22s … (+%d more; -f json lists them all)\n", Printable(c.Field), n)
			}
			continue
		}
		v := c.Value
		switch {
		case v != "":
		case c.Field == "sni" && r.SNIStatus == analysis.SNIUnknown:
			v = "(unknown: the ClientHello is not in the capture whole)"
		default:
			v = "(absent)"
		}
		fmt.Fprintf(b, "      %-22s %s\n", Printable(c.Field), cut(Printable(v), nameWidth(6+max(22, width(Printable(c.Field)))+1)))
	}
	if len(r.Chain) > 0 {
		b.WriteString("    chain:\n")
		for i, c := range r.Chain {
			fmt.Fprintf(b, "      [%d] %s\n", i, cut(Printable(c), explainWidth))
		}
	}
	steps := func(name string, tr []sniid.TraceStep) {
		fmt.Fprintf(b, "    profile %s:\n", name)
		for i, s := range tr {
			verdict := "skip"
			switch {
			case s.Taken:
				verdict = "TAKE"
			case s.Unknown:
				verdict = "?   " // cannot be decided: the walk stops here
			}
			v := s.Value
			if v == "" {
				v = "-"
			}
			fmt.Fprintf(b, "      %d. %-5s %s  %-30s %s\n", i+1, s.Field, verdict, cut(Printable(v), nameWidth(21)), Printable(s.Why))
		}
	}
	steps(r.Profile, e.Steps)
	for _, p := range sniid.Profiles() {
		if tr, ok := e.Profiles[p.Name]; ok && p.Name != r.Profile {
			steps(p.Name, tr)
		}
	}
}

func (t *tableWriter) Close(s *analysis.Summary) error {
	if !t.fixed {
		if len(t.pending) == 0 {
			if !t.quiet {
				if _, err := fmt.Fprintln(t.w, "no TLS connections found"); err != nil {
					return err
				}
			}
		} else if err := t.fix(); err != nil {
			return err
		}
	}
	if t.quiet {
		return nil
	}
	_, err := fmt.Fprintf(t.w, "\n%s\n", t.fold(SummaryLine(s)))
	return err
}

// loggedLine is what the firewall logged, when it is news: the logged host
// differs from the prediction (logged-differs), or the capture cannot tell
// what the profile logs; "" otherwise.
func loggedLine(r *analysis.Record) string {
	lg := r.Logged
	if lg == nil || lg.Host == "" {
		return ""
	}
	var tail string
	switch {
	case slices.Contains(r.Flags, analysis.FlagLoggedDiffers):
		tail = "; " + r.Profile + " predicts " + hostText(r.Host)
	case r.HostUnknown != "":
		tail = "; the capture cannot tell what " + r.Profile + " logs"
	default:
		return ""
	}
	var what []string
	what = append(what, lg.Event)
	if lg.Action != "" {
		what = append(what, lg.Action)
	}
	if lg.Rule != "" {
		what = append(what, "rule "+lg.Rule)
	}
	return cmp.Or(lg.URL, lg.Host) + " (" + strings.Join(what, ", ") + ")" + tail
}
