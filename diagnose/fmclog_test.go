package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadCurlLog(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	const e6 = `CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 6, err string "Couldn't resolve host name"`
	for _, c := range []struct {
		name string
		in   string
		loc  *time.Location
		want []CurlError
	}{
		{name: "iso time", in: "2026-11-02 09:15:01 " + e6 + "\n",
			want: []CurlError{{File: "f", Line: 1, Time: time.Date(2026, 11, 2, 9, 15, 1, 0, time.UTC), Code: 6, Text: "Couldn't resolve host name", Codes: curlFindings[6]}}},
		{name: "zone", in: "2026-11-02 10:15:01 " + e6 + "\n", loc: berlin,
			want: []CurlError{{File: "f", Line: 1, Time: time.Date(2026, 11, 2, 9, 15, 1, 0, time.UTC), Code: 6, Text: "Couldn't resolve host name", Codes: curlFindings[6]}}},
		{name: "syslog time without a year", in: "Nov  2 09:15:01 fmc " + e6 + "\n",
			want: []CurlError{{File: "f", Line: 1, Time: time.Date(0, 11, 2, 9, 15, 1, 0, time.UTC), NoYear: true, Code: 6, Text: "Couldn't resolve host name", Codes: curlFindings[6]}}},
		{name: "no time", in: e6 + "\n",
			want: []CurlError{{File: "f", Line: 1, Code: 6, Text: "Couldn't resolve host name", Codes: curlFindings[6]}}},
		{name: "other lines skipped", in: "hello\n\nCH-LIB-INFO: all good\n" + "2026-11-02 09:15:01 " + e6 + "\n",
			want: []CurlError{{File: "f", Line: 4, Time: time.Date(2026, 11, 2, 9, 15, 1, 0, time.UTC), Code: 6, Text: "Couldn't resolve host name", Codes: curlFindings[6]}}},
		{name: "unknown code", in: `err code 99, err string "x"` + "\n", want: []CurlError{{File: "f", Line: 1, Code: 99, Text: "x"}}},
		{name: "cut line", in: `CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 6, err str`},
		{name: "empty", in: ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadCurlLog("f", strings.NewReader(c.in), c.loc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Every prefix of a log reads without error or panic.
func TestReadCurlLogTruncated(t *testing.T) {
	const log = "2026-11-02 09:15:01 CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 7, err string \"Couldn't connect to server\"\n"
	for i := range len(log) {
		if _, err := ReadCurlLog("f", strings.NewReader(log[:i]), nil); err != nil {
			t.Fatalf("prefix %d: %v", i, err)
		}
	}
}

func FuzzReadCurlLog(f *testing.F) {
	f.Add("2026-11-02 09:15:01 CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 6, err string \"Couldn't resolve host name\"\n")
	f.Add("Nov  2 09:15:01 fmc err code 60, err string \"SSL\"\n")
	f.Fuzz(func(t *testing.T, s string) {
		errs, err := ReadCurlLog("f", strings.NewReader(s), nil)
		if err != nil && len(s) < 1<<20 {
			t.Fatalf("error on %q: %v", s, err)
		}
		for _, e := range errs {
			if e.Line < 1 || e.String() == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
	})
}
