package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/report"
)

// TestHTMLReportInBrowser renders the HTML report of every sample capture
// in headless Chromium: a screenshot, and the DOM after the page's script
// ran, which must show the field case's toos.cisco.com and the summary.
// Skipped when chromium is not on PATH (.ci/run installs it).
func TestHTMLReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	var browser string
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("chromium is not on PATH: cannot render the HTML report (apt-get install chromium)")
	}

	files, err := filepath.Glob("../../testdata/samples/*.pcap*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample captures (%v)", err)
	}
	var b bytes.Buffer
	w := report.NewHTML(&b, report.Options{AllProfiles: true})
	an := analysis.New(analysis.Options{AllProfiles: true})
	var werr error
	var recs []*analysis.Record
	sum := an.Files(context.Background(), files, nil, 1, func(r *analysis.Record) {
		recs = append(recs, r)
		if err := w.Write(r); err != nil && werr == nil {
			werr = err
		}
	}, func(name string, err error) {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	})
	if werr != nil {
		t.Fatal(werr)
	}
	if err := w.Close(&sum); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	chromium := func(page string, args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + t.TempDir(),
			"--window-size=1400,1000"}, args...)
		cmd := exec.CommandContext(ctx, browser, append(args, "file://"+filepath.ToSlash(page))...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", browser, strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes()
	}

	shot := filepath.Join(dir, "report.png")
	chromium(page, "--screenshot="+shot)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if len(png) < 20_000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("the screenshot is %d bytes: too small for a rendered report", len(png))
	}
	t.Logf("screenshot: %s (the page: %s; both removed when the test ends)", shot, page)
	const lead = "/tmp/tsid-report.png"
	if err := os.WriteFile(lead, png, 0o644); err != nil {
		t.Logf("cannot write %s: %v", lead, err)
	} else {
		t.Logf("screenshot kept at %s", lead)
	}

	dom := string(chromium(page, "--dump-dom"))
	for _, want := range []string{"toos.cisco.com", report.SummaryLine(&sum), `data-ready="1"`, "connections shown."} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}

	// The search box, the flag filter and sorting, driven by a script
	// added after the page's own; it leaves what it saw on <body>.
	var search, nearMiss int
	first, last := "~", ""
	for _, r := range recs {
		host := r.Host
		switch {
		case host != "":
		case r.HostUnknown != "":
			host = "?"
		default:
			host = "(none)"
		}
		first, last = min(first, host), max(last, host)
		if len(r.Flags) == 0 {
			continue
		}
		if strings.Contains(r.Host, "toos.cisco") {
			search++
		}
		if slices.ContainsFunc(r.Flags, func(f string) bool { return strings.HasPrefix(f, "near-miss:") }) {
			nearMiss++
		}
	}
	t.Logf("driving the page: search toos.cisco shows %d, near-miss %d, hosts sort %q to %q", search, nearMiss, first, last)
	driven := filepath.Join(dir, "driven.html")
	html := strings.Replace(b.String(), "</body>", drive+"</body>", 1)
	if err := os.WriteFile(driven, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	dom = string(chromium(driven, "--dump-dom"))
	for _, want := range []string{
		fmt.Sprintf(`data-search-shown="%d"`, search),
		fmt.Sprintf(`data-flag-shown="%d"`, nearMiss),
		fmt.Sprintf(`data-sorted-asc="%s"`, first),
		fmt.Sprintf(`data-sorted-desc="%s"`, last),
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page's script: want %s on <body>, got %s", want, bodyTag.FindString(dom))
		}
	}
}

var bodyTag = regexp.MustCompile(`<body[^>]*>`)

// drive searches for toos.cisco, then filters on near-miss, then sorts the
// logged hosts by name both ways.
const drive = `<script>
(function () {
  function shown() {
    return Array.prototype.filter.call(document.querySelectorAll("#conns tbody tr"), function (r) { return !r.hidden; }).length;
  }
  var body = document.body, q = document.getElementById("q"), flag = document.getElementById("flag");
  q.value = "toos.cisco";
  q.dispatchEvent(new Event("input"));
  body.setAttribute("data-search-shown", shown());
  q.value = "";
  q.dispatchEvent(new Event("input"));
  flag.value = "near-miss";
  flag.dispatchEvent(new Event("change"));
  body.setAttribute("data-flag-shown", shown());
  var th = document.querySelector("#groups th");
  th.click();
  body.setAttribute("data-sorted-asc", document.querySelector("#groups tbody td").textContent);
  th.click();
  body.setAttribute("data-sorted-desc", document.querySelector("#groups tbody td").textContent);
})();
</script>
`
