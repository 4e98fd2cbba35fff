package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tsid-project/tsid/pcaps/synth"
)

// runTraffic writes a benchmark capture: `-shape bulk` (-size bytes, mostly
// application data), `-shape handshakes` (-conns TLS connections) or
// `-shape halfopen` (-conns connections that stop in their ClientHello).
func runTraffic(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tsidgen traffic", flag.ContinueOnError)
	fs.SetOutput(stderr)
	shape := fs.String("shape", "", "bulk (large transfers), handshakes (many short connections) or halfopen (SYN, SYN-ACK, 40 bytes of a ClientHello)")
	out := fs.String("o", "", "output file (pcap)")
	size := fs.String("size", "1G", "bulk: stop starting connections at this file size (K, M, G = KiB, MiB, GiB)")
	conns := fs.Int("conns", 200_000, "handshakes, halfopen: TLS connections to write")
	seed := fs.Uint64("seed", 1, "random seed: equal seeds give identical files")
	appData := fs.String("appdata", "", "mean application data per TLS connection (default: the shape's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return errors.New("traffic: -o FILE is required")
	}
	var cfg synth.TrafficConfig
	switch *shape {
	case "bulk":
		n, err := parseSize(*size)
		if err != nil {
			return fmt.Errorf("traffic: -size: %v", err)
		}
		cfg = synth.BulkTraffic(*seed, n)
	case "handshakes":
		if *conns <= 0 {
			return errors.New("traffic: -conns must be positive")
		}
		cfg = synth.HandshakeTraffic(*seed, *conns)
	case "halfopen":
		if *conns <= 0 {
			return errors.New("traffic: -conns must be positive")
		}
		cfg = synth.HalfOpenTraffic(*seed, *conns)
	default:
		return fmt.Errorf("traffic: -shape %q: want bulk, handshakes or halfopen", *shape)
	}
	if *appData != "" {
		n, err := parseSize(*appData)
		if err != nil {
			return fmt.Errorf("traffic: -appdata: %v", err)
		}
		cfg.AppData = int(n)
	}
	// Written to a temporary name and renamed, so that an interrupted run
	// leaves no half file that a benchmark would take for a whole one.
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	st, err := synth.WriteTraffic(bw, cfg)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	hs := 0.0
	if fi.Size() > 0 {
		hs = 100 * float64(st.HandshakeBytes) / float64(fi.Size())
	}
	fmt.Fprintf(stdout, "%s: %d bytes, %d packets, %d TLS connections (%d without SNI, %d TLS 1.3, %d resumed), handshakes %.1f%% of bytes, %d DNS lookups, %d other TCP connections, %d other UDP datagrams\n",
		*out, fi.Size(), st.Packets, st.TLSConns, st.NoSNI, st.TLS13, st.Resumed, hs, st.DNSLookups, st.NoiseTCP, st.NoiseUDP)
	return nil
}

// parseSize reads "1G", "512M", "64K" (binary units) or plain bytes.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size like 64M or 1G", s)
	}
	return n * mult, nil
}
