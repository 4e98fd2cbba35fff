package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tsid-project/tsid/analysis"
)

// htmlReport writes recs through NewHTML and parses the page.
func htmlReport(t *testing.T, o Options, s *analysis.Summary, recs ...*analysis.Record) (string, *html.Node) {
	t.Helper()
	var b bytes.Buffer
	w := NewHTML(&b, o)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	htmlSelfContained(t, b.String(), doc)
	return b.String(), doc
}

// htmlSelfContained: nothing on the page loads anything or runs script
// but the page's own inline script, and no byte is a control character.
func htmlSelfContained(t *testing.T, raw string, doc *html.Node) {
	t.Helper()
	scripts := 0
	htmlWalk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "link", "img", "iframe", "object", "embed", "base", "form", "audio", "video", "source", "frame":
			t.Errorf("element <%s> on the page", n.Data)
		case "script":
			scripts++
		case "style":
			if css := strings.ToLower(htmlTextOf(n)); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
				t.Errorf("the style loads something: %s", css)
			}
		case "meta":
			if v, _ := htmlAttr(n, "http-equiv"); strings.EqualFold(v, "refresh") {
				t.Error("meta refresh on the page")
			}
		}
		for _, a := range n.Attr {
			switch k := strings.ToLower(a.Key); {
			case k == "src" || k == "href" || k == "srcset" || k == "action" || k == "formaction" || k == "poster" || k == "background":
				t.Errorf("<%s %s=%q>: the page must load nothing", n.Data, a.Key, a.Val)
			case strings.HasPrefix(k, "on"):
				t.Errorf("<%s %s=%q>: an event handler attribute", n.Data, a.Key, a.Val)
			}
		}
	})
	if scripts != 1 {
		t.Errorf("%d <script> elements, want the page's own only", scripts)
	}
	for i, c := range []byte(raw) {
		if c < 0x20 && c != '\n' || c == 0x7f {
			t.Fatalf("control byte %#x at %d", c, i)
		}
	}
}

func htmlWalk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		htmlWalk(c, f)
	}
}

// htmlTextOf is the text of n and its descendants, as a browser's textContent.
func htmlTextOf(n *html.Node) string {
	var b strings.Builder
	htmlWalk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

func htmlAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func htmlHasClass(n *html.Node, class string) bool {
	v, _ := htmlAttr(n, "class")
	return n.Type == html.ElementNode && strings.Contains(" "+v+" ", " "+class+" ")
}

// htmlFind lists the elements of class class under n.
func htmlFind(n *html.Node, class string) []*html.Node {
	var out []*html.Node
	htmlWalk(n, func(c *html.Node) {
		if htmlHasClass(c, class) {
			out = append(out, c)
		}
	})
	return out
}

// htmlByID is the element with id id, or nil.
func htmlByID(n *html.Node, id string) *html.Node {
	var out *html.Node
	htmlWalk(n, func(c *html.Node) {
		if v, ok := htmlAttr(c, "id"); ok && v == id && out == nil {
			out = c
		}
	})
	return out
}

// htmlNameMarks maps each listed name ("SAN 1 toos.cisco.com") to its
// profiles' marks, the chosen profile's with a "*".
func htmlNameMarks(li *html.Node) (string, []string) {
	var kind, value string
	var marks []string
	htmlWalk(li, func(c *html.Node) {
		switch {
		case htmlHasClass(c, "kind"):
			kind = htmlTextOf(c)
		case htmlHasClass(c, "name"):
			value = htmlTextOf(c)
		case htmlHasClass(c, "mark"):
			m := htmlTextOf(c)
			if htmlHasClass(c, "chosen") {
				m += "*"
			}
			marks = append(marks, m)
		}
	})
	return kind + " " + value, marks
}

// The field case: FTD logs toos.cisco.com because it is the first SAN; the
// page marks it for ftd, the CN tools.cisco.com for the others.
func TestHTMLFieldCase(t *testing.T) {
	f, err := os.Open("../testdata/samples/field-case.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []*analysis.Record
	sum, err := analysis.New(analysis.Options{AllProfiles: true}).Analyze(context.Background(), "field-case.pcap", f,
		func(r *analysis.Record) { recs = append(recs, r) })
	if err != nil {
		t.Fatal(err)
	}
	raw, doc := htmlReport(t, Options{AllProfiles: true}, &sum, recs...)

	if s := htmlByID(doc, "summary"); s == nil || htmlTextOf(s) != SummaryLine(&sum) {
		t.Errorf("no summary line %q on the page", SummaryLine(&sum))
	}
	if !strings.Contains(raw, "Connections from <time>2026-11-02T09:15:00.022000Z</time> to <time>2026-11-02T09:15:00.022000Z</time>") {
		t.Error("the header does not say when the connections were")
	}
	rows := htmlFind(htmlByID(doc, "conns"), "names")
	if len(rows) != 1 {
		t.Fatalf("%d connections listed, want 1", len(rows))
	}
	got := map[string][]string{}
	var logged []string
	htmlWalk(rows[0], func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "li" {
			k, m := htmlNameMarks(n)
			got[k] = m
			if htmlHasClass(n, "logged") {
				logged = append(logged, k)
			}
		}
	})
	want := map[string][]string{
		"CN tools.cisco.com":     {"snort3", "snort-open", "cisco-doc", "paloalto", "fortinet", "checkpoint"},
		"SAN 1 toos.cisco.com":   {"ftd*"},
		"SAN 2 tools.cisco.com":  nil,
		"SAN 3 tools1.cisco.com": nil,
		"SAN 4 tools2.cisco.com": nil,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("names and marks:\n got %v\nwant %v", got, want)
	}
	if fmt.Sprint(logged) != "[SAN 1 toos.cisco.com]" {
		t.Errorf("highlighted as logged: %v, want the first SAN", logged)
	}
	if why := htmlFind(doc, "why"); len(why) != 1 || htmlTextOf(why[0]) != "ftd logs SAN 1, toos.cisco.com" {
		t.Errorf("no line saying ftd logs the first SAN")
	}
	for _, s := range []string{`<option value="near-miss">near-miss (1)</option>`, `id="q"`, `data-flags="no-sni near-miss host-differs profiles-disagree"`} {
		if !strings.Contains(raw, s) {
			t.Errorf("the page lacks %s", s)
		}
	}
	groups := htmlFind(htmlByID(doc, "groups"), "name")
	if len(groups) != 1 || htmlTextOf(groups[0]) != "toos.cisco.com" {
		t.Errorf("groups by logged host: want toos.cisco.com alone")
	}
}

func htmlHostileRecord() *analysis.Record {
	const (
		script = `<script>alert(1)</script>`
		attrib = `"onmouseover=alert(2) x="`
		ctrl   = "evil\x1b[2J\x00\u202e\x7fname\xff"
	)
	return &analysis.Record{
		File: "cap<b>.pcap", Time: analysis.Time(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)),
		Client: "10.0.0.1:50000", Server: "10.0.0.2:443", SNI: ctrl, SNIStatus: analysis.SNIPresent,
		CertStatus: "present",
		Cert:       &analysis.CertRecord{CN: script, SANDNS: []string{attrib, ctrl, "a.example"}},
		Profile:    "ftd", Host: attrib, HostSource: "san", URL: "https://" + attrib,
		Flags: []string{"no-sni", "near-miss:" + script, "odd-name"},
		Profiles: map[string]analysis.HostPick{
			"ftd":    {Host: attrib, HostSource: "san"},
			"snort3": {Host: script, HostSource: "cn"},
		},
		Verdict: &analysis.Verdict{Name: attrib, Action: "block", Why: script,
			Rule: &analysis.RuleRef{Layer: "access", Source: "rules.txt:1", Text: "block " + script}},
		IntendedVerdict: &analysis.Verdict{Name: ctrl, From: "sni", Action: "allow"},
		Logged:          &analysis.Logged{URL: "https://" + script, Host: script, Action: "Block", Rule: attrib, Event: "ftd.log:1"},
	}
}

