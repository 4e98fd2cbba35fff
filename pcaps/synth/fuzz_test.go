package synth

import (
	"bytes"
	"crypto/tls"
	"testing"
)

// FuzzDecode checks that Decode never panics on damaged captures and gives
// the same answer twice.
func FuzzDecode(f *testing.F) {
	conv, err := Handshake(testConfig(f, "10.0.0.1:40000", "10.0.0.2:443", tls.VersionTLS12, "a.example"))
	if err != nil {
		f.Fatal(err)
	}
	for _, opts := range []Options{{}, {Link: RawIP}, {Link: LinuxSLL, Format: PCAPNG}} {
		opts.Start = testTime
		f.Add(writeCapture(f, opts, &conv, TCP{MSS: 300, Shuffle: 1, Duplicates: 2}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		flows1, _, err1 := Decode(bytes.NewReader(b))
		flows2, _, err2 := Decode(bytes.NewReader(b))
		if (err1 == nil) != (err2 == nil) || len(flows1) != len(flows2) {
			t.Fatalf("two decodes differ: %v / %v", err1, err2)
		}
	})
}
