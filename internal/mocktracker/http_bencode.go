package mocktracker

import (
	"bytes"
	"fmt"

	"github.com/jackpal/bencode-go"
)

// bdict is a bencode dictionary under construction. Values are string,
// []byte, int, int64, []bdict or bdict. It is encoded by bencode-go, whose
// Marshal sorts keys (as BEP 3 requires of an encoder) and writes []byte as
// a string. Encoding only: replies the mock reads are never bencode, and
// trackerkit decodes with its own bounded decoder (docs/design.md).
type bdict map[string]any

func (d bdict) encode() []byte {
	var b bytes.Buffer
	if err := bencode.Marshal(&b, d); err != nil {
		panic(fmt.Sprintf("mocktracker: cannot bencode: %v", err)) // a bug in this package
	}
	return b.Bytes()
}
