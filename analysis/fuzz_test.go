package analysis

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// recordJSON is Record as it reads back: times are strings (Time only
// marshals). The shallower fields shadow Record's.
type recordJSON struct {
	Record
	Time string    `json:"time"`
	Cert *certJSON `json:"cert"`
}

type certJSON struct {
	CertRecord
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
}

// fuzzSeeds is every sample capture, one gzip'ed, and damaged copies of
// some: cut in the header, in a record, at the last byte, and with bytes
// flipped in the headers and in the TLS payload.
func fuzzSeeds(tb testing.TB) [][]byte {
	files, _ := filepath.Glob("../testdata/samples/*.pcap*")
	if len(files) == 0 {
		tb.Fatal("no sample captures in ../testdata/samples")
	}
	var seeds [][]byte
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
		if i == 0 {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write(b)
			w.Close()
			seeds = append(seeds, z.Bytes())
			seeds = append(seeds, z.Bytes()[:z.Len()/2])
		}
		if i%3 != 0 {
			continue
		}
		for _, n := range []int{10, 60, len(b) / 2, len(b) - 1} {
			seeds = append(seeds, b[:n])
		}
		for _, at := range []int{20, 40, 100, len(b) / 3, 2 * len(b) / 3} {
			c := bytes.Clone(b)
			c[at] ^= 0xff
			seeds = append(seeds, c)
		}
	}
	return seeds
}

// FuzzAnalyze is the whole pipeline from raw bytes, through Analyze with
// every profile, the explanation and the text-capture reader. Properties:
// no panic and no ErrInternal; an error is one *FileError, one line naming
// the capture; every string of every record is UTF-8 (what is not is
// escaped), and its JSON decodes into Record with no unknown key; a run
// ends within 10 s. The CLI's own behaviour is covered by its tests.
func FuzzAnalyze(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	an := New(Options{AllProfiles: true, Explain: true, TextDate: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)})
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "in.pcap"
		var recs []*Record
		done := make(chan error, 1)
		go func() {
			_, err := an.Analyze(context.Background(), name, bytes.NewReader(data), func(r *Record) { recs = append(recs, r) })
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			var st strings.Builder
			pprof.Lookup("goroutine").WriteTo(&st, 1)
			t.Fatalf("no answer after 10 s\n%s", st.String())
		}
		if err != nil {
			var fe *FileError
			if errors.Is(err, ErrInternal) || !errors.As(err, &fe) || fe.File != name ||
				!strings.HasPrefix(err.Error(), name+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %T %q: want one line, a *FileError naming %s", err, err, name)
			}
		}
		for _, r := range recs {
			if r.File != name {
				t.Fatalf("record of file %q", r.File)
			}
			if r.CertStatus == "" || r.SNIStatus == "" {
				t.Fatalf("a record never built (a probe's stub?): %+v", r)
			}
			if s, ok := invalidString(reflect.ValueOf(r).Elem()); ok {
				t.Fatalf("a string that is not UTF-8: %q", s)
			}
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var back recordJSON
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&back); err != nil {
				t.Fatalf("json: does not decode into Record: %v\n%s", err, line)
			}
		}
	})
}

// invalidString finds a string that is not UTF-8 anywhere in v.
func invalidString(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), !utf8.ValidString(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return invalidString(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if s, bad := invalidString(v.Index(i)); bad {
				return s, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if s, bad := invalidString(it.Key()); bad {
				return s, true
			}
			if s, bad := invalidString(it.Value()); bad {
				return s, true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if s, bad := invalidString(v.Field(i)); bad {
					return s, true
				}
			}
		}
	}
	return "", false
}
