package analysis

import (
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/sniid"
	"github.com/tsid-project/tsid/tlsparse"
)

// From what the capture showed of one connection (the handshake, the
// connection, the DNS answers) to the identity model's facts and the
// record: each fact is read here once, and passed on typed.

// Record is the record of one connection whose handshake was observed
// elsewhere: what Analyze makes of a connection of a capture named file,
// with info from the assembler, the observer's handshake and the DNS names
// the client resolved to the server just before. hs and its parts are
// not changed. A library that reassembles on its own gets tsid's records
// from it; probes and joining, which need the other connections, are not
// applied.
func (an *Analyzer) Record(file string, info pcaps.ConnInfo, hs *tlsparse.Handshake, dns []string) *Record {
	return an.record(&fileRun{an: an, name: file}, &job{id: info.ID, info: info, hs: hs, dns: dns})
}

// record turns a finished handshake into a Record.
func (an *Analyzer) record(fr *fileRun, j *job) *Record {
	// Options.ProbeMissing: a certificate TLS kept from the capture is
	// asked of the server, as TSID's own probe would (probed.go).
	if r := an.withProbedCert(fr, j); r != nil {
		return r
	}
	info, hs, tcpAnomalies := &j.info, j.hs, j.anomalies
	client, server := (&connStream{info: info}).endpoints(hs)
	if hs.ClientDir < 0 && !info.SYN {
		tcpAnomalies = append(tcpAnomalies, "client-side-guessed")
	}
	r := &Record{
		File:       fr.name,
		Time:       Time(info.First),
		Client:     client.String(),
		Server:     server.String(),
		SNIStatus:  string(hs.SNIStatus),
		CertStatus: string(hs.Status),
		DNSNames:   []string{},
		Flags:      []string{},
	}
	r.Transport = TransportTCP
	if j.transport != "" {
		r.Transport = j.transport
	}
	r.Outer = outer(info, client)
	if hs.Version != 0 {
		r.TLSVersion = hs.Version.String()
	}
	f := sniid.Facts{
		SNIStatus:  string(hs.SNIStatus),
		CertStatus: string(hs.Status),
		Time:       info.First,
		Resumed:    hs.Resumed,
		Incomplete: hs.Incomplete,
	}
	rawSNI := "" // the first host_name as sent, not cut at a NUL
	// Only a ClientHello read whole is set (tlsparse.Handshake): what a
	// partial one held is unknown, and stays out of the record.
	if ch := hs.ClientHello; ch != nil {
		r.SNI = ch.SNI
		f.SNI = ch.SNI
		f.ECH = ch.ECH
		f.SSLv2 = ch.SSLv2
		r.ALPN = nonNil(ch.ALPN)
		rawSNI = firstHostName(ch)
		if len(ch.ServerNames) > 1 || rawSNI != ch.SNI {
			for _, sn := range ch.ServerNames {
				r.ServerNames = append(r.ServerNames, string(sn.Name))
			}
		}
		for _, v := range ch.SupportedVersions {
			r.Offered = append(r.Offered, v.String())
		}
		r.Anomalies = append(r.Anomalies, ch.Anomalies...)
		if !j.gquic { // a gQUIC CHLO is no TLS ClientHello
			r.JA3, r.JA4 = fr.prints.Client(ch, ja4Transport[r.Transport])
		}
		if an.opts.Join {
			r.ClientRandom = hex.EncodeToString(ch.Random)
		}
	}
	if sh := hs.ServerHello; sh != nil {
		r.JA3S = fr.prints.Server(sh)
		r.CipherSuite = cipherSuiteName(sh.CipherSuite)
		r.Anomalies = append(r.Anomalies, sh.Anomalies...)
	}
	var certBad []string // keys of the certificate fields escaped
	if len(hs.Chain) > 0 {
		leaf := hs.Chain[0]
		v := fr.view(leaf)
		r.Cert, certBad = v.rec, v.bad
		f.SANDNS = leaf.DNSNames
		f.SANIP = leaf.IPs
		f.CNs = leaf.CNs
		f.OUs = leaf.OUs
		f.SelfSigned = leaf.SelfSigned
		f.NotBefore, f.NotAfter = leaf.NotBefore, leaf.NotAfter
		for i, c := range hs.Chain {
			v := fr.view(c)
			r.Chain = append(r.Chain, v.line)
			if v.lineBad && !slices.Contains(certBad, "chain") {
				certBad = append(certBad[:len(certBad):len(certBad)], "chain")
			}
			// What the DER reader noticed (san-too-many: the SAN list was
			// cut), named as --explain names the certificates.
			for _, a := range c.Anomalies {
				where := "leaf:"
				if i > 0 {
					where = "chain[" + strconv.Itoa(i) + "]:"
				}
				r.Anomalies = append(r.Anomalies, where+a)
			}
			ou := ""
			if len(c.OUs) > 0 {
				ou = c.OUs[0]
			}
			f.Chain = append(f.Chain, sniid.ChainCert{CN: c.CN, OU: ou})
			if c.X509Error != "" {
				r.Anomalies = append(r.Anomalies, "x509-refused: "+c.X509Error)
			}
		}
	}
	r.Anomalies = append(r.Anomalies, hs.Anomalies...)
	r.Anomalies = append(r.Anomalies, tcpAnomalies...)
	if len(j.dns) > 0 {
		r.DNSNames = j.dns
	}
	f.DNSNames = r.DNSNames
	if cn := hs.Connect; cn != nil {
		r.ConnectName = cn.Host()
	} else if j.socks != "" {
		r.ConnectName = j.socks // SOCKS: the same thing asked another way
	}
	f.ConnectName = r.ConnectName

	var as sniid.Assessment
	if an.opts.Explain {
		as = sniid.Assess(&f, an.chosen, an.others)
	} else if f.Blank() {
		as = fr.blankAssessment(&f, an)
	} else { // the traces are only for --explain
		as = sniid.AssessBrief(&f, an.chosen, an.others, fr.decisions)
		fr.decisions = as.Profiles // reused: nothing keeps them past this record
	}
	d := as.Decision
	r.Profile = an.chosen.Name
	r.Host, r.HostSource, r.HostUnknown = d.Host, string(d.Source), d.Unknown
	if d.Host != "" {
		r.URL = "https://" + d.Host
	}
	r.Flags = append(r.Flags, as.Flags...)
	r.SNIUnicode = idnForm(r, "sni", r.SNI)
	r.HostUnicode = idnForm(r, "host", d.Host)
	if oddName(rawSNI, r.SNIUnicode) || oddName(d.Host, r.HostUnicode) {
		r.Flags = append(r.Flags, FlagOddName)
	}
	for _, a := range tcpAnomalies {
		if a == FlagOverlapConflict {
			r.Flags = append(r.Flags, a)
		}
	}
	if an.opts.AllProfiles {
		r.Profiles = map[string]HostPick{}
		for _, pd := range as.Profiles {
			r.Profiles[pd.Profile] = HostPick{Host: pd.Host, HostSource: string(pd.Source), Unknown: pd.Unknown}
		}
	}
	if an.opts.Events != nil {
		an.checkLogged(r, client, server, info.First)
	}
	if an.opts.Policy != nil {
		an.judge(fr, r, &f, &as)
	}
	if an.opts.Explain {
		r.Explain = explain(hs, r, &as, an.opts.AllProfiles)
	}
	escapeRecord(r, certBad)
	return r
}

