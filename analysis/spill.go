package analysis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// The spill format writes a record field by field, in declaration order,
// found by reflection so new fields cannot be forgotten. It is exact where
// JSON is not: JSON replaces invalid UTF-8 (a hostile SNI) with U+FFFD,
// which the table would then print differently than \xNN, and it cannot
// tell a nil from an empty slice in an omitempty field.
//
//	string            uvarint length, bytes
//	bool              one byte
//	int, uint         varint, uvarint
//	pointer           0 for nil, else 1 and the value
//	slice, map        0 for nil, else uvarint length+1 and the elements (map: key, value)
//	time (Time)   uvarint length, time.Time.MarshalBinary
//	struct            the exported fields in order; unexported ones are an error

var (
	timeType     = reflect.TypeFor[time.Time]()
	jsonTimeType = reflect.TypeFor[Time]()
)

// errSpillType is set when Record holds a type the spill format does not
// know (checked once, so encoding need not check each value).
var errSpillType = spillable(reflect.TypeFor[Record]())

func spillable(t reflect.Type) error {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nil
	case reflect.Pointer, reflect.Slice:
		return spillable(t.Elem())
	case reflect.Map:
		if err := spillable(t.Key()); err != nil {
			return err
		}
		return spillable(t.Elem())
	case reflect.Struct:
		if t == timeType || t == jsonTimeType {
			return nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return fmt.Errorf("spill: %s.%s is not exported", t, f.Name) // reflect cannot set it
			}
			if err := spillable(f.Type); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("spill: cannot hold a %s", t)
}

func appendRecord(b []byte, r *Record) ([]byte, error) {
	if errSpillType != nil {
		return nil, errSpillType
	}
	return appendValue(b, reflect.ValueOf(r).Elem()), nil
}

func decodeRecord(s string, r *Record) (string, error) {
	if errSpillType != nil {
		return "", errSpillType
	}
	return decodeValue(s, reflect.ValueOf(r).Elem())
}

// appendValue appends v; its type has passed spillable.
func appendValue(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.String:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		return append(b, v.String()...)
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return binary.AppendUvarint(b, v.Uint())
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0)
		}
		return appendValue(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		for i := range v.Len() {
			b = appendValue(b, v.Index(i))
		}
		return b
	case reflect.Map:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		for it := v.MapRange(); it.Next(); {
			b = appendValue(b, it.Key())
			b = appendValue(b, it.Value())
		}
		return b
	case reflect.Struct:
		if v.Type() == timeType || v.Type() == jsonTimeType {
			t := v.Convert(timeType).Interface().(time.Time)
			enc, err := t.MarshalBinary()
			if err != nil {
				// A zone offset MarshalBinary cannot hold: the same
				// instant in UTC prints the same, as every writer uses UTC.
				enc, _ = t.UTC().MarshalBinary()
			}
			b = binary.AppendUvarint(b, uint64(len(enc)))
			return append(b, enc...)
		}
		for i := range v.NumField() {
			b = appendValue(b, v.Field(i))
		}
		return b
	}
	panic("spill: " + v.Type().String() + " passed spillable") // unreachable
}

var errSpillCorrupt = errors.New("spill: corrupt record")

// decodeValue sets v from the front of s and returns the rest. Decoding
// from a string lets the record's strings share the chunk's memory rather
// than take an allocation each.
func decodeValue(s string, v reflect.Value) (string, error) {
	switch v.Kind() {
	case reflect.String:
		n, rest, ok := uvarint(s)
		if !ok || n > uint64(len(rest)) {
			return "", errSpillCorrupt
		}
		v.SetString(rest[:n])
		return rest[n:], nil
	case reflect.Bool:
		if s == "" || s[0] > 1 {
			return "", errSpillCorrupt
		}
		v.SetBool(s[0] == 1)
		return s[1:], nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		u, rest, ok := uvarint(s)
		if !ok {
			return "", errSpillCorrupt
		}
		x := int64(u >> 1) // zig-zag, as binary.AppendVarint writes
		if u&1 != 0 {
			x = ^x
		}
		v.SetInt(x)
		return rest, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, rest, ok := uvarint(s)
		if !ok {
			return "", errSpillCorrupt
		}
		v.SetUint(u)
		return rest, nil
	case reflect.Pointer:
		if s == "" || s[0] > 1 {
			return "", errSpillCorrupt
		}
		if s[0] == 0 {
			return s[1:], nil
		}
		p := reflect.New(v.Type().Elem())
		v.Set(p)
		return decodeValue(s[1:], p.Elem())
	case reflect.Slice:
		n, rest, ok := uvarint(s)
		if !ok || n > uint64(len(rest))+1 { // an element takes a byte at least
			return "", errSpillCorrupt
		}
		if n == 0 {
			return rest, nil
		}
		sl := reflect.MakeSlice(v.Type(), int(n-1), int(n-1))
		var err error
		for i := range int(n - 1) {
			if rest, err = decodeValue(rest, sl.Index(i)); err != nil {
				return "", err
			}
		}
		v.Set(sl)
		return rest, nil
	case reflect.Map:
		n, rest, ok := uvarint(s)
		if !ok || n > uint64(len(rest))+1 {
			return "", errSpillCorrupt
		}
		if n == 0 {
			return rest, nil
		}
		m := reflect.MakeMapWithSize(v.Type(), int(n-1))
		var err error
		for range int(n - 1) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			if rest, err = decodeValue(rest, k); err != nil {
				return "", err
			}
			if rest, err = decodeValue(rest, e); err != nil {
				return "", err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return rest, nil
	case reflect.Struct:
		if v.Type() == timeType || v.Type() == jsonTimeType {
			n, rest, ok := uvarint(s)
			if !ok || n > uint64(len(rest)) {
				return "", errSpillCorrupt
			}
			var t time.Time
			if err := t.UnmarshalBinary([]byte(rest[:n])); err != nil {
				return "", err
			}
			v.Set(reflect.ValueOf(t).Convert(v.Type()))
			return rest[n:], nil
		}
		var err error
		for i := range v.NumField() {
			if s, err = decodeValue(s, v.Field(i)); err != nil {
				return "", err
			}
		}
		return s, nil
	}
	return "", fmt.Errorf("spill: cannot decode a %s", v.Type())
}

// uvarint is binary.Uvarint for a string.
func uvarint(s string) (uint64, string, bool) {
	var x uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, "", false // overflows 64 bits
			}
			return x | uint64(c)<<(7*i), s[i+1:], true
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	return 0, "", false
}
