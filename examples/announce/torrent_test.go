package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// singleInfo is the info dictionary of a one-file torrent, as literal bytes.
var singleInfo = "d6:lengthi12345e4:name8:demo.txt12:piece lengthi16384e6:pieces20:" + strings.Repeat("A", 20) + "e"

func TestParseTorrentInfoHash(t *testing.T) {
	// The hash is computed outside the code under test (Python hashlib).
	data := []byte("d8:announce27:http://t.test:6969/announce4:info" + singleInfo + "e")
	tor, err := parseTorrent(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := tor.InfoHash.String(); got != "50b2dfb972ba534c0bc4cceedf78309cbdc1bd58" {
		t.Errorf("info hash = %s", got)
	}
	if tor.Name != "demo.txt" || tor.Size != 12345 {
		t.Errorf("name %q size %d", tor.Name, tor.Size)
	}
	if !reflect.DeepEqual(tor.Tiers, [][]string{{"http://t.test:6969/announce"}}) {
		t.Errorf("tiers %v", tor.Tiers)
	}
}

func TestParseTorrentHashesExactBytes(t *testing.T) {
	// Unsorted keys inside info: a decode-then-encode parser would sort
	// them and get another hash. The hash must be of the bytes as they are.
	info := "d4:name1:x6:lengthi1e6:pieces20:" + strings.Repeat("B", 20) + "12:piece lengthi1ee"
	data := []byte("d4:info" + info + "8:announce14:udp://t.test:1e")
	tor, err := parseTorrent(data)
	if err != nil {
		t.Fatal(err)
	}
	if tor.InfoHash != sha1.Sum([]byte(info)) {
		t.Error("info hash is not the SHA-1 of the exact info bytes")
	}
}

func multiFile(files ...any) map[string]any {
	return map[string]any{
		"name": "dir", "piece length": 262144, "pieces": strings.Repeat("C", 40),
		"files": files,
	}
}

func file(length int64, path ...string) map[string]any {
	return map[string]any{"length": length, "path": path}
}

func TestParseTorrent(t *testing.T) {
	single := map[string]any{"name": "a.iso", "length": 700, "piece length": 16384, "pieces": strings.Repeat("D", 20)}
	tests := []struct {
		name      string
		torrent   map[string]any
		wantSize  int64
		wantName  string
		wantTiers [][]string
		wantField string // "" for success; else the TorrentError's Field
		wantText  string // substring of the error
	}{
		{name: "single file", torrent: map[string]any{"info": single, "announce": "http://a.test/announce"},
			wantSize: 700, wantName: "a.iso", wantTiers: [][]string{{"http://a.test/announce"}}},
		{name: "multi file", torrent: map[string]any{"info": multiFile(file(10, "a"), file(0, "sub", "b"), file(1<<40, "c"))},
			wantSize: 10 + 1<<40, wantName: "dir"},
		{name: "announce-list wins over announce (BEP 12)", torrent: map[string]any{"info": single,
			"announce":      "http://ignored.test/announce",
			"announce-list": [][]string{{"udp://a.test:1", "http://b.test/announce"}, {"wss://c.test"}}},
			wantSize: 700, wantName: "a.iso", wantTiers: [][]string{{"udp://a.test:1", "http://b.test/announce"}, {"wss://c.test"}}},
		{name: "empty announce-list falls back to announce", torrent: map[string]any{"info": single,
			"announce": "http://a.test/announce", "announce-list": []any{[]any{}, []string{""}}},
			wantSize: 700, wantName: "a.iso", wantTiers: [][]string{{"http://a.test/announce"}}},
		{name: "duplicates and empty tiers dropped", torrent: map[string]any{"info": single,
			"announce-list": [][]string{{"udp://a.test:1", "udp://a.test:1"}, {"udp://a.test:1"}, {"", "udp://b.test:2"}}},
			wantSize: 700, wantName: "a.iso", wantTiers: [][]string{{"udp://a.test:1"}, {"udp://b.test:2"}}},
		{name: "name.utf-8 preferred", torrent: map[string]any{"info": map[string]any{"name": "x", "name.utf-8": "été", "length": 1, "piece length": 1, "pieces": ""}},
			wantSize: 1, wantName: "été"},
		{name: "no trackers is not an error here", torrent: map[string]any{"info": single}, wantSize: 700, wantName: "a.iso"},

		{name: "no info", torrent: map[string]any{"announce": "x"}, wantField: "info", wantText: "missing"},
		{name: "info not a dict", torrent: map[string]any{"info": "x"}, wantField: "info", wantText: "not a dictionary"},
		{name: "no piece length", torrent: map[string]any{"info": map[string]any{"name": "a", "length": 1, "pieces": ""}}, wantField: "info.piece length", wantText: "missing"},
		{name: "zero piece length", torrent: map[string]any{"info": map[string]any{"name": "a", "length": 1, "pieces": "", "piece length": 0}}, wantField: "info.piece length", wantText: "not positive"},
		{name: "pieces not multiple of 20", torrent: map[string]any{"info": map[string]any{"name": "a", "length": 1, "pieces": "abc", "piece length": 1}}, wantField: "info.pieces", wantText: "multiple of 20"},
		{name: "v2 only: size from the file tree", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384,
			"file tree": map[string]any{"a.txt": v2File(7), "dir": map[string]any{"b.bin": v2File(1 << 33), "c": v2File(0)}}}}, wantSize: 7 + 1<<33, wantName: "a"},
		{name: "v2 only: empty file tree", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384, "file tree": map[string]any{}}}, wantField: "info.file tree", wantText: "no file"},
		{name: "v2 only: no file tree", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384}}, wantField: "info.file tree", wantText: "missing"},
		{name: "v2 only: file without length", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384,
			"file tree": map[string]any{"a": map[string]any{"": map[string]any{"pieces root": "x"}}}}}, wantField: "info.file tree", wantText: "without a length"},
		{name: "v2 only: entry not a dict", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384,
			"file tree": map[string]any{"a": 5}}}, wantField: "info.file tree", wantText: "not a dictionary"},
		{name: "v2 only: no piece length", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "file tree": map[string]any{"a": v2File(1)}}}, wantField: "info.piece length", wantText: "missing"},
		{name: "meta version not an integer", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": "2", "length": 1, "pieces": "", "piece length": 1}}, wantField: "info.meta version", wantText: "not an integer"},
		{name: "hybrid: size from v1", torrent: map[string]any{"info": map[string]any{"name": "a", "meta version": 2, "piece length": 16384, "file tree": map[string]any{"a": v2File(5)}, "length": 5, "pieces": strings.Repeat("E", 20)}}, wantSize: 5, wantName: "a"},
		{name: "name not a string", torrent: map[string]any{"info": map[string]any{"name": 5, "length": 1, "pieces": "", "piece length": 1}}, wantField: "info.name", wantText: "not a string"},
		{name: "both length and files", torrent: map[string]any{"info": map[string]any{"name": "a", "length": 1, "files": []any{}, "pieces": "", "piece length": 1}}, wantField: "info", wantText: "both"},
		{name: "neither length nor files", torrent: map[string]any{"info": map[string]any{"name": "a", "pieces": "", "piece length": 1}}, wantField: "info", wantText: "neither"},
		{name: "negative length", torrent: map[string]any{"info": map[string]any{"name": "a", "length": -1, "pieces": "", "piece length": 1}}, wantField: "info.length", wantText: "negative"},
		{name: "files empty", torrent: map[string]any{"info": multiFile()}, wantField: "info.files", wantText: "empty"},
		{name: "file length missing", torrent: map[string]any{"info": multiFile(file(1, "a"), map[string]any{"path": []string{"b"}})}, wantField: "info.files[1].length", wantText: "missing"},
		{name: "file length negative", torrent: map[string]any{"info": multiFile(file(-5, "a"))}, wantField: "info.files[0].length", wantText: "negative"},
		{name: "file path empty", torrent: map[string]any{"info": multiFile(file(1))}, wantField: "info.files[0].path", wantText: "empty"},
		{name: "file path not strings", torrent: map[string]any{"info": multiFile(map[string]any{"length": 1, "path": []any{1}})}, wantField: "info.files[0].path[0]", wantText: "not a string"},
		{name: "file not a dict", torrent: map[string]any{"info": multiFile("x")}, wantField: "info.files[0]", wantText: "not a dictionary"},
		{name: "size overflow", torrent: map[string]any{"info": multiFile(file(1<<62, "a"), file(1<<62, "b"), file(1<<62, "c"))}, wantField: "info.files", wantText: "overflows"},
		{name: "announce-list not a list", torrent: map[string]any{"info": single, "announce-list": "udp://a.test:1"}, wantField: "announce-list", wantText: "not a list"},
		{name: "announce-list tier not a list", torrent: map[string]any{"info": single, "announce-list": []string{"udp://a.test:1"}}, wantField: "announce-list[0]", wantText: "not a list"},
		{name: "announce-list url not a string", torrent: map[string]any{"info": single, "announce-list": []any{[]any{"u", 1}}}, wantField: "announce-list[0][1]", wantText: "not a string"},
		{name: "announce not a string", torrent: map[string]any{"info": single, "announce": 1}, wantField: "announce", wantText: "not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tor, err := parseTorrent(benc(tt.torrent))
			if tt.wantField == "" && tt.wantText == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tor.Size != tt.wantSize || tor.Name != tt.wantName || !reflect.DeepEqual(tor.Tiers, tt.wantTiers) {
					t.Errorf("got size %d name %q tiers %v", tor.Size, tor.Name, tor.Tiers)
				}
				return
			}
			var te *TorrentError
			if !errors.As(err, &te) || te.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v, want field %q and %q", err, tt.wantField, tt.wantText)
			}
			if !errors.Is(err, ErrBadTarget) {
				t.Error("not ErrBadTarget")
			}
		})
	}
}

