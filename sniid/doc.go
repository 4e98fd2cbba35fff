// Package sniid is tsid's identity model: from the SNI and the server
// certificate of one TLS connection it predicts the host name a firewall
// logs, under the precedence orders of several firewalls, and flags what
// makes the prediction unsafe. It works on plain strings and netip values
// (Facts) and depends on no capture or TLS parser.
//
// The behaviour follows the tsid identity model (tsid-model.md), assembled from
// Snort 3 and Snort 2 OpenAppID (the engines inside Cisco FTD), Cisco's TLS
// Server Identity Discovery (TSID) documentation and other vendors' manuals.
//
// # Candidate strings
//
// A firewall picks one of four strings (model §1):
//
//	sni   first host_name of the first ClientHello, raw (Facts.SNI)
//	san   first dNSName of the leaf's subjectAltName, wildcard kept (Facts.SANDNS[0])
//	cn    first commonName of the leaf's subject, raw (Facts.CNs[0])
//	ou    first organizationalUnitName of the leaf's subject (Facts.OUs[0])
//
// # Profiles
//
// Profile.Steps is the precedence order; the first step that yields a string
// decides (model §3). "sni*" is the SNI unless spoofed (SNIMatchesCert).
//
//	profile     order                 models
//	ftd         sni* → san → cn       FTD with TSID on Snort 2 and Snort 3 before 3.9.5.0 (default)
//	snort3      sni* → cn → san       FTD with TSID on Snort 3 from 3.9.5.0 (commit f896aff1d)
//	snort-open  sni → cn~             open-source Snort 3 without TSID: never SAN, no spoof check
//	cisco-doc   cn → san → ou → sni   Cisco's TSID documentation and the TAC note
//	paloalto    sni → cn              PAN-OS without decryption
//	fortinet    sni* → cn → san       FortiGate certificate inspection with the SNI check
//	checkpoint  sni+ → cn             Check Point R80.30+: SNI only when the certificate covers it
//	custom      ParseOrder(--order)   any list of sni, sni*, san, cn, ou
//
// Two steps exist only inside built-in profiles: "cn~" is open-source
// Snort's CN, the first CN walking the chain leaf → issuers (Facts.Chain)
// with one leading "*." stripped; "sni+" is Check Point's SNI, taken only
// when SNIMatchesCert says the certificate covers it.
//
// # Missing certificate
//
// When a step needs the certificate and Facts.CertStatus is not "present"
// (TLS 1.3 "encrypted", "resumed", "incomplete", "missing"), the profile
// cannot know whether that step would have produced a name: Decide stops
// there with Host "" and Decision.Unknown set (model §4), and never guesses
// past it. Two steps differ:
//
//   - "sni*" with an SNI takes it (the engine would, unless it were spoofed)
//     and says in the trace that the spoof check was impossible;
//   - "cn~" (snort-open) treats an encrypted or resumed certificate as
//     absent, because a passive engine cannot read it either ("TLS 1.3 gives
//     SNI only"); only a certificate the capture lost is unknown.
//
// A decided Decision with an empty Host means no candidate was available.
//
// # Probed certificate
//
// CertStatus "probed" (CertProbed) says the connection did not show its
// certificate (TLS 1.3, resumption) and the certificate fields come from a
// connection of tsid's own to the server, as TSID's probe connection reads
// them (model §5). Every step that reads the certificate uses them, and
// the trace says where they came from; flag "probed". A profile whose
// engine reads only the wire and never probes (Profile.WireOnly:
// snort-open, paloalto) decides as without them: "cn~" finds no
// certificate on the wire, and "cn" stays unknown.
//
// # SNI not seen
//
// An SNI is known only from a ClientHello read whole. When the capture did
// not show it whole (a one-way capture of the server's side, a lost or
// snap-length-cut segment, a connection that ended mid-hello),
// Facts.SNIStatus is "unknown": that is not "absent". A step that needs the
// SNI ("sni", "sni*", "sni+") then stops the walk like a step that needs a
// missing certificate, with Decision.Unknown NeedsSNI; a profile whose
// earlier steps decide without it (cisco-doc: CN first) still decides.
// no-sni, sni-mismatch and ip-sni are not flagged, and the names the client
// meant are its DNS names alone.
//
// # Assumptions
//
// Where the public material is silent the model assumes; each assumption is
// listed with the switch that changes it.
//
//   - Spoofed SNI (§2): ASCII case-insensitive, one trailing dot removed on
//     both sides, dNSName SANs if any else the subject CNs, '*' only as the
//     whole left-most label matching one non-empty label, an IP-literal SNI
//     only against iPAddress SANs. Switch: --order with "sni" instead of
//     "sni*" (or --profile snort-open / paloalto) drops the check.
//   - "First SAN" is the first dNSName, not the first entry of any type, and
//     a wildcard is kept as written. No switch: callers report every SAN
//     entry with its type so the user can see what another reading gives.
//   - Under TSID the CN is the leaf's first CN, raw. Switch: --profile
//     snort-open for open-source Snort's chain walk with "*." stripped.
//   - OU as a third fallback comes only from the TAC note. Switch: --profile
//     cisco-doc, or an --order containing "ou".
//   - FTD's default order is that of Snort before 3.9.5.0. Switch: --profile
//     snort3.
//   - Check Point's "covered by the SAN list" uses the full rule of §2,
//     including the CN when the certificate has no dNSName SAN. No switch;
//     the trace lists the names the SNI was compared with.
//   - "sni*" takes an SNI it cannot check (no certificate), as the engine
//     would unless spoofed. Switch: --profile checkpoint (or cisco-doc)
//     leaves such connections unknown instead.
//   - Which engines fetch a certificate the wire does not show: TSID's
//     (ftd, snort3, cisco-doc) does (model §5); FortiGate's certificate
//     inspection and Check Point's SNI verification are taken to as well;
//     open-source Snort and PAN-OS without decryption are not
//     (Profile.WireOnly). A custom --order probes. No switch: with a probed
//     certificate, --profile all shows each reading.
//   - The VDB pattern override of §3 (an application pattern that makes a
//     field win) is not modelled.
//
// # Flags
//
// Assess returns Assessment.Flags in this fixed order (FlagOrder); only
// near-miss carries a detail, after a colon:
//
//	no-sni              the ClientHello, read whole, had no SNI (never when SNIStatus is unknown)
//	sni-mismatch        SNI present, certificate present, and the certificate covers none of it (§2)
//	near-miss:<name>    the logged host is not a meant name but within edit distance 2 of one
//	                    (the SNI, a DNS name) or of the leaf CN, under the same registrable domain
//	host-differs        the client meant a name (a known SNI, or a DNS name) and the decided host is none of them
//	profiles-disagree   the chosen profile's decided host differs from another decided profile's
//	wildcard            the logged host or the leaf's first CN has a label with '*'
//	ip-sni              the SNI is an IP literal
//	ech                 encrypted ClientHello: the SNI is the outer (public) name
//	resumed             abbreviated handshake
//	cert-encrypted      TLS 1.3: the certificate is encrypted
//	probed              the certificate fields come from tsid's probe of the server (CertProbed)
//	self-signed         the leaf is self-signed
//	cert-expired        Facts.Time is after the leaf's NotAfter
//	cert-not-yet-valid  Facts.Time is before the leaf's NotBefore
//	incomplete          the handshake or the certificate was not captured completely
//	sslv2-hello         SSLv2-compatible ClientHello
//
// Details of the flags:
//
//   - Names compare ASCII case-insensitively with one trailing dot ignored
//     (RFC 4343); profiles-disagree compares raw hosts case-insensitively only,
//     because a trailing dot is logged as sent. Undecided profiles are listed
//     in Assessment.Profiles but never disagree; a decided empty host (nothing
//     available) does differ from a decided name.
//   - near-miss uses the optimal-string-alignment (restricted
//     Damerau-Levenshtein) distance, 1 or 2, and the registrable domain of
//     golang.org/x/net/publicsuffix (ICANN and private sections): a change
//     that crosses into another owner's domain is another site, not a typo.
//     IP literals, wildcard names and names over 253 bytes never count. Of
//     several near names the closest wins, then the earliest (SNI, DNS
//     names, CN). An odd detail (control bytes, blanks, commas) is quoted.
//   - Certificate flags (sni-mismatch, wildcard's CN, self-signed, validity)
//     need CertStatus "present" or "probed"; validity needs a non-zero
//     Facts.Time.
//
// # Hostile input
//
// Every field may hold attacker-chosen bytes. The edit distance is computed
// on a diagonal band (linear in the name length) and skips names over 253
// bytes; at most 64 meant names or CNs are compared; traces quote odd names
// and list at most 8 certificate names.
package sniid
