package report

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/sniid"
)

// Writer writes records as they are finished; Close ends the output with
// the run's summary.
type Writer interface {
	Write(r *analysis.Record) error
	Close(s *analysis.Summary) error
}

// Formats are the output formats New knows.
var Formats = []string{"table", "json", "csv"}

// Options say what the records hold, so that the columns fit them.
type Options struct {
	Explain     bool // the table lists candidates and steps (Record.Explain)
	Quiet       bool // the table ends without the summary
	AllProfiles bool // Record.Profiles is filled: per-profile columns
	Rules       bool // records carry verdicts: Action and Rule columns
	Join        bool // records may carry captures: CSV client_random and captures
}

// New makes the writer of format ("table", "json" or "csv"; anything
// else is a table) writing to w.
func New(format string, w io.Writer, o Options) Writer {
	switch format {
	case "json":
		j := &jsonWriter{w: w}
		j.enc = json.NewEncoder(&j.buf)
		j.enc.SetEscapeHTML(false)
		return j
	case "csv":
		return &csvWriter{w: csv.NewWriter(w), all: o.AllProfiles, rules: o.Rules, join: o.Join}
	default:
		return &tableWriter{w: w, explain: o.Explain, quiet: o.Quiet, all: o.AllProfiles, rules: o.Rules}
	}
}

// SummaryLine is the run's summary as one line, as the table ends with
// and stderr shows for JSON and CSV.
func SummaryLine(s *analysis.Summary) string {
	l := fmt.Sprintf("files %d, packets %d, TCP connections %d, TLS connections %d, without SNI %d",
		s.Files, s.Packets, s.TCPConns, s.TLS, s.NoSNI)
	if s.SNIUnknown > 0 {
		l += fmt.Sprintf(", SNI unknown %d", s.SNIUnknown)
	}
	l += fmt.Sprintf(", flagged %d, evicted %d", s.Flagged, s.Evicted)
	if s.Probes > 0 {
		l += fmt.Sprintf(", probes %d", s.Probes)
	}
	if s.Tunnelled > 0 {
		l += fmt.Sprintf(", tunnelled packets %d", s.Tunnelled)
	}
	if s.UnknownTags > 0 {
		l += fmt.Sprintf(", packets with unknown tags skipped %d", s.UnknownTags)
	}
	if s.Join {
		l += fmt.Sprintf(", joined %d", s.Joined)
		if s.Joined > 0 {
			l += fmt.Sprintf(" (at %d capture points)", s.Points)
		}
	}
	if s.Rules {
		l += fmt.Sprintf(", %s %d, %s %d, %s %d", analysis.FlagVerdictDiffers, s.VerdictDiffers,
			analysis.FlagProfilesVerdictDiffers, s.ProfilesVerdictDiffers, analysis.FlagRuleUnspecified, s.RuleUnspecified)
	}
	return l
}

// jsonWriter writes JSON Lines.
type jsonWriter struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

func (j *jsonWriter) Write(r *analysis.Record) error {
	j.buf.Reset()
	if err := j.enc.Encode(r); err != nil {
		return err
	}
	_, err := j.w.Write(escapeInvisible(j.buf.Bytes()))
	return err
}

func (j *jsonWriter) Close(*analysis.Summary) error { return nil }