func v2File(n int64) map[string]any {
	return map[string]any{"": map[string]any{"length": n, "pieces root": strings.Repeat("R", 32)}}
}

// BEP 52 hashes: v1 is the SHA-1 and v2 the SHA-256 of the same info bytes;
// a v2-only torrent is known to trackers by its truncated v2 hash and
// announced by it alone, a hybrid by both.
func TestParseTorrentV2Hashes(t *testing.T) {
	info := map[string]any{"name": "a", "meta version": 2, "piece length": 16384, "file tree": map[string]any{"a": v2File(5)}}
	raw := benc(info)
	v1only, _ := parseTorrent(benc(map[string]any{"info": single1()}))
	if !v1only.InfoHashV2.IsZero() || v1only.torrent().InfoHash != v1only.InfoHash {
		t.Errorf("v1: %+v", v1only)
	}
	v2, err := parseTorrent(benc(map[string]any{"info": info}))
	if err != nil {
		t.Fatal(err)
	}
	if v2.InfoHashV2 != sha256.Sum256(raw) || v2.InfoHash != v2.InfoHashV2.Truncated() {
		t.Errorf("v2-only hashes %v %v", v2.InfoHash, v2.InfoHashV2)
	}
	if tor := v2.torrent(); tor.InfoHash != (transport.InfoHash{}) || tor.InfoHashV2 != v2.InfoHashV2 {
		t.Errorf("v2-only torrent %+v", tor)
	}
	info["length"], info["pieces"] = 5, strings.Repeat("E", 20)
	raw = benc(info)
	hy, err := parseTorrent(benc(map[string]any{"info": info}))
	if err != nil {
		t.Fatal(err)
	}
	if hy.InfoHash != sha1.Sum(raw) || hy.InfoHashV2 != sha256.Sum256(raw) {
		t.Errorf("hybrid hashes %v %v", hy.InfoHash, hy.InfoHashV2)
	}
	if tor := hy.torrent(); tor.InfoHash != hy.InfoHash || tor.InfoHashV2 != hy.InfoHashV2 {
		t.Errorf("hybrid torrent %+v", tor)
	}
}

