package announcer

import (
	"context"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// worker announces for one group of trackers: one tier (TiersParallel),
// every tier in order (TiersStrict) or a single URL (TiersAll). It talks to
// one tracker at a time, in order, failing over to the next when one fails
// and moving the one that answered to the front of its tier (BEP 12).
//
// A worker holds a goroutine only while it works: between announces it is
// one timer (time.AfterFunc), so an idle (Session, tracker) pair costs no
// goroutine stack. The timer's function starts the goroutine again when the
// next round, retry or periodic scrape is due.
type worker struct {
	s     *Session
	tiers [][]*tracker // reordered on success, only by the running goroutine

	// Guarded by Session.mu.
	timer    *time.Timer // AfterFunc(fire); nil until the first wait
	running  bool        // queued for, or running on, a goroutine
	finished bool        // every tracker given up: nothing left to do
	forced   bool        // an announce was forced since the round began
	active   *tracker    // answered the last round; nil while failing
	roundAt  time.Time   // when the next round starts
	scrapeAt time.Time   // next periodic scrape; zero: none
}

// start runs the worker's first round; called by Start with Session.mu held.
func (w *worker) start() {
	s := w.s
	if s.scrapeEvery > 0 {
		w.scrapeAt = time.Now().Add(s.scrapeEvery)
	}
	w.running = true
	s.c.submit(w.host(), w)
}

// host returns the endpoint of the tracker the worker will try first.
func (w *worker) host() *hostLimit { return w.tiers[0][0].url.limit }

// runIfRunning runs the worker that submit queued, unless the Session has
// ended meanwhile (its halt does not wait for queued workers).
func (w *worker) runIfRunning() {
	s := w.s
	s.mu.Lock()
	if s.life != lifeRunning {
		w.running = false
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	w.run()
}

// fire is the timer's function: it submits the worker unless it is
// already running, finished, or the Session is ending (halt stops the
// timers, but one may be firing already).
func (w *worker) fire() {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.running || w.finished || s.life != lifeRunning {
		return
	}
	w.running = true
	s.c.submit(w.host(), w)
}

// run does what is due (rounds, scrapes), then arms the timer for what is
// next and returns. It also returns when the Session ends.
func (w *worker) run() {
	s := w.s
	defer s.wg.Done()
	ctx := s.runCtx
	for {
		now := time.Now()
		s.mu.Lock()
		roundAt, scrapeAt, active := w.roundAt, w.scrapeAt, w.active
		if ctx.Err() != nil || s.life != lifeRunning { // ending: halt waits for us
			w.running = false
			s.mu.Unlock()
			return
		}
		switch {
		case !roundAt.After(now):
			s.mu.Unlock()
			if !w.round(ctx) {
				s.mu.Lock()
				w.running, w.finished = false, ctx.Err() == nil
				s.mu.Unlock()
				return
			}
		case !scrapeAt.IsZero() && !scrapeAt.After(now):
			s.mu.Unlock()
			if active != nil {
				s.scrapeOne(ctx, active)
			}
			s.mu.Lock()
			w.scrapeAt = time.Now().Add(s.scrapeEvery)
			s.mu.Unlock()
		default:
			w.running = false
			w.armLocked(now)
			s.mu.Unlock()
			return
		}
	}
}

// armLocked sets the timer for the next thing due.
func (w *worker) armLocked(now time.Time) {
	at := earliest(w.roundAt, w.scrapeAt)
	if w.timer == nil {
		w.timer = time.AfterFunc(at.Sub(now), w.fire)
		return
	}
	w.timer.Reset(at.Sub(now))
}

// stopLocked stops the timer; the Session is ending.
func (w *worker) stopLocked() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// round announces to the trackers, tier by tier, until one answers (see
// roundTier). Trackers backing off (or skipped) until later are passed
// over; given-up ones are ignored. It reports false when the worker should
// exit: the Session is ending, or no tracker is left to try.
func (w *worker) round(ctx context.Context) bool {
	s := w.s
	s.mu.Lock()
	w.forced = false
	s.mu.Unlock()
	var retryAt time.Time // earliest retry of a tracker passed over or failed
	for _, tier := range w.tiers {
		won, at, ok := w.roundTier(ctx, tier)
		if !ok {
			return false
		}
		if won {
			return true
		}
		retryAt = earliest(retryAt, at)
	}
	if retryAt.IsZero() {
		return false // every tracker has been given up
	}
	s.mu.Lock()
	w.active, w.roundAt = nil, retryAt
	s.mu.Unlock()
	return true
}

// roundTier announces to one tier's trackers, in order, until one answers
// (BEP 12 inside a tier): each is asked when the one before it failed or
// has gone Config.FailoverAfter unanswered, the earlier ones still trying.
// The first to answer wins and moves to the front of the tier; the others
// finish their attempt on their own (see runAttempt). won reports a winner;
// otherwise retryAt is the earliest retry of the tier's trackers. ok is
// false when ctx ended (the Session is ending): attempts in flight go on,
// for Stop to wait for.
func (w *worker) roundTier(ctx context.Context, tier []*tracker) (won bool, retryAt time.Time, ok bool) {
	s := w.s
	wake := make(chan struct{}, 1)
	var tries []*attempt // in tier order
	next := 0            // the next tracker of the tier to consider
	var failover *time.Timer
	var failoverC <-chan time.Time
	defer func() {
		if failover != nil {
			failover.Stop()
		}
	}()
	// launchLocked asks the next tracker that can be asked now; false when
	// none is left.
	launchLocked := func(now time.Time) bool {
		for ; next < len(tier); next++ {
			t := tier[next]
			if t.state == StateGaveUp {
				continue
			}
			if (t.state == StateBackingOff || t.state == StateSkipped) && t.next.After(now) && t.inflight == nil {
				retryAt = earliest(retryAt, t.next)
				continue
			}
			a := s.startAttemptLocked(t, w)
			a.wakers = append(a.wakers, wake)
			a.awaited = true
			tries = append(tries, a)
			next++
			return true
		}
		return false
	}
	// doneLocked hands the attempts still in flight over to themselves.
	doneLocked := func() {
		for _, a := range tries {
			a.awaited = false
		}
	}
	for {
		now := time.Now()
		s.mu.Lock()
		running := 0
		for _, a := range tries {
			select {
			case <-a.done:
				if a.res == outcomeOK {
					i := slicesIndex(tier, a.t)
					copy(tier[1:i+1], tier[:i])
					tier[0] = a.t
					doneLocked()
					s.mu.Unlock()
					w.succeeded(a.t)
					return true, time.Time{}, true
				}
			default:
				running++
			}
		}
		if ctx.Err() != nil {
			doneLocked()
			s.mu.Unlock()
			return false, time.Time{}, false
		}
		if running == 0 {
			if !launchLocked(now) {
				for _, a := range tries {
					if a.res == outcomeFailed || a.res == outcomeSkipped {
						retryAt = earliest(retryAt, a.t.next)
					}
				}
				doneLocked()
				s.mu.Unlock()
				return false, retryAt, true
			}
			running++
			failoverC = w.resetTimer(&failover)
		}
		s.mu.Unlock()
		select {
		case <-wake:
		case <-failoverC:
			failoverC = nil
			s.mu.Lock()
			if launchLocked(time.Now()) {
				failoverC = w.resetTimer(&failover)
			}
			s.mu.Unlock()
		case <-ctx.Done():
		}
	}
}

// resetTimer (re)arms the failover timer for Config.FailoverAfter.
func (w *worker) resetTimer(tm **time.Timer) <-chan time.Time {
	d := w.s.c.cfg.FailoverAfter
	if *tm == nil {
		*tm = time.NewTimer(d)
	} else {
		(*tm).Reset(d)
	}
	return (*tm).C
}

func slicesIndex(tier []*tracker, t *tracker) int {
	for i, o := range tier {
		if o == t {
			return i
		}
	}
	return -1
}

// succeeded schedules the next round after t answered: at t's interval, or
// sooner if an announce was forced meanwhile (never before min interval).
// Trackers of the worker that are standing by lose their stale schedule.
func (w *worker) succeeded(t *tracker) {
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
				s.stateChangedLocked(o, time.Now())
			}
		}
	}
	if s.life == lifeRunning && t.pendingEvent(s.completed) == transport.EventCompleted {
		s.startAttemptLocked(t, w) // Complete came while its announce was on the wire
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

// force asks for an announce as soon as allowed: the round is brought
// forward and, if the worker is waiting, its timer too.
func (w *worker) force() {
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	w.forced = true
	w.forceLocked()
	if !w.running && !w.finished && s.life == lifeRunning && w.timer != nil {
		w.armLocked(time.Now())
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}
