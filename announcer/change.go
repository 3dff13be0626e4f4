package announcer

import (
	"context"
	"errors"
	neturl "net/url"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// This file changes a running Session: its trackers (SetTrackers), the port
// it announces (SetPort), and a forced announce to one tracker
// (AnnounceTo). libtorrent's replace_trackers, listen-port change and
// force_reannounce(tracker_index) are the models.

// ErrUnknownTracker is returned by AnnounceTo for a URL that is not one of
// the Session's trackers.
var ErrUnknownTracker = errors.New("announcer: no such tracker in the session")

// SetTrackers replaces the Session's announce list, as libtorrent's
// replace_trackers: tiers are read as Torrent.Tiers are (duplicates merged,
// empty tiers dropped, each tier shuffled unless SessionOptions.KeepOrder,
// unusable URLs given up with an ErrorEvent). To add or remove one tracker
// or tier, pass the list with it added or removed.
//
// A URL that stays (compared after normalization: scheme and host case,
// default port) keeps its state, schedule and "started" wherever it moves.
// A removed URL that acknowledged "started" (or has an announce on the
// wire) is sent "stopped" in the background, as Stop would send it, within
// Config.StopTimeout; it is gone from Trackers at once. An added URL is
// announced with "started" as soon as its tier uses it: at once in a new
// tier or with TiersAll, when the trackers before it fail for a backup in a
// tier that has a working tracker. A hybrid torrent's URLs change under
// both hashes.
//
// It fails with ErrNoTrackers (changing nothing) when tiers hold no URL,
// and ErrClosed once the Session is stopping or ended.
func (s *Session) SetTrackers(tiers [][]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != lifeNew && s.life != lifeRunning {
		return ErrClosed
	}
	reuse := make(map[string]*tracker, len(s.trackers))
	for _, t := range s.trackers {
		if t.InfoHash == s.hash && t.origin == nil {
			reuse[t.key] = t
		}
	}
	oldTrackers, oldWorkers, oldURLs := s.trackers, s.workers, len(s.urls)
	s.trackers, s.workers = nil, nil
	s.buildTrackers(tiers, s.tierMode, s.keepOrder, reuse)
	if s.hybrid {
		s.addHash(s.hashV2.Truncated())
	}
	if len(s.trackers) == 0 {
		s.c.unrefURLs(s.urls[oldURLs:])
		s.trackers, s.workers, s.urls = oldTrackers, oldWorkers, s.urls[:oldURLs]
		return ErrNoTrackers
	}
	kept := make(map[*tracker]bool, len(s.trackers))
	for _, t := range s.trackers {
		kept[t] = true
	}
	// Dual-stack siblings (dualstack.go) stay with their origin, on a
	// worker of their own as before.
	for _, t := range oldTrackers {
		if t.origin != nil && kept[t.origin] {
			t.Tier = t.origin.Tier
			s.trackers = append(s.trackers, t)
			s.workers = append(s.workers, newWorker(s, [][]*tracker{{t}}))
			kept[t] = true
		}
	}
	for _, w := range oldWorkers {
		w.retired = true // its goroutine, if any, ends at its next step
		w.stopLocked()
	}
	// Removed URLs stay interned (in s.urls) until the Session ends.
	if s.life != lifeRunning {
		return nil // Start starts the new workers
	}
	now := time.Now()
	for _, t := range oldTrackers {
		if kept[t] {
			continue
		}
		if t.unsub != nil {
			t.unsub()
			t.unsub = nil
		}
		if t.tr != nil && t.State != StateGaveUp && (t.Started || t.mayKnow || t.inflight != nil) {
			s.flights.Add(1)
			go s.dropTracker(t)
		}
	}
	for _, t := range s.trackers {
		if t.inflight != nil {
			t.inflight.w = t.w // its outcome is the new worker's to handle
		}
		if oldOf := reuse[t.key]; oldOf == t || (t.twin != nil && oldOf == t.twin) || t.origin != nil {
			continue // kept: already subscribed, already reported
		}
		if t.tr == nil {
			s.events.push(ErrorEvent{Time: now, Tracker: t.url.redacted, Err: t.LastError, GaveUp: true})
		}
		s.subscribeLocked(t)
	}
	for _, w := range s.workers {
		w.resume(now)
	}
	return nil
}

// dropTracker sends "stopped" to a tracker SetTrackers removed, as Stop
// does, within Config.StopTimeout (Close ends it sooner).
func (s *Session) dropTracker(t *tracker) {
	defer s.flights.Done()
	ctx, cancel := context.WithTimeout(s.callCtx, s.c.cfg.StopTimeout)
	defer cancel()
	s.stopOne(ctx, t)
	s.mu.Lock()
	if t.State != StateGaveUp {
		t.State, t.NextAnnounce = StateStopped, time.Time{}
		s.stateChangedLocked(t, time.Now())
	}
	s.mu.Unlock()
}

// resume starts a worker made by SetTrackers while the Session runs. A
// worker whose tracker in use stays keeps its schedule: the next round is
// when that tracker's next announce is due. Any other worker starts at once
// (trackers backing off keep their retry time).
func (w *worker) resume(now time.Time) {
	s := w.s
	for _, tier := range w.tiers {
		for i, t := range tier {
			if t.State != StateOK || t.NextAnnounce.IsZero() {
				continue
			}
			copy(tier[1:i+1], tier[:i])
			tier[0] = t
			w.active, w.roundAt = t, t.NextAnnounce
			if s.scrapeEvery > 0 {
				w.scrapeAt = now.Add(s.scrapeEvery)
			}
			w.armLocked(now)
			return
		}
	}
	w.start()
}

// SetPort changes the port announced to trackers (0: Config.Port), as when
// the client's listen port changes. Every tracker in use is sent a fresh
// announce with the new port at once, whatever its min interval: until
// then it hands out an address where nobody listens (libtorrent re-announces
// the same way). Trackers backing off send it at their retry. The same
// port does nothing.
func (s *Session) SetPort(port uint16) {
	if port == 0 {
		port = s.c.cfg.Port
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if uint32(port) == s.port.Load() {
		return
	}
	s.port.Store(uint32(port))
	if s.life != lifeRunning {
		return
	}
	now := time.Now()
	for _, w := range s.workers {
		w.reannounceLocked(now)
	}
}

// reannounceLocked starts a round now; a round in progress is followed by
// another (its announce may have carried the old port).
func (w *worker) reannounceLocked(now time.Time) {
	if w.finished || w.retired {
		return
	}
	w.roundAt = now
	if w.active != nil {
		w.active.NextAnnounce = now
	}
	if w.round != nil {
		w.redo = true // the round in progress may have sent the old port
		return
	}
	w.armLocked(now)
}

// AnnounceTo forces an announce to one tracker, named by its URL as given
// in the torrent or as TrackerStatus.URL shows it (redacted), as soon as its
// min interval (at least Config.IntervalFloor) since its last answer
// allows; a tracker that never answered, or is failing, is asked at once.
// The tracker in use of its tier is announced as Announce would; a backup
// answers but stays a backup. A hybrid torrent's URL is announced under
// both hashes. It fails with ErrUnknownTracker for a URL the Session does
// not have, an error wrapping transport.ErrUnsupported for one given up,
// and ErrClosed when the Session is not running.
func (s *Session) AnnounceTo(url string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != lifeRunning {
		return ErrClosed
	}
	targets := s.findLocked(url)
	if len(targets) == 0 {
		return ErrUnknownTracker
	}
	now := time.Now()
	for _, t := range targets {
		if t.tr == nil || t.State == StateGaveUp {
			return &transport.Error{Op: "announce", URL: t.url.redacted, Err: transport.ErrUnsupported}
		}
		w := t.w
		if w == nil {
			continue
		}
		if w.active == t {
			w.forced = true
			w.forceLocked()
			if w.round == nil && !w.finished {
				w.armLocked(now)
			}
			continue
		}
		at := now
		if !t.LastAnnounce.IsZero() && t.State != StateBackingOff {
			at = later(now, t.LastAnnounce.Add(s.c.minWait(t)))
		}
		if t.forceTimer != nil {
			t.forceTimer.Stop()
		}
		t.forceTimer = time.AfterFunc(at.Sub(now), func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.life == lifeRunning && t.w != nil && !t.w.retired && t.State != StateGaveUp {
				s.startAttemptLocked(t, t.w)
			}
		})
	}
	return nil
}

// findLocked returns the trackers (both twins of a hybrid) of url: matched
// on the normalized URL, else on the redacted form when one URL has it.
func (s *Session) findLocked(raw string) []*tracker {
	var out []*tracker
	key := strings.TrimSpace(raw)
	if u, err := neturl.Parse(key); err == nil && u.Host != "" {
		key = normalizeURL(u)
	}
	for _, t := range s.trackers {
		if t.key == key {
			out = append(out, t)
		}
	}
	if len(out) > 0 {
		return out
	}
	var primaries int
	for _, t := range s.trackers {
		if t.url.redacted == raw {
			out = append(out, t)
			if t.twin == nil || t.InfoHash == s.hash {
				primaries++
			}
		}
	}
	if primaries != 1 {
		return nil // unknown, or ambiguous (two passkeys redact alike)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
