package peer

import (
	"errors"
	"testing"
)

// FuzzDecodeCompact checks that any byte string decodes without panicking, that
// errors are typed, and that what decodes re-encodes to the same peers.
func FuzzDecodeCompact(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1, 0x1a, 0xe1})
	f.Add(make([]byte, 18))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dec := range []func([]Peer, []byte) ([]Peer, error){DecodeCompactIPv4, DecodeCompactIPv6} {
			peers, err := dec(nil, b)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			v4, v6 := AppendCompact(nil, nil, peers)
			a, _ := DecodeCompactIPv4(nil, v4)
			c, _ := DecodeCompactIPv6(nil, v6)
			if len(a)+len(c) != len(peers) {
				t.Fatalf("round trip lost peers: %d+%d != %d", len(a), len(c), len(peers))
			}
		}
	})
}

// FuzzFromDict checks the dictionary-form peer parser.
func FuzzFromDict(f *testing.F) {
	f.Add("10.0.0.1", int64(6881), "")
	f.Add("2001:db8::1", int64(1), "-TK0001-abcdefghijkl")
	f.Add("peer.example.test", int64(80), "")
	f.Fuzz(func(t *testing.T, ip string, port int64, id string) {
		p, ok, err := FromDict(ip, port, id)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("untyped error %v", err)
		}
		if ok && p.Addr.Port() == 0 {
			t.Fatal("port 0 peer returned")
		}
	})
}
