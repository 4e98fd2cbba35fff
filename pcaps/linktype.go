package pcaps

// LinkType is a LINKTYPE_ value from a capture file. gopacket's
// layers.LinkType is a uint8 in v1.1.19 and cannot hold LINKTYPE_LINUX_SLL2
// (276), so the package has its own.
type LinkType uint16

// Link types the decoder understands (https://www.tcpdump.org/linktypes.html).
const (
	LinkNull     LinkType = 0   // BSD loopback, address family in host byte order
	LinkEthernet LinkType = 1   // Ethernet II / 802.3, with 802.1Q/802.1ad tags
	LinkRawOld12 LinkType = 12  // raw IP (DLT_RAW on OpenBSD)
	LinkRawOld14 LinkType = 14  // raw IP (DLT_RAW on BSD/OS)
	LinkRaw      LinkType = 101 // raw IPv4 or IPv6
	LinkLoop     LinkType = 108 // OpenBSD loopback, address family in network byte order
	LinkSLL      LinkType = 113 // Linux cooked capture v1
	LinkIPv4     LinkType = 228 // raw IPv4
	LinkIPv6     LinkType = 229 // raw IPv6
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

var linkNames = map[LinkType]string{
	LinkNull:     "NULL",
	LinkEthernet: "EN10MB",
	LinkRawOld12: "RAW(12)",
	LinkRawOld14: "RAW(14)",
	LinkRaw:      "RAW",
	LinkLoop:     "LOOP",
	LinkSLL:      "LINUX_SLL",
	LinkIPv4:     "IPV4",
	LinkIPv6:     "IPV6",
	LinkSLL2:     "LINUX_SLL2",
}

func (l LinkType) String() string {
	if s, ok := linkNames[l]; ok {
		return s
	}
	return "LINKTYPE(" + itoa(int(l)) + ")"
}
