package announcer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// attempt is one announce to one tracker in flight, on a goroutine of its
// own, bounded by the tracker's attempt timeout (Config.UDPAttemptTimeout,
// AttemptTimeout). A tracker has at most one at a time (tracker.inflight):
// a worker's round, Complete and Stop all wait for the attempt already in
// flight instead of starting another.
//
// Attempts run under the Session's callCtx, not its runCtx: Stop ends the
// workers at once but lets their announces finish (within its deadline),
// so a tracker that registers us meanwhile is still sent "stopped". Close
// ends them at once.
type attempt struct {
	t      *tracker
	w      *worker // the worker owning t; nil for a URL of no worker
	ev     transport.Event
	cancel context.CancelFunc
	done   chan struct{} // closed when the fields below are set

	// Set before done is closed; read after.
	res outcome
	err error // the failure, when res is outcomeFailed, outcomeSkipped or outcomeGaveUp

	// Guarded by Session.mu.
	wakers  []chan struct{} // told when the attempt ends
	awaited bool            // a worker's round waits for it and handles its outcome
}

// errAttemptTimeout is the cause of an attempt's context ending at its
// bound.
var errAttemptTimeout = errors.New("announce attempt timed out")

// startAttemptLocked starts an announce to t carrying the event t is owed,
// or returns the one in flight. It is called with Session.mu held, while
// the Session runs or (for Stop's completed) stops.
func (s *Session) startAttemptLocked(t *tracker, w *worker) *attempt {
	if a := t.inflight; a != nil {
		return a
	}
	ctx, cancel := context.WithCancel(s.callCtx)
	a := &attempt{t: t, w: w, ev: t.pendingEvent(s.completed), cancel: cancel, done: make(chan struct{})}
	t.inflight = a
	s.flights.Add(1)
	go s.runAttempt(ctx, a)
	return a
}

// runAttempt announces, records the outcome and wakes whoever waits. When
// the tracker now owes "completed" (Complete came while the attempt was
// on the wire), it is sent at once.
func (s *Session) runAttempt(ctx context.Context, a *attempt) {
	defer s.flights.Done()
	res, err := s.announce(ctx, a.t, a.ev)
	a.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := a.t
	a.res, a.err = res, err
	t.inflight = nil
	close(a.done)
	for _, wake := range a.wakers {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	if res != outcomeOK || a.w == nil || a.awaited {
		return
	}
	w := a.w
	switch {
	case w.active != t && t.state == StateOK:
		// A late answer of a tracker another one of its tier beat: it
		// knows us now (stopped will be sent) but stands by.
		t.state, t.next = StateIdle, time.Time{}
		s.stateChangedLocked(t, time.Now())
	case w.active == t && !w.running && s.life == lifeRunning:
		// An event announce (completed) to the tracker in use outside a
		// round: its interval starts again from this reply.
		w.roundAt = t.next
		if w.forced {
			w.forceLocked()
		}
		if w.timer != nil {
			w.armLocked(time.Now())
		}
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

var errInFlight = errors.New("announce still in flight")

// attemptTimeout is the bound of t's next attempt: UDPAttemptTimeout,
// doubled by each consecutive failure up to 2^8 times (the BEP 15 ladder
// then ends first), or AttemptTimeout for the other schemes.
func (c *Client) attemptTimeout(t *tracker) time.Duration {
	if t.url.u == nil || t.url.u.Scheme != "udp" {
		return c.cfg.AttemptTimeout
	}
	return c.cfg.UDPAttemptTimeout << min(t.failures, 8)
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
	return err != nil && !errors.Is(err, transport.ErrTrackerFailure) && !transport.IsPermanent(err) &&
		!errors.Is(err, transport.ErrSkipped) && !errors.Is(err, transport.ErrUnsupported)
}
