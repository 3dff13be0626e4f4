package main

import (
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

// Target is what the CLI announces: one torrent, from a .torrent file, a
// magnet URI or a bare info hash.
type Target struct {
	// InfoHash is the hash trackers know the torrent by: the v1 hash, or
	// for a v2-only torrent its truncated v2 hash (BEP 52).
	InfoHash transport.InfoHash
	// InfoHashV2 is the v2 hash of a v2-only or hybrid torrent (a .torrent
	// with "meta version" 2, a magnet with urn:btmh); zero otherwise. A
	// hybrid is announced under both hashes.
	InfoHashV2 transport.InfoHashV2
	Name       string // "" when unknown
	// Size is the torrent's total size in bytes, -1 when unknown (magnet
	// without xl=, bare info hash).
	Size int64
	// Tiers are the target's own trackers, BEP 12 tiers in order; URLs are
	// raw (they may hold passkeys: redact before showing them).
	Tiers [][]string
}

// torrent returns what the Session announces: a v2-only target passes its
// v2 hash alone, a hybrid both.
func (t *Target) torrent() announcer.Torrent {
	at := announcer.Torrent{InfoHash: t.InfoHash, InfoHashV2: t.InfoHashV2, Tiers: t.Tiers}
	if !t.InfoHashV2.IsZero() && t.InfoHash == t.InfoHashV2.Truncated() {
		at.InfoHash = transport.InfoHash{} // v2-only
	}
	return at
}

// maxTorrentFile bounds how much of a .torrent file is read. The largest
// real torrents (hundreds of thousands of files) are tens of MiB.
const maxTorrentFile = 64 << 20

// ErrBadTarget is matched (errors.Is) by every error about TARGET.
var ErrBadTarget = errors.New("bad target")

// TorrentError is a .torrent file that cannot be used. Field names what is
// wrong, as a path into the file's dictionaries ("info.files[2].length").
type TorrentError struct {
	Path   string // the file's path, "" when parsed from memory
	Field  string // "" when the file as a whole is wrong
	Reason string
	Err    error // the *SyntaxError for invalid bencode, or an I/O error
}

func (e *TorrentError) Error() string {
	s := "bad .torrent file: "
	if e.Path != "" {
		s = fmt.Sprintf("bad .torrent file %q: ", truncate(e.Path, 200))
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	s += e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *TorrentError) Unwrap() error        { return e.Err }
func (e *TorrentError) Is(target error) bool { return target == ErrBadTarget }

// MagnetError is a magnet URI that cannot be used. Param names the
// offending parameter ("xt", "tr", ...), "" for the URI as a whole.
type MagnetError struct {
	Param  string
	Reason string
}

func (e *MagnetError) Error() string {
	if e.Param == "" {
		return "bad magnet URI: " + e.Reason
	}
	return "bad magnet URI: " + e.Param + ": " + e.Reason
}
func (e *MagnetError) Is(target error) bool { return target == ErrBadTarget }

// InfoHashError is text that is not an info hash.
type InfoHashError struct {
	Text string
}

func (e *InfoHashError) Error() string {
	return fmt.Sprintf("bad info hash %q: want 40 hex or 32 base32 characters", truncate(e.Text, 80))
}
func (e *InfoHashError) Is(target error) bool { return target == ErrBadTarget }

// loadTarget turns the TARGET argument into a Target: a magnet URI if it
// starts with "magnet:", an info hash if it is 40 hex or 32 base32
// characters, otherwise the path of a .torrent file ("./<hash>" reads a file
// whose name looks like a hash).
func loadTarget(arg string) (*Target, error) {
	switch {
	case hasPrefixFold(arg, "magnet:"):
		return parseMagnet(arg)
	case looksLikeInfoHash(arg):
		h, err := parseInfoHashText(arg)
		if err != nil {
			return nil, err
		}
		return &Target{InfoHash: h, Size: -1}, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &TorrentError{Path: arg, Reason: "no such file (TARGET is a .torrent file, a magnet URI, or an info hash of 40 hex or 32 base32 characters)"}
		}
		return nil, &TorrentError{Path: arg, Reason: "cannot read it", Err: unwrapPathError(err)}
	}
	defer f.Close()
	// Refuse an oversized file before reading it (a 150 MB file cost 173 MB
	// of memory when the size was checked after); the limited read below
	// still bounds what is not a regular file (a pipe, /dev/zero).
	var data []byte
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > maxTorrentFile {
			return nil, &TorrentError{Path: arg, Reason: fmt.Sprintf("larger than %d MiB", maxTorrentFile>>20)}
		}
		data = make([]byte, 0, fi.Size()+1)
	}
	data, err = readAllInto(data, io.LimitReader(f, maxTorrentFile+1))
	if err != nil {
		return nil, &TorrentError{Path: arg, Reason: "cannot read it", Err: unwrapPathError(err)}
	}
	if len(data) > maxTorrentFile {
		return nil, &TorrentError{Path: arg, Reason: fmt.Sprintf("larger than %d MiB", maxTorrentFile>>20)}
	}
	t, err := parseTorrent(data)
	var te *TorrentError
	if errors.As(err, &te) {
		te.Path = arg
	}
	return t, err
}

