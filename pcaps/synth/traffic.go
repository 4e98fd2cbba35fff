package synth

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"
)

// TrafficConfig describes a large capture of many interleaved connections,
// for benchmarks: a pool of real crypto/tls conversations replayed with
// varied addresses, ports, sequence numbers and timing, plus DNS lookups
// and non-TLS noise.
type TrafficConfig struct {
	Seed uint64
	// Bytes stops starting new connections once the capture has this
	// many bytes; the open ones are finished, so the file ends a little
	// larger. Conns stops after this many TLS connections. At least one
	// of them must be set; the first limit reached counts.
	Bytes int64
	Conns int
	// AppData is the mean size of a server's response after the
	// handshake (exponentially distributed over the pool, at least 200
	// bytes).
	AppData int
	// Pool is how many distinct real conversations are replayed
	// (default 64); Servers how many server identities they use
	// (default 16).
	Pool, Servers int
	// Concurrency is how many connections are open at once (default 64).
	Concurrency int
	// Start is the first timestamp; Gap the mean time between packets
	// (default 20µs, exponentially distributed).
	Start time.Time
	Gap   time.Duration
	// Reorder is the share of data segments swapped with the next one,
	// Retransmit the share sent twice.
	Reorder, Retransmit float64
	// DNS is the share of TLS connections preceded by a DNS lookup of the
	// server's name.
	DNS float64
	// HalfOpen, when above zero, cuts every TLS connection after the
	// SYN, the SYN-ACK and the first HalfOpen bytes of its ClientHello:
	// nothing more is sent, no FIN, no server data (a slow-hello attack, a
	// scan, a busy firewall's outside interface). The connections stay
	// open to the end of the capture.
	HalfOpen int
	// NoiseTCP and NoiseUDP are non-TLS TCP connections (plain HTTP,
	// SSH-like) and UDP datagrams (syslog, NTP, QUIC-like) per TLS
	// connection.
	NoiseTCP, NoiseUDP float64
}

// BulkTraffic is the "bulk" benchmark shape: long connections, about 2% of
// the bytes in handshakes, the rest application data.
func BulkTraffic(seed uint64, bytes int64) TrafficConfig {
	return TrafficConfig{
		Seed: seed, Bytes: bytes, AppData: 160 << 10,
		Reorder: 0.002, Retransmit: 0.001, DNS: 0.5, NoiseTCP: 0.3, NoiseUDP: 2,
	}
}

// HandshakeTraffic is the "handshakes" benchmark shape: many short TLS
// connections with little application data.
func HandshakeTraffic(seed uint64, conns int) TrafficConfig {
	return TrafficConfig{
		Seed: seed, Conns: conns, AppData: 600, Concurrency: 256,
		Reorder: 0.01, Retransmit: 0.005, DNS: 0.3, NoiseTCP: 0.05, NoiseUDP: 0.2,
	}
}

// HalfOpenTraffic is the "halfopen" benchmark shape: conns connections
// that each send a SYN, get a SYN-ACK and send 40 bytes of a ClientHello.
func HalfOpenTraffic(seed uint64, conns int) TrafficConfig {
	return TrafficConfig{Seed: seed, Conns: conns, AppData: 200, Concurrency: 256, HalfOpen: 40}
}

// TrafficStats counts what WriteTraffic wrote.
type TrafficStats struct {
	Packets  int64
	TLSConns int
	// Of TLSConns:
	NoSNI, TLS13, Resumed int
	// HandshakeBytes is the TCP payload before application data (the
	// TLS handshake and, for TLS 1.3, the encrypted handshake flight);
	// PayloadBytes all TCP payload of the TLS connections.
	HandshakeBytes, PayloadBytes   int64
	DNSLookups, NoiseTCP, NoiseUDP int
}

// poolEntry is one real conversation and what it shows.
type poolEntry struct {
	conv     Conversation
	server   netip.Addr
	name     string   // the server's DNS name (for the lookup)
	chain    [][]byte // the certificates the server sends
	hsBytes  int64
	allBytes int64
}

// flow is a connection being written packet by packet.
type flow struct {
	ends [2]netip.AddrPort
	segs []segment
	i    int
	mss  int
}

