// Package lina reads the text that Cisco ASA and FTD (LINA) print for
// `show capture NAME [detail] [dump]`, and writes such text from packets for
// tests.
//
// # Input
//
// A capture is printed as
//
//	N packets captured
//
//	   1: 09:30:00.000101       10.1.1.10.51514 > 203.0.113.7.443: S ...
//	0x0000 0050 568d 0002 0050 568d 0001 0800 4500 .PV....PV.....E.
//	...
//	N packets shown
//
// A record is a header line (number, time of day, description), indented
// continuation lines (joined to the description with one space) and, with
// `dump`, hex lines: an offset, up to 8 groups of 4 hex digits and an ASCII
// column. Plain and `detail` listings have no hex: their packets come out
// with no Data.
//
// The Parser reads line by line and keeps at most one packet in memory.
// It accepts what a terminal paste brings along: CRLF line ends, prompts
// with echoed commands (`asa# show capture in dump`), pager lines
// (`<--- More --->`, `--More--`; warned), several captures one after
// another, and output cut off mid-packet (warned; the packet is marked
// damaged). Lines are capped at MaxLine bytes and a packet at MaxPacket.
//
// # Where a dump starts
//
// Older output starts the hex at the IP header, newer ASA output at the
// Ethernet header. Each packet is tested both ways (an IPv4 header with a
// valid checksum, or an Ethernet type followed by one after any VLAN
// tags); when the tests do not decide, the packet is taken as the one
// before it was and a warning says so.
//
// # Times
//
// Times are times of day without a date. The Parser dates them with the
// date given to SetDate and moves to the next day when the time goes back
// by more than 12 hours; a smaller step back is kept on the same day and
// warned about. A later capture in the same file is dated nearest to the
// first packet of the capture before it.
//
// Packets whose IP length is larger than the bytes shown (cut by
// `packet-length` or `headers-only`) are marked Truncated.
package lina
