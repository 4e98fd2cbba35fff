// Package quic reads what a passive observer can of a QUIC connection's
// Initial packets (RFC 9001, Section 5.2): the keys come from the client's
// first Destination Connection ID, so the ClientHello and the ServerHello
// in CRYPTO frames can be decrypted and reassembled.
//
// A Conn follows one connection: feed it every UDP payload of the flow in
// capture order with Datagram, then ask for ClientHello and ServerHello.
// LooksInitial decides cheaply whether a UDP flow is worth following.
//
// Versions known: QUIC v1 (RFC 9000), QUIC v2 (RFC 9369: other long header
// type numbers, salt and HKDF labels) and draft-29 (v1 with another salt).
//
// What a capture holds is never an error: datagrams that are not QUIC, that
// are truncated, or that do not decrypt are skipped, and the oddities seen
// are listed by Anomalies. Work and memory are bounded on hostile input: at
// most 64 KiB of CRYPTO data per direction is kept, and every length field is
// checked against the bytes present before it is used.
//
// Only Initial packets are read. Handshake packets (the server's
// Certificate) use keys that no observer has.
package quic
