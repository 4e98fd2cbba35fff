package analysis

import (
	"net/netip"
	"time"
)

// --join: several captures of the same traffic (inside and outside
// interface, FXOS per-interface pcaps) are read together, and the
// connections that are one TLS session are reported once, with each
// capture point. Across the firewall NAT changes addresses and ports and
// ISN randomization the sequence numbers, but the TCP payload is the same
// unless a device decrypts: the ClientHello, and so its random, is
// byte-identical. Connections are joined on the random first; those left
// are joined on the SNI, the server port and the time (a re-signing
// decryption device sends its own ClientHello outside), which the anomaly
// joined-by-timing says.

// joinWindow is how far apart in time two capture points of one
// connection may start when they are joined by timing: both captures run
// on one device clock, so the distance is the firewall's latency plus the
// time it held the connection.
const joinWindow = 2 * time.Second

// maxJoin bounds the records held for joining (roughly 1 KiB each, the
// certificates shared). Past it the records held are joined and written,
// and the later ones are written as they come, unjoined, with a warning.
const maxJoin = 1_000_000

// CapturePoint is one capture's view of a joined connection.
type CapturePoint struct {
	File       string `json:"file"`
	Time       Time   `json:"time"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	Outer      *Outer `json:"outer,omitempty"`
	SNI        string `json:"sni"`
	SNIStatus  string `json:"sni_status"`
	TLSVersion string `json:"tls_version"`
	CertStatus string `json:"cert_status"`
	CertSHA256 string `json:"cert_sha256"` // the leaf's; "" when not seen
	JoinedBy   string `json:"joined_by"`   // "" for the record's own capture point, else "random" or "timing"
}

// joiner holds a run's records (with the file each came from) until all
// files are read, when --join is given.
type joiner struct {
	recs     []*Record
	file     []int // index of the file each record came from
	cur      int   // the file being written
	rules    bool  // URL rules given: the summary counts the rule flags
	max      int   // records held at most (Options.MaxJoin)
	overflow bool  // maxJoin was passed: records go straight out
	joined   int   // connections seen at several capture points
	points   int   // the capture points of those
	flagged  int   // records that joining gave their first warning
	// merged counts the records merged into another, as the files counted
	// them: the summary takes them off, so that a connection seen at two
	// capture points is one TLS connection, as it is one row.
	merged Summary
}

// add holds r; false when the joiner is full and r must be written now.
func (j *joiner) add(r *Record) bool {
	if j.overflow || len(j.recs) >= j.max {
		return false
	}
	j.recs = append(j.recs, r)
	j.file = append(j.file, j.cur)
	return true
}

// join merges the records held and returns what to write, in order: a
// joined connection at its first capture point's place.
func (j *joiner) join() []*Record {
	n := len(j.recs)
	group := make([]int, n) // index of the record each one is merged into; -1: none
	for i := range group {
		group[i] = -1
	}
	members := map[int][]int{} // primary -> the records merged into it, in order
	how := map[int]string{}    // merged record -> "random" or "timing"
	taken := func(p, file int) bool {
		if j.file[p] == file {
			return true
		}
		for _, m := range members[p] {
			if j.file[m] == file {
				return true
			}
		}
		return false
	}
	merge := func(p, m int, by string) {
		group[m] = p
		members[p] = append(members[p], m)
		how[m] = by
	}

	// 1. The same ClientHello random in several files: one per file, the
	// first in order.
	byRandom := map[string]int{}
	for i, r := range j.recs {
		if r.ClientRandom == "" || r.Role != "" {
			continue
		}
		p, ok := byRandom[r.ClientRandom]
		if !ok {
			byRandom[r.ClientRandom] = i
			continue
		}
		if !taken(p, j.file[i]) {
			merge(p, i, "random")
		}
	}

	// 2. What is left: the same SNI and server port, starting within
	// joinWindow, in another file; the nearest in time.
	type key struct {
		sni  string
		port uint16
	}
	keyOf := func(r *Record) (key, bool) {
		ap, err := netip.ParseAddrPort(r.Server)
		if r.SNI == "" || err != nil || r.Role != "" {
			return key{}, false
		}
		return key{r.SNI, ap.Port()}, true
	}
	single := func(i int) bool { return group[i] < 0 && len(members[i]) == 0 }
	byKey := map[key][]int{}
	for i, r := range j.recs {
		if k, ok := keyOf(r); ok && single(i) {
			byKey[k] = append(byKey[k], i)
		}
	}
	for i, r := range j.recs {
		k, ok := keyOf(r)
		if !ok || group[i] >= 0 {
			continue
		}
		t := time.Time(r.Time)
		best := map[int]int{} // file -> nearest candidate
		for _, c := range byKey[k] {
			// Earlier records had their turn: i is theirs already or not at all.
			if c <= i || !single(c) || j.file[c] == j.file[i] {
				continue
			}
			d := time.Time(j.recs[c].Time).Sub(t).Abs()
			if d > joinWindow {
				continue
			}
			if b, ok := best[j.file[c]]; !ok || d < time.Time(j.recs[b].Time).Sub(t).Abs() {
				best[j.file[c]] = c
			}
		}
		for f := 0; f <= j.cur; f++ {
			if c, ok := best[f]; ok && !taken(i, f) {
				merge(i, c, "timing")
			}
		}
	}

	out := make([]*Record, 0, n)
	for i, r := range j.recs {
		switch {
		case group[i] >= 0:
			j.merged.countRecord(r, j.rules)
			continue
		case len(members[i]) > 0:
			j.joined++
			j.points += 1 + len(members[i])
			r = j.mergeInto(r, members[i], how)
		}
		out = append(out, r)
	}
	j.recs, j.file = nil, nil
	return out
}

// mergeInto is primary with its capture points and the flags they give.
// The records are shared with the spool and the writers, so it is a copy.
func (j *joiner) mergeInto(primary *Record, others []int, how map[int]string) *Record {
	r := *primary
	r.Captures = []CapturePoint{capturePoint(primary, "")}
	timing := false
	for _, m := range others {
		r.Captures = append(r.Captures, capturePoint(j.recs[m], how[m]))
		timing = timing || how[m] == "timing"
	}
	r.Flags = append([]string(nil), r.Flags...)
	certs, snis := map[string]bool{}, map[string]bool{}
	for _, c := range r.Captures {
		if c.CertSHA256 != "" {
			certs[c.CertSHA256] = true
		}
		if c.SNIStatus != SNIUnknown { // an SNI not seen differs from none
			snis[c.SNI] = true
		}
	}
	if len(certs) > 1 {
		r.Flags = append(r.Flags, FlagCertDiffers)
	}
	if len(snis) > 1 {
		r.Flags = append(r.Flags, FlagSNIDiffers)
	}
	if !HasWarning(primary.Flags) && HasWarning(r.Flags) {
		j.flagged++
	}
	if timing {
		r.Anomalies = append(r.Anomalies[:len(r.Anomalies):len(r.Anomalies)], AnomalyJoinedByTiming)
	}
	return &r
}

func capturePoint(r *Record, by string) CapturePoint {
	c := CapturePoint{File: r.File, Time: r.Time, Client: r.Client, Server: r.Server, Outer: r.Outer,
		SNI: r.SNI, SNIStatus: r.SNIStatus, TLSVersion: r.TLSVersion, CertStatus: r.CertStatus, JoinedBy: by}
	if r.Cert != nil {
		c.CertSHA256 = r.Cert.SHA256
	}
	return c
}
