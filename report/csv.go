package report

import (
	"encoding/csv"
	"strconv"
	"strings"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/sniid"
)

// csvWriter flattens records; lists are joined with ";". Cells are
// escaped as in the table (printable), and a cell a spreadsheet would
// take for a formula gets a leading "'" (csvCell).
type csvWriter struct {
	w      *csv.Writer
	all    bool
	rules  bool // URL rules given: the verdict columns
	join   bool // --join: the client_random and captures columns
	events bool // --events: the logged_* columns
	probe  bool // tsid's probes: the probed_at and probe_* columns
	header bool
	row    []string // reused for each record's cells: csv.Writer copies them out
}

var csvColumns = []string{"time", "file", "client", "server", "sni", "tls_version", "cert_status",
	"cert_subject", "cert_cn", "cert_ou", "cert_o", "cert_san_dns", "cert_san_ip", "cert_issuer",
	"cert_not_before", "cert_not_after", "cert_sha256", "cert_self_signed", "dns_names",
	"profile", "host", "host_source", "url", "flags", "sni_unicode", "host_unicode",
	"outer_client", "outer_server", "sni_status", "transport", "ja3", "ja3s", "ja4"}

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
	if c.events {
		h = append(h, "logged_url", "logged_host", "logged_event")
	}
	if c.probe {
		h = append(h, csvProbeColumns...)
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

// csvProbeColumns follow with tsid's probes: when the certificate was
// probed (cert_status probed), and what tsid probe asked and found.
var csvProbeColumns = []string{"probed_at", "probe_target", "probe_via", "probe_tls_asked", "probe_verified", "probe_verify_error"}

// probeCells are a record's csvProbeColumns; probe_verified is empty when
// the record is no tsid probe's.
func probeCells(r *analysis.Record) []string {
	cells := []string{timeText(r.ProbedAt), "", "", "", "", ""}
	if p := r.Probed; p != nil {
		cells[1], cells[2], cells[3] = p.Target, p.Via, p.TLSAsked
		cells[4], cells[5] = strconv.FormatBool(p.Verified), p.VerifyError
	}
	return cells
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
	row := append(c.row[:0], timeText(r.Time), r.File, r.Client, r.Server, r.SNI, r.TLSVersion, r.CertStatus)
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
	row = append(row, r.SNIStatus, r.Transport, r.JA3, r.JA3S, r.JA4)
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
	if c.events {
		if lg := r.Logged; lg != nil {
			row = append(row, lg.URL, lg.Host, lg.Event)
		} else {
			row = append(row, "", "", "")
		}
	}
	if c.probe {
		row = append(row, probeCells(r)...)
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
	c.row = row
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
		if c.rules || c.join || c.probe {
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
