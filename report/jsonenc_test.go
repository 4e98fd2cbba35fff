package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tsid-project/tsid/analysis"
	"github.com/tsid-project/tsid/internal/fill"
	"github.com/tsid-project/tsid/sniid"
)

// stdJSON is a record as encoding/json writes it, with HTML escaping off.
func stdJSON(t testing.TB, r *analysis.Record) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRecordEncoderMatchesJSON: the record encoder writes exactly what
// encoding/json writes, for the samples' records (every profile, the
// explanation) and for records with every field set, empty or nil,
// whatever the strings hold. A field added to Record and not to the
// encoder fails here.
func TestRecordEncoderMatchesJSON(t *testing.T) {
	var recs []*analysis.Record
	files, _ := filepath.Glob("../testdata/samples/*.pcap*")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	for _, o := range []analysis.Options{{}, {AllProfiles: true, Explain: true}} {
		an := analysis.New(o)
		for _, f := range files {
			r, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = an.Analyze(context.Background(), f, r, func(rec *analysis.Record) { recs = append(recs, rec) })
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	seq := 0
	for mode := range 3 {
		for range 4 {
			r := new(analysis.Record)
			fill.Value(reflect.ValueOf(r).Elem(), mode, &seq)
			recs = append(recs, r)
		}
	}
	e := newRecordEncoder()
	for i, r := range recs {
		got, err := e.appendRecord(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdJSON(t, r); !bytes.Equal(got, want) {
			t.Fatalf("record %d:\nencoder:       %s\nencoding/json: %s", i, got, want)
		}
	}
}

// stdString is s as encoding/json writes it, with HTML escaping off.
func stdString(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

// FuzzAppendString: any string is written as encoding/json writes it.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a.example", "\"\\", "\x00\x1f\x7f", "\xff\xfe", "\u2028\u2029", "<&>", "tööls\u202e", "\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := stdString(t, s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: %s, encoding/json %s", s, got, want)
		}
	})
}

func BenchmarkRecordEncoder(b *testing.B) {
	r := &analysis.Record{File: "capture.pcap", Time: analysis.Time(time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)),
		Client: "10.12.1.8:51514", Server: "72.163.4.38:443", SNIStatus: "unknown", CertStatus: "incomplete",
		DNSNames: []string{}, Profile: "ftd", Flags: []string{"incomplete"}, HostUnknown: sniid.NeedsSNI,
		Anomalies: []string{"handshake-unfinished:eof"}}
	b.Run("encoder", func(b *testing.B) {
		e := newRecordEncoder()
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = e.appendRecord(buf[:0], r)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			enc.Encode(r)
		}
	})
}

// TestEightAtATime: the word-at-a-time scans of appendString and
// escapeInvisible find a byte to escape at every position of a word, and
// in the tail after the last whole word.
func TestEightAtATime(t *testing.T) {
	for _, special := range []string{"\"", "\\", "\x00", "\x1f", "\x7f", "é", "\u200b", "\xff"} {
		for pos := range 19 {
			s := strings.Repeat("a", pos) + special + strings.Repeat("b", 18-pos)
			want := stdString(t, s)
			if got := appendString(nil, s); !bytes.Equal(got, want) {
				t.Errorf("appendString(%q) = %s, encoding/json %s", s, got, want)
			}
			invisible := special == "\x7f" || special == "\u200b"
			if got := escapeInvisible(want); bytes.Equal(got, want) == invisible {
				t.Errorf("escapeInvisible(%s) = %s", want, got)
			}
		}
	}
}

// TestCertJSONOnce: a certificate's object is written once and reused for
// the next record of the same certificate, written anew when the
// certificate was changed in place, and not kept when it is very large.
func TestCertJSONOnce(t *testing.T) {
	c := &analysis.CertRecord{Subject: "CN=tools.cisco.com", CN: "tools.cisco.com", SANDNS: []string{"toos.cisco.com", "tools.cisco.com"}, SHA256: "aa"}
	r := &analysis.Record{Cert: c, Profile: "ftd"}
	e := newRecordEncoder()
	for range 2 {
		got, _ := e.appendRecord(nil, r)
		if want := stdJSON(t, r); !bytes.Equal(got, want) {
			t.Fatalf("encoder:       %s\nencoding/json: %s", got, want)
		}
	}
	if len(e.certs) != 1 {
		t.Fatalf("%d certificate objects kept, want 1", len(e.certs))
	}
	c.CN, c.SHA256 = "toos.cisco.com", "bb" // another certificate in the same place
	if got, want := must(e.appendRecord(nil, r)), stdJSON(t, r); !bytes.Equal(got, want) {
		t.Fatalf("after a change in place:\nencoder:       %s\nencoding/json: %s", got, want)
	}

	big := &analysis.CertRecord{SHA256: "cc"}
	for range 2000 {
		big.SANDNS = append(big.SANDNS, strings.Repeat("x", 10)+".example")
	}
	before := e.certBytes
	if got, want := must(e.appendRecord(nil, &analysis.Record{Cert: big})), stdJSON(t, &analysis.Record{Cert: big}); !bytes.Equal(got, want) {
		t.Fatalf("large certificate written wrong")
	}
	if _, kept := e.certs[big]; kept || e.certBytes != before {
		t.Errorf("a %d-name certificate's object was kept", len(big.SANDNS))
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
