package main

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"testing"

	"github.com/jackpal/bencode-go"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

// dict is a bencode dictionary that keeps the given key order, so tests can
// build non-canonical input.
type dict []kv

type kv struct {
	k string
	v any
}

// benc encodes v: a dict (in its own key order, for non-canonical input)
// or rawValue by hand, anything else (int, string, []byte, lists, maps with
// keys sorted) with bencode-go.
func benc(v any) []byte {
	switch v := v.(type) {
	case rawValue:
		return v
	case dict:
		b := []byte{'d'}
		for _, e := range v {
			b = append(b, benc(e.k)...)
			b = append(b, benc(e.v)...)
		}
		return append(b, 'e')
	case []any:
		b := []byte{'l'}
		for _, x := range v {
			b = append(b, benc(x)...)
		}
		return append(b, 'e')
	case map[string]any:
		if hasOrdered(v) {
			keys := slices.Sorted(maps.Keys(v))
			b := []byte{'d'}
			for _, k := range keys {
				b = append(b, benc(k)...)
				b = append(b, benc(v[k])...)
			}
			return append(b, 'e')
		}
	}
	var buf bytes.Buffer
	if err := bencode.Marshal(&buf, v); err != nil {
		panic(fmt.Sprintf("benc: %T: %v", v, err))
	}
	return buf.Bytes()
}

// hasOrdered reports whether a map holds a value bencode-go cannot encode
// as the tests mean it (an ordered dict or raw bytes), at any depth.
func hasOrdered(v any) bool {
	switch v := v.(type) {
	case dict, rawValue:
		return true
	case map[string]any:
		for _, x := range v {
			if hasOrdered(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasOrdered(x) {
				return true
			}
		}
	}
	return false
}

// tagRE matches the tag of a redacted URL part (transport.Redact).
var tagRE = regexp.MustCompile(`REDACTED~[0-9a-f]{6}`)

// rawValue is already-encoded bencode, passed through benc unchanged.
type rawValue []byte

// newMock starts a mock tracker with no front end yet; the test's Cleanup
// closes it.
func newMock(t *testing.T) *mocktracker.Tracker {
	mt := mocktracker.New(mocktracker.Config{})
	t.Cleanup(func() { mt.Close() })
	return mt
}

// listenLoopback starts a front end of a mock tracker (its ListenHTTP,
// ListenUDP or ListenWS) on a free port of 127.0.0.1 and returns its
// announce URL.
func listenLoopback(t *testing.T, listen func(addr string) (announceURL string, err error)) string {
	t.Helper()
	u, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return u
}
