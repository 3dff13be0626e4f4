package main

import (
	"fmt"
	"sort"
	"strconv"
)

// dict is a bencode dictionary that keeps the given key order, so tests can
// build non-canonical input.
type dict []kv

type kv struct {
	k string
	v any
}

// benc encodes v: int, int64, string, []byte, []any, []string, dict,
// map[string]any (keys sorted).
func benc(v any) []byte {
	var b []byte
	switch v := v.(type) {
	case rawValue:
		b = append(b, v...)
	case int:
		b = append(b, "i"+strconv.Itoa(v)+"e"...)
	case int64:
		b = append(b, "i"+strconv.FormatInt(v, 10)+"e"...)
	case string:
		b = append(b, strconv.Itoa(len(v))+":"+v...)
	case []byte:
		b = append(b, strconv.Itoa(len(v))+":"...)
		b = append(b, v...)
	case []string:
		b = append(b, 'l')
		for _, s := range v {
			b = append(b, benc(s)...)
		}
		b = append(b, 'e')
	case [][]string:
		b = append(b, 'l')
		for _, s := range v {
			b = append(b, benc(s)...)
		}
		b = append(b, 'e')
	case []any:
		b = append(b, 'l')
		for _, x := range v {
			b = append(b, benc(x)...)
		}
		b = append(b, 'e')
	case dict:
		b = append(b, 'd')
		for _, e := range v {
			b = append(b, benc(e.k)...)
			b = append(b, benc(e.v)...)
		}
		b = append(b, 'e')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, 'd')
		for _, k := range keys {
			b = append(b, benc(k)...)
			b = append(b, benc(v[k])...)
		}
		b = append(b, 'e')
	default:
		panic(fmt.Sprintf("benc: %T", v))
	}
	return b
}

// reencode decodes valid bencode through bval and encodes it again in the
// same key order: for input validateBencode accepts, the result must be the
// input byte for byte.
func reencode(v bval) []byte {
	switch {
	case v.isDict():
		var d dict
		for k, val := range v.entries() {
			d = append(d, kv{string(k), rawValue(reencode(val))})
		}
		return benc(d)
	case v.isList():
		var l []any
		for item := range v.items() {
			l = append(l, rawValue(reencode(item)))
		}
		return benc(l)
	}
	if n, ok := v.int(); ok {
		return benc(n)
	}
	s, _ := v.str()
	return benc(s)
}

// rawValue is already-encoded bencode, passed through benc unchanged.
type rawValue []byte
