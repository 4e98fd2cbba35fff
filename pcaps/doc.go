// Package pcaps reads packet captures and turns the TCP connections in them
// into per-direction, in-order byte streams, and collects DNS answers.
//
// # Reading
//
// Open and NewReader read pcap (microsecond or nanosecond, either byte order)
// and pcapng (several sections, several interfaces with different link
// types), optionally gzip-compressed; the format is detected from the content,
// not the file name. Reader.Next returns one packet at a time from a reused
// buffer. Errors are *Error values naming the file and, for a cut file, the
// offset of the incomplete record; all complete packets before it are
// delivered first.
//
// They also read the text of ASA/FTD `show capture NAME [detail] dump`
// (package pcaps/lina), detected by its first line: each packet comes with
// link type LinkEthernet or LinkRaw, whichever its hex starts with, and is
// dated with SetDate (Open: the file's modification date). What was odd
// in the text is in Reader.Warnings; listings without hex give no packets.
//
// The readers are hand-written rather than github.com/google/gopacket/pcapgo:
// gopacket v1.1.19 keeps link types in a uint8 (LINKTYPE_LINUX_SLL2 = 276
// does not fit), and its pcapng reader divides by zero on an if_tsresol of 64
// or more and sizes buffers from untrusted lengths. Here every record is
// capped by MaxRecord.
//
// # Decoding
//
// Link layers: Ethernet with any number of 802.1Q/802.1ad tags (plus PPPoE
// sessions and MPLS), Linux cooked captures v1 and v2, raw IP, BSD NULL and
// LOOP. IPv4 options are skipped and fragments reassembled (the bytes
// that came first win an overlap; at most 1024 datagrams at once, each
// dropped after 30 s without a fragment); IPv6 extension headers are
// followed, IPv6 fragments are counted and dropped. Checksums are not checked: offloading makes them wrong
// in many captures. Decoding is hand-written and allocates nothing per packet
// (IPv4 fragments and DNS messages excepted).
//
// Tunnels of SPAN and cloud mirrors are taken off, up to 4 deep: GRE (with
// ERSPAN types I, II and III, and Ethernet bridging), VXLAN, Geneve, GTP-U,
// IP-in-IP and 6in4, MPLS (with pseudowires), PPPoE, VN-Tag and other tags
// of known size; an unknown EtherType in front of an IP header that checks
// out is skipped. The inner flow is what is reassembled; ConnInfo.Outer
// keeps the outermost IP pair, and Stats.Decap counts what was taken off.
//
// # Reassembly
//
// Assembler is a small reassembler written for this package instead of
// gopacket/reassembly, which does not report overlaps whose bytes conflict,
// allocates per packet and mixes up a new connection that reuses a 5-tuple
// with the old one. Capture time drives idle expiry. Flows whose SYN was not
// captured start at their first payload. Out-of-order data is buffered up to
// Config.MaxBuffered per direction; where segments overlap the first data
// wins and conflicting bytes are reported as an "overlap-conflict" anomaly. A
// hole is reported as a Gap once the peer acknowledges data beyond it, the
// buffer cap is hit, or the connection ends. Retransmissions of bytes already
// delivered are dropped too (first data wins, as most stacks do), and are
// compared with the last 1 KiB delivered in their direction while the stream
// is still wanted: a rewrite there is an "overlap-conflict" as well. Older
// delivered bytes are not kept, so rewrites of them go unnoticed.
//
// Stream.End gets an Ending: why the connection ended, when, and the
// packets captured from each side. No packet from one side means a one-way
// capture (asymmetric routing, a SPAN of one direction), which a consumer
// must not take for a peer that sent nothing. The Ending also holds the
// TCP facts that tell a failed connection apart: the SYNs each side sent
// and when A's first and last went (a SYN retransmitted with no answer),
// whether it was Established, which side reset it (ResetBy, NoDir for
// none) and how many payload bytes each side had sent by then, the bytes
// sent in all (sequence space, so a retransmission counts once) and which
// sides sent a FIN. A SYN alone makes a connection, so an unanswered one
// still ends (idle, or at Close) with its facts; a SYN after the
// connection ended (a retry after a RST) is a new connection.
//
// A tracked connection costs one entry of at most 416 bytes (TestConnSize):
// a capture of many connections that never finish keeps up to
// Config.MaxConns of them.
//
// # DNS
//
// UDP responses from port 53 are parsed with golang.org/x/net/dns/dnsmessage
// into Assembler.DNS, a bounded DNSTable. With Config.DNSLookups set,
// queries to port 53 are parsed too, paired with their responses by
// client, server, ID, question name and type, and each lookup is handed on
// once as a DNSLookup: when answered (with its RCode, TC bit and the
// addresses on the question's CNAME chain), else when older than
// Config.IdleTimeout or at Close; a response with no captured query is
// handed on with Queries 0, and a second copy of a response within a few
// seconds is absorbed. A response whose header cannot be read is skipped,
// and so is one without a readable question unless its ID names one of
// the latest unanswered queries of the same client and server; one cut
// later is handed on with what was read and Malformed set. DNS over TCP is not read. Without Config.DNSLookups no
// query is parsed and nothing more is kept.
package pcaps
