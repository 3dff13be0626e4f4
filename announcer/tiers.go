package announcer

import (
	"errors"
	"math/rand/v2"
	"strings"

	"github.com/trackerkit/trackerkit/transport"
)

// buildTrackers turns a torrent's announce list into trackers, in tier
// order, and groups the usable ones into workers as mode says. Duplicate
// URLs are merged (first occurrence kept), empty tiers dropped, and each
// tier shuffled once unless keepOrder. URLs that cannot be used (unparsable,
// unsupported scheme) become trackers that have given up, in no worker.
// A URL whose key is in reuse keeps its tracker (state, schedule,
// "started"), in its new place (SetTrackers).
func (s *Session) buildTrackers(tiers [][]string, mode TierMode, keepOrder bool, reuse map[string]*tracker) {
	seen := make(map[string]bool)
	var usable [][]*tracker
	tierIndex := 0
	for _, tier := range tiers {
		var group []*tracker
		for _, raw := range tier {
			key := strings.TrimSpace(raw)
			if key == "" {
				continue
			}
			tu, err := s.c.internURL(key)
			if tu != nil {
				key = tu.key
			}
			if seen[key] {
				if tu != nil {
					s.c.unrefURLs([]*trackerURL{tu})
				}
				continue
			}
			seen[key] = true
			if old := reuse[key]; old != nil {
				if tu != nil {
					s.c.unrefURLs([]*trackerURL{tu}) // the kept tracker holds its reference
				}
				old.Tier = tierIndex
				s.trackers = append(s.trackers, old)
				if old.tr != nil {
					group = append(group, old)
				}
				continue
			}
			var t *tracker
			if err != nil {
				t = newTracker(key, badURL(key, err), nil, tierIndex, s.hash)
				t.State, t.shown = StateGaveUp, StateGaveUp // born given up: Start says so with an ErrorEvent
				t.LastError = err
			} else {
				t = newTracker(key, tu, s.c.transports[tu.u.Scheme], tierIndex, s.hash)
				s.urls = append(s.urls, tu)
			}
			s.trackers = append(s.trackers, t)
			if t.tr != nil {
				group = append(group, t)
			}
		}
		if len(group) == 0 && !s.tierHadURL(tierIndex) {
			continue // an empty tier: not counted
		}
		tierIndex++
		if len(group) == 0 {
			continue
		}
		if !keepOrder {
			rand.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
		}
		usable = append(usable, group)
	}

	switch mode {
	case TiersStrict:
		if len(usable) > 0 {
			s.workers = append(s.workers, newWorker(s, usable))
		}
	case TiersAll:
		for _, g := range usable {
			for _, t := range g {
				s.workers = append(s.workers, newWorker(s, [][]*tracker{{t}}))
			}
		}
	default:
		for _, g := range usable {
			s.workers = append(s.workers, newWorker(s, [][]*tracker{g}))
		}
	}
}

// newWorker makes the worker of tiers and tells each tracker its worker.
func newWorker(s *Session, tiers [][]*tracker) *worker {
	w := &worker{s: s, tiers: tiers}
	for _, tier := range tiers {
		for _, t := range tier {
			t.w = w
		}
	}
	return w
}

// tierHadURL reports whether the tier being built produced any tracker
// (usable or not).
func (s *Session) tierHadURL(tier int) bool {
	n := len(s.trackers)
	return n > 0 && s.trackers[n-1].Tier == tier
}

// badURL describes an announce URL that cannot be used, for status and
// events; it is not interned.
func badURL(raw string, err error) *trackerURL {
	tu := &trackerURL{redacted: transport.RedactString(raw)}
	var se *SchemeError
	if errors.As(err, &se) {
		tu.redacted, tu.proto = se.URL, strings.ToLower(se.Scheme)
	}
	return tu
}
