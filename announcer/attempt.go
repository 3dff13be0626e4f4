package announcer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// attempt is one announce to one tracker, bounded by the tracker's attempt
// timeout (Config.UDPAttemptTimeout, AttemptTimeout). A tracker has at most
// one at a time (tracker.inflight): a worker's round, Complete and Stop all
// wait for the attempt already there instead of starting another.
//
// A regular announce first takes a slot of its tracker's host
// (Config.MaxAnnouncesPerTracker): when none is free it waits in the host's
// queue, without a goroutine, and runs on the goroutine of an attempt that
// finishes there (see hostLimit). Event announces (completed) take no slot
// and start at once.
//
// Attempts on the wire run under the Session's callCtx, not its runCtx:
// Stop ends the workers at once but lets their announces finish (within
// its deadline), so a tracker that registers us meanwhile is still sent
// "stopped". Close ends them at once; queued ones are dropped.
type attempt struct {
	s   *Session
	t   *tracker
	w   *worker // the worker owning t
	ev  transport.Event
	ctx context.Context
	// end ends ctx with a cause: context.Canceled (cancel: Stop, or the
	// attempt is over) or errAttemptTimeout (the attempt's bound, see
	// Session.call): one context serves both.
	end  context.CancelCauseFunc
	done chan struct{} // closed when it has ended

	// Guarded by Session.mu.
	ended   bool
	res     outcome
	err     error // the failure, when res is not outcomeOK
	awaited bool  // the worker's round waits for it and handles its outcome

	queued bool // guarded by hostLimit.mu: waiting in the host's queue
}

// errAttemptTimeout is the cause of an attempt's context ending at its
// bound.
var errAttemptTimeout = errors.New("announce attempt timed out")

// startAttemptLocked starts an announce to t carrying the event t is owed,
// or returns the one already there. It is called with Session.mu held,
// while the Session runs.
func (s *Session) startAttemptLocked(t *tracker, w *worker) *attempt {
	if a := t.inflight; a != nil {
		return a
	}
	ctx, end := context.WithCancelCause(s.callCtx)
	a := &attempt{s: s, t: t, w: w, ev: t.pendingEvent(s.completed), ctx: ctx, end: end, done: make(chan struct{})}
	t.inflight = a
	s.flights.Add(1)
	if isEvent(a.ev) || s.c.takeSlot(t.url.limit, a) {
		s.c.wg.Add(1)
		go s.c.runAttempts(a, !isEvent(a.ev))
	}
	return a
}

// runAttempt announces and records the outcome (see endLocked).
func (s *Session) runAttempt(a *attempt) {
	s.splitFamilies(a.ctx, a)
	var res outcome
	var err error
	if s.c.acquireGlobal(a.ctx, isEvent(a.ev)) != nil {
		res, err = outcomeAborted, errNotSent
	} else {
		res, err = s.announce(a.ctx, a.t, a.ev, a.end)
		s.c.releaseGlobal(isEvent(a.ev))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a.endLocked(res, err)
}

// cancel ends the attempt's context.
func (a *attempt) cancel() { a.end(context.Canceled) }

// drop ends an attempt still queued for a slot, as aborted, without
// sending it: the Session is ending. It reports false when the attempt has
// left the queue (it is on the wire, or about to be).
func (a *attempt) drop() bool {
	if !a.s.c.unqueue(a.t.url.limit, a) {
		return false
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.endLocked(outcomeAborted, errNotSent)
	return true
}

// endLocked records how the attempt ended and wakes whoever waits: the
// worker's round, or Stop. A late answer of a tracker that lost its round
// makes it a standby that knows us; a completed sent outside a round
// restarts the interval of the tracker in use; a tracker that now owes
// "completed" (Complete came while the attempt was on the wire) is sent it
// at once.
func (a *attempt) endLocked(res outcome, err error) {
	s, t, w := a.s, a.t, a.w
	a.cancel()
	a.ended, a.res, a.err = true, res, err
	t.inflight = nil
	close(a.done)
	s.flights.Done()
	now := time.Now()
	if a.awaited {
		w.stepLocked(now)
		return
	}
	if res != outcomeOK {
		return
	}
	switch {
	case w.active != t && t.State == StateOK:
		t.State, t.NextAnnounce = StateIdle, time.Time{}
		s.stateChangedLocked(t, now)
	case w.round == nil && s.life == lifeRunning:
		w.roundAt = t.NextAnnounce
		if w.forced {
			w.forceLocked()
		}
		w.armLocked(now)
	}
	if s.life == lifeRunning && t.pendingEvent(s.completed) == transport.EventCompleted {
		s.startAttemptLocked(t, w)
	}
}

// errLocked returns the attempt's error: nil while it is in flight (or
// after a success), for a caller holding Session.mu. An attempt still in
// flight (Stop gave up waiting) counts as possibly registered: the error
// is then errInFlight.
func (a *attempt) errLocked() error {
	select {
	case <-a.done:
		return a.err
	default:
		return errInFlight
	}
}

var (
	errInFlight = errors.New("announce still in flight")
	errNotSent  = errors.New("announce dropped before it was sent")
)

// attemptTimeout is the bound of t's next attempt: UDPAttemptTimeout,
// doubled by each consecutive failure up to 2^8 times (the BEP 15 ladder
// then ends first), or AttemptTimeout for the other schemes.
func (c *Client) attemptTimeout(t *tracker) time.Duration {
	if t.url.u == nil || t.url.u.Scheme != "udp" {
		return c.cfg.AttemptTimeout
	}
	return c.cfg.UDPAttemptTimeout << min(t.Failures, 8)
}

// timeoutErr is the error of an attempt that reached its bound d.
func timeoutErr(d time.Duration) error {
	return fmt.Errorf("%w: no answer within %v (the attempt's bound)", transport.ErrTimeout, d)
}

// owedStopped reports whether a tracker whose last attempt ended in err
// (while Stop waited for it) may have registered us: anything but an
// answer that says it did not (a failure reason, a permanent error, a
// skipped family) leaves that possible, so it is sent "stopped".
func owedStopped(err error) bool {
	return err != nil && err != errNotSent && !errors.Is(err, transport.ErrTrackerFailure) && !transport.IsPermanent(err) &&
		!errors.Is(err, transport.ErrSkipped) && !errors.Is(err, transport.ErrUnsupported)
}
