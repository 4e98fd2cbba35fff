package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/csv"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/pcaps/synth"
)

// capConv records a handshake between client and server for sni with id's
// certificate, at TLS version v (tls.VersionTLS12 or 13).
func capConv(t *testing.T, client, server, sni string, v uint16, id *synth.Identity, seed string) synth.Conversation {
	t.Helper()
	c, err := synth.Handshake(synth.Config{
		Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		ServerName: sni, MinVersion: v, MaxVersion: v,
		Cert: id, Time: namesTime, Seed: seed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// capFile writes the conversations to dir/name, each at start plus its
// offset, and returns the path.
func capFile(t *testing.T, dir, name string, opts synth.Options, convs ...capEntry) string {
	t.Helper()
	var b bytes.Buffer
	if opts.Start.IsZero() {
		opts.Start = namesTime
	}
	w, err := synth.NewWriter(&b, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range convs {
		if d := opts.Start.Add(e.at).Sub(w.Time()); d > 0 {
			w.Pause(d)
		}
		if err := w.WriteConversation(&e.conv, e.tcp); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// capEntry is one conversation of capFile, at its offset from the start.
type capEntry struct {
	conv synth.Conversation
	tcp  synth.TCP
	at   time.Duration
}

// capLeaf is a leaf for names, issued by the names CA.
func capLeaf(t *testing.T, seed string, names ...string) *synth.Identity {
	t.Helper()
	return namesLeaf(t, namesCA(t), seed, pkix.Name{CommonName: names[len(names)-1]}, names...)
}

// TestOuter: a tunnelled connection keeps its outer addresses, oriented
// like client and server, in JSON and CSV; an untunnelled one has none.
func TestOuter(t *testing.T) {
	dir := t.TempDir()
	id := capLeaf(t, "outer", "www.example.com")
	conv := capConv(t, "10.1.1.1:40000", "192.0.2.80:443", "www.example.com", tls.VersionTLS12, id, "outer")
	tun := capFile(t, dir, "vxlan.pcap", synth.Options{Encap: synth.VXLAN}, capEntry{conv: conv})
	gre := capFile(t, dir, "gre.pcap", synth.Options{Encap: synth.GRE}, capEntry{conv: conv})
	plain := capFile(t, dir, "plain.pcap", synth.Options{}, capEntry{conv: conv})

	wantClient, wantServer := synth.TunnelEnd(synth.Client).String(), synth.TunnelEnd(synth.Server).String()
	out, errs, code := runCLI(t, nil, "analyze", "-f", "json", "-q", tun, gre, plain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	recs := decodeLines(t, out)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(recs), out)
	}
	for i, r := range recs[:2] {
		o, _ := r["outer"].(map[string]any)
		if o == nil || o["client"] != wantClient || o["server"] != wantServer {
			t.Errorf("record %d: outer %v, want client %s server %s", i, r["outer"], wantClient, wantServer)
		}
		if r["client"] != "10.1.1.1:40000" || r["server"] != "192.0.2.80:443" || r["sni"] != "www.example.com" {
			t.Errorf("record %d: the inner flow is not reported: %v %v %v", i, r["client"], r["server"], r["sni"])
		}
	}
	if _, ok := recs[2]["outer"]; ok {
		t.Errorf("untunnelled record has outer: %v", recs[2]["outer"])
	}

	out, errs, code = runCLI(t, nil, "analyze", "-f", "csv", "-q", tun, plain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := parseCSV(t, out)
	if len(rows) != 3 {
		t.Fatalf("%d CSV rows, want 3", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["outer_client"]] != wantClient || rows[1][col["outer_server"]] != wantServer {
		t.Errorf("CSV outer cells %q %q", rows[1][col["outer_client"]], rows[1][col["outer_server"]])
	}
	if rows[2][col["outer_client"]] != "" || rows[2][col["outer_server"]] != "" {
		t.Errorf("untunnelled CSV outer cells %q %q", rows[2][col["outer_client"]], rows[2][col["outer_server"]])
	}
}

// TestOuterSwapped: when the client is the side tsid did not see first (the
// capture began with the server's packet), outer is swapped with it.
func TestOuterSwapped(t *testing.T) {
	o := outerOf(t, "10.1.1.1:40000", "192.0.2.80:443", true)
	if o == nil || o.Client != "203.0.113.1" || o.Server != "203.0.113.2" {
		t.Errorf("A is the client: outer %+v", o)
	}
	o = outerOf(t, "192.0.2.80:443", "10.1.1.1:40000", false)
	if o == nil || o.Client != "203.0.113.2" || o.Server != "203.0.113.1" {
		t.Errorf("B is the client: outer %+v", o)
	}
}

func outerOf(t *testing.T, a, b string, aIsClient bool) *Outer {
	t.Helper()
	info := pcapsConnInfo(a, b)
	client := info.A
	if !aIsClient {
		client = info.B
	}
	return outer(&info, client)
}

// pcapsConnInfo is a tunnelled connection from a to b, A's outer side
// 203.0.113.1.
func pcapsConnInfo(a, b string) pcaps.ConnInfo {
	return pcaps.ConnInfo{A: netip.MustParseAddrPort(a), B: netip.MustParseAddrPort(b),
		Outer: [2]netip.Addr{netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("203.0.113.2")}}
}

func parseCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
