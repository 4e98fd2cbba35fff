package probe

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTarget(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		in   string
		want Target
		err  string // part of the error; "" for none
	}{
		{in: "tools.cisco.com", want: Target{Host: "tools.cisco.com", Port: 443}},
		{in: "tools.cisco.com:8443", want: Target{Host: "tools.cisco.com", Port: 8443}},
		{in: "tools.cisco.com.", want: Target{Host: "tools.cisco.com.", Port: 443}},
		{in: "_sip._tls.example.com", want: Target{Host: "_sip._tls.example.com", Port: 443}},
		{in: "localhost", want: Target{Host: "localhost", Port: 443}},
		{in: "10.1.1.1", want: Target{Host: "10.1.1.1", Addr: a("10.1.1.1"), Port: 443}},
		{in: "10.1.1.1:443", want: Target{Host: "10.1.1.1", Addr: a("10.1.1.1"), Port: 443}},
		{in: "2001:db8::1", want: Target{Host: "2001:db8::1", Addr: a("2001:db8::1"), Port: 443}},
		{in: "2001:DB8::1", want: Target{Host: "2001:db8::1", Addr: a("2001:db8::1"), Port: 443}},
		{in: "[2001:db8::1]", want: Target{Host: "2001:db8::1", Addr: a("2001:db8::1"), Port: 443}},
		{in: "[2001:db8::1]:8443", want: Target{Host: "2001:db8::1", Addr: a("2001:db8::1"), Port: 8443}},
		{in: "[fe80::1%eth0]:443", want: Target{Host: "fe80::1%eth0", Addr: a("fe80::1%eth0"), Port: 443}},
		{in: "::ffff:10.1.1.1", want: Target{Host: "10.1.1.1", Addr: a("10.1.1.1"), Port: 443}},
		{in: "[::1]:65535", want: Target{Host: "::1", Addr: a("::1"), Port: 65535}},

		{in: "", err: "empty"},
		{in: "https://tools.cisco.com/", err: "a URL; give HOST[:PORT] (tools.cisco.com)"},
		{in: "tools.cisco.com/path", err: "want HOST"},
		{in: "tools cisco", err: "want HOST"},
		{in: "user@tools.cisco.com", err: "want HOST"},
		{in: "tools.cisco.com:", err: "empty port"},
		{in: "tools.cisco.com:0", err: "want 1 to 65535"},
		{in: "tools.cisco.com:65536", err: "want 1 to 65535"},
		{in: "tools.cisco.com:https", err: "not a number"},
		{in: "tools.cisco.com:+443", err: "not a number"},
		{in: ":443", err: "empty host"},
		{in: "10.1.1.300", err: "is not an IP address"},
		{in: "10.1.1", err: "is not an IP address"},
		{in: "a..b", err: "empty label"},
		{in: ".", err: "empty host"},
		{in: "tööls.example", err: "neither an IP address nor a host name"},
		{in: "a:b:c", err: "not an IPv6 address"},
		{in: "[2001:db8::1", err: "missing ']'"},
		{in: "[10.1.1.1]:443", err: "not an IPv6 address"},
		{in: "[2001:db8::1]443", err: "want [IPv6]:PORT"},
		{in: "[2001:db8::1]:", err: "empty port"},
		{in: strings.Repeat("a", 64) + ".example", err: "longer than 63"},
		{in: strings.Repeat("abcdefghi.", 26) + "com", err: "longer than 253"},
	} {
		got, err := ParseTarget(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseTarget(%q): %v", tc.in, err)
		case tc.err != "" && err == nil:
			t.Errorf("ParseTarget(%q) = %+v, want an error with %q", tc.in, got, tc.err)
		case tc.err != "":
			if !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrTarget) {
				t.Errorf("ParseTarget(%q): %v, want %q (and ErrTarget)", tc.in, err, tc.err)
			}
		default:
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("ParseTarget(%q) (-want +got):\n%s", tc.in, diff)
			}
		}
	}
}

func TestTargetString(t *testing.T) {
	for in, want := range map[string]string{
		"tools.cisco.com":     "tools.cisco.com:443",
		"2001:db8::1":         "[2001:db8::1]:443",
		"[2001:db8::1]:8443":  "[2001:db8::1]:8443",
		"10.1.1.1:10443":      "10.1.1.1:10443",
		"[fe80::1%eth0]:8443": "[fe80::1%eth0]:8443",
	} {
		tg, err := ParseTarget(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := tg.String(); got != want {
			t.Errorf("%q: String() = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseTarget: no panic, and a target read is read again the same
// from its String.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"tools.cisco.com", "tools.cisco.com:8443", "10.1.1.1", "[2001:db8::1]:443", "2001:db8::1",
		"[fe80::1%eth0]", "https://x/", "a:b:c", "[::1]:", "x.:1", "\x00", "[", "]:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			if !errors.Is(err, ErrTarget) {
				t.Fatalf("%q: error %v is not ErrTarget", s, err)
			}
			return
		}
		if tg.Port == 0 || tg.Host == "" {
			t.Fatalf("%q: %+v without host or port", s, tg)
		}
		again, err := ParseTarget(tg.String())
		if err != nil {
			t.Fatalf("%q -> %q: %v", s, tg.String(), err)
		}
		if again != tg {
			t.Fatalf("%q: %+v, again from %q: %+v", s, tg, tg.String(), again)
		}
	})
}
