package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/tsid-project/tsid/internal/samplepki"
	"github.com/tsid-project/tsid/pcaps/synth"
)

// captureStart is the timestamp of every sample's first packet and the
// clock of both TLS sides.
var captureStart = time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)

var (
	leafFrom = samplepki.LeafFrom
	leafTo   = samplepki.LeafTo
)

// writer is a synth.Writer that remembers the TLS conversations written,
// for the tests.
type writer struct {
	*synth.Writer
	convs []synth.Conversation
}

// sample is one capture file.
type sample struct {
	file  string
	opts  synth.Options
	write func(w *writer, p *pki) error
}

// pki holds the sample certificates, built once per run.
type pki struct {
	ca, tools, www, cnOnly, ouOnly, wildcard, longSAN, selfSigned, expired *synth.Identity
}

func newPKI() (*pki, error) {
	var p pki
	var err error
	issue := func(spec synth.CertSpec, issuer *synth.Identity) *synth.Identity {
		if err != nil {
			return nil
		}
		if spec.NotBefore.IsZero() {
			spec.NotBefore, spec.NotAfter = leafFrom, leafTo
		}
		var id *synth.Identity
		id, err = synth.NewIdentity(spec, issuer)
		return id
	}
	// The CA, tools and www come from internal/samplepki, which the tests
	// of tsid probe serve on loopback: a capture and a live server show
	// the same certificates.
	if p.ca, err = samplepki.CA(); err != nil {
		return nil, err
	}
	if p.tools, err = samplepki.Tools(p.ca); err != nil {
		return nil, err
	}
	if p.www, err = samplepki.WWW(p.ca); err != nil {
		return nil, err
	}
	p.cnOnly = issue(synth.CertSpec{
		KeySeed: "legacy.example.com", Serial: 0x2003,
		Subject: pkix.Name{CommonName: "legacy.example.com"},
	}, p.ca)
	p.ouOnly = issue(synth.CertSpec{
		KeySeed: "ou-only", Serial: 0x2004,
		Subject: pkix.Name{OrganizationalUnit: []string{"Device Management"}},
	}, p.ca)
	p.wildcard = issue(synth.CertSpec{
		KeySeed: "*.example.net", Serial: 0x2005,
		Subject:  pkix.Name{CommonName: "*.example.net"},
		DNSNames: []string{"*.example.net", "example.net"},
	}, p.ca)
	sans := []string{"san-heavy.example.com"}
	for i := 1; len(sans) < 300; i++ {
		sans = append(sans, fmt.Sprintf("h%03d.cdn.example.com", i))
	}
	p.longSAN = issue(synth.CertSpec{
		KeySeed: "san-heavy.example.com", Serial: 0x2006,
		Subject:  pkix.Name{Organization: []string{"Example CDN"}, CommonName: "san-heavy.example.com"},
		DNSNames: sans,
	}, p.ca)
	p.selfSigned = issue(synth.CertSpec{
		KeySeed: "self.example.com", Serial: 0x2007,
		Subject:  pkix.Name{CommonName: "self.example.com"},
		DNSNames: []string{"self.example.com"},
	}, nil)
	p.expired = issue(synth.CertSpec{
		KeySeed: "expired.example.com", Serial: 0x2008,
		Subject:   pkix.Name{CommonName: "expired.example.com"},
		DNSNames:  []string{"expired.example.com"},
		NotBefore: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}, p.ca)
	return &p, err
}

