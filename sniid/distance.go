package sniid

import "golang.org/x/net/publicsuffix"

// maxNearDistance is the largest edit distance at which two different host
// names count as a near-miss ("toos" for "tools" is 1).
const maxNearDistance = 2

// nearDistance returns the optimal-string-alignment (restricted
// Damerau-Levenshtein) distance between a and b, ASCII case-insensitive with
// one trailing dot ignored, when it is at most maxNearDistance; else -1.
// Names longer than maxNameLen are skipped (-1). Only the diagonal band of
// width 2*maxNearDistance+1 is computed, so the cost is linear in the
// length: hostile input cannot make it quadratic.
func nearDistance(a, b string) int {
	const k = maxNearDistance
	const inf = k + 1
	a, b = trimDot(a), trimDot(b)
	n, m := len(a), len(b)
	if n > maxNameLen || m > maxNameLen || n-m > k || m-n > k {
		return -1
	}
	var rows [3][maxNameLen + 2]uint8
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= min(m, k); j++ {
		prev[j] = uint8(j)
	}
	if k+1 <= m {
		prev[k+1] = inf
	}
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-k), min(m, i+k)
		// Cells just outside the band are read by this row and the next.
		if lo == 1 {
			cur[0] = uint8(min(i, inf))
		} else {
			cur[lo-1] = inf
		}
		if hi+1 <= m {
			cur[hi+1] = inf
		}
		best := cur[lo-1]
		ca := lower(a[i-1])
		for j := lo; j <= hi; j++ {
			cb := lower(b[j-1])
			cost := uint8(1)
			if ca == cb {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			// Transposition of two adjacent characters.
			if i > 1 && j > 1 && ca == lower(b[j-2]) && lower(a[i-2]) == cb {
				v = min(v, prev2[j-2]+1)
			}
			v = min(v, inf)
			cur[j] = v
			best = min(best, v)
		}
		if best > k {
			return -1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if d := prev[m]; d <= k {
		return int(d)
	}
	return -1
}

// registrable returns the registrable domain (eTLD+1) of a host name, "" when
// it has none: IP literals, public suffixes themselves, names that are not
// names. Comparison is in lower case without the trailing dot.
func registrable(s string) string {
	s = trimDot(s)
	if s == "" || len(s) > maxNameLen {
		return ""
	}
	if _, ok := parseIP(s); ok {
		return ""
	}
	s = toLower(s)
	d, err := publicsuffix.EffectiveTLDPlusOne(s)
	if err != nil {
		return ""
	}
	return d
}

// toLower lowers ASCII letters, allocating only when s has upper case.
func toLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}
