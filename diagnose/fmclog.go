package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The FMC's own log (/var/log/process_stdout.log): the Smart Licensing
// agent logs each failed HTTPS exchange as a libcurl error,
//
//	CH-LIB-ERROR: ch_pf_curl_send_msg[494], failed to perform, err code 6, err string "Couldn't resolve host name"
//
// The capture says why; the log says what failed, and when.

// CurlError is one libcurl failure the FMC logged.
type CurlError struct {
	File   string
	Line   int
	Time   time.Time // zero when the line has no time that could be read
	Code   int       // libcurl's CURLcode
	Text   string    // its err string
	Codes  []string  // the finding codes that explain it (curlFindings)
	NoYear bool      // the time had no year (syslog style): the capture's is used
}

// Where is "file:line".
func (c *CurlError) Where() string { return c.File + ":" + strconv.Itoa(c.Line) }

// curlFindings maps the libcurl error codes the FMC logs to the findings
// that explain them (libcurl's libcurl-errors(3)).
var curlFindings = map[int][]string{
	6:  {CodeDNSNXDomain, CodeDNSServFail, CodeDNSRefused, CodeDNSNoAnswer, CodeDNSNoAddress},               // CURLE_COULDNT_RESOLVE_HOST
	7:  {CodeTCPNoAnswer, CodeTCPRefused, CodeProxyRefusedPrefix},                                           // CURLE_COULDNT_CONNECT
	28: {CodeTCPNoAnswer, CodeTLSStalled, CodeDNSNoAnswer},                                                  // CURLE_OPERATION_TIMEDOUT
	35: {CodeTLSAlertPrefix, CodeTCPReset, CodeTLSStalled},                                                  // CURLE_SSL_CONNECT_ERROR
	51: {CodeCertNameMismatch},                                                                              // CURLE_PEER_FAILED_VERIFICATION
	52: {CodeTCPReset},                                                                                      // CURLE_GOT_NOTHING
	56: {CodeTCPReset, CodeProxyRefusedPrefix},                                                              // CURLE_RECV_ERROR
	60: {CodeCertUntrusted, CodeCertExpired, CodeCertNotYetValid, CodeCertNameMismatch, CodeTLSAlertPrefix}, // CURLE_PEER_FAILED_VERIFICATION (older numbering) / SSL_CACERT
}

var curlLine = regexp.MustCompile(`err code (\d+), err string "([^"]*)"`)

// ReadCurlLog reads the libcurl errors of an FMC log; times without a zone
// are in loc. Lines that are not such errors are skipped.
func ReadCurlLog(name string, r io.Reader, loc *time.Location) ([]CurlError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []CurlError
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m := curlLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		code, err := strconv.Atoi(m[1])
		if err != nil {
			continue
		}
		ce := CurlError{File: name, Line: n, Code: code, Text: m[2], Codes: curlFindings[code]}
		ce.Time, ce.NoYear = lineTime(line, loc)
		out = append(out, ce)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s: %v", name, err)
	}
	return out, nil
}

// lineTime reads a time at the start of a log line: ISO 8601, "2006-01-02
// 15:04:05", or syslog's "Jan _2 15:04:05" (no year).
func lineTime(line string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "Jan _2 2006 15:04:05"} {
		if len(line) >= len(l)-1 {
			for _, n := range []int{len(l), len(l) + 6, len(l) - 1} {
				if n > 0 && n <= len(line) {
					if t, err := time.ParseInLocation(l, line[:n], loc); err == nil {
						return t.UTC(), false
					}
				}
			}
		}
	}
	for _, l := range []string{time.Stamp, "Jan 02 15:04:05"} {
		if len(line) >= len(l) {
			if t, err := time.ParseInLocation(l, line[:len(l)], loc); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// explains reports whether a finding code is one the curl error maps to.
func (c *CurlError) explains(code string) bool {
	for _, k := range c.Codes {
		if code == k || strings.HasSuffix(k, ":") && strings.HasPrefix(code, k) {
			return true
		}
	}
	return false
}

// String is the error as a finding lists it.
func (c *CurlError) String() string {
	s := fmt.Sprintf("%s: curl error %d (%s)", c.Where(), c.Code, c.Text)
	if !c.Time.IsZero() {
		s += " at " + c.Time.Format("15:04:05")
	}
	return s
}