// WriteTraffic writes the capture cfg describes to w (pcap, Ethernet).
func WriteTraffic(w io.Writer, cfg TrafficConfig) (TrafficStats, error) {
	var st TrafficStats
	if cfg.Bytes <= 0 && cfg.Conns <= 0 {
		return st, errors.New("synth: TrafficConfig needs Bytes or Conns")
	}
	cfg = cfg.withDefaults()
	pool, err := trafficPool(cfg)
	if err != nil {
		return st, err
	}
	cw := &countWriter{w: w}
	wr, err := NewWriter(cw, Options{Start: cfg.Start, Step: time.Nanosecond})
	if err != nil {
		return st, err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x7472616666696320))
	resolver := netip.AddrFrom4([4]byte{10, 0, 0, 53})
	nextPort := map[netip.Addr]uint16{}
	port := func(client netip.Addr) uint16 {
		p := nextPort[client]
		if p < 49152 {
			p = 49152 + uint16(r.IntN(8000))
		}
		nextPort[client] = p + 1
		return p
	}
	clientAddr := func(v6 bool) netip.Addr {
		n := r.IntN(2000)
		if v6 {
			return netip.AddrFrom16([16]byte{0xfd, 0x00, 0x74, 0x73, 0x69, 0x64, 14: byte(n >> 8), 15: byte(n)})
		}
		return netip.AddrFrom4([4]byte{10, byte(16 + n>>8), byte(n), byte(10 + r.IntN(200))})
	}
	var active []*flow
	done := func() bool {
		return (cfg.Bytes > 0 && cw.n >= cfg.Bytes) || (cfg.Conns > 0 && st.TLSConns >= cfg.Conns)
	}
	startTLS := func() error {
		e := &pool[r.IntN(len(pool))]
		client := clientAddr(e.server.Is6())
		conv := e.conv
		conv.Client = netip.AddrPortFrom(client, port(client))
		conv.Server = netip.AddrPortFrom(e.server, 443)
		if r.Float64() < cfg.DNS && e.server.Is4() {
			st.DNSLookups++
			if err := wr.WriteDNS(DNS{
				Client: client, Resolver: resolver, ClientPort: port(client), ID: uint16(r.Uint32()),
				Name: e.name, Addrs: []netip.Addr{e.server}, TTL: 300,
			}); err != nil {
				return err
			}
		}
		st.TLSConns++
		if cfg.HalfOpen > 0 { // what the hello would have said is not sent
			n := int64(min(cfg.HalfOpen, len(conv.Chunks[0].Data)))
			st.HandshakeBytes += n
			st.PayloadBytes += n
			active = append(active, newFlow(&conv, r, cfg))
			return nil
		}
		if conv.SNI == "" {
			st.NoSNI++
		}
		if conv.Version == tls.VersionTLS13 {
			st.TLS13++
		}
		if conv.Resumed {
			st.Resumed++
		}
		st.HandshakeBytes += e.hsBytes
		st.PayloadBytes += e.allBytes
		active = append(active, newFlow(&conv, r, cfg))
		return nil
	}
	startNoiseTCP := func() {
		st.NoiseTCP++
		client := clientAddr(false)
		conv := noiseConversation(r)
		conv.Client = netip.AddrPortFrom(client, port(client))
		srv := netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + r.IntN(250))})
		conv.Server = netip.AddrPortFrom(srv, []uint16{80, 22, 8080, 25}[r.IntN(4)])
		active = append(active, newFlow(&conv, r, cfg))
	}
	writeNoiseUDP := func() error {
		st.NoiseUDP++
		client := clientAddr(false)
		var dst netip.AddrPort
		var payload []byte
		switch r.IntN(3) {
		case 0: // syslog
			dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 14}), 514)
			payload = fmt.Appendf(nil, "<134>Nov  2 09:00:00 fw1 %%FTD-6-302013: Built inbound TCP connection %d", r.Uint32())
		case 1: // NTP client request
			dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 123}), 123)
			payload = make([]byte, 48)
			payload[0] = 0x23
		default: // QUIC-like: opaque datagram to 443
			dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(r.IntN(250))}), 443)
			payload = make([]byte, 1200)
			for i := range payload {
				payload[i] = byte(r.Uint32())
			}
		}
		return wr.WriteUDP(Client, netip.AddrPortFrom(client, port(client)), dst, payload)
	}

	for {
		for len(active) < cfg.Concurrency && !done() {
			if err := startTLS(); err != nil {
				return st, err
			}
			for x := cfg.NoiseTCP; x > 0; x-- {
				if x >= 1 || r.Float64() < x {
					startNoiseTCP()
				}
			}
			for x := cfg.NoiseUDP; x > 0; x-- {
				if x >= 1 || r.Float64() < x {
					if err := writeNoiseUDP(); err != nil {
						return st, err
					}
				}
			}
		}
		if len(active) == 0 {
			break
		}
		j := r.IntN(len(active))
		f := active[j]
		wr.Pause(time.Duration(r.ExpFloat64() * float64(cfg.Gap)))
		if err := wr.writeSegment(f.ends, f.segs[f.i], 64240, f.mss, nil); err != nil {
			return st, err
		}
		f.i++
		if f.i == len(f.segs) {
			active[j] = active[len(active)-1]
			active = active[:len(active)-1]
		}
	}
	st.Packets = wr.packets
	return st, wr.Flush()
}