// blankKey is what the assessment of blank facts depends on (sniid.Facts.Blank).
type blankKey struct {
	sniStatus, certStatus string
	resumed, incomplete   bool
}

// blankAssessment is the assessment of blank facts, decided once per kind
// for the file: a scan or a slow-hello attack brings thousands of
// connections that showed nothing but a few bytes. The answer is shared:
// its Flags and Profiles are only read.
func (fr *fileRun) blankAssessment(f *sniid.Facts, an *Analyzer) sniid.Assessment {
	k := blankKey{f.SNIStatus, f.CertStatus, f.Resumed, f.Incomplete}
	if as, ok := fr.blank[k]; ok {
		return as
	}
	as := sniid.AssessBrief(f, an.chosen, an.others, nil)
	if fr.blank == nil {
		fr.blank = map[blankKey]sniid.Assessment{}
	}
	fr.blank[k] = as
	return as
}

// ja4Transport is JA4's first character for a record's transport.
var ja4Transport = map[string]byte{TransportTCP: 't', TransportQUIC: 'q', TransportDTLS: 'd'}

// outer is the tunnel's outer address pair oriented like the record (the
// client's side first; ConnInfo keeps A's side first), nil when the
// connection came untunnelled.
func outer(info *pcaps.ConnInfo, client netip.AddrPort) *Outer {
	o := info.Outer
	if !o[0].IsValid() {
		return nil
	}
	if client != info.A {
		o[0], o[1] = o[1], o[0]
	}
	return &Outer{Client: o[0].String(), Server: o[1].String()}
}

// firstHostName is the first host_name entry of the server_name
// extension as sent: ClientHello.SNI is cut at a NUL, as the engines read
// it, but the bytes after the NUL are part of what the client sent.
func firstHostName(ch *tlsparse.ClientHello) string {
	for _, sn := range ch.ServerNames {
		if sn.Type == 0 {
			return sn.Name
		}
	}
	return ch.SNI
}

// idnForm is the Unicode form of a name with IDNA A-labels, "" when it
// has none; a label that does not decode adds anomaly idn-invalid:<key>.
func idnForm(r *Record, key, name string) string {
	uni, ok := unicodeName(name)
	if !ok {
		r.Anomalies = append(r.Anomalies, "idn-invalid:"+key)
	}
	return uni
}

