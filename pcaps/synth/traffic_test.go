package synth

import (
	"bytes"
	"crypto/x509"
	"testing"
)

func TestWriteTraffic(t *testing.T) {
	cfg := HandshakeTraffic(7, 300)
	cfg.Pool = 24
	var files [2]bytes.Buffer
	var st TrafficStats
	for i := range files {
		var err error
		if st, err = WriteTraffic(&files[i], cfg); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0].Bytes(), files[1].Bytes()) {
		t.Error("same seed gave different files")
	}
	if st.TLSConns != 300 || st.NoSNI == 0 || st.TLS13 == 0 || st.Resumed == 0 || st.DNSLookups == 0 || st.NoiseUDP == 0 {
		t.Errorf("not the mix asked for: %+v", st)
	}
	flows, dns, err := Decode(bytes.NewReader(files[0].Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(dns) != 2*st.DNSLookups {
		t.Errorf("%d DNS packets, want %d", len(dns), 2*st.DNSLookups)
	}
	if len(flows) != st.TLSConns+st.NoiseTCP {
		t.Errorf("%d TCP flows, want %d", len(flows), st.TLSConns+st.NoiseTCP)
	}
	var packets, disordered, tls int
	for _, f := range flows {
		packets += f.Packets
		disordered += f.Ahead[0] + f.Ahead[1] + f.Again[0] + f.Again[1]
		if f.Server.Port() == 443 {
			tls++
			if s := f.Streams[Client]; len(s) < 6 || s[0] != 22 || s[5] != 1 {
				t.Fatalf("%v: client stream does not start with a ClientHello", f.Client)
			}
		}
	}
	if tls != st.TLSConns {
		t.Errorf("%d flows to port 443, want %d", tls, st.TLSConns)
	}
	if disordered == 0 {
		t.Error("no reordering or retransmission")
	}
	if int64(packets+len(dns)+st.NoiseUDP) != st.Packets {
		t.Errorf("decoded %d packets, stats say %d", packets+len(dns)+st.NoiseUDP, st.Packets)
	}
}

// The pool's chains are what the README promises: 2 to 4 certificates,
// 1 to 8 KB in all.
func TestTrafficPoolChains(t *testing.T) {
	cfg := BulkTraffic(1, 1)
	cfg.Pool = 64
	pool, err := trafficPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lens := map[int]bool{}
	// The chains themselves, from the identities the pool was built with.
	seen := map[string]bool{}
	for _, e := range pool {
		if seen[e.name] {
			continue
		}
		seen[e.name] = true
		id := e.chain
		size := 0
		for _, der := range id {
			if _, err := x509.ParseCertificate(der); err != nil {
				t.Fatal(err)
			}
			size += len(der)
		}
		lens[len(id)] = true
		if len(id) < 2 || len(id) > 4 || size < 1000 || size > 8192 {
			t.Errorf("%s: chain of %d certificates, %d bytes", e.name, len(id), size)
		}
	}
	for n := 2; n <= 4; n++ {
		if !lens[n] {
			t.Errorf("no chain of %d certificates", n)
		}
	}
}

// TestHalfOpenTraffic: every connection is a SYN, a SYN-ACK, the client's
// ACK and 40 bytes of a ClientHello, and nothing after.
func TestHalfOpenTraffic(t *testing.T) {
	cfg := HalfOpenTraffic(3, 200)
	cfg.Pool = 8
	var b bytes.Buffer
	st, err := WriteTraffic(&b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	flows, _, err := Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if st.TLSConns != 200 || len(flows) != 200 || st.Packets != 4*200 || st.HandshakeBytes != 40*200 {
		t.Fatalf("%d connections, %d flows, %d packets, %d handshake bytes", st.TLSConns, len(flows), st.Packets, st.HandshakeBytes)
	}
	for _, f := range flows {
		if s := f.Streams[Client]; len(s) != 40 || s[0] != 22 || s[5] != 1 || len(f.Streams[Server]) != 0 || f.Packets != 4 {
			t.Fatalf("%v: client %d bytes, server %d bytes, %d packets", f.Client, len(s), len(f.Streams[Server]), f.Packets)
		}
	}
}
