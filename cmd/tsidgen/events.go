package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tsid-project/tsid/analysis"
)

// The sample firewall logs (testdata/events): what a device would have
// logged of the connections of the sample captures, written as FTD
// syslog and as an FMC event-view paste. Each behaves like one profile:
// its URL is the host that profile predicts, so 'tsid analyze --events'
// confirms that profile and flags the others' predictions.

// eventCaptures are the sample captures the logs cover, in this order.
var eventCaptures = []string{"field-case.pcap", "field-case-sni.pcap", "cn-only.pcap", "ou-only.pcap",
	"spoofed-sni.pcap", "wildcard.pcap", "tls13.pcap"}

// eventLog is one sample log.
type eventLog struct {
	file    string
	profile string // whose predictions it logs
	write   func(w io.Writer, conns []loggedConn, loc *time.Location) error
	zone    string // the device's local time zone ("" UTC)
}

var eventLogs = []eventLog{
	{file: "fmc-ftd.tsv", profile: "ftd", write: writeFMCPaste},
	{file: "ftd-snort3.log", profile: "snort3", write: writeSyslog7},
	{file: "ftd-6x-nat.log", profile: "ftd", write: writeSyslog6NAT, zone: "Europe/Berlin"},
}

// loggedConn is one captured connection and the host a profile logs.
type loggedConn struct {
	client, server netip.AddrPort
	first          time.Time
	host           string // "" when the profile logs none or the capture cannot tell
	sni            string
}

func runEvents(args []string, stdout, stderr io.Writer) error {
	var samples *string
	return writeFiles("events", "testdata/events", args, stdout, stderr,
		func(fs *flag.FlagSet) {
			samples = fs.String("samples", "testdata/samples", "directory of the sample captures")
		},
		func(dir string) ([]string, error) { return writeEventLogs(dir, *samples) })
}

// writeEventLogs writes every sample log into dir from the captures in
// samples and returns the files written.
func writeEventLogs(dir, samples string) ([]string, error) {
	var out []string
	for _, l := range eventLogs {
		conns, err := predicted(samples, l.profile)
		if err != nil {
			return out, err
		}
		loc := time.UTC
		if l.zone != "" {
			if loc, err = time.LoadLocation(l.zone); err != nil {
				return out, err
			}
		}
		var b strings.Builder
		if err := l.write(&b, conns, loc); err != nil {
			return out, err
		}
		name := filepath.Join(dir, l.file)
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			return out, err
		}
		out = append(out, name)
	}
	return out, nil
}

// predicted runs the sample captures through tsid's engine and returns
// each TLS connection with the host profile logs.
func predicted(samples, profile string) ([]loggedConn, error) {
	an := analysis.New(analysis.Options{AllProfiles: true})
	var conns []loggedConn
	var perr error
	for _, f := range eventCaptures {
		path := filepath.Join(samples, f)
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		_, err = an.Analyze(context.Background(), path, fh, func(r *analysis.Record) {
			c, err1 := netip.ParseAddrPort(r.Client)
			s, err2 := netip.ParseAddrPort(r.Server)
			if err1 != nil || err2 != nil {
				perr = fmt.Errorf("%s: record addresses %q %q", path, r.Client, r.Server)
				return
			}
			hp := r.Profiles[profile]
			conns = append(conns, loggedConn{client: c, server: s, first: time.Time(r.Time), host: hp.Host, sni: r.SNI})
		})
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	return conns, perr
}

func url(host string) string {
	if host == "" {
		return ""
	}
	return "https://" + host
}

// writeFMCPaste writes rows copied from FMC's connection events table, with
// the columns of the TAC note (times in loc, without a zone).
func writeFMCPaste(w io.Writer, conns []loggedConn, loc *time.Location) error {
	fmt.Fprintln(w, "Time\tEvent Type\tAction\tSource IP\tDestination IP\tSource Port / ICMP Type\tDestination Port / ICMP...\tWeb Application\tURL\tAccess Control Rule")
	for i, c := range conns {
		rule := "ALLOW_FMC_ASA_SNT_CISCO"
		if i%2 == 1 {
			rule = "ALLOW_ALL_CLIENTS_80_443"
		}
		app := "SSL client"
		if strings.HasSuffix(c.host, "cisco.com") {
			app = "Cisco"
		}
		fmt.Fprintf(w, "%s\tConnection\tAllow\t%s\t%s\t%d / tcp\t%d (https) / tcp\t%s\t%s\t%s\n",
			c.first.In(loc).Format("2006-01-02 15:04:05"), c.client.Addr(), c.server.Addr(), c.client.Port(), c.server.Port(),
			app, url(c.host), rule)
	}
	return nil
}

// kv writes FTD syslog's "Key: Value" pairs, leaving out empty values as
// devices do.
func kv(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			parts = append(parts, pairs[i]+": "+pairs[i+1])
		}
	}
	return strings.Join(parts, ", ")
}

