package announcer

import (
	"context"
	"time"
)

// worker is the goroutine that announces for one group of trackers: one
// tier (TiersParallel), every tier in order (TiersStrict) or a single URL
// (TiersAll). It talks to one tracker at a time, in order, failing over to
// the next when one fails and moving the one that answered to the front of
// its tier (BEP 12). Its single timer wakes it for the next round, retry or
// periodic scrape.
type worker struct {
	s     *Session
	tiers [][]*tracker  // owned by the goroutine; reordered on success
	wake  chan struct{} // capacity 1: a forced announce or Complete

	// Guarded by Session.mu.
	forced   bool      // an announce was forced since the round began
	active   *tracker  // answered the last round; nil while failing
	roundAt  time.Time // when the next round starts
	scrapeAt time.Time // next periodic scrape; zero: none
}

// run announces until ctx ends (Stop, Close) or every tracker of the
// worker has been given up.
func (w *worker) run(ctx context.Context) {
	s := w.s
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	if s.scrapeEvery > 0 {
		s.mu.Lock()
		w.scrapeAt = time.Now().Add(s.scrapeEvery)
		s.mu.Unlock()
	}
	for {
		now := time.Now()
		s.mu.Lock()
		roundAt, scrapeAt, active := w.roundAt, w.scrapeAt, w.active
		s.mu.Unlock()
		if !roundAt.After(now) {
			if !w.round(ctx) {
				return
			}
			continue
		}
		if !scrapeAt.IsZero() && !scrapeAt.After(now) {
			if active != nil {
				s.scrapeOne(ctx, active)
			}
			s.mu.Lock()
			w.scrapeAt = time.Now().Add(s.scrapeEvery)
			s.mu.Unlock()
			continue
		}
		wakeAt := roundAt
		if !scrapeAt.IsZero() && scrapeAt.Before(wakeAt) {
			wakeAt = scrapeAt
		}
		timer.Reset(wakeAt.Sub(now))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-w.wake:
			timer.Stop()
		}
	}
}

// round announces to the trackers in order until one answers. Trackers
// backing off (or skipped) until later are passed over; given-up ones are
// ignored. It reports false when the worker should exit: the Session is
// ending, or no tracker is left to try.
func (w *worker) round(ctx context.Context) bool {
	s := w.s
	s.mu.Lock()
	w.forced = false
	s.mu.Unlock()
	var retryAt time.Time // earliest retry of a tracker passed over
	for ti, tier := range w.tiers {
		for i, t := range tier {
			s.mu.Lock()
			state, next := t.state, t.next
			s.mu.Unlock()
			if state == StateGaveUp {
				continue
			}
			if (state == StateBackingOff || state == StateSkipped) && next.After(time.Now()) {
				retryAt = earliest(retryAt, next)
				continue
			}
			switch s.announce(ctx, t) {
			case outcomeOK:
				copy(tier[1:i+1], tier[:i])
				tier[0] = t
				w.succeeded(t, ti)
				return true
			case outcomeAborted:
				return false
			case outcomeFailed, outcomeSkipped:
				s.mu.Lock()
				retryAt = earliest(retryAt, t.next)
				s.mu.Unlock()
			}
		}
	}
	if retryAt.IsZero() {
		return false // every tracker has been given up
	}
	s.mu.Lock()
	w.active, w.roundAt = nil, retryAt
	s.mu.Unlock()
	return true
}

// succeeded schedules the next round after t answered: at t's interval, or
// sooner if an announce was forced meanwhile (never before min interval).
// Trackers of the worker that are standing by lose their stale schedule.
func (w *worker) succeeded(t *tracker, tierIndex int) {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	w.active, w.roundAt = t, t.next
	if w.forced {
		w.forceLocked()
	}
	for _, tier := range w.tiers {
		for _, o := range tier {
			if o != t && o.state == StateOK {
				o.state, o.next = StateIdle, time.Time{}
			}
		}
	}
}

// forceLocked brings the next round forward to the earliest time the
// active tracker allows: its last announce plus its min interval. A worker
// whose trackers are failing keeps its retry time.
func (w *worker) forceLocked() {
	t := w.active
	if t == nil || t.state != StateOK {
		return
	}
	at := t.last.Add(w.s.c.minWait(t))
	if at.Before(w.roundAt) {
		w.roundAt = at
		t.next = at
	}
}

// force asks for an announce as soon as allowed and wakes the worker.
func (w *worker) force() {
	w.s.mu.Lock()
	w.forced = true
	w.forceLocked()
	w.s.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