// withDefaults fills what a sample connection leaves unset: the writer's
// clock, a seed from the endpoints, TLS 1.2 only, the first ISNs.
func withDefaults(w *writer, cfg synth.Config, t synth.TCP) (synth.Config, synth.TCP) {
	if cfg.Time.IsZero() {
		cfg.Time = w.Time()
	}
	if cfg.Seed == "" {
		cfg.Seed = cfg.Client.String() + ">" + cfg.Server.String()
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.MaxVersion == 0 {
		cfg.MaxVersion = tls.VersionTLS12
	}
	if t.ClientISN == 0 {
		t.ClientISN, t.ServerISN = isn1Client, isn1Server
	}
	return cfg, t
}

// addConv writes conv, followed by a pause.
func (w *writer) addConv(conv *synth.Conversation, t synth.TCP) error {
	if err := w.WriteConversation(conv, t); err != nil {
		return err
	}
	w.convs = append(w.convs, *conv)
	w.Pause(250 * time.Millisecond)
	return nil
}

// tlsConn runs one handshake and writes it, followed by a pause.
func tlsConn(w *writer, cfg synth.Config, t synth.TCP) error {
	cfg, t = withDefaults(w, cfg, t)
	conv, err := synth.Handshake(cfg)
	if err != nil {
		return err
	}
	if cfg.Sessions != nil && conv.Resumed != (cfg.Sessions.(*countingCache).gets > 1) {
		return fmt.Errorf("%v: resumed=%v unexpected", cfg.Client, conv.Resumed)
	}
	return w.addConv(&conv, t)
}

// countingCache is a client session cache that counts lookups, so that
// the resumed sample can check that resumption really happened.
type countingCache struct {
	tls.ClientSessionCache
	gets int
}

func (c *countingCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.gets++
	return c.ClientSessionCache.Get(key)
}

var (
	ap      = netip.MustParseAddrPort
	addr    = netip.MustParseAddr
	ciscoIP = addr("72.163.4.38")
)

func fieldCase(sni string, port uint16) func(*writer, *pki) error {
	return func(w *writer, p *pki) error {
		if err := w.WriteDNS(synth.DNS{
			Client: addr("10.12.1.8"), Resolver: addr("10.12.1.1"), ID: 0x4c21, TTL: 300,
			Name: "tools.cisco.com", Addrs: []netip.Addr{ciscoIP},
		}); err != nil {
			return err
		}
		w.Pause(20 * time.Millisecond)
		return tlsConn(w, synth.Config{
			Client: netip.AddrPortFrom(addr("10.12.1.8"), port), Server: netip.AddrPortFrom(ciscoIP, 443),
			ServerName: sni, Cert: p.tools, Verify: true,
		}, synth.TCP{})
	}
}

var samples = []sample{
	{file: "field-case.pcap", write: fieldCase("", 51514)},
	{file: "field-case-sni.pcap", write: fieldCase("tools.cisco.com", 51516)},
	{file: "tls13.pcap", write: func(w *writer, p *pki) error {
		tls13 := func(port uint16, sni string) synth.Config {
			return synth.Config{
				Client: netip.AddrPortFrom(addr("192.0.2.10"), port), Server: ap("198.51.100.20:443"),
				ServerName: sni, Cert: p.www, Verify: true,
				MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13,
			}
		}
		if err := tlsConn(w, tls13(50100, "www.example.com"), synth.TCP{}); err != nil {
			return err
		}
		return tlsConn(w, tls13(50102, ""), synth.TCP{ClientISN: isn2Client, ServerISN: isn2Server})
	}},
	{file: "resumed.pcap", write: func(w *writer, p *pki) error {
		cache := &countingCache{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		cfg := synth.Config{
			Server: ap("198.51.100.30:443"), ServerName: "www.example.com", Cert: p.www, Verify: true,
			Sessions: cache, TicketKey: [32]byte{'t', 's', 'i', 'd'},
		}
		cfg.Client = ap("192.0.2.10:50200")
		if err := tlsConn(w, cfg, synth.TCP{}); err != nil {
			return err
		}
		cfg.Client = ap("192.0.2.10:50202")
		return tlsConn(w, cfg, synth.TCP{ClientISN: isn2Client, ServerISN: isn2Server})
	}},
	{file: "cn-only.pcap", opts: synth.Options{Link: synth.LinuxSLL}, write: func(w *writer, p *pki) error {
		return tlsConn(w, synth.Config{
			Client: ap("192.0.2.10:50300"), Server: ap("198.51.100.40:443"), Cert: p.cnOnly, Verify: true,
		}, synth.TCP{})
	}},
	{file: "ou-only.pcap", opts: synth.Options{Link: synth.RawIP}, write: func(w *writer, p *pki) error {
		return tlsConn(w, synth.Config{
			Client: ap("192.0.2.10:50400"), Server: ap("198.51.100.50:443"), Cert: p.ouOnly, Verify: true,
		}, synth.TCP{})
	}},
	{file: "spoofed-sni.pcap", write: func(w *writer, p *pki) error {
		return tlsConn(w, synth.Config{
			Client: ap("10.12.1.8:51600"), Server: netip.AddrPortFrom(ciscoIP, 443),
			ServerName: "www.example.org", Cert: p.tools,
		}, synth.TCP{})
	}},
	{file: "wildcard.pcap", write: func(w *writer, p *pki) error {
		return tlsConn(w, synth.Config{
			Client: ap("192.0.2.10:50600"), Server: ap("198.51.100.60:443"),
			ServerName: "api.example.net", Cert: p.wildcard, Verify: true,
		}, synth.TCP{})
	}},
	{file: "long-san-reordered.pcap", write: func(w *writer, p *pki) error {
		return tlsConn(w, synth.Config{
			Client: ap("192.0.2.10:50700"), Server: ap("198.51.100.70:443"),
			ServerName: "san-heavy.example.com", Cert: p.longSAN, Verify: true,
		}, synth.TCP{MSS: 200, Shuffle: 7, Duplicates: 5, MinDisorder: 4})
	}},
	{file: "vlan.pcap", write: func(w *writer, p *pki) error {
		cfg := synth.Config{
			Client: ap("192.0.2.10:50800"), Server: ap("198.51.100.80:443"),
			ServerName: "www.example.com", Cert: p.www, Verify: true,
		}
		if err := tlsConn(w, cfg, synth.TCP{VLANs: []uint16{100}}); err != nil {
			return err
		}
		cfg.Client = ap("192.0.2.10:50802")
		return tlsConn(w, cfg, synth.TCP{VLANs: []uint16{200, 300}, ClientISN: isn2Client, ServerISN: isn2Server})
	}},
	{file: "ipv6.pcapng", opts: synth.Options{Format: synth.PCAPNG}, write: func(w *writer, p *pki) error {
		if err := w.WriteDNS(synth.DNS{
			Client: addr("2001:db8:1::8"), Resolver: addr("2001:db8:1::1"), ID: 0x6a6a, TTL: 60,
			Name: "www.example.com", CNAMEs: []string{"www.example.com.edge.example.net"},
			Addrs: []netip.Addr{addr("2001:db8:ff::443")},
		}); err != nil {
			return err
		}
		w.Pause(20 * time.Millisecond)
		return tlsConn(w, synth.Config{
			Client: ap("[2001:db8:1::8]:50900"), Server: ap("[2001:db8:ff::443]:443"),
			ServerName: "www.example.com", Cert: p.www, Verify: true,
		}, synth.TCP{})
	}},
	{file: "self-signed.pcap", opts: synth.Options{Link: synth.Loopback}, write: func(w *writer, p *pki) error {
		return tlsConn(w, synth.Config{
			Client: ap("127.0.0.1:51000"), Server: ap("127.0.0.1:8443"),
			ServerName: "self.example.com", Cert: p.selfSigned, Verify: true,
		}, synth.TCP{})
	}},
	{file: "expired.pcap", write: func(w *writer, p *pki) error {
		return tlsConn(w, synth.Config{
			Client: ap("192.0.2.10:51100"), Server: ap("198.51.100.110:443"),
			ServerName: "expired.example.com", Cert: p.expired,
		}, synth.TCP{})
	}},
}

// writeSamples writes every sample into dir and returns the paths.
func writeSamples(dir string) ([]string, error) {
	p, err := newPKI()
	if err != nil {
		return nil, err
	}
	var files []string
	for _, s := range samples {
		b, _, err := render(s, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.file, err)
		}
		path := filepath.Join(dir, s.file)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

// render returns the capture file of s and the TLS conversations in it.
func render(s sample, p *pki) ([]byte, []synth.Conversation, error) {
	var buf bytes.Buffer
	opts := s.opts
	opts.Start = captureStart
	sw, err := synth.NewWriter(&buf, opts)
	if err != nil {
		return nil, nil, err
	}
	w := &writer{Writer: sw}
	if err := s.write(w, p); err != nil {
		return nil, nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), w.convs, nil
}
