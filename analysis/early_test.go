package analysis

import (
	"crypto/tls"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/tsid-project/tsid/internal/samplepki"
	"github.com/tsid-project/tsid/pcaps"
	"github.com/tsid-project/tsid/pcaps/synth"
	"github.com/tsid-project/tsid/tlsparse"
)

// piece is one Data or Gap call of a connection.
type piece struct {
	dir pcaps.Dir
	b   []byte
	gap bool
}

// TestEarlyBytes: the bytes a connection keeps before it takes an
// observer reach the observer in their order, gaps included, so that the
// handshake is the one an observer fed directly finds, decided at the
// same piece, however the conversation is cut into pieces: tiny pieces
// (all kept at first), large ones (none kept), gaps among them, and a
// hello cut short as in a half-open connection.
func TestEarlyBytes(t *testing.T) {
	id, err := samplepki.FieldCase()
	if err != nil {
		t.Fatal(err)
	}
	var convs []synth.Conversation
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		conv, err := synth.Handshake(synth.Config{
			Client: netip.MustParseAddrPort("10.12.1.8:51514"), Server: netip.MustParseAddrPort("72.163.4.38:443"),
			MaxVersion: v, Cert: id, Time: time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC), Seed: "early",
		})
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, conv)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 400 {
		conv := convs[trial%len(convs)]
		var pieces []piece
		for _, ch := range conv.Chunks {
			for b := ch.Data; len(b) > 0; {
				n := 1 + rng.IntN(min(len(b), []int{3, 40, 200, 2000}[trial%4]))
				pieces = append(pieces, piece{dir: pcaps.Dir(ch.Dir), b: b[:n]})
				b = b[n:]
				if rng.IntN(50) == 0 {
					pieces = append(pieces, piece{dir: pcaps.Dir(ch.Dir), gap: true})
				}
			}
		}
		if trial%5 == 0 { // half-open: the first pieces only
			pieces = pieces[:min(len(pieces), 1+rng.IntN(4))]
		}

		direct := tlsparse.NewObserver()
		wantAt := -1
		for i, p := range pieces {
			if p.gap {
				direct.Gap(tlsparse.Dir(p.dir))
			} else if direct.Data(tlsparse.Dir(p.dir), p.b) {
				wantAt = i
				break
			}
		}

		c := &connStream{fr: &fileRun{}}
		gotAt := -1
		for i, p := range pieces {
			if p.gap {
				if c.keepEarly(p.dir, nil, true) {
					continue
				}
				o, decided := c.observer()
				if decided {
					gotAt = i
					break
				}
				o.Gap(tlsparse.Dir(p.dir))
				continue
			}
			if c.keepEarly(p.dir, p.b, false) {
				continue
			}
			if o, decided := c.observer(); decided || o.Data(tlsparse.Dir(p.dir), p.b) {
				gotAt = i
				break
			}
		}
		o, _ := c.observer() // the end: what was kept reaches the observer then
		if got, want := o.Handshake(), direct.Handshake(); !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%d pieces): handshake\n got %+v\nwant %+v", trial, len(pieces), got, want)
		}
		// Kept bytes delay the decision, never bring it forward.
		if o.Decided() != direct.Decided() || gotAt >= 0 && gotAt < wantAt {
			t.Fatalf("trial %d: decided %v at piece %d, directly %v at %d", trial, o.Decided(), gotAt, direct.Decided(), wantAt)
		}
	}
}