func single1() map[string]any {
	return map[string]any{"name": "a.iso", "length": 700, "piece length": 16384, "pieces": strings.Repeat("D", 20)}
}

func TestParseTorrentNotBencode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty file"},
		{"<html>", "not a .torrent file"},
		{"magnet:?xt=urn:btih:", "not a .torrent file"},
		{"d4:infod", "not valid bencode: invalid bencode at byte 8"},
		{"d4:infodeex", "data after the end"},
		{"i1e", "not a .torrent file"},
	}
	for _, tt := range tests {
		_, err := parseTorrent([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.in, err, tt.want)
		}
	}
	_, err := parseTorrent([]byte("d4:infod"))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("bencode error does not unwrap to *SyntaxError: %v", err)
	}
}

func TestLoadTarget(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.torrent")
	if err := os.WriteFile(good, []byte("d8:announce14:udp://t.test:14:info"+singleInfo+"e"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.torrent")
	if err := os.WriteFile(bad, []byte("d4:infod4:name1:xee"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg      string
		wantHash string
		wantErr  string
	}{
		{good, "50b2dfb972ba534c0bc4cceedf78309cbdc1bd58", ""},
		{"50B2DFB972BA534C0BC4CCEEDF78309CBDC1BD58", "50b2dfb972ba534c0bc4cceedf78309cbdc1bd58", ""},
		{"kczn7olsxjjuyc6eztxn66bqts64dpky", "50b2dfb972ba534c0bc4cceedf78309cbdc1bd58", ""},
		{"magnet:?xt=urn:btih:50b2dfb972ba534c0bc4cceedf78309cbdc1bd58", "50b2dfb972ba534c0bc4cceedf78309cbdc1bd58", ""},
		{bad, "", `bad .torrent file "` + bad + `": info.piece length: missing`},
		{filepath.Join(dir, "nope.torrent"), "", "no such file"},
		{"zzb2dfb972ba534c0bc4cceedf78309cbdc1bd58", "", "bad info hash"},
		{"1111111111111111111111111111111!", "", "no such file"}, // not hash-shaped: a path
		{dir, "", "cannot read it"},
	}
	for _, tt := range tests {
		tor, err := loadTarget(tt.arg)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrBadTarget) {
				t.Errorf("%s: err = %v, want %q", tt.arg, err, tt.wantErr)
			}
			continue
		}
		if err != nil || tor.InfoHash.String() != tt.wantHash {
			t.Errorf("%s: %v %v", tt.arg, tor, err)
		}
	}
}

func TestRunTargets(t *testing.T) {
	_, u := swarm(t)
	dir := t.TempDir()
	// A torrent whose info hash is testHash (singleInfo) and whose tracker
	// is the mock.
	tor := filepath.Join(dir, "demo.torrent")
	data := "d8:announce" + strconv.Itoa(len(u)) + ":" + u + "4:info" + singleInfo + "e"
	if err := os.WriteFile(tor, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{tor, "magnet:?xt=urn:btih:" + testHash + "&dn=demo&tr=" + u + "&tr=dht%3A%2F%2Fx"} {
		r := runCtx(t, context.Background(), "-json", "-once", target)
		if r.code != exitAnswered || len(r.ofType("peer")) != 3 {
			t.Errorf("%s: exit %d:\n%s%s", target, r.code, r.stdout, r.stderr)
		}
		if strings.HasPrefix(target, "magnet:") {
			w := r.ofType("warning")
			if len(w) != 1 || w[0]["tracker"] != "dht://x" || !strings.Contains(w[0]["message"].(string), `unsupported scheme "dht"`) {
				t.Errorf("warnings %v", w)
			}
		}
	}
}
