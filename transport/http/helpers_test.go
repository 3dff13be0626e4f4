package http

import (
	"fmt"
	"sort"
	"strconv"
)

// Torrust's sample replies, byte for byte from its HTTP tracker
// documentation (/work/shared/seeds/torrust-http-tracker-docs.txt).
const (
	torrustNonCompact = "d8:completei333e10:incompletei444e8:intervali111e12:min intervali222e5:peersld2:ip15:105.105.105.1057:peer id20:-qB000000000000000014:porti28784eed2:ip39:6969:6969:6969:6969:6969:6969:6969:69697:peer id20:-qB000000000000000024:porti28784eeee"
	torrustCompact    = "d8:completei333e10:incompletei444e8:intervali111e12:min intervali222e5:peers6:iiiipp6:peers618:iiiiiiiiiiiiiiiippe"
	torrustScrape     = "d5:filesd20:iiiiiiiiiiiiiiiiiiiid8:completei1e10:downloadedi2e10:incompletei3eeee"
)

// dict and list build test replies; benc encodes them (keys sorted).
type (
	dict map[string]any
	list []any
)

func benc(v any) []byte { return appendBenc(nil, v) }

func appendBenc(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		b = append(strconv.AppendInt(b, int64(len(v)), 10), ':')
		return append(b, v...)
	case int:
		return append(strconv.AppendInt(append(b, 'i'), int64(v), 10), 'e')
	case list:
		b = append(b, 'l')
		for _, e := range v {
			b = appendBenc(b, e)
		}
		return append(b, 'e')
	case dict:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, 'd')
		for _, k := range keys {
			b = appendBenc(b, k)
			b = appendBenc(b, v[k])
		}
		return append(b, 'e')
	}
	panic(fmt.Sprintf("benc: %T", v))
}
