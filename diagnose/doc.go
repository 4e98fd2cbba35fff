// Package diagnose says why a client's connections failed, from a packet
// capture: per destination (the name the client meant), what happened to
// its DNS lookups and TCP connections, the TLS alerts and certificate
// problems, with the evidence in the capture and the next step to take.
//
// It reads the facts the other packages compute once: the assembler's TCP
// facts and DNS lookups (pcaps.Ending, pcaps.DNSLookup), the TLS observer's
// alerts, certificate chain and HTTP CONNECT (tlsparse.Handshake, in
// Follow mode). A finding is raised only on what the capture shows: a
// capture that ends before an answer could come, or that saw one direction
// only, makes a connection unknown, not failed.
//
// # Use
//
//	d := diagnose.New(diagnose.Options{})
//	err := d.Add(ctx, "capture.pcap", nil) // nil: open the file
//	for _, dst := range d.Destinations() { … }
//
// What a capture cannot show is not guessed: an invalid token or anything
// else inside an encrypted exchange, a product's registration state, and
// in TLS 1.3 the certificate and the alerts after the server's first flight.
package diagnose