// certView is what a record shows of a certificate. It is made once per
// certificate and shared by the records (which are not modified once
// made): a busy capture shows the same few certificates again and again,
// and tlsparse hands out one *Certificate for equal ones.
type certView struct {
	rec     *CertRecord
	bad     []string // keys of rec escaped for not being UTF-8 (certRecord)
	line    string
	lineBad bool // line holds an escaped byte
}

func (fr *fileRun) view(c *tlsparse.Certificate) *certView {
	if v := fr.certs[c]; v != nil {
		return v
	}
	if len(fr.certs) >= 4096 || fr.certs == nil {
		fr.certs = make(map[*tlsparse.Certificate]*certView)
	}
	v := new(certView)
	v.rec, v.bad = certRecord(c)
	v.line, v.lineBad = chainLine(c)
	fr.certs[c] = v
	return v
}

// cipherSuiteName is tls.CipherSuiteName without its per-call list of
// every suite.
func cipherSuiteName(id uint16) string {
	if n, ok := cipherNames()[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id) // "0x1234" for unknown suites
}

var cipherNames = sync.OnceValue(func() map[uint16]string {
	m := map[uint16]string{}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, cs := range list {
			m[cs.ID] = cs.Name
		}
	}
	return m
})

// explain lists the candidate strings and the profile steps.
func explain(hs *tlsparse.Handshake, r *Record, as *sniid.Assessment, all bool) *Explained {
	e := &Explained{Steps: as.Decision.Trace}
	add := func(field, value string) { e.Candidates = append(e.Candidates, Candidate{field, value}) }
	add("sni", r.SNI) // "" shows as absent
	for i, n := range r.ServerNames {
		if i > 0 {
			add(fmt.Sprintf("server_name[%d] (ignored by the engines)", i), n)
		}
	}
	for i, c := range hs.Chain {
		where := "leaf"
		if i > 0 {
			where = fmt.Sprintf("chain[%d]", i)
		}
		if i == 0 {
			for _, s := range c.SANs {
				add(where+" san:"+s.Type, s.Value)
			}
		}
		for _, cn := range c.CNs {
			add(where+" cn", cn)
		}
		for _, ou := range c.OUs {
			add(where+" ou", ou)
		}
	}
	for _, n := range r.DNSNames {
		add("dns", n)
	}
	if all {
		e.Profiles = map[string][]sniid.TraceStep{}
		for _, pd := range as.Profiles {
			e.Profiles[pd.Profile] = pd.Trace
		}
	}
	return e
}

// certRecord converts the parsed leaf to its JSON form. Names that are
// not UTF-8 are escaped (see escapeNonUTF8); bad lists the keys, as
// "cert.cn", that were.
func certRecord(c *tlsparse.Certificate) (r *CertRecord, bad []string) {
	r = &CertRecord{
		Subject:    c.Subject,
		CN:         c.CN,
		OU:         nonNil(c.OUs),
		O:          nonNil(c.Os),
		SANDNS:     nonNil(c.DNSNames),
		SANIP:      []string{},
		SANs:       make([]SANEntry, 0, len(c.SANs)),
		Issuer:     c.Issuer,
		NotBefore:  Time(c.NotBefore),
		NotAfter:   Time(c.NotAfter),
		SHA256:     c.SHA256,
		SelfSigned: c.SelfSigned,
		X509Error:  c.X509Error,
	}
	for _, ip := range c.IPs {
		r.SANIP = append(r.SANIP, ip.String())
	}
	var u utf8Check
	for _, s := range c.SANs {
		e := SANEntry{Type: s.Type, Value: s.Value}
		u.str("cert.sans", &e.Value)
		r.SANs = append(r.SANs, e)
	}
	u.str("cert.subject", &r.Subject)
	u.str("cert.cn", &r.CN)
	u.list("cert.ou", &r.OU)
	u.list("cert.o", &r.O)
	u.list("cert.san_dns", &r.SANDNS)
	u.str("cert.issuer", &r.Issuer)
	u.str("cert.x509_error", &r.X509Error)
	return r, u.bad
}

// chainLine is the one-line summary of a chain certificate, escaped with
// escapeNonUTF8; bad says whether it needed it.
func chainLine(c *tlsparse.Certificate) (line string, bad bool) {
	var b strings.Builder
	b.WriteString("subject=")
	b.WriteString(c.Subject)
	b.WriteString(" issuer=")
	b.WriteString(c.Issuer)
	b.WriteString(" valid=")
	b.WriteString(c.NotBefore.UTC().Format("2006-01-02"))
	b.WriteString("..")
	b.WriteString(c.NotAfter.UTC().Format("2006-01-02"))
	if n := len(c.SANs); n > 0 {
		b.WriteString(" sans=")
		b.WriteString(strconv.Itoa(n))
	}
	if c.SelfSigned {
		b.WriteString(" self-signed")
	}
	b.WriteString(" sha256=")
	if len(c.SHA256) >= 16 {
		b.WriteString(c.SHA256[:16])
	} else {
		b.WriteString(c.SHA256)
	}
	return escapeNonUTF8(b.String())
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
