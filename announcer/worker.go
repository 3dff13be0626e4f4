package announcer

import (
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// worker announces for one group of trackers: one tier (TiersParallel),
// every tier in order (TiersStrict) or a single URL (TiersAll). A round
// asks the trackers of a tier in order until one answers (BEP 12 inside a
// tier): the next is asked when the one before failed, or has gone
// Config.FailoverAfter unanswered while it keeps trying. The first to
// answer is used and moved to the front of its tier; the next tier is
// tried only when every tracker of this one failed.
//
// A worker is a state machine under Session.mu, never a goroutine: between
// rounds it is one timer (time.AfterFunc), during a round that timer waits
// for the failover, and the only goroutines are those of its attempts on
// the wire (see attempt). An attempt waiting for a slot of its tracker's
// host waits in that host's queue, not on a goroutine. So an idle
// (Session, tracker) pair costs a timer, and a dead tracker first in a tier
// holds up neither the next tracker of the tier nor the other torrents.
type worker struct {
	s     *Session
	tiers [][]*tracker // reordered when a tracker wins a round

	// Guarded by Session.mu.
	timer    *time.Timer // AfterFunc(fire); nil until the first wait
	round    *round      // the round in progress; nil between rounds
	finished bool        // every tracker given up: nothing left to do
	forced   bool        // an announce was forced since the round began
	scraping bool        // a periodic scrape is in flight
	active   *tracker    // answered the last round; nil while failing
	retired  bool        // replaced by SetTrackers (change.go): does nothing more
	redo     bool        // SetPort during a round: another round follows it
	roundAt  time.Time   // when the next round starts
	scrapeAt time.Time   // next periodic scrape; zero: none
}

// round is the state of a round in progress.
type round struct {
	tier       int        // index in worker.tiers of the tier being tried
	next       int        // the next tracker of that tier to consider
	tries      []*attempt // this tier's attempts, in the order asked
	failoverAt time.Time  // when to ask the next tracker too; zero: not armed
	retryAt    time.Time  // earliest retry of the trackers passed over or failed
}

// start runs the worker's first round; called by Start with Session.mu held.
func (w *worker) start() {
	now := time.Now()
	if w.s.scrapeEvery > 0 {
		w.scrapeAt = now.Add(w.s.scrapeEvery)
	}
	w.beginRoundLocked(now)
}

// fire is the timer's function: the failover of the round in progress, or
// the next round or scrape. It does nothing once the Session is ending
// (halt stops the timers, but one may be firing already).
func (w *worker) fire() {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.finished || w.retired || s.life != lifeRunning {
		return
	}
	now := time.Now()
	switch {
	case w.round != nil:
		w.stepLocked(now)
		return
	case !w.roundAt.After(now):
		w.beginRoundLocked(now)
		return
	case !w.scrapeAt.IsZero() && !w.scrapeAt.After(now):
		w.scrapeAt = now.Add(s.scrapeEvery)
		if t := w.active; t != nil && !w.scraping {
			w.scraping = true
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.scrapeOne(s.runCtx, t)
				s.mu.Lock()
				w.scraping = false
				s.mu.Unlock()
			}()
		}
	}
	w.armLocked(now)
}

// armLocked sets the timer for the next thing due: the failover during a
// round, else the next round or scrape.
func (w *worker) armLocked(now time.Time) {
	at := earliest(w.roundAt, w.scrapeAt)
	if w.round != nil {
		at = w.round.failoverAt
	}
	if at.IsZero() {
		return
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(at.Sub(now), w.fire)
		return
	}
	w.timer.Reset(at.Sub(now))
}

// stopLocked stops the timer and abandons the round; the Session is
// ending. Attempts on the wire go on (Stop waits for them); those still
// queued for a slot are dropped.
func (w *worker) stopLocked() {
	if w.timer != nil {
		w.timer.Stop()
	}
	if r := w.round; r != nil {
		for _, a := range r.tries {
			a.awaited = false
		}
		w.round = nil
	}
}

// beginRoundLocked starts a round at the first tier.
func (w *worker) beginRoundLocked(now time.Time) {
	w.forced = false
	w.round = &round{}
	w.stepLocked(now)
}

