package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/trackerkit/trackerkit/internal/bencode"
)

// SyntaxError is a .torrent file that is not valid bencode (the Err of its
// *TorrentError).
type SyntaxError = bencode.SyntaxError

// torrentOptions reads .torrent files strictly (canonical integers, no
// duplicate key: a damaged file is reported rather than half-read), with
// room for deep v2 file trees (one level per directory). Keys out of order
// are accepted: such torrents exist, and the info hash covers the raw bytes.
var torrentOptions = bencode.Options{Strict: true, MaxDepth: 100}

// fields returns the values of the given keys of a dictionary in one pass
// (a torrent's info dictionary holds megabytes of piece hashes to skip).
func fields(d bencode.Value, keys ...string) map[string]bencode.Value {
	m := make(map[string]bencode.Value, len(keys))
	for k, val := range d.Entries() {
		for _, want := range keys {
			if string(k) == want {
				m[want] = val
				break
			}
		}
	}
	return m
}

// parseTorrent reads a .torrent file (BEP 3): the info hash is the SHA-1 of
// the exact bytes of the "info" dictionary; the size is "length", or the sum
// of "files"[i]."length"; the trackers are "announce-list" tiers (BEP 12)
// or, when that is absent or holds no URL, "announce" alone.
//
// Only what an announce needs is required, but what is present must have the
// right type, so that a damaged file is reported rather than half-read.
// BEP 52: a torrent with "meta version" 2 has a v2 info hash, the SHA-256
// of the same bytes. A hybrid (v1 "pieces" too) is announced under both; a
// v2-only torrent under its truncated v2 hash, its size the sum of the
// "file tree" lengths.
func parseTorrent(data []byte) (*Target, error) {
	if len(data) == 0 {
		return nil, &TorrentError{Reason: "empty file"}
	}
	if data[0] != 'd' {
		return nil, &TorrentError{Reason: "not a .torrent file (it does not start with a bencoded dictionary)"}
	}
	root, err := bencode.Decode(data, torrentOptions)
	if err != nil {
		return nil, &TorrentError{Reason: "not valid bencode", Err: err}
	}
	top := fields(root, "info", "announce", "announce-list")
	info, ok := top["info"]
	if !ok {
		return nil, &TorrentError{Field: "info", Reason: "missing"}
	}
	if info.Kind() != bencode.Dict {
		return nil, &TorrentError{Field: "info", Reason: "not a dictionary"}
	}
	t := &Target{InfoHash: sha1.Sum(info.Raw())}
	f := fields(info, "name", "name.utf-8", "piece length", "pieces", "meta version", "length", "files", "file tree")
	if mv, ok := f["meta version"]; ok {
		v, isInt := mv.Int()
		if !isInt {
			return nil, &TorrentError{Field: "info.meta version", Reason: "not an integer"}
		}
		if v == 2 {
			t.InfoHashV2 = sha256.Sum256(info.Raw())
		}
	}

	name, err := optString(f, "info.", "name")
	if err != nil {
		return nil, err
	}
	if n, err := optString(f, "info.", "name.utf-8"); err != nil {
		return nil, err
	} else if n != "" {
		name = n
	}
	if !utf8.ValidString(name) {
		name = "" // a legacy code page we cannot show faithfully
	}
	t.Name = name

	if _, hasPieces := f["pieces"]; !hasPieces && !t.InfoHashV2.IsZero() {
		// v2-only: no v1 hash; trackers know it by its truncated v2 hash.
		t.InfoHash = t.InfoHashV2.Truncated()
		if t.Size, err = fileTreeSize(f); err != nil {
			return nil, err
		}
	} else {
		if err := checkPieces(f); err != nil {
			return nil, err
		}
		if t.Size, err = torrentSize(f); err != nil {
			return nil, err
		}
	}
	if t.Tiers, err = torrentTiers(top); err != nil {
		return nil, err
	}
	return t, nil
}

