package main

import (
	"fmt"
	"strings"
	"testing"
)

// bigTorrent is a multi-file torrent of n files with a pieces string of
// pieces*20 bytes: the shape of the largest real torrents.
func bigTorrent(n, pieces int) []byte {
	files := make([]any, n)
	for i := range files {
		files[i] = file(int64(1000+i), "dir", fmt.Sprintf("file-%06d.bin", i))
	}
	info := multiFile(files...)
	info["pieces"] = strings.Repeat("p", 20*pieces)
	return benc(map[string]any{
		"announce":      "udp://a.test:1",
		"announce-list": [][]string{{"udp://a.test:1"}, {"http://b.test/announce", "http://c.test/announce"}},
		"info":          info,
	})
}

// BenchmarkParseTorrent parses a 100,000-file torrent (about 5 MB): the
// reader copies nothing, so allocations stay flat whatever the size.
func BenchmarkParseTorrent(b *testing.B) {
	data := bigTorrent(100_000, 50_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseTorrent(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMagnet(b *testing.B) {
	m := "magnet:?xt=urn:btih:" + testHash + "&dn=Big+Buck+Bunny&tr=udp%3A%2F%2Fa.test%3A1337&tr=wss%3A%2F%2Fb.test&tr=https%3A%2F%2Fc.test%2Fannounce"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseMagnet(m); err != nil {
			b.Fatal(err)
		}
	}
}