// Certificate names are hostile input: markup, an attribute break and
// control characters must come out as text, escaped and printable.
func TestHTMLHostileNames(t *testing.T) {
	raw, doc := htmlReport(t, Options{AllProfiles: true, Rules: true, Events: true}, &analysis.Summary{}, htmlHostileRecord())
	for _, bad := range []string{"<script>alert", `"onmouseover`, "cap<b>"} {
		if strings.Contains(raw, bad) {
			t.Errorf("%q is on the page unescaped", bad)
		}
	}
	page := htmlTextOf(doc)
	for _, s := range []string{
		`<script>alert(1)</script>`,                 // shown as text
		`"onmouseover=alert(2) x="`,                 // likewise
		`evil\x1b[2J\x00\u202e\x7fname\xff`,         // escaped as in the table
		`block <script>alert(1)</script>`,           // the rule's text
		`https://<script>alert(1)</script>`,         // the firewall's URL
		`near-miss:<script>alert(1)</script>`,       // a flag
		`cap<b>.pcap`,                               // a file name
		`ftd logs SAN 1, "onmouseover=alert(2) x="`, // the why
	} {
		if !strings.Contains(page, s) {
			t.Errorf("the page's text lacks %s", s)
		}
	}
	var marks []string
	htmlWalk(htmlByID(doc, "conns"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "li" {
			k, m := htmlNameMarks(n)
			marks = append(marks, fmt.Sprint(k, m))
		}
	})
	want := []string{
		`CN <script>alert(1)</script>[snort3]`,
		`SAN 1 "onmouseover=alert(2) x="[ftd*]`,
		`SAN 2 evil\x1b[2J\x00\u202e\x7fname\xff[]`,
		`SAN 3 a.example[]`,
	}
	if fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Errorf("names:\n got %q\nwant %q", marks, want)
	}
}

