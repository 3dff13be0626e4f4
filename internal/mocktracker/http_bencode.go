package mocktracker

import (
	"fmt"
	"sort"
	"strconv"
)

// bdict is a bencode dictionary under construction. Values are string,
// []byte, int, int64, []bdict or bdict; keys are written sorted, as BEP 3
// requires of an encoder.
type bdict map[string]any

func (d bdict) encode() []byte { return appendBencode(nil, d) }

func appendBencode(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		return append(b, v...)
	case []byte:
		return appendBencode(b, string(v))
	case int:
		return appendBencode(b, int64(v))
	case int64:
		b = append(b, 'i')
		b = strconv.AppendInt(b, v, 10)
		return append(b, 'e')
	case []bdict:
		b = append(b, 'l')
		for _, e := range v {
			b = appendBencode(b, e)
		}
		return append(b, 'e')
	case bdict:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, 'd')
		for _, k := range keys {
			b = appendBencode(b, k)
			b = appendBencode(b, v[k])
		}
		return append(b, 'e')
	default:
		panic(fmt.Sprintf("mocktracker: cannot bencode %T", v))
	}
}
