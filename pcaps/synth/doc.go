// Package synth makes sample packet captures from real TLS handshakes.
//
// A Go crypto/tls client and server talk to each other in-process over a
// pair of in-memory connections. Every Write of either side is recorded, in
// order, as a [Conversation]. A [Writer] then lays the conversation out as
// real TCP/IP packets (three-way handshake, segments, ACKs, FINs) in a pcap
// or pcapng file, with a choice of link layer, IP version, segment size,
// reordering and retransmissions, and can add DNS query/response pairs.
//
// Failed connections are recorded the same way, by the real stacks: a
// client that refuses the chain or a server that refuses the hello (its
// crypto/tls alert, then the closes; Handshake returns a [HandshakeError]
// with the conversation), a server or path that resets or stays silent
// after the ClientHello ([Reply]), an explicit proxy that opens a tunnel or
// refuses ([Config.ProxyRequest]). A Writer adds what TCP and DNS show of a
// failure: SYNs without answer or refused ([Opening]), a capture that stops
// early or sees one direction ([TCP.Cut], [TCP.ClientOnly]), DNS responses
// with an error code or no address, and queries without response
// ([DNS.RCode], [DNS.NoResponse]).
//
// The two sides never run at the same time: the in-memory connection hands
// the turn to the peer only when a side blocks in Read. The order of the
// recorded chunks therefore depends only on the TLS state machines, not on
// the Go scheduler.
//
// Certificates are deterministic: Ed25519 keys come from fixed seeds
// ([NewIdentity]) and Ed25519 signatures are deterministic, so the DER of a
// certificate is identical on every run. TLS randomness comes from a seeded
// reader ([Config.Seed]); crypto/ecdh honours it only with
// GODEBUG=cryptocustomrand=1 (set by cmd/tsidgen and the tests with a
// //go:debug directive). Without it, randoms and key shares differ between
// runs, but no certificate, name or address does.
package synth
