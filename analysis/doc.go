// Package analysis is tsid's engine: capture in, records out. It reads
// packet captures (pcap, pcapng, ASA/FTD `show capture … dump` text, gzip
// or not), reassembles every TCP connection (pcaps), follows each TLS
// handshake (tlsparse), maps what it saw to the identity model's facts
// and decides the hostname each firewall profile logs (sniid), judges the
// names with a URL policy when one is given (urlrules), and hands on one
// Record per TLS connection.
//
// # Use
//
//	an := analysis.New(analysis.Options{Profile: p}) // the zero Options: ftd
//	sum, err := an.Analyze(ctx, "capture.pcap", r, func(rec *analysis.Record) { … })
//
// Analyze reads one capture from an io.Reader; Files reads several by
// name, up to a number at once, and hands the records on exactly as one
// file after another would. Records come in order of the connection's
// first packet, on one goroutine; a connection still undecided after
// 10,000 later ones have finished gives up its place. A TSID probe (the
// firewall's own connection to the server) is matched to the client
// connection it served within 5 s of capture time, so a record may come
// that much later than its connection ended.
//
// # What a record says
//
// A Record is the JSON Lines contract of `tsid analyze -f json` (its
// field tags); package report writes it as a table, JSON Lines or CSV.
// What the capture did not show is never filled in: Record.SNIStatus is
// "unknown" when the ClientHello was not read whole, and a profile that
// needs what is missing leaves Host empty and says why in HostUnknown.
//
// # What the firewall logged
//
// Options.Events, an index of the connection events of an FTD syslog or
// an FMC export (read with package fwlog, added with Events.Add), joins
// each record to its connection's events: Record.Logged, the flag
// logged-differs where the logged host is not the prediction, and with
// AllProfiles whether each profile agrees (HostPick.Agrees). An
// Agreement fed with such records tells which profile a device behaves
// like (tsid's --profile auto).
//
// # Errors
//
// A capture that cannot be read whole gives a *FileError naming it,
// wrapping the cause (a *pcaps.Error with pcaps.ErrTruncated,
// pcaps.ErrCorrupt, …; ErrInternal for a bug, whose results may be
// incomplete). The records read before the damage are handed on all the
// same.
package analysis
