package report

import (
	"cmp"
	"fmt"
	"io"
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
	pending []*analysis.Record
	widths  []int
	fixed   bool
}

const (
	tableWidth  = 120
	tableSample = 200 // rows looked at to size the columns
)

var tableHeader = []string{"First Packet (UTC)", "Initiator IP:Port", "Responder IP:Port", "TLS", "SSL Server Name", "URL", "From"}

// columnCap is the widest each column gets. Addresses are never cut, and
// names only when very long: a table that hid "toos" against "tools" would
// defeat its purpose. Cut names keep both ends; the JSON has them whole.
var columnCap = []int{19, 47, 47, 7, 40, 48, 4} // TLS: "1.2" … "SSL 3.0", "0x7f1c"

// With URL rules, the Action and Rule columns follow.
var (
	ruleHeader = []string{"Action", "Rule"}
	ruleCap    = []int{27, 48} // "interactive-block|allow|block"; a rule cut keeps file:line
)

func (t *tableWriter) header() []string {
	if t.rules {
		return append(tableHeader[:len(tableHeader):len(tableHeader)], ruleHeader...)
	}
	return tableHeader
}

func (t *tableWriter) caps() []int {
	if t.rules {
		return append(columnCap[:len(columnCap):len(columnCap)], ruleCap...)
	}
	return columnCap
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

func (t *tableWriter) cells(r *analysis.Record) []string {
	sni := r.SNI
	switch {
	case sni != "":
	case r.SNIStatus == analysis.SNIUnknown:
		sni = "?" // the ClientHello was not read whole: it may have had one
	case slices.Contains(r.Anomalies, "sni-empty"):
		sni = `""` // sent, but empty: not the same as no SNI
	default:
		sni = "-"
	}
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
	c := []string{
		time.Time(r.Time).UTC().Format("2006-01-02 15:04:05"),
		r.Client, r.Server,
		ver, Printable(sni), Printable(url), src,
	}
	if t.rules {
		c = append(c, Printable(actionText(r.Verdict)), Printable(ruleText(r.Verdict)))
	}
	return c
}

func (t *tableWriter) fix() error {
	t.fixed = true
	header, caps := t.header(), t.caps()
	t.widths = make([]int, len(header))
	for i, h := range header {
		t.widths[i] = width(h)
	}
	for _, r := range t.pending {
		for i, c := range t.cells(r) {
			t.widths[i] = max(t.widths[i], min(width(c), caps[i]))
		}
	}
	if _, err := fmt.Fprintln(t.w, t.join(header, nil)); err != nil {
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

// join lays out one row; the flags follow on an indented line of their
// own, wrapped at commas, so the row's layout never depends on them.
func (t *tableWriter) join(cells []string, flags []string) string {
	var b strings.Builder
	for i, c := range cells {
		c = cut(c, t.widths[i])
		b.WriteString(c)
		b.WriteString(strings.Repeat(" ", max(0, t.widths[i]-width(c))+2))
	}
	line := strings.TrimRight(b.String(), " ")
	if len(flags) == 0 {
		return line
	}
	return line + "\n" + wrapList("    flags: ", flags)
}

// wrapList prints lead and the items separated by ", ", wrapped within
// tableWidth under the first item.
func wrapList(lead string, items []string) string {
	var w strings.Builder
	w.WriteString(lead)
	col := len(lead)
	for i, f := range items {
		f = cut(Printable(f), explainWidth)
		if i > 0 {
			if col+2+width(f) > tableWidth {
				w.WriteString(",\n" + strings.Repeat(" ", len(lead)))
				col = len(lead)
			} else {
				w.WriteString(", ")
				col += 2
			}
		}
		w.WriteString(f)
		col += width(f)
	}
	return w.String()
}

func (t *tableWriter) row(r *analysis.Record) error {
	var b strings.Builder
	b.WriteString(t.join(t.cells(r), r.Flags))
	b.WriteByte('\n')
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
		b.WriteString(wrapList("    profiles: ", picks))
		b.WriteByte('\n')
	}
	if len(r.ServerNames) > 0 {
		// Several names, or the SNI cut at a NUL: what was really sent.
		b.WriteString(wrapList("    server_names: ", r.ServerNames))
		b.WriteByte('\n')
	}
	if u := unicodeLine(r); len(u) > 0 {
		b.WriteString(wrapList("    unicode: ", u))
		b.WriteByte('\n')
	}
	if r.HostUnknown != "" {
		fmt.Fprintf(&b, "    host unknown: %s\n", Printable(r.HostUnknown))
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
		b.WriteString(wrapList("      evidence: ", pr.Evidence))
		b.WriteByte('\n')
	}
	for _, cp := range r.Captures {
		fmt.Fprintf(&b, "    capture: %s\n", Printable(captureText(cp)))
	}
	if t.rules {
		writeIntended(&b, r)
	}
	if t.explain && r.Explain != nil {
		writeExplain(&b, r)
	}
	if t.rules && t.explain {
		writeWhy(&b, r)
	}
	_, err := io.WriteString(t.w, b.String())
	return err
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

func writeExplain(b *strings.Builder, r *analysis.Record) {
	e := r.Explain
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
		fmt.Fprintf(b, "      %-22s %s\n", Printable(c.Field), cut(Printable(v), explainWidth))
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
			fmt.Fprintf(b, "      %d. %-5s %s  %-30s %s\n", i+1, s.Field, verdict, cut(Printable(v), explainWidth), Printable(s.Why))
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
	_, err := fmt.Fprintf(t.w, "\n%s\n", SummaryLine(s))
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
