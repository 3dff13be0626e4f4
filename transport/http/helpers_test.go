package http

import (
	"bytes"

	"github.com/jackpal/bencode-go"
)

// Torrust's sample replies, byte for byte from its HTTP tracker
// documentation (/work/shared/seeds/torrust-http-tracker-docs.txt).
const (
	torrustNonCompact = "d8:completei333e10:incompletei444e8:intervali111e12:min intervali222e5:peersld2:ip15:105.105.105.1057:peer id20:-qB000000000000000014:porti28784eed2:ip39:6969:6969:6969:6969:6969:6969:6969:69697:peer id20:-qB000000000000000024:porti28784eeee"
	torrustCompact    = "d8:completei333e10:incompletei444e8:intervali111e12:min intervali222e5:peers6:iiiipp6:peers618:iiiiiiiiiiiiiiiippe"
	torrustScrape     = "d5:filesd20:iiiiiiiiiiiiiiiiiiiid8:completei1e10:downloadedi2e10:incompletei3eeee"
)

// dict and list build test replies; benc encodes them with bencode-go
// (keys sorted, []byte as strings).
type (
	dict map[string]any
	list []any
)

func benc(v any) []byte {
	var b bytes.Buffer
	if err := bencode.Marshal(&b, v); err != nil {
		panic(err)
	}
	return b.Bytes()
}
