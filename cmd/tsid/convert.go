package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/pcaps/lina"
)

type convertOptions struct {
	output string
	date   string
	quiet  bool
}

func convertFlags(o *convertOptions) *pflag.FlagSet {
	flags := pflag.NewFlagSet("tsid convert", pflag.ContinueOnError)
	flags.SortFlags = false
	flags.StringVarP(&o.output, "output", "o", "", "write the pcap to `FILE` (required; \"-\" for stdout), completely or not at all")
	flags.StringVar(&o.date, "date", "", "date of the times of day, `YYYY-MM-DD` (default: the file's modification date)")
	flags.BoolVarP(&o.quiet, "quiet", "q", false, "no notes and no warnings on stderr; errors still shown")
	return flags
}

func convertUsage(flags *pflag.FlagSet) string {
	return `Usage: tsid convert [flags] FILE -o OUT.pcap

Turns an ASA/FTD text capture (the output of 'show capture NAME dump' or
'show capture NAME detail dump', pasted as it is; "-" is stdin) into a pcap
file with Ethernet frames, which Wireshark, tshark and tcpdump open.
Dumps that start at the IP header get a made-up Ethernet header (zero MAC
addresses) and the 802.1Q tag their description names; dumps that start
at Ethernet are written as they are. Packets cut short (packet-length,
headers-only) keep their original length in the record header. pcap and
pcapng files with Ethernet or raw IP packets are converted the same way.

Flags:
` + flags.FlagUsages() + `
Examples:
  tsid convert asa-inside.txt -o inside.pcap
  tsid convert --date 2026-11-02 asa-inside.txt -o - | tshark -r -
`
}

func runConvert(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o convertOptions
	flags := convertFlags(&o)
	flags.SetOutput(io.Discard)
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, convertUsage(flags))
			return nil
		}
		return usageErrorf("convert: %v (see 'tsid convert --help')", err)
	}
	if flags.NArg() != 1 {
		return usageErrorf("convert: want one capture file (usage: tsid convert FILE -o OUT.pcap)")
	}
	if o.output == "" {
		return usageErrorf("convert: no output given: -o OUT.pcap (or -o - for stdout)")
	}
	date, err := parseDate("convert", o.date)
	if err != nil {
		return err
	}
	name := flags.Arg(0)
	n := &notes{w: stderr, quiet: o.quiet}

	var src io.Reader
	if name == "-" {
		src = stdin
	}
	// The capture is opened as analyze opens it: dated, its warnings
	// passed on when it is closed.
	an := analysis.New(analysis.Options{TextDate: date, Warn: func(msg string) { n.printf("%s", msg) }})
	rd, closer, err := an.Open(name, src)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	defer closer.Close()

	var out io.Writer = stdout
	commit := func(keep bool) error { return nil }
	if o.output != "-" {
		w, c, err := atomicFile(o.output)
		if err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		out, commit = w, c
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	count, rerr := convertPackets(rd, name, bw)
	closer.Close() // the text capture's warnings

	werr := bw.Flush()
	if rerr == nil && count == 0 {
		rerr = fmt.Errorf("%s: no packet bytes in it, nothing written (a listing without 'dump' has none)", name)
	}
	if cerr := commit(rerr == nil && werr == nil); werr == nil {
		werr = cerr
	}
	if rerr != nil {
		return &exitError{code: 2, msg: rerr.Error()}
	}
	if werr != nil {
		return &exitError{code: 2, msg: "writing " + o.output + ": " + werr.Error()}
	}
	if o.output != "-" {
		pl := "s"
		if count == 1 {
			pl = ""
		}
		n.printf("%s: %d packet%s written to %s (pcap, Ethernet)", name, count, pl, o.output)
	}
	return nil
}

// pcap file format (draft-ietf-opsawg-pcap): microsecond timestamps,
// little-endian, link type Ethernet.
const (
	pcapSnapLen  = 262144
	linkEthernet = 1
)

// convertPackets writes the pcap file header and every packet of rd as an
// Ethernet frame; it returns the number of packets written.
func convertPackets(rd *pcaps.Reader, name string, w io.Writer) (int, error) {
	var hdr [24]byte
	le := binary.LittleEndian
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], pcapSnapLen)
	le.PutUint32(hdr[20:], linkEthernet)
	if _, err := w.Write(hdr[:]); err != nil {
		return 0, err
	}
	var frame []byte
	count := 0
	for {
		data, ci, link, err := rd.Next()
		if err == io.EOF {
			return count, nil
		}
		if err != nil {
			return count, err
		}
		added := 0
		switch link {
		case pcaps.LinkEthernet:
			frame = append(frame[:0], data...)
		case pcaps.LinkRaw, pcaps.LinkRawOld12, pcaps.LinkRawOld14, pcaps.LinkIPv4, pcaps.LinkIPv6:
			pk := rd.TextPacket()
			if pk == nil {
				pk = &lina.Packet{Start: lina.StartIP, Data: data}
			}
			frame, added = lina.Ethernet(frame[:0], pk)
		default:
			return count, fmt.Errorf("%s: packet %d has link type %v: only Ethernet and raw IP can be written as Ethernet", name, count+1, link)
		}
		if len(frame) > pcapSnapLen {
			frame = frame[:pcapSnapLen]
		}
		var rec [16]byte
		ts := ci.Timestamp
		le.PutUint32(rec[0:], uint32(ts.Unix()))
		le.PutUint32(rec[4:], uint32(ts.Nanosecond()/1000))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(max(ci.Length+added, len(frame))))
		if _, err := w.Write(rec[:]); err != nil {
			return count, err
		}
		if _, err := w.Write(frame); err != nil {
			return count, err
		}
		count++
	}
}
