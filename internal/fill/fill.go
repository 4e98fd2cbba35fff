// Package fill sets every field of a value, for tests that must cover
// fields added later: a record format (the spill codec, the JSON encoder)
// that forgets one fails on a filled value.
package fill

import (
	"fmt"
	"reflect"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// Value sets every exported field reachable from v. Strings hold what
// escaping must get right (quotes, backslashes, HTML, control characters,
// DEL, a byte that is not UTF-8, line separators, a right-to-left
// override, an escape sequence) and a sequence number; slices and maps are
// nil (mode 0), empty (1) or hold two elements (2); pointers are nil in
// mode 0; times (and types convertible to time.Time) vary between zero,
// nanoseconds, and years beyond RFC 3339.
func Value(v reflect.Value, mode int, seq *int) {
	*seq++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d\"\\<&>\x00\x08\x0c\n\r\t\x1f\x7f\xff\u2028\u2029\u202eé\x1b[2J", *seq))
	case reflect.Bool:
		v.SetBool(*seq%2 == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-int64(*seq))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*seq))
	case reflect.Pointer:
		if mode == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		Value(v.Elem(), mode, seq)
	case reflect.Slice:
		switch mode {
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		case 2:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			Value(v.Index(0), mode, seq)
			Value(v.Index(1), mode, seq)
		}
	case reflect.Map:
		switch mode {
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		case 2:
			v.Set(reflect.MakeMap(v.Type()))
			for range 2 {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				Value(k, mode, seq)
				Value(e, mode, seq)
				v.SetMapIndex(k, e)
			}
		}
	case reflect.Struct:
		if v.Type().ConvertibleTo(timeType) {
			t := time.Unix(1700000000+int64(*seq), int64(*seq)).UTC() // nanoseconds
			switch *seq % 4 {
			case 1:
				t = time.Time{}
			case 2:
				t = time.Date(12345, 6, 7, 8, 9, 10, 123456789, time.UTC) // beyond RFC 3339
			case 3:
				t = time.Date(-44, 3, 15, 0, 0, 0, 0, time.UTC)
			}
			v.Set(reflect.ValueOf(t).Convert(v.Type()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				Value(v.Field(i), mode, seq)
			}
		}
	default:
		panic("fill: add " + v.Type().String())
	}
}