// unwrapPathError drops the path from an *os.PathError; the caller names
// the file itself.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// looksLikeInfoHash reports whether s has the length and alphabet of a hex
// or base32 info hash (but is not necessarily valid).
func looksLikeInfoHash(s string) bool {
	if len(s) != 40 && len(s) != 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// parseInfoHashText parses 40 hex characters or 32 base32 characters (RFC
// 4648 alphabet, either case), the two forms of BEP 9's urn:btih.
func parseInfoHashText(s string) (transport.InfoHash, error) {
	var h transport.InfoHash
	switch len(s) {
	case 40:
		if _, err := hex.Decode(h[:], []byte(s)); err == nil {
			return h, nil
		}
	case 32:
		n, err := base32.StdEncoding.Decode(h[:], []byte(strings.ToUpper(s)))
		if err == nil && n == len(h) {
			return h, nil
		}
	}
	return h, &InfoHashError{Text: s}
}

// addTrackers appends each of urls as its own tier after tiers, skipping
// URLs already present (the -tracker flag: "added after the target's own").
func addTrackers(tiers [][]string, urls []string) [][]string {
	seen := make(map[string]bool)
	for _, tier := range tiers {
		for _, u := range tier {
			seen[u] = true
		}
	}
	for _, u := range urls {
		if !seen[u] {
			seen[u] = true
			tiers = append(tiers, []string{u})
		}
	}
	return tiers
}

// droppedTracker is a tracker URL that cannot be announced to.
type droppedTracker struct {
	URL    string // redacted
	Reason string
}

func (d droppedTracker) String() string { return "ignoring tracker " + d.URL + ": " + d.Reason }

// filterTrackers drops the URLs no transport can use (unparsable, another
// scheme, no host), returning the kept tiers and the dropped URLs. Empty
// tiers disappear.
func filterTrackers(tiers [][]string) (kept [][]string, dropped []droppedTracker) {
	for _, tier := range tiers {
		var k []string
		for _, raw := range tier {
			if reason := checkTrackerURL(raw); reason != "" {
				dropped = append(dropped, droppedTracker{URL: displayURL(raw), Reason: reason})
				continue
			}
			k = append(k, raw)
		}
		if len(k) > 0 {
			kept = append(kept, k)
		}
	}
	return kept, dropped
}

// checkTrackerURL returns why raw cannot be announced to, or "".
func checkTrackerURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "not a URL"
	}
	p, ok := transport.Lookup(u.Scheme)
	switch {
	case !ok:
		return fmt.Sprintf("unsupported scheme %q (want %s)", truncate(u.Scheme, 20), schemeList())
	case u.Host == "":
		return "no host"
	case p.CheckURL != nil:
		if err := p.CheckURL(u); err != nil {
			return err.Error()
		}
	}
	return ""
}

// schemeList is the registered schemes as "http, https, udp, ws or wss".
func schemeList() string {
	s := transport.Schemes()
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// truncate shortens s to at most n bytes (on a rune boundary), marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// readAllInto is io.ReadAll appending to buf, so a buffer sized from the
// file's size is used as is instead of growing by doubling.
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