// Without Record.Profiles the profile in use is marked alone; a pick on
// none of the listed names and an undecided host are said beside them.
func TestHTMLOneProfile(t *testing.T) {
	r := &analysis.Record{Client: "10.0.0.1:1", Server: "10.0.0.2:443", SNI: "api.example.net", SNIStatus: analysis.SNIPresent,
		Cert:    &analysis.CertRecord{CN: "*.example.net", SANDNS: []string{"example.net"}},
		Profile: "ftd", Host: "api.example.net", HostSource: "sni", Flags: []string{"profiles-disagree", "wildcard"}}
	u := &analysis.Record{Client: "10.0.0.1:2", Server: "10.0.0.3:443", SNIStatus: analysis.SNIUnknown, CertStatus: "incomplete",
		Profile: "ftd", HostUnknown: "needs the SNI", Flags: []string{"incomplete"}}
	_, doc := htmlReport(t, Options{}, &analysis.Summary{}, r, u)
	var got []string
	htmlWalk(htmlByID(doc, "conns"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "li" {
			k, m := htmlNameMarks(n)
			got = append(got, fmt.Sprint(k, m))
		}
	})
	if want := "[SNI api.example.net[ftd*] CN *.example.net[] SAN 1 example.net[]]"; fmt.Sprint(got) != want {
		t.Errorf("names %v, want %s", got, want)
	}
	var why []string
	for _, n := range htmlFind(doc, "why") {
		why = append(why, htmlTextOf(n))
	}
	if want := "[ftd logs SNI, api.example.net ftd cannot tell: needs the SNI]"; fmt.Sprint(why) != want {
		t.Errorf("why %q, want %s", why, want)
	}
	var hosts []string
	for _, n := range htmlFind(htmlByID(doc, "groups"), "name") {
		hosts = append(hosts, htmlTextOf(n))
	}
	if fmt.Sprint(hosts) != "[? api.example.net]" {
		t.Errorf("groups %v", hosts)
	}
}

// The page is bounded: at most htmlMaxRows connections and htmlMaxSANs
// SANs besides the marked ones, then how many more.
func TestHTMLBounds(t *testing.T) {
	sans := make([]string, 100)
	for i := range sans {
		sans[i] = fmt.Sprintf("n%d.example", i)
	}
	var recs []*analysis.Record
	for i := range htmlMaxRows + 3 {
		recs = append(recs, &analysis.Record{
			Time:   analysis.Time(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)),
			Client: fmt.Sprintf("10.0.%d.%d:5000", i/256, i%256), Server: "10.1.0.1:443", SNIStatus: analysis.SNIAbsent,
			Cert:    &analysis.CertRecord{CN: "cn.example", SANDNS: sans},
			Profile: "ftd", Host: "n50.example", HostSource: "san", Flags: []string{"no-sni"},
		})
	}
	recs = append(recs, &analysis.Record{Client: "10.9.0.1:1", Server: "10.1.0.1:443", Profile: "ftd", Host: "quiet.example", HostSource: "sni"})
	raw, doc := htmlReport(t, Options{}, &analysis.Summary{}, recs...)
	n := 0
	htmlWalk(htmlByID(doc, "conns"), func(c *html.Node) {
		if c.Type == html.ElementNode && c.Data == "tr" {
			if _, ok := htmlAttr(c, "data-flags"); ok {
				n++
			}
		}
	})
	if n != htmlMaxRows {
		t.Errorf("%d connections listed, want %d", n, htmlMaxRows)
	}
	if !strings.Contains(raw, "3 more connections with a warning not shown") {
		t.Error("no line saying how many more")
	}
	first := htmlFind(doc, "names")[0]
	var got []string
	htmlWalk(first, func(c *html.Node) {
		if c.Type == html.ElementNode && c.Data == "li" {
			k, _ := htmlNameMarks(c)
			if htmlHasClass(c, "gap") {
				k = htmlTextOf(c)
			}
			got = append(got, k)
		}
	})
	// CN, SAN 1..16, SAN 51 marked, with the gaps around it.
	if len(got) != 20 || got[16] != "SAN 16 n15.example" || got[17] != "… 34 more SAN entries" ||
		got[18] != "SAN 51 n50.example" || got[19] != "… 49 more SAN entries" {
		t.Errorf("SANs listed: %q", got)
	}
	if !strings.Contains(raw, `<td class="name">n50.example</td><td class="n">5003</td><td class="n">5003</td><td class="n">1</td>`) {
		t.Error("the group counts every connection, listed or not")
	}
	if !strings.Contains(raw, `<option value="no-sni">no-sni (5003)</option>`) {
		t.Error("the flag filter counts every connection")
	}
}

// The page depends on its input alone: the same records make the same
// bytes, and no records still make a page.
func TestHTMLDeterministic(t *testing.T) {
	a, _ := htmlReport(t, Options{AllProfiles: true}, &analysis.Summary{Files: 1}, htmlHostileRecord(), htmlHostileRecord())
	b, _ := htmlReport(t, Options{AllProfiles: true}, &analysis.Summary{Files: 1}, htmlHostileRecord(), htmlHostileRecord())
	if a != b {
		t.Error("two pages of the same records differ")
	}
	empty, _ := htmlReport(t, Options{}, &analysis.Summary{}, nil...)
	if !strings.Contains(empty, "No TLS connections found") {
		t.Error("an empty run does not say so")
	}
}