// checkPieces checks "piece length" and "pieces" of a v1 or hybrid torrent.
func checkPieces(info map[string]bencode.Value) error {
	pl, ok := info["piece length"]
	if !ok {
		return &TorrentError{Field: "info.piece length", Reason: "missing"}
	}
	if n, isInt := pl.Int(); !isInt {
		return &TorrentError{Field: "info.piece length", Reason: "not an integer"}
	} else if n <= 0 {
		return &TorrentError{Field: "info.piece length", Reason: fmt.Sprintf("%d is not positive", n)}
	}
	pieces, ok := info["pieces"]
	if !ok {
		return &TorrentError{Field: "info.pieces", Reason: "missing"}
	}
	s, isStr := pieces.Bytes()
	if !isStr {
		return &TorrentError{Field: "info.pieces", Reason: "not a string"}
	}
	if len(s)%sha1.Size != 0 {
		return &TorrentError{Field: "info.pieces", Reason: fmt.Sprintf("%d bytes is not a multiple of 20", len(s))}
	}
	return nil
}

// fileTreeSize returns the size of a v2-only torrent: the sum of the
// "length" of every file of its "file tree" (BEP 52: directories are
// dictionaries of names; a file is a dictionary whose "" key holds its
// "length"). The decoder bounds the depth; the walk is iterative.
func fileTreeSize(info map[string]bencode.Value) (int64, error) {
	if pl, ok := info["piece length"]; !ok {
		return 0, &TorrentError{Field: "info.piece length", Reason: "missing"}
	} else if n, isInt := pl.Int(); !isInt || n <= 0 {
		return 0, &TorrentError{Field: "info.piece length", Reason: "not a positive integer"}
	}
	tree, ok := info["file tree"]
	if !ok {
		return 0, &TorrentError{Field: "info.file tree", Reason: "missing (a v2 torrent without v1 pieces needs one)"}
	}
	if tree.Kind() != bencode.Dict {
		return 0, &TorrentError{Field: "info.file tree", Reason: "not a dictionary"}
	}
	sum := sizeSum{field: "info.file tree"}
	stack := []bencode.Value{tree}
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for name, v := range d.Entries() {
			if v.Kind() != bencode.Dict {
				return 0, &TorrentError{Field: "info.file tree", Reason: "an entry is not a dictionary"}
			}
			if len(name) > 0 {
				stack = append(stack, v) // a directory, or a file's name
				continue
			}
			n, isInt := v.Get("length").Int()
			if !isInt || n < 0 {
				return 0, &TorrentError{Field: "info.file tree", Reason: "a file without a length of 0 or more"}
			}
			if err := sum.add(n); err != nil {
				return 0, err
			}
		}
	}
	return sum.total("no file")
}

// torrentSize returns the total size: "length" for a single-file torrent,
// the sum of the files' lengths (pad files included, as clients count them)
// for a multi-file one. Exactly one of the two must be present.
func torrentSize(info map[string]bencode.Value) (int64, error) {
	length, single := info["length"]
	files, multi := info["files"]
	switch {
	case single && multi:
		return 0, &TorrentError{Field: "info", Reason: `both "length" and "files" present`}
	case single:
		n, ok := length.Int()
		if !ok {
			return 0, &TorrentError{Field: "info.length", Reason: "not an integer"}
		}
		if n < 0 {
			return 0, &TorrentError{Field: "info.length", Reason: fmt.Sprintf("%d is negative", n)}
		}
		return n, nil
	case !multi:
		return 0, &TorrentError{Field: "info", Reason: `neither "length" nor "files" present`}
	}
	if files.Kind() != bencode.List {
		return 0, &TorrentError{Field: "info.files", Reason: "not a list"}
	}
	sum := sizeSum{field: "info.files"}
	for f := range files.Items() {
		n, err := fileLength(f, sum.files)
		if err != nil {
			return 0, err
		}
		if err := sum.add(n); err != nil {
			return 0, err
		}
	}
	return sum.total("empty list")
}

// sizeSum adds up the lengths of a torrent's files, the errors naming
// field: a total past 64 bits is refused, and so is a torrent of no file.
type sizeSum struct {
	field string
	bytes int64
	files int
}