// stepLocked moves the round on: it is called when the round begins, when
// one of its attempts ends and when the failover time comes.
func (w *worker) stepLocked(now time.Time) {
	s := w.s
	r := w.round
	for {
		tier := w.tiers[r.tier]
		running := 0
		for _, a := range r.tries {
			if !a.ended {
				running++
			} else if a.res == outcomeOK {
				w.wonLocked(tier, a.t, now)
				return
			}
		}
		if running > 0 && (r.failoverAt.IsZero() || now.Before(r.failoverAt)) {
			return // an attempt ending or the failover timer calls again
		}
		if w.launchLocked(r, tier, now) {
			r.failoverAt = now.Add(s.c.cfg.FailoverAfter)
			w.armLocked(now)
			return
		}
		if running > 0 {
			r.failoverAt = time.Time{} // nobody left to ask: wait for those on the wire
			return
		}
		// Every tracker of the tier failed or is waiting to retry.
		for _, a := range r.tries {
			if a.res == outcomeFailed || a.res == outcomeSkipped {
				r.retryAt = earliest(r.retryAt, a.t.NextAnnounce)
			}
		}
		r.tier, r.next, r.tries, r.failoverAt = r.tier+1, 0, nil, time.Time{}
		if r.tier < len(w.tiers) {
			continue
		}
		w.round = nil
		if r.retryAt.IsZero() {
			w.finished = true // every tracker has been given up
			return
		}
		w.active, w.roundAt = nil, r.retryAt
		w.armLocked(now)
		return
	}
}

// launchLocked asks the next tracker of the tier that can be asked now (or
// joins the announce already in flight to it); false when none is left.
func (w *worker) launchLocked(r *round, tier []*tracker, now time.Time) bool {
	for ; r.next < len(tier); r.next++ {
		t := tier[r.next]
		if t.State == StateGaveUp {
			continue
		}
		if (t.State == StateBackingOff || t.State == StateSkipped || t.State == StateReconnecting) && t.NextAnnounce.After(now) && t.inflight == nil {
			r.retryAt = earliest(r.retryAt, t.NextAnnounce)
			continue
		}
		if t != w.active && t.inflight == nil && t.Started && !t.LastAnnounce.IsZero() {
			// A standby that answered lately (a late answer, or the round
			// before) is not asked again before its min interval: failover
			// does not override what the tracker asked of us.
			if at := t.LastAnnounce.Add(w.s.c.minWait(t)); at.After(now) {
				r.retryAt = earliest(r.retryAt, at)
				continue
			}
		}
		a := w.s.startAttemptLocked(t, w)
		a.awaited = true
		r.tries = append(r.tries, a)
		r.next++
		return true
	}
	return false
}

// wonLocked ends the round: t answered. It moves t to the front of its
// tier and schedules the next round at t's interval, or sooner if an
// announce was forced meanwhile (never before min interval). Trackers of
// the worker standing by lose their stale schedule; the round's other
// attempts finish on their own.
func (w *worker) wonLocked(tier []*tracker, t *tracker, now time.Time) {
	s := w.s
	for _, a := range w.round.tries {
		a.awaited = false
	}
	w.round = nil
	for i, o := range tier {
		if o == t {
			copy(tier[1:i+1], tier[:i])
			tier[0] = t
			break
		}
	}
	w.active, w.roundAt = t, t.NextAnnounce
	if w.forced {
		w.forceLocked()
	}
	if w.redo { // SetPort during the round: its announce may carry the old port
		w.redo = false
		w.roundAt = now
	}
	for _, tier := range w.tiers {
		for _, o := range tier {
			if o != t && o.State == StateOK {
				o.State, o.NextAnnounce = StateIdle, time.Time{}
				s.stateChangedLocked(o, now)
			}
		}
	}
	if s.life == lifeRunning && t.pendingEvent(s.completed) == transport.EventCompleted {
		s.startAttemptLocked(t, w) // Complete came while its announce was on the wire
	}
	w.armLocked(now)
}

// forceLocked brings the next round forward to the earliest time the
// active tracker allows: its last announce plus its min interval. A worker
// whose trackers are failing keeps its retry time.
func (w *worker) forceLocked() {
	t := w.active
	if t == nil || t.State != StateOK {
		return
	}
	at := t.LastAnnounce.Add(w.s.c.minWait(t))
	if at.Before(w.roundAt) {
		w.roundAt = at
		t.NextAnnounce = at
	}
}

// force asks for an announce as soon as allowed: the round is brought
// forward and, if the worker is waiting, its timer too.
func (w *worker) force() {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	w.forced = true
	w.forceLocked()
	if w.round == nil && !w.finished && s.life == lifeRunning {
		w.armLocked(time.Now())
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
