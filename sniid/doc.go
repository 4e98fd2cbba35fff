// Package sniid is tsid's identity model: from the SNI and the server
// certificate of one TLS connection it predicts the host name a firewall
// logs, under the precedence orders of several firewalls, and flags what
// makes the prediction unsafe. It works on plain strings and netip values
// and depends on no capture or TLS parser.
package sniid
