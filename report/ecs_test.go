package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/internal/fill"
)

// ecsLines writes recs through NewECS and returns each line decoded,
// failing on a line that is not one JSON object or that holds a null or
// a rune a terminal would act on.
func ecsLines(t *testing.T, recs ...*analysis.Record) []map[string]any {
	t.Helper()
	var b bytes.Buffer
	w := NewECS(&b)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	n := b.Len()
	if err := w.Close(&analysis.Summary{Files: 1}); err != nil {
		t.Fatal(err)
	}
	if b.Len() != n {
		t.Errorf("Close wrote %q", b.Bytes()[n:])
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end with a newline: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(recs) {
		t.Fatalf("%d lines for %d records:\n%s", len(lines), len(recs), out)
	}
	var docs []map[string]any
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not a JSON object (%v): %s", i, err, l)
		}
		if p := nullPath(m, ""); p != "" {
			t.Errorf("line %d: null at %s: %s", i, p, l)
		}
		for _, c := range l {
			if !unicode.IsPrint(c) {
				t.Errorf("line %d: raw %q in %s", i, c, l)
				break
			}
		}
		docs = append(docs, m)
	}
	return docs
}

// nullPath is the dotted path of a null in v, "" when there is none.
func nullPath(v any, at string) string {
	switch v := v.(type) {
	case nil:
		return at
	case map[string]any:
		for k, e := range v {
			if p := nullPath(e, at+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for _, e := range v {
			if p := nullPath(e, at+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}

// field is the value at a dotted path of nested objects ("tls.client.ja3"),
// nil when absent; a dotted key would not be found.
func field(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = o[k]; !ok {
			return nil
		}
	}
	return v
}

// jsonOf is v as it decodes from JSON, to compare with a decoded field.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestECS(t *testing.T) {
	when := analysis.Time(time.Date(2026, 11, 2, 9, 15, 0, 22000000, time.FixedZone("CET", 3600)))
	cert := &analysis.CertRecord{
		Subject:   "CN=tools.cisco.com,O=Cisco Systems Inc.,C=US",
		CN:        "tools.cisco.com",
		OU:        []string{},
		O:         []string{"Cisco Systems Inc."},
		SANDNS:    []string{"toos.cisco.com", "tools.cisco.com"},
		SANIP:     []string{"192.0.2.1"},
		Issuer:    "CN=Test Issuing CA,O=tsid Test PKI,C=US",
		NotBefore: analysis.Time(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)),
		NotAfter:  analysis.Time(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)),
		SHA256:    "ebbff5e73b40b6e76ae234d85eb24d5f50fab83dc2d67855f9bb10e69c31cb6b",
	}
	type none struct{}
	absent := none{} // a key that must not be there
	for _, tc := range []struct {
		name string
		r    *analysis.Record
		want map[string]any
	}{{
		name: "tcp with certificate, no SNI",
		r: &analysis.Record{
			File: "field-case.pcap", Time: when, Client: "10.12.1.8:51514", Server: "72.163.4.38:443",
			Transport: "tcp", SNIStatus: "absent", TLSVersion: "TLS 1.2", CertStatus: "present", Cert: cert,
			DNSNames: []string{"tools.cisco.com"}, Profile: "ftd", Host: "toos.cisco.com", HostSource: "san",
			URL: "https://toos.cisco.com", Flags: []string{"no-sni", "host-differs"}, ALPN: []string{},
			CipherSuite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", JA3: "6536e21bedd43b99c455a86b4e3750c0",
			JA3S: "4946927968f91d401b67e2a77f38cf15", JA4: "t12i100900_a8cf61a50a39_a92c7c6a82fe",
		},
		want: map[string]any{
			"@timestamp":                          "2026-11-02T08:15:00.022000000Z",
			"ecs.version":                         ECSVersion,
			"event.kind":                          "event",
			"event.category":                      []string{"network"},
			"event.type":                          []string{"connection", "protocol"},
			"event.module":                        "tsid",
			"event.dataset":                       "tsid.tls",
			"source.ip":                           "10.12.1.8",
			"source.port":                         51514,
			"destination.ip":                      "72.163.4.38",
			"destination.port":                    443,
			"destination.domain":                  absent,
			"network.transport":                   "tcp",
			"network.protocol":                    "tls",
			"tls.version":                         "1.2",
			"tls.version_protocol":                "tls",
			"tls.cipher":                          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
			"tls.client.server_name":              absent,
			"tls.client.ja3":                      "6536e21bedd43b99c455a86b4e3750c0",
			"tls.server.ja3s":                     "4946927968f91d401b67e2a77f38cf15",
			"tls.server.hash.sha256":              "EBBFF5E73B40B6E76AE234D85EB24D5F50FAB83DC2D67855F9BB10E69C31CB6B",
			"tls.server.x509.subject.common_name": []string{"tools.cisco.com"},
			"tls.server.x509.subject.distinguished_name":  "CN=tools.cisco.com,O=Cisco Systems Inc.,C=US",
			"tls.server.x509.subject.organization":        []string{"Cisco Systems Inc."},
			"tls.server.x509.subject.organizational_unit": absent,
			"tls.server.x509.alternative_names":           []string{"toos.cisco.com", "tools.cisco.com"},
			"tls.server.x509.issuer.distinguished_name":   "CN=Test Issuing CA,O=tsid Test PKI,C=US",
			"tls.server.x509.not_before":                  "2026-06-01T00:00:00.000000000Z",
			"tls.server.x509.not_after":                   "2027-06-01T00:00:00.000000000Z",
			"url.domain":                                  "toos.cisco.com",
			"url.original":                                "https://toos.cisco.com",
			"tsid.file":                                   "field-case.pcap",
			"tsid.transport":                              "tcp",
			"tsid.profile":                                "ftd",
			"tsid.host_source":                            "san",
			"tsid.sni_status":                             "absent",
			"tsid.cert_status":                            "present",
			"tsid.flags":                                  []string{"no-sni", "host-differs"},
			"tsid.dns_names":                              []string{"tools.cisco.com"},
			"tsid.ja4":                                    "t12i100900_a8cf61a50a39_a92c7c6a82fe",
			"tsid.anomalies":                              absent,
			"tsid.verdict":                                absent,
		},
	}, {
		name: "quic, IPv6, SNI, no host",
		r: &analysis.Record{
			Time: when, Client: "[2001:db8::8]:50000", Server: "[2001:db8::1]:443", Transport: "quic",
			SNI: "a.example", SNIStatus: "present", TLSVersion: "TLS 1.3", CertStatus: "encrypted",
			Profile: "ftd", HostUnknown: "certificate encrypted", Flags: []string{}, Anomalies: []string{"gap"},
		},
		want: map[string]any{
			"source.ip":              "2001:db8::8",
			"source.port":            50000,
			"destination.ip":         "2001:db8::1",
			"destination.domain":     "a.example",
			"network.transport":      "udp",
			"network.protocol":       "quic",
			"tls.version":            "1.3",
			"tls.client.server_name": "a.example",
			"tls.client.ja3":         absent,
			"tls.server":             absent,
			"url":                    absent,
			"tsid.host_unknown":      "certificate encrypted",
			"tsid.host_source":       absent,
			"tsid.flags":             absent,
			"tsid.anomalies":         []string{"gap"},
			"tsid.cert_status":       "encrypted",
		},
	}, {
		name: "dtls",
		r: &analysis.Record{
			Time: when, Client: "192.0.2.7:40000", Server: "192.0.2.9:4433", Transport: "udp",
			SNIStatus: "present", SNI: "vpn.example", TLSVersion: "DTLS 1.2", ConnectName: "c.example",
		},
		want: map[string]any{
			"network.transport":    "udp",
			"network.protocol":     "dtls",
			"tls.version":          "1.2",
			"tls.version_protocol": "dtls",
			"tsid.transport":       "udp",
			"tsid.connect_name":    "c.example",
		},
	}, {
		name: "no ServerHello, unknown SNI, odd address",
		r: &analysis.Record{
			Client: "not an address", Server: "192.0.2.9:443", Transport: "tcp", SNIStatus: "unknown",
			SNI: "never.example", TLSVersion: "0x1234",
		},
		want: map[string]any{
			"@timestamp":             absent,
			"source.address":         "not an address",
			"source.ip":              absent,
			"tls":                    absent,
			"tls.client.server_name": absent,
			"destination.domain":     absent,
			"tsid.sni_status":        "unknown",
		},
	}, {
		name: "verdicts and logged event without nulls",
		r: &analysis.Record{
			Time: when, Client: "10.0.0.1:1000", Server: "10.0.0.2:443", Transport: "tcp", Host: "h.example",
			Verdict: &analysis.Verdict{Name: "h.example", Action: "allow", Why: "default action"},
			IntendedVerdict: &analysis.Verdict{Name: "s.example", From: "sni", Action: "block",
				Rule: &analysis.RuleRef{Layer: "access", Source: "rules.txt:3", Text: "block s.example"}},
			Logged: &analysis.Logged{URL: "https://h.example", Host: "h.example", Action: "Allow", Event: "ev.txt:1"},
			Profiles: map[string]analysis.HostPick{"ftd": {Host: "h.example", HostSource: "sni",
				Verdict: &analysis.Verdict{Name: "h.example", Action: "allow"}}},
		},
		want: map[string]any{
			"url.domain":                        "h.example",
			"url.original":                      absent,
			"tsid.verdict.action":               "allow",
			"tsid.verdict.rule":                 absent,
			"tsid.intended_verdict.rule.source": "rules.txt:3",
			"tsid.intended_verdict.from":        "sni",
			"tsid.logged.host":                  "h.example",
			"tsid.logged.time":                  absent,
			"tsid.profiles.ftd.host":            "h.example",
			"tsid.profiles.ftd.verdict.action":  "allow",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := ecsLines(t, tc.r)[0]
			for k, want := range tc.want {
				got := field(m, k)
				if want == absent {
					if got != nil {
						t.Errorf("%s = %v, want it absent", k, got)
					}
					continue
				}
				if w := jsonOf(t, want); !reflect.DeepEqual(got, w) {
					t.Errorf("%s = %#v, want %#v", k, got, w)
				}
			}
			for k := range m {
				if strings.Contains(k, ".") && k != "@timestamp" {
					t.Errorf("dotted key %q: ECS objects are nested", k)
				}
			}
		})
	}
}

// TestECSSample: the field case through the analysis.
func TestECSSample(t *testing.T) {
	f, err := os.Open("../testdata/samples/field-case.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []*analysis.Record
	if _, err := analysis.New(analysis.Options{}).Analyze(context.Background(), "field-case.pcap", f,
		func(r *analysis.Record) { recs = append(recs, r) }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	m := ecsLines(t, recs...)[0]
	for k, want := range map[string]any{
		"source.ip":                           "10.12.1.8",
		"source.port":                         51514.0,
		"destination.ip":                      "72.163.4.38",
		"url.domain":                          "toos.cisco.com",
		"url.original":                        "https://toos.cisco.com",
		"tls.version":                         "1.2",
		"tls.server.x509.subject.common_name": []any{"tools.cisco.com"},
		"tls.client.server_name":              nil, // no SNI: absent
		"tsid.flags":                          []any{"no-sni", "near-miss:tools.cisco.com", "host-differs", "profiles-disagree"},
		"tsid.profile":                        "ftd",
		"tsid.host_source":                    "san",
		"tsid.file":                           "field-case.pcap",
	} {
		if got := field(m, k); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if sans, _ := field(m, "tls.server.x509.alternative_names").([]any); len(sans) == 0 || sans[0] != "toos.cisco.com" {
		t.Errorf("tls.server.x509.alternative_names = %v, want toos.cisco.com first", sans)
	}
	if h, _ := field(m, "tls.server.hash.sha256").(string); len(h) != 64 || h != strings.ToUpper(h) {
		t.Errorf("tls.server.hash.sha256 = %q, want 64 upper-case hex digits", h)
	}
}

// TestECSHostile: names with control characters, invalid UTF-8 and
// invisible runes, and records with every field set (internal/fill), give
// valid JSON lines without nulls or raw control runes; a name decodes to
// itself where it is UTF-8.
func TestECSHostile(t *testing.T) {
	names := []string{"\x1b[2J.example", "a\x00b\nc\"d\\e", "caf\xe9.example", "\xff\xfe", "evil\u202etxt.example",
		"\u009b2J", "a\x7fb", "x\u2028y", "<script>&"}
	var recs []*analysis.Record
	for _, n := range names {
		recs = append(recs, &analysis.Record{
			Client: "10.0.0.1:1", Server: "10.0.0.2:443", Transport: "tcp", SNI: n, SNIStatus: "present", Host: n,
			URL: "https://" + n, Cert: &analysis.CertRecord{CN: n, SANDNS: []string{n}, Subject: "CN=" + n},
			DNSNames: []string{n}, Anomalies: []string{"name-not-utf8:sni"},
		})
	}
	seq := 0
	for mode := range 3 {
		for range 4 {
			r := new(analysis.Record)
			fill.Value(reflect.ValueOf(r).Elem(), mode, &seq)
			recs = append(recs, r)
		}
	}
	docs := ecsLines(t, recs...)
	for i, n := range names {
		if !strings.ContainsRune(n, 0xfffd) && strings.ToValidUTF8(n, "") == n {
			if got := field(docs[i], "tls.client.server_name"); got != n {
				t.Errorf("server_name %q decodes to %q", n, got)
			}
			if got := field(docs[i], "url.domain"); got != n {
				t.Errorf("url.domain %q decodes to %q", n, got)
			}
		}
	}
}