// escapeInvisible rewrites, in JSON text, the runes encoding/json leaves
// raw that a terminal acts on or hides: DEL, C1 controls such as U+009B
// (CSI), and format characters such as U+202E (right-to-left override).
// They are written as \uXXXX, which decodes to the same string: the
// value is exact, and `cat` or `jq -c` of the output cannot drive the
// terminal. Outside strings JSON text is ASCII, so any such rune is in a
// string. b is returned as it is unless it holds one.
func escapeInvisible(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := append([]byte(nil), b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == 0x7f || r >= 0x80 && !unicode.IsPrint(r) && r != utf8.RuneError {
			for _, u := range utf16.AppendRune(nil, r) {
				out = fmt.Appendf(out, `\u%04x`, u)
			}
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// csvWriter flattens records; lists are joined with ";". Cells are
// escaped as in the table (printable), and a cell a spreadsheet would
// take for a formula gets a leading "'" (csvCell).
type csvWriter struct {
	w      *csv.Writer
	all    bool
	rules  bool // URL rules given: the verdict columns
	join   bool // --join: the client_random and captures columns
	header bool
}

var csvColumns = []string{"time", "file", "client", "server", "sni", "tls_version", "cert_status",
	"cert_subject", "cert_cn", "cert_ou", "cert_o", "cert_san_dns", "cert_san_ip", "cert_issuer",
	"cert_not_before", "cert_not_after", "cert_sha256", "cert_self_signed", "dns_names",
	"profile", "host", "host_source", "url", "flags", "sni_unicode", "host_unicode",
	"outer_client", "outer_server", "sni_status"}

// csvRuleColumns follow with URL rules; "(default)" is the default action's
// rule, an empty action an unknown verdict.
var csvRuleColumns = []string{"action", "rule_source", "rule_text",
	"intended_name", "intended_from", "intended_action", "intended_rule_source", "intended_rule_text"}

func (c *csvWriter) columns() []string {
	h := append([]string(nil), csvColumns...)
	if c.rules {
		h = append(h, csvRuleColumns...)
	}
	if c.join {
		h = append(h, "client_random", "captures")
	}
	if c.all {
		for _, p := range sniid.Profiles() {
			h = append(h, "host_"+p.Name, "host_source_"+p.Name)
			if c.rules {
				h = append(h, "action_"+p.Name)
			}
		}
	}
	return h
}

// verdictCells are a verdict's action, rule source and rule text.
func verdictCells(v *analysis.Verdict) []string {
	switch {
	case v == nil:
		return []string{"", "", ""}
	case v.Rule == nil:
		return []string{actionText(v), "(default)", ""}
	}
	return []string{actionText(v), v.Rule.Source, v.Rule.Text}
}

func (c *csvWriter) Write(r *analysis.Record) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(c.columns()); err != nil {
			return err
		}
	}
	j := func(s []string) string { return strings.Join(s, ";") }
	row := []string{timeText(r.Time), r.File, r.Client, r.Server, r.SNI, r.TLSVersion, r.CertStatus}
	if ce := r.Cert; ce != nil {
		row = append(row, ce.Subject, ce.CN, j(ce.OU), j(ce.O), j(ce.SANDNS), j(ce.SANIP), ce.Issuer,
			timeText(ce.NotBefore), timeText(ce.NotAfter), ce.SHA256, strconv.FormatBool(ce.SelfSigned))
	} else {
		row = append(row, "", "", "", "", "", "", "", "", "", "", "")
	}
	row = append(row, j(r.DNSNames), r.Profile, r.Host, r.HostSource, r.URL, j(r.Flags), r.SNIUnicode, r.HostUnicode)
	if o := r.Outer; o != nil {
		row = append(row, o.Client, o.Server)
	} else {
		row = append(row, "", "")
	}
	row = append(row, r.SNIStatus)
	if c.rules {
		row = append(row, verdictCells(r.Verdict)...)
		if iv := r.IntendedVerdict; iv != nil {
			row = append(row, iv.Name, iv.From)
		} else {
			row = append(row, "", "")
		}
		row = append(row, verdictCells(r.IntendedVerdict)...)
	}
	if c.join {
		var caps []string
		for _, cp := range r.Captures {
			caps = append(caps, captureText(cp))
		}
		row = append(row, r.ClientRandom, j(caps))
	}
	if c.all {
		for _, p := range sniid.Profiles() {
			hp := r.Profiles[p.Name]
			row = append(row, hp.Host, hp.HostSource)
			if c.rules {
				row = append(row, verdictCells(hp.Verdict)[0])
			}
		}
	}
	for i, v := range row {
		row[i] = csvCell(v)
	}
	return c.w.Write(row)
}

// csvCell makes a cell safe to open: control characters and the like
// escaped as in the table, and a leading "'" before a cell that starts
// with = + - or @, which spreadsheets evaluate as a formula (CSV
// injection: a certificate's CN "=HYPERLINK(…)" would otherwise run).
func csvCell(s string) string {
	s = Printable(s)
	if s != "" && strings.IndexByte("=+-@", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

func (c *csvWriter) Close(*analysis.Summary) error {
	if !c.header {
		c.header = true
		h := csvColumns // as before URL rules: no profile columns
		if c.rules || c.join {
			h = c.columns()
		}
		if err := c.w.Write(h); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

// timeText is an analysis.Time without its quotes.
func timeText(t analysis.Time) string { return t.String() }

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
	if ver == "" {
		ver = "-"
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

// Printable escapes control characters, invalid UTF-8 and other
// non-printable runes so a hostile name cannot drive the terminal.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unicode.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func width(s string) int { return utf8.RuneCountInString(s) }

// cut shortens s to w runes, keeping both ends: for host names the
// distinguishing part is as often at the start as at the end.
func cut(s string, w int) string {
	if width(s) <= w {
		return s
	}
	r := []rune(s)
	if w < 5 { // too narrow for both ends
		return string(r[:max(w, 0)])
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}