// add counts one file of n bytes (n >= 0).
func (s *sizeSum) add(n int64) error {
	if n > math.MaxInt64-s.bytes {
		return &TorrentError{Field: s.field, Reason: "total size overflows 64 bits"}
	}
	s.bytes += n
	s.files++
	return nil
}

// total returns the sum, or the error none (the reason) when no file was
// added.
func (s *sizeSum) total(none string) (int64, error) {
	if s.files == 0 {
		return 0, &TorrentError{Field: s.field, Reason: none}
	}
	return s.bytes, nil
}

// fileLength checks files[i] (a "length" of 0 or more and a "path": a
// non-empty list of strings) and returns its length. It reads the
// dictionary in one pass: there may be a million of them.
func fileLength(f bencode.Value, i int) (int64, error) {
	field := func(sub string) string { return "info.files[" + strconv.Itoa(i) + "]" + sub } // only for errors
	if f.Kind() != bencode.Dict {
		return 0, &TorrentError{Field: field(""), Reason: "not a dictionary"}
	}
	var length, path bencode.Value
	var hasLength, hasPath bool
	for k, v := range f.Entries() {
		switch string(k) {
		case "length":
			length, hasLength = v, true
		case "path":
			path, hasPath = v, true
		}
	}
	if !hasLength {
		return 0, &TorrentError{Field: field(".length"), Reason: "missing"}
	}
	n, ok := length.Int()
	if !ok {
		return 0, &TorrentError{Field: field(".length"), Reason: "not an integer"}
	}
	if n < 0 {
		return 0, &TorrentError{Field: field(".length"), Reason: fmt.Sprintf("%d is negative", n)}
	}
	if !hasPath {
		return 0, &TorrentError{Field: field(".path"), Reason: "missing"}
	}
	if path.Kind() != bencode.List {
		return 0, &TorrentError{Field: field(".path"), Reason: "not a list"}
	}
	segs := 0
	for seg := range path.Items() {
		if _, ok := seg.Bytes(); !ok {
			return 0, &TorrentError{Field: fmt.Sprintf("%s[%d]", field(".path"), segs), Reason: "not a string"}
		}
		segs++
	}
	if segs == 0 {
		return 0, &TorrentError{Field: field(".path"), Reason: "empty list"}
	}
	return n, nil
}

// torrentTiers returns the trackers by BEP 12: "announce-list" when present
// and holding at least one URL ("announce" is then ignored), else
// "announce". Empty strings are dropped, a URL already listed is dropped,
// tiers left empty disappear. Schemes are checked later (filterTrackers).
func torrentTiers(top map[string]bencode.Value) ([][]string, error) {
	announce, err := optString(top, "", "announce")
	if err != nil {
		return nil, err
	}
	var tiers [][]string
	if al, ok := top["announce-list"]; ok {
		if al.Kind() != bencode.List {
			return nil, &TorrentError{Field: "announce-list", Reason: "not a list"}
		}
		seen := make(map[string]bool)
		i := 0
		for tierVal := range al.Items() {
			if tierVal.Kind() != bencode.List {
				return nil, &TorrentError{Field: fmt.Sprintf("announce-list[%d]", i), Reason: "not a list"}
			}
			var tier []string
			j := 0
			for u := range tierVal.Items() {
				s, ok := u.Bytes()
				if !ok {
					return nil, &TorrentError{Field: fmt.Sprintf("announce-list[%d][%d]", i, j), Reason: "not a string"}
				}
				if len(s) > 0 && !seen[string(s)] {
					seen[string(s)] = true
					tier = append(tier, string(s))
				}
				j++
			}
			if len(tier) > 0 {
				tiers = append(tiers, tier)
			}
			i++
		}
	}
	if len(tiers) == 0 && announce != "" {
		tiers = [][]string{{announce}}
	}
	return tiers, nil
}

// optString returns the string value of key, "" when absent, and an error
// when present with another type.
func optString(d map[string]bencode.Value, prefix, key string) (string, error) {
	v, ok := d[key]
	if !ok {
		return "", nil
	}
	s, ok := v.Bytes()
	if !ok {
		return "", &TorrentError{Field: prefix + key, Reason: "not a string"}
	}
	return string(s), nil
}
