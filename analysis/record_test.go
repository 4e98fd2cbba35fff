package analysis

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestFormatTime: the digits put in place by hand are what time.Format
// writes, at microsecond and nanosecond precision, in any location, and
// years RFC 3339 cannot write go through time.Format itself.
func TestFormatTime(t *testing.T) {
	ref := func(t time.Time) string {
		t = t.UTC()
		if t.Nanosecond()%1000 != 0 {
			return t.Format("2006-01-02T15:04:05.000000000Z")
		}
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	east := time.FixedZone("east", 5*3600+30*60)
	times := []time.Time{
		time.Unix(0, 0),
		time.Date(2026, 12, 3, 22, 12, 22, 0, time.UTC),
		time.Date(2026, 12, 3, 22, 12, 22, 123456000, time.UTC),
		time.Date(2026, 12, 3, 22, 12, 22, 123456789, time.UTC),
		time.Date(2026, 12, 3, 22, 12, 22, 1, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999999999, east), // another day in UTC
		time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(1<<35), r.Int64N(1e9)))
		times = append(times, time.Unix(r.Int64N(1<<32), r.Int64N(1e6)*1000))
	}
	for _, tm := range times {
		if got, want := formatTime(tm), ref(tm); got != want {
			t.Errorf("formatTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

func BenchmarkFormatTime(b *testing.B) {
	tm := time.Date(2026, 12, 3, 22, 12, 22, 123456000, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		formatTime(tm)
	}
}