// writeSyslog7 writes FTD 7.x connection events: a 430002 at the start
// (no URL yet) and a 430003 at the end with the URL, FirstPacketSecond in
// UTC, other messages in between (an ASA-style connection build, an
// intrusion event) as a real log has.
func writeSyslog7(w io.Writer, conns []loggedConn, loc *time.Location) error {
	hdr := func(t time.Time) string { return t.In(loc).Format("Jan _2 2006 15:04:05") + " fw-branch1 : " }
	for i, c := range conns {
		id := fmt.Sprint(5101 + i)
		fps := c.first.UTC().Format(time.RFC3339)
		common := func(end bool) string {
			pairs := []string{"DeviceUUID", "0b6c7f3e-1f1a-11ee-9a8e-000c29a1b2c3", "InstanceID", "3", "FirstPacketSecond", fps,
				"ConnectionID", id, "AccessControlRuleAction", "Allow",
				"SrcIP", c.client.Addr().String(), "DstIP", c.server.Addr().String(),
				"SrcPort", fmt.Sprint(c.client.Port()), "DstPort", fmt.Sprint(c.server.Port()), "Protocol", "tcp",
				"IngressInterface", "inside", "EgressInterface", "outside", "ACPolicy", "Branch-ACP",
				"AccessControlRuleName", "ALLOW_FMC_ASA_SNT_CISCO", "Client", "SSL client", "ApplicationProtocol", "HTTPS",
				"SSLServerName", c.sni, "URLCategory", "Computers and Internet", "URLReputation", "Favorable"}
			if end {
				pairs = append(pairs, "URL", url(c.host), "ConnectionDuration", "2")
			}
			return kv(pairs...)
		}
		fmt.Fprintf(w, "%s%%FTD-6-302013: Built outbound TCP connection %d for outside:%s/%d (%s/%d) to inside:%s/%d (%s/%d)\n",
			hdr(c.first), 9000+i, c.server.Addr(), c.server.Port(), c.server.Addr(), c.server.Port(),
			c.client.Addr(), c.client.Port(), c.client.Addr(), c.client.Port())
		fmt.Fprintf(w, "%s%%FTD-1-430002: %s\n", hdr(c.first), common(false))
		if i == 2 {
			fmt.Fprintf(w, "%s%%FTD-1-430001: %s\n", hdr(c.first.Add(time.Second)), kv("DeviceUUID", "0b6c7f3e-1f1a-11ee-9a8e-000c29a1b2c3",
				"SrcIP", c.client.Addr().String(), "DstIP", c.server.Addr().String(), "Message", "PROTOCOL-OTHER test, informational"))
		}
		fmt.Fprintf(w, "%s%%FTD-1-430003: %s\n", hdr(c.first.Add(2*time.Second)), common(true))
	}
	return nil
}

// writeSyslog6NAT writes FTD 6.x connection events with RFC 3164 headers
// (device local time, no year), no FirstPacketSecond, only the end of
// each connection, and a NAT: the device saw the clients at inside
// addresses and translated them to the addresses the capture (taken
// outside) shows, so only the NAT keys join.
func writeSyslog6NAT(w io.Writer, conns []loggedConn, loc *time.Location) error {
	for i, c := range conns {
		inside := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, 10, byte(10 + i)}), uint16(40000+i))
		end := c.first.Add(2 * time.Second)
		fmt.Fprintf(w, "<166>%s fw-dc2 %%FTD-1-430003: %s\n", end.In(loc).Format(time.Stamp), kv(
			"AccessControlRuleAction", "Allow",
			"SrcIP", inside.Addr().String(), "DstIP", c.server.Addr().String(),
			"SrcPort", fmt.Sprint(inside.Port()), "DstPort", fmt.Sprint(c.server.Port()), "Protocol", "tcp",
			"IngressInterface", "inside", "EgressInterface", "outside", "ACPolicy", "DC-ACP",
			"AccessControlRuleName", "Allow-Web", "Prefilter Policy", "Default Prefilter Policy",
			"NAT_InitiatorIP", c.client.Addr().String(), "NAT_InitiatorPort", fmt.Sprint(c.client.Port()),
			"NAT_ResponderIP", c.server.Addr().String(), "NAT_ResponderPort", fmt.Sprint(c.server.Port()),
			"URL", url(c.host), "ConnectionDuration", "2"))
	}
	return nil
}
