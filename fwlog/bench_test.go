package fwlog

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// syntheticLog writes n syslog lines: 430002 and 430003 pairs of FTD 7.x,
// with an ASA message now and then, over ten rules and a hundred hosts.
func syntheticLog(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		sec := i % 60
		switch {
		case i%10 == 9:
			fmt.Fprintf(&b, "Dec  2 2025 18:26:%02d fw-branch1 : %%ASA-6-302014: Teardown TCP connection %d for outside:72.163.4.38/443 to inside:10.12.1.8/%d duration 0:00:02 bytes 6143 TCP FINs\n", sec, i, 40000+i%20000)
		case i%2 == 0:
			fmt.Fprintf(&b, "Dec  2 2025 18:26:%02d fw-branch1 : %%FTD-1-430002: DeviceUUID: 0b6c1f3e-8d5a-11ee-9a1b-c1a6e2f0d4b7, InstanceID: 3, FirstPacketSecond: 2025-12-02T18:26:%02dZ, ConnectionID: %d, AccessControlRuleAction: Allow, SrcIP: 10.12.%d.%d, DstIP: 72.163.4.%d, SrcPort: %d, DstPort: 443, Protocol: tcp, IngressInterface: inside, EgressInterface: outside, IngressZone: in, EgressZone: out, ACPolicy: Branch-ACP, AccessControlRuleName: RULE_%d, Prefilter Policy: Default Prefilter Policy, Client: SSL client, ApplicationProtocol: HTTPS, SSLServerName: host%d.example.com, URLCategory: Computers and Internet, URLReputation: Favorable\n",
				sec, sec, i, i%200, i%250+1, i%100, 40000+i%20000, i%10, i%100)
		default:
			fmt.Fprintf(&b, "Dec  2 2025 18:26:%02d fw-branch1 : %%FTD-1-430003: DeviceUUID: 0b6c1f3e-8d5a-11ee-9a1b-c1a6e2f0d4b7, InstanceID: 3, FirstPacketSecond: 2025-12-02T18:26:%02dZ, ConnectionID: %d, AccessControlRuleAction: Allow, SrcIP: 10.12.%d.%d, DstIP: 72.163.4.%d, SrcPort: %d, DstPort: 443, Protocol: tcp, IngressInterface: inside, EgressInterface: outside, ACPolicy: Branch-ACP, AccessControlRuleName: RULE_%d, Client: SSL client, ApplicationProtocol: HTTPS, WebApplication: Cisco, URLCategory: Computers and Internet, URLReputation: Favorable, URL: https://host%d.example.com, ConnectionDuration: 2, InitiatorPackets: 12, ResponderPackets: 10, InitiatorBytes: 1834, ResponderBytes: 6143\n",
				sec, sec, i-1, i%200, i%250+1, i%100, 40000+i%20000, i%10, i%100)
		}
	}
	return b.Bytes()
}

func BenchmarkReadSyslog(b *testing.B) {
	file := syntheticLog(10000)
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		r, err := NewReader("bench.log", bytes.NewReader(file), Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		if s := r.Stats(); s.Events != 9000 || s.Skipped != 1000 {
			b.Fatalf("%+v", s)
		}
	}
}