func (cfg TrafficConfig) withDefaults() TrafficConfig {
	if cfg.Pool <= 0 {
		cfg.Pool = 64
	}
	if cfg.Servers <= 0 {
		cfg.Servers = 16
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Gap <= 0 {
		cfg.Gap = 20 * time.Microsecond
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	}
	return cfg
}

// newFlow lays out conv as segments with fresh sequence numbers and some
// reordering and retransmission.
func newFlow(conv *Conversation, r *rand.Rand, cfg TrafficConfig) *flow {
	t := TCP{ClientISN: r.Uint32(), ServerISN: r.Uint32()}
	f := &flow{ends: [2]netip.AddrPort{conv.Client, conv.Server}, mss: t.mss(conv.Client.Addr().Is6())}
	segs := segments(conv, t)
	if cfg.HalfOpen > 0 {
		// SYN, SYN-ACK, and the client's first bytes (after its ACK).
		for k, s := range segs {
			if len(s.payload) > 0 {
				s.payload = s.payload[:min(len(s.payload), cfg.HalfOpen)]
				f.segs = append(segs[:k:k], s)
				return f
			}
		}
	}
	out := make([]segment, 0, len(segs)+4)
	for k := 0; k < len(segs); k++ {
		s := segs[k]
		if len(s.payload) > 0 && k+1 < len(segs) && r.Float64() < cfg.Reorder {
			out = append(out, segs[k+1], s)
			k++
			continue
		}
		out = append(out, s)
		if len(s.payload) > 0 && r.Float64() < cfg.Retransmit {
			out = append(out, s)
		}
	}
	f.segs = out
	return f
}

// noiseConversation is a short plain-text TCP exchange.
func noiseConversation(r *rand.Rand) Conversation {
	req := fmt.Appendf(nil, "GET /status/%d HTTP/1.1\r\nHost: intranet.example\r\nUser-Agent: probe/1\r\n\r\n", r.IntN(1e6))
	body := make([]byte, 200+r.IntN(4000))
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	resp := fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return Conversation{Chunks: []Chunk{
		{Dir: Client, Data: req}, {Dir: Server, Data: resp},
		{Dir: Client, FIN: true}, {Dir: Server, FIN: true},
	}}
}

// trafficPool runs the real handshakes that WriteTraffic replays: a mix of
// TLS 1.2 and 1.3, with and without SNI, resumed sessions, and chains of
// 2 to 4 certificates of 1 to 8 KB in all.
func trafficPool(cfg TrafficConfig) ([]poolEntry, error) {
	cfg = cfg.withDefaults()
	r := rand.New(rand.NewPCG(cfg.Seed, 0x706f6f6c))
	clock := cfg.Start
	root, err := NewIdentity(CertSpec{
		KeySeed: fmt.Sprintf("traffic %d root", cfg.Seed), Serial: 1, CA: true,
		Subject:   pkix.Name{Country: []string{"US"}, Organization: []string{"tsid Benchmark Trust Services"}, CommonName: "tsid Benchmark Root CA R1"},
		NotBefore: clock.AddDate(-5, 0, 0), NotAfter: clock.AddDate(15, 0, 0),
	}, nil)
	if err != nil {
		return nil, err
	}
	inters := []*Identity{}
	for i := range 2 {
		issuer := root
		if i == 1 {
			issuer = inters[0]
		}
		id, err := NewIdentity(CertSpec{
			KeySeed: fmt.Sprintf("traffic %d intermediate %d", cfg.Seed, i), Serial: int64(10 + i), CA: true,
			Subject: pkix.Name{
				Country: []string{"US"}, Organization: []string{"tsid Benchmark Trust Services"},
				OrganizationalUnit: []string{"Issuing Authorities"}, CommonName: fmt.Sprintf("tsid Benchmark Issuing CA %d", i+1),
			},
			NotBefore: clock.AddDate(-2, 0, 0), NotAfter: clock.AddDate(8, 0, 0),
		}, issuer)
		if err != nil {
			return nil, err
		}
		inters = append(inters, id)
	}
	type server struct {
		id   *Identity
		name string
		addr netip.Addr
	}
	servers := make([]server, cfg.Servers)
	for i := range servers {
		name := fmt.Sprintf("svc%d.%s", i, []string{"example.com", "example.net", "cdn.example.org", "api.example.io"}[i%4])
		// Realistic SAN lists run from one name to a hundred or more
		// (CDN certificates); chains from the root alone up to two
		// intermediates.
		nsan := 1 + int(math.Pow(r.Float64(), 2)*140)
		sans := []string{name}
		for k := 1; k < nsan; k++ {
			sans = append(sans, fmt.Sprintf("h%d-%d.%s", k, r.IntN(1000), name[5:]))
		}
		issuer := []*Identity{root, inters[0], inters[1]}[i%3]
		id, err := NewIdentity(CertSpec{
			KeySeed: fmt.Sprintf("traffic %d server %d", cfg.Seed, i), Serial: int64(1000 + i),
			Subject:  pkix.Name{Country: []string{"US"}, Organization: []string{"Example Services"}, CommonName: name},
			DNSNames: sans, NotBefore: clock.AddDate(0, -3, 0), NotAfter: clock.AddDate(0, 9, 0),
		}, issuer)
		if err != nil {
			return nil, err
		}
		addr := netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)})
		if i%8 == 7 {
			addr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(10 + i)})
		}
		servers[i] = server{id, name, addr}
	}
	placeholder := [2]netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:50000"), netip.MustParseAddrPort("203.0.113.1:443")}
	pool := make([]poolEntry, 0, cfg.Pool)
	var last struct {
		sessions tls.ClientSessionCache
		srv      int
		version  uint16
		sni      string
	}
	for i := range cfg.Pool {
		s := r.IntN(len(servers))
		version := uint16(tls.VersionTLS12)
		if r.Float64() < 0.45 {
			version = tls.VersionTLS13
		}
		sni := servers[s].name
		if r.Float64() < 0.15 {
			sni = ""
		}
		sessions := tls.NewLRUClientSessionCache(4)
		// Every sixth conversation resumes the one before it.
		if i%6 == 5 && last.sessions != nil {
			s, version, sni, sessions = last.srv, last.version, last.sni, last.sessions
		}
		size := max(200, int(r.ExpFloat64()*float64(cfg.AppData)))
		resp := make([]byte, size)
		n := copy(resp, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size))
		for k := n; k < size; k++ {
			resp[k] = byte('A' + k%50)
		}
		var key [32]byte
		key[0] = byte(s)
		conv, err := Handshake(Config{
			Client: placeholder[0], Server: placeholder[1],
			ServerName: sni, MinVersion: version, MaxVersion: version,
			Cert: servers[s].id, Sessions: sessions, TicketKey: key,
			Time: clock, Seed: fmt.Sprintf("traffic %d conversation %d", cfg.Seed, i),
			Response: resp,
		})
		if err != nil {
			return nil, err
		}
		last.sessions, last.srv, last.version, last.sni = sessions, s, version, sni
		e := poolEntry{conv: conv, server: servers[s].addr, name: servers[s].name, chain: servers[s].id.Chain()}
		for _, ch := range conv.Chunks {
			e.allBytes += int64(len(ch.Data))
		}
		// Request and response each add at least one record header
		// (5 bytes) and tag (16), one per 16 KiB record.
		app := func(n int) int64 { return int64(n + (n/16384+1)*21) }
		e.hsBytes = max(0, e.allBytes-app(size)-app(len(defaultRequest(sni, placeholder[1].Addr()))))
		pool = append(pool, e)
	}
	return pool, nil
}

// defaultRequest is the request Handshake sends when Config.Request is nil.
func defaultRequest(sni string, server netip.Addr) []byte {
	host := sni
	if host == "" {
		host = server.String()
	}
	return []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: tsidgen/1\r\nAccept: */*\r\n\r\n")
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
