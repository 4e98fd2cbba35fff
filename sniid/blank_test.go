package sniid

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestBlank: Blank is false as soon as any field but SNIStatus,
// CertStatus, Resumed, Incomplete and Time holds something (a field added
// to Facts and not to Blank fails here), and the assessment of blank
// facts is the same whatever their Time.
func TestBlank(t *testing.T) {
	keys := map[string]bool{"SNIStatus": true, "CertStatus": true, "Resumed": true, "Incomplete": true, "Time": true}
	typ := reflect.TypeFor[Facts]()
	for i := range typ.NumField() {
		fld := typ.Field(i)
		var f Facts
		v := reflect.ValueOf(&f).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString("x")
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		case reflect.Struct: // time.Time
			v.Set(reflect.ValueOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		default:
			t.Fatalf("field %s of kind %v: teach this test to fill it", fld.Name, v.Kind())
		}
		if got, want := f.Blank(), keys[fld.Name]; got != want {
			t.Errorf("Facts{%s: set}.Blank() = %v, want %v", fld.Name, got, want)
		}
	}

	at := func(ts time.Time) Assessment {
		f := &Facts{SNIStatus: SNIUnknown, CertStatus: CertIncomplete, Incomplete: true, Time: ts}
		return AssessBrief(f, Profiles()[0], Profiles()[1:], nil)
	}
	if diff := cmp.Diff(at(time.Time{}), at(time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC))); diff != "" {
		t.Errorf("blank facts decided differently at another time (-zero +2031):\n%s", diff)
	}
}
