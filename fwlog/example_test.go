package fwlog_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/tsid-project/tsid/fwlog"
)

func ExampleNewReader() {
	const log = "Dec  2 2025 18:26:41 fw-branch1 : %FTD-1-430003: DeviceUUID: 0b6c…, InstanceID: 3, FirstPacketSecond: 2025-12-02T18:26:40Z, ConnectionID: 5101, AccessControlRuleAction: Allow, SrcIP: 10.12.1.8, DstIP: 72.163.4.38, SrcPort: 40722, DstPort: 443, Protocol: tcp, IngressInterface: inside, EgressInterface: outside, ACPolicy: Branch-ACP, AccessControlRuleName: ALLOW_FMC_ASA_SNT_CISCO, Client: SSL client, ApplicationProtocol: HTTPS, WebApplication: Cisco, URLCategory: Computers and Internet, URLReputation: Favorable, URL: https://tools.cisco.com, ConnectionDuration: 2\n" +
		"Dec  2 2025 18:26:41 fw-branch1 : %ASA-6-302014: Teardown TCP connection 5101\n"

	r, err := fwlog.NewReader("fw.log", strings.NewReader(log), fwlog.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("format:", r.Format())
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d %s %s > %s host %s rule %s\n", ev.Where(), ev.ID, ev.Protocol, ev.Client, ev.Server, ev.Host(), ev.Rule)
		fmt.Printf("first packet %s (from %s), device %s\n", ev.Time.Format("2006-01-02 15:04:05Z07:00"), ev.TimeFrom, ev.Device)
	}
	fmt.Printf("%+v\n", r.Stats())
	// Output:
	// format: ftd-syslog
	// fw.log:1: 430003 tcp 10.12.1.8:40722 > 72.163.4.38:443 host tools.cisco.com rule ALLOW_FMC_ASA_SNT_CISCO
	// first packet 2025-12-02 18:26:40Z (from FirstPacketSecond), device fw-branch1
	// {Lines:2 Events:1 Skipped:1 Malformed:0 BadTime:0}
}

func ExampleNewReader_errors() {
	const paste = "Time\tAction\tSource IP\tSource Port\tDestination Port / ICMP...\tURL\n"
	_, err := fwlog.NewReader("events.txt", strings.NewReader(paste), fwlog.Options{})
	fmt.Println(err)
	// Output:
	// events.txt:1: the header row lacks needed columns: needs Destination IP (or Responder IP): has Time, Action, Source IP, Source Port, Destination Port / ICMP..., URL; add them to the table view and export again
}

func ExampleParseZone() {
	for _, s := range []string{"Europe/Berlin", "UTC+2", "-05:30", "Local"} {
		loc, err := fwlog.ParseZone(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(loc)
	}
	// Output:
	// Europe/Berlin
	// UTC+02:00
	// UTC-05:30
	// fwlog: time zone "Local" is not accepted: the zone of this machine need not be the device's; give an IANA zone name (Europe/Berlin, UTC) or a UTC offset (+02:00, -0500, +2, UTC+2, UTC-05:30, Z)
}
