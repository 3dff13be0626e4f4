package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseMagnet reads a magnet URI (BEP 9):
//
//	magnet:?xt=urn:btih:<40 hex or 32 base32>&dn=<name>&tr=<tracker>&tr=...&xl=<size>
//
// Parameters may carry a ".N" suffix (xt.1, tr.2), as some clients write
// them. Each tr= becomes its own tier, in order (a magnet has no tiers; this
// is what clients do). A v2 "urn:btmh:" is accepted next to a btih (hybrid)
// and refused alone: trackerkit announces v1 info hashes. Unknown
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
	var btih, btmh string
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
				btmh = value
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
		if btmh != "" {
			return nil, &MagnetError{Param: "xt", Reason: "v2-only magnet (urn:btmh, BEP 52): it has no v1 info hash to announce; add its urn:btih"}
		}
		return nil, &MagnetError{Param: "xt", Reason: "missing urn:btih:<info hash>"}
	}
	return t, nil
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
