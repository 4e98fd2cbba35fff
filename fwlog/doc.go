// Package fwlog reads what a Cisco firewall logged about connections, the
// ground truth tsid checks its predictions against: FTD connection events
// sent over syslog, and connection events exported or pasted from an FMC
// event view. It streams them as typed Events, one per logged line. It does
// no joining: matching events to captured connections (on the 5-tuple or
// its NAT, then the closest time) and merging the 430002 and 430003 of one
// connection are left to the caller.
//
// # Formats
//
// NewReader tells the format from the content, never from the file name,
// after taking off a gzip layer (magic bytes 1f 8b):
//
//   - FTD syslog (FormatSyslog): lines with a message tag such as
//     `%FTD-1-430003:` in the first 64 non-empty lines. Lines of message
//     430002 (connection start) and 430003 (connection end) are events;
//     every other line (other ids such as %ASA-6-302013, the intrusion and
//     file events 430001 and 430005, text without a tag) is counted in
//     Stats.Skipped. The header before the tag is read leniently: an
//     optional priority ("<166>"), a time (`Dec  2 2025 18:26:41`, RFC
//     3164 `Dec  2 18:26:41` without a year, ISO 8601), the host name. The
//     body is `Key: Value` pairs separated by ", "; a ", " splits only where
//     a key and ": " follow, so values holding ", " stay whole.
//   - FMC event views (FormatFMC): CSV (as exported) or tab-separated text
//     (as copied from the browser) with a header row among the first 16
//     non-empty lines. The header row is the guide: its cells are mapped
//     through aliases (Source IP or Initiator IP, …), ignoring case and a
//     trailing "…" or "..." where the UI cut a long name. A CSV record is
//     one line: a line cut inside quotes does not swallow the next ones.
//
// # Times
//
// Event.Time is in UTC. Syslog: FirstPacketSecond (FTD 7.x, UTC) when
// logged, else the header time (for a 430003, minus ConnectionDuration).
// FMC: the First Packet column, else Time, else Last Packet. Times written
// without a zone are in Options.Location (ParseZone reads a user's
// --events-tz value). An RFC 3164 header has no year: Event.NoYear is set
// and the caller picks the year. A time that cannot be read leaves
// Event.Time zero with a note in Event.TimeNote; the event is still
// returned.
//
// # Errors and warnings
//
// A line that should be an event but cannot be read (no readable SrcIP, a
// row with too few cells, a line cut short in a needed key) is sent to
// Options.Warn as "file:line: what is wrong", counted in Stats.Malformed and
// skipped. Errors are only for a file as a whole, as *FileError values
// wrapping ErrNotLog, ErrColumns, ErrLineTooLong, ErrGzip or a read error.
//
// # Memory
//
// A Reader streams: it reads with a reused line buffer and keeps no line.
// An Event's strings are its own, and repeated ones (action, rule,
// protocol, device, and URL and SNI values while fewer than 4096 distinct
// ones were seen) are shared between events, so a million events naming
// ten rules keep ten copies of the rule names.
package fwlog
