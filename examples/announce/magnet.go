package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trackerkit/trackerkit/transport"
)

// parseMagnet reads a magnet URI (BEP 9):
//
//	magnet:?xt=urn:btih:<40 hex or 32 base32>&dn=<name>&tr=<tracker>&tr=...&xl=<size>
//
// Parameters may carry a ".N" suffix (xt.1, tr.2), as some clients write
// them. Each tr= becomes its own tier, in order (a magnet has no tiers; this
// is what clients do). A v2 "urn:btmh:1220<64 hex>" (BEP 52: a SHA-256
// multihash) next to a btih makes a hybrid, announced under both hashes;
// alone, a v2-only torrent announced under its truncated v2 hash. Unknown
// parameters are ignored.
func parseMagnet(s string) (*Target, error) {
	if !hasPrefixFold(s, "magnet:") {
		return nil, &MagnetError{Reason: `does not start with "magnet:"`}
	}
	query, ok := strings.CutPrefix(s[len("magnet:"):], "?")
	if !ok {
		return nil, &MagnetError{Reason: `no "?" after "magnet:"`}
	}
	t := &Target{Size: -1}
	var btih string
	seenTracker := make(map[string]bool)
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key := strings.ToLower(rawKey)
		if i := strings.IndexByte(key, '.'); i > 0 && isDigits(key[i+1:]) {
			key = key[:i]
		}
		if key != "xt" && key != "tr" && key != "dn" && key != "xl" {
			continue // x.pe, ws, as, so, kt, ...: nothing a tracker needs
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			if key == "tr" { // a tracker URL may hold a passkey: never echo it
				return nil, &MagnetError{Param: key, Reason: "bad percent-encoding in tracker URL " + displayURL(rawValue)}
			}
			return nil, &MagnetError{Param: key, Reason: fmt.Sprintf("bad percent-encoding in %q", truncate(rawValue, 80))}
		}
		switch key {
		case "xt":
			switch {
			case hasPrefixFold(value, "urn:btih:"):
				text := value[len("urn:btih:"):]
				h, err := parseInfoHashText(text)
				if err != nil {
					return nil, &MagnetError{Param: "xt", Reason: fmt.Sprintf("urn:btih:%s is not 40 hex or 32 base32 characters", truncate(text, 80))}
				}
				if btih != "" && h.String() != btih {
					return nil, &MagnetError{Param: "xt", Reason: "two different urn:btih info hashes"}
				}
				btih, t.InfoHash = h.String(), h
			case hasPrefixFold(value, "urn:btmh:"):
				text := value[len("urn:btmh:"):]
				h, err := parseBTMH(text)
				if err != nil {
					return nil, &MagnetError{Param: "xt", Reason: fmt.Sprintf("urn:btmh:%s: %v", truncate(text, 80), err)}
				}
				if !t.InfoHashV2.IsZero() && h != t.InfoHashV2 {
					return nil, &MagnetError{Param: "xt", Reason: "two different urn:btmh info hashes"}
				}
				t.InfoHashV2 = h
			}
		case "tr":
			if value != "" && !seenTracker[value] {
				seenTracker[value] = true
				t.Tiers = append(t.Tiers, []string{value})
			}
		case "dn":
			if utf8.ValidString(value) {
				t.Name = value
			}
		case "xl":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return nil, &MagnetError{Param: "xl", Reason: fmt.Sprintf("%q is not a size in bytes", truncate(value, 40))}
			}
			t.Size = n
		}
	}
	if btih == "" {
		if t.InfoHashV2.IsZero() {
			return nil, &MagnetError{Param: "xt", Reason: "missing urn:btih:<info hash> or urn:btmh:<v2 info hash>"}
		}
		t.InfoHash = t.InfoHashV2.Truncated() // v2-only
	}
	return t, nil
}

// parseBTMH parses the multihash of a urn:btmh: "1220" (SHA-256, 32 bytes)
// then 64 hex characters, the v2 info hash.
func parseBTMH(s string) (transport.InfoHashV2, error) {
	prefix, rest := s[:min(4, len(s))], s[min(4, len(s)):]
	if !strings.EqualFold(prefix, "1220") {
		return transport.InfoHashV2{}, errors.New(`not a SHA-256 multihash (want "1220" and 64 hex characters)`)
	}
	h, err := transport.ParseInfoHashV2(strings.ToLower(rest))
	if err != nil {
		return h, errors.New("want 64 hex characters after 1220")
	}
	return h, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
