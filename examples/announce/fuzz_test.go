package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/internal/bencode"
)

// FuzzParseTorrent: never a panic, only ErrBadTarget errors, and a parsed
// torrent's hash is the SHA-1 of its info value's exact bytes.
func FuzzParseTorrent(f *testing.F) {
	single := map[string]any{"name": "a", "length": 5, "piece length": 16384, "pieces": strings.Repeat("x", 20)}
	f.Add(benc(map[string]any{"info": single, "announce": "udp://a.test:1"}))
	f.Add(benc(map[string]any{"info": multiFile(file(1, "a"), file(2, "b", "c")), "announce-list": [][]string{{"udp://a.test:1", "http://b.test/announce"}, {"wss://c.test"}}}))
	f.Add(benc(map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384, "file tree": map[string]any{}}}))
	f.Add(benc(map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384,
		"file tree": map[string]any{"a": v2File(3), "d": map[string]any{"b": v2File(4)}}}}))
	f.Add(benc(map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384,
		"file tree": map[string]any{"a": v2File(5)}, "length": 5, "pieces": strings.Repeat("x", 20)}}))
	f.Add([]byte("d8:announce27:http://t.test:6969/announce4:info" + singleInfo + "e"))
	f.Add([]byte("d4:infod4:name1:xee"))
	f.Add([]byte("d4:infoi1ee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tor, err := parseTorrent(b)
		if err != nil {
			if !errors.Is(err, ErrBadTarget) {
				t.Fatalf("error not ErrBadTarget: %v", err)
			}
			return
		}
		root, err := bencode.Decode(b, torrentOptions)
		info := root.Get("info")
		if err != nil || info.Kind() != bencode.Dict {
			t.Fatal("parsed a torrent without an info dictionary")
		}
		switch {
		case tor.InfoHashV2.IsZero():
			if tor.InfoHash != sha1.Sum(info.Raw()) {
				t.Fatal("info hash is not the SHA-1 of the info bytes")
			}
		case tor.InfoHashV2 != sha256.Sum256(info.Raw()):
			t.Fatal("v2 info hash is not the SHA-256 of the info bytes")
		case tor.InfoHash != sha1.Sum(info.Raw()) && tor.InfoHash != tor.InfoHashV2.Truncated():
			t.Fatal("info hash is neither the v1 hash nor the truncated v2 hash")
		}
		if tor.Size < 0 {
			t.Fatalf("negative size %d", tor.Size)
		}
		checkTiers(t, tor.Tiers)
	})
}

// FuzzParseMagnet: never a panic, only *MagnetError, and trackers without
// empty or repeated URLs.
func FuzzParseMagnet(f *testing.F) {
	f.Add("magnet:?xt=urn:btih:" + testHash + "&dn=x&tr=udp%3A%2F%2Fa.test%3A1&tr=wss://b.test&xl=10")
	f.Add("magnet:?xt=urn:btih:KCZN7OLSXJJUYC6EZTXN66BQTS64DPKY")
	f.Add("magnet:?xt=urn:btmh:1220" + strings.Repeat("ab", 32))
	f.Add("magnet:?xt=urn:btih:" + testHash + "&xt=urn:btmh:1220" + strings.Repeat("AB", 32))
	f.Add("magnet:?xt=urn:btmh:12")
	f.Add("magnet:?xt.1=urn:btih:" + testHash + "&tr.1=%zz")
	f.Add("magnet:?")
	f.Add("MAGNET:?XT=URN:BTIH:" + testHash + "&&&=&tr")
	f.Fuzz(func(t *testing.T, s string) {
		tor, err := parseMagnet(s)
		if err != nil {
			var me *MagnetError
			if !errors.As(err, &me) || !errors.Is(err, ErrBadTarget) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if tor.Size < -1 {
			t.Fatalf("size %d", tor.Size)
		}
		checkTiers(t, tor.Tiers)
	})
}

func checkTiers(t *testing.T, tiers [][]string) {
	t.Helper()
	seen := make(map[string]bool)
	for _, tier := range tiers {
		if len(tier) == 0 {
			t.Fatal("empty tier")
		}
		for _, u := range tier {
			if u == "" || seen[u] {
				t.Fatalf("empty or repeated URL %q", u)
			}
			seen[u] = true
		}
	}
}
