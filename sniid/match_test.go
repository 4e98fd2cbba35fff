package sniid

import (
	"net/netip"
	"testing"
)

func TestSNIMatchesCert(t *testing.T) {
	ip := netip.MustParseAddr
	tests := []struct {
		name   string
		sni    string
		sanDNS []string
		sanIP  []netip.Addr
		cns    []string
		want   bool
	}{
		{"exact", "tools.cisco.com", []string{"tools.cisco.com"}, nil, nil, true},
		{"second SAN", "tools.cisco.com", []string{"toos.cisco.com", "tools.cisco.com"}, nil, nil, true},
		{"no SNI", "", []string{"tools.cisco.com"}, nil, nil, false},
		{"spoofed", "evil.example", []string{"tools.cisco.com"}, nil, []string{"tools.cisco.com"}, false},
		{"case", "TOOLS.Cisco.COM", []string{"tools.cisco.com"}, nil, nil, true},
		{"case in SAN", "tools.cisco.com", []string{"Tools.Cisco.Com"}, nil, nil, true},
		{"trailing dot SNI", "tools.cisco.com.", []string{"tools.cisco.com"}, nil, nil, true},
		{"trailing dot SAN", "tools.cisco.com", []string{"tools.cisco.com."}, nil, nil, true},
		{"only one trailing dot removed", "tools.cisco.com..", []string{"tools.cisco.com"}, nil, nil, false},
		{"wildcard one label", "a.example.com", []string{"*.example.com"}, nil, nil, true},
		{"wildcard case", "A.EXAMPLE.com.", []string{"*.Example.COM"}, nil, nil, true},
		{"wildcard not apex", "example.com", []string{"*.example.com"}, nil, nil, false},
		{"wildcard one label only", "a.b.example.com", []string{"*.example.com"}, nil, nil, false},
		{"wildcard empty label", ".example.com", []string{"*.example.com"}, nil, nil, false},
		{"partial wildcard refused", "foo.example.com", []string{"f*.example.com"}, nil, nil, false},
		{"wildcard not left-most", "a.b.com", []string{"a.*.com"}, nil, nil, false},
		{"literal star SNI equals literal SAN", "*.example.com", []string{"*.example.com"}, nil, nil, true},
		{"lone star one label", "localhost", []string{"*"}, nil, nil, true},
		{"lone star not two labels", "a.b", []string{"*"}, nil, nil, false},
		{"lone star with trailing dot", "a.", []string{"*."}, nil, nil, true},
		{"CN used without dNSName SANs", "tools.cisco.com", nil, nil, []string{"tools.cisco.com"}, true},
		{"second CN", "b.example", nil, nil, []string{"a.example", "b.example"}, true},
		{"CN ignored when dNSName SANs exist", "tools.cisco.com", []string{"other.cisco.com"}, nil, []string{"tools.cisco.com"}, false},
		{"CN wildcard", "x.cisco.com", nil, nil, []string{"*.cisco.com"}, true},
		{"no names at all", "a.example", nil, nil, nil, false},
		{"empty SAN", "a.example", []string{""}, nil, nil, false},
		{"IP SNI vs IP SAN", "192.0.2.1", []string{"192.0.2.1"}, []netip.Addr{ip("192.0.2.1")}, nil, true},
		{"IP SNI not vs dNSName", "192.0.2.1", []string{"192.0.2.1"}, nil, nil, false},
		{"IP SNI not vs CN", "192.0.2.1", nil, nil, []string{"192.0.2.1"}, false},
		{"IP SNI other IP", "192.0.2.1", nil, []netip.Addr{ip("192.0.2.2")}, nil, false},
		{"IPv6 SNI", "2001:db8::1", nil, []netip.Addr{ip("2001:db8::1")}, nil, true},
		{"IPv6 SNI bracketed", "[2001:DB8::1]", nil, []netip.Addr{ip("2001:db8::1")}, nil, true},
		{"IPv4-mapped SAN", "192.0.2.1", nil, []netip.Addr{ip("::ffff:192.0.2.1")}, nil, true},
		{"IP SAN does not match name", "a.example", []string{"b.example"}, []netip.Addr{ip("192.0.2.1")}, nil, false},
		{"Kelvin sign is not k", "\u212a.example", []string{"k.example"}, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SNIMatchesCert(tt.sni, tt.sanDNS, tt.sanIP, tt.cns); got != tt.want {
				t.Errorf("SNIMatchesCert(%q, %q, %v, %q) = %v, want %v", tt.sni, tt.sanDNS, tt.sanIP, tt.cns, got, tt.want)
			}
		})
	}
}
