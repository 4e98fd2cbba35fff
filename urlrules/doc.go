// Package urlrules checks URL-filter rules against the host a firewall
// really logs. It reads Cisco FMC-style rules (a plain rules file, Security
// Intelligence URL and DNS lists, or FMC REST API exports), matches them with
// FMC's documented semantics, evaluates a policy for a connection, and
// suggests the smallest change that gives a logged host the verdict of the
// host the client meant (the field case: tools.cisco.com logged as
// toos.cisco.com). It depends on no capture parser: hosts are strings, as
// sniid decides them.
//
// The semantics follow url-matching.md (the project's reference); its §8
// worked examples are TestWorkedExamples.
//
// # Results
//
// Every match gives a Result and a one-line reason. Unspecified means the
// vendor does not document the case; tsid never guesses silently:
//
//   - a port in an entry (cisco.com:443); the port-less result is given as a hint
//   - a trailing dot in an entry or host, when removing it changes the answer
//   - where a URL object host entry must end (cisco.com in cisco.com.evil.example)
//   - a path entry (or a trailing '/') against undecrypted HTTPS, logged as
//     https://host without a path
//   - an entry with a protocol against a URL with another (FMC says the
//     protocol is ignored, yet matches a substring)
//   - a substring hit not at the URL start, after a dot or after "://"
//   - path case in URL objects, when it changes the answer
//   - an SI '*' that would have to match no label (*.cisco.com for cisco.com)
//
// Assumed, and said in the reason: host names compare case-insensitively in
// ASCII, as A-labels (IDNA lookup rules) on both sides; a port on a URL's
// host is dropped; an SI entry with a path matches a URL whose path begins
// with it ("prefix match assumed"). Not modelled: the older HTTPS page's
// advice that subdomains in the certificate CN are disregarded (§8 ignores it
// too), and the 6.x plain-substring behaviour.
//
// # Entries
//
// URL objects and literal URLs (Object, ParseObject, MatchObject): without
// '/' the entry matches the host from a label start (after "://" or a dot,
// or anywhere when the entry begins with a dot) to the host's end; with '/'
// it is a substring of the whole URL (scheme://host + path and query), host
// part lower-cased. '*' is a plain character (literal URLs take no
// wildcards; objects document none): a warning says so. A URL given without
// "://" is a host of undecrypted HTTPS, https://host.
//
// SI URL list entries (Pattern, ParseSIEntry, MatchSI): a domain matches
// itself and its subdomains, label-aligned; '*' is exactly one whole label,
// host part only; a trailing '/' means this host only; a path must begin the
// URL's path and is case-sensitive; a scheme is ignored; an IPv4 entry
// (whole-octet '*') matches only an IP literal host. Invalid, as FMC rejects
// them: Unicode (the error gives the Punycode to write), partial-label or
// path wildcards, IPv6, empty labels.
//
// SI DNS list entries (ParseDNSEntry, MatchDNS): the same host rules, no
// protocol, path or address; matched against DNS names, whose one trailing
// dot (the fully qualified form) is dropped without comment.
//
// # Files
//
// Rules file (ParseRules): one rule a line, "ACTION ENTRY [# comment]",
// ACTION one of allow, trust, monitor, block, interactive-block (any case),
// ENTRY a URL object value or literal URL; blank lines and lines starting
// with '#' skipped; a '#' inside an entry (no blank before it) is part of it.
//
// SI lists (ParseSIList, ParseDNSList) as FMC takes them: .txt, one entry a
// line, lines starting with '#' are comments. Blanks around an entry and
// inline comments (" # ...") are removed with a warning: FMC documents
// neither. An SI URL list is a Block list (action Block) or a Do-Not-Block
// list (action Allow); DNS lists are Block lists.
//
// A bad line or unsupported construct is a *ParseError, one line,
// "file:line: why"; the CLI exits with status 2 on it. What is undocumented
// is a Warning naming file:line, and Unspecified at match time.
//
// # FMC REST API exports
//
// ParseFMC reads responses of the FMC REST API, given in any order (IsJSON
// tells them from a rules file). Get a token, then the JSON, with the domain
// and policy UUIDs of your FMC (limit is at most 1000; a larger policy needs
// every page, offset=0, 1000, ...):
//
//	POST /api/fmc_platform/v1/auth/generatetoken      (basic auth; the X-auth-access-token
//	                                                   and DOMAIN_UUID response headers)
//	GET  /api/fmc_config/v1/domain/{domainUUID}/policy/accesspolicies   (find the policy's id)
//	GET  /api/fmc_config/v1/domain/{domainUUID}/policy/accesspolicies/{containerUUID}
//	GET  /api/fmc_config/v1/domain/{domainUUID}/policy/accesspolicies/{containerUUID}/accessrules?expanded=true&limit=1000
//	GET  /api/fmc_config/v1/domain/{domainUUID}/object/urls?expanded=true&limit=1000
//	GET  /api/fmc_config/v1/domain/{domainUUID}/object/urlgroups?expanded=true&limit=1000
//
// for example curl -sk -H "X-auth-access-token: $TOKEN" "https://$FMC$PATH" > file.json.
// testdata/fmc holds an example of each, with the rules file it equals.
//
// The subset read:
//
//   - access rules: name, action, enabled, metadata.ruleIndex (the order; document
//     order when missing), urls.literals ({"type":"Url","url"}), urls.objects
//     ({"type":"Url"|"UrlGroup","name","id"}, resolved by id, then name; a
//     reference carrying its own "url" needs no objects export),
//     urls.urlCategoriesWithReputation;
//   - URL objects {"type":"Url","name","id","url"}; URL groups
//     {"type":"UrlGroup","name","id","objects":[...],"literals":[...]}, nested
//     groups expanded;
//   - the access policy's defaultAction.action: BLOCK, TRUST, PERMIT and
//     NETWORK_DISCOVERY (the last two let traffic pass: allow); another
//     (INHERIT_FROM_PARENT) gives a warning and no default;
//   - a response {"items":[...],"paging":{"count":N}} or a single item; other
//     item types are skipped with a warning.
//
// Actions: ALLOW allow, TRUST trust, MONITOR monitor, BLOCK and BLOCK_RESET
// block, BLOCK_INTERACTIVE and BLOCK_RESET_INTERACTIVE interactive-block.
// Disabled rules are skipped. A rule's URL condition matches when any of its
// literals or objects does. URL categories are not predictable offline (Cisco
// URL database and cloud): a rule with categories is Unspecified for a URL
// none of its entries matches. Conditions other than URLs (zones, networks,
// ports, VLANs, applications, users, SGTs, time ranges, ...; Rule.Conditions)
// cannot be evaluated: such a rule is Unspecified when its URL condition may
// match, unless Policy.AssumeOtherConditions takes them as met; a rule with
// no URL condition then matches every URL. An unknown field with a value is
// taken as such a condition, with a warning. Errors (file:line of the rule's
// item): unknown action, a reference not in the objects given, an unsupported
// URL condition or object type, a group containing itself, a rule given twice,
// fewer rules than paging.count (a missing page). Not modelled: policy
// inheritance (give the policy FMC deploys), object overrides per device or
// domain, prefilter policies.
//
// # Evaluation
//
// Policy.EvaluateConn follows the firewall's order:
//
//  1. SI DNS Block lists, on Conn.DNSNames only: the names the client
//     queried, which FMC's DNS policy sees. They are never applied to the
//     logged host: a DNS block stops the query, whatever TLS would log.
//  2. SI URL lists, on the URL: a Do-Not-Block entry exempts from the Block
//     lists (and evaluation goes on to the rules); a Block entry blocks,
//     with the entry as the deciding rule.
//  3. Access rules in order; the first match decides. A matching monitor
//     rule is recorded in Verdict.Monitors and evaluation goes on, as on FMC.
//  4. The default action (Policy.Default, block when empty).
//
// The URL is Conn.URL, or https://Conn.Host as FMC logs undecrypted HTTPS. A
// connection with no host logged matches no URL entry: it gets the first rule
// without URL condition, or the default action, and Why says so.
//
// When a rule reached is Unspecified, evaluation goes on as if it did not
// match and the verdict lists every action the connection may get
// (Verdict.Actions, in order; Verdict.Uncertain the rules in doubt).
// Verdict.Action and Rule are those of the first rule that matches or may
// match; Verdict.Unspecified is set only when the possible actions differ.
//
// # Suggestions
//
// Policy.Suggest(logged, intended) returns, narrowest first, the changes that
// give logged the action intended gets: one per name of Candidates(logged),
// the logged host itself, then each parent domain up to the registrable
// domain (publicsuffix, ICANN and private sections), never a public suffix.
// A fix goes where the verdict is decided: an SI Do-Not-Block entry for a
// host an SI Block list blocks (plus an access rule if the rules would still
// differ), an SI Block entry when the intended host is SI-blocked, otherwise
// a new access rule right before the rule deciding the logged host (after the
// last rule when the default decides). Each suggestion is checked by
// evaluating the changed policy. Suggestion.Note says what the entry covers
// beyond the host; Matches(hosts) lists the other captured hosts it matches or
// may match, Changed(hosts) those whose verdict it changes.
//
// # Wiring into the CLI
//
// A sketch of "tsid rules check": read each --rules file; if IsJSON, pass all
// of them to ParseFMC, else ParseRules each in order; ParseSIList for each
// --si-block (Block) and --si-allow (Allow), ParseDNSList for each
// --dns-block; print every Warning on stderr; exit 2 on an error. Default is
// --default-action, else the export's. For each connection, EvaluateConn with
// the host each profile logs and with the intended name (SNI, or DNS name),
// both with the connection's DNS names; report verdict-differs when the
// Actions differ, and for those Suggest with Matches and Changed over all
// hosts in the captures.
package urlrules
