package announcer

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Stop leaves the swarm gracefully and ends the Session, within one
// deadline: the earlier of ctx's and Config.StopTimeout (5 s) from now. It
// ends the workers at once, then, for every tracker in parallel:
//
//   - an announce still on the wire (a "started" not answered yet, say) is
//     let finish, until half the deadline; then it is abandoned;
//   - a tracker that acknowledged "started", or may have registered us
//     with the announce Stop waited for (anything but an answer refusing
//     us), is sent "completed" first if it is owed one (Complete came and
//     it has not been told), within half of the time left;
//   - then it is sent "stopped" (numwant 0), retried after failures until
//     the deadline. So even a tracker that never answers the announce in
//     flight is sent "stopped" before the deadline.
//
// These event announces never wait behind regular announces for a slot of
// the tracker's host (Config.MaxAnnouncesPerTracker). Stop returns the
// errors of the stopped announces that did not get through (joined), or
// nil.
//
// Stop on a Session never started ends it and sends nothing. A second Stop
// (or a Stop during Close) waits for the Session to end, until ctx ends.
// Close during Stop abandons the announces at once.
func (s *Session) Stop(ctx context.Context) error {
	s.mu.Lock()
	switch s.life {
	case lifeNew:
		s.life = lifeClosing
		s.mu.Unlock()
		s.end()
		return nil
	case lifeRunning:
	default:
		s.mu.Unlock()
		select {
		case <-s.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.life = lifeStopping
	stopCtx, cancel := context.WithTimeout(ctx, s.c.cfg.StopTimeout)
	defer cancel()
	s.abort = func() {
		cancel()
		s.cancelCall()
	}
	s.mu.Unlock()

	s.halt()
	err := s.sendStopped(stopCtx)
	s.end()
	return err
}

// Close ends the Session at once, without stopped announces: the trackers
// will drop us when we stop announcing. Buffered events can still be read
// (see Events). Close is idempotent and waits for the Session's goroutines;
// it always returns nil.
func (s *Session) Close() error {
	s.mu.Lock()
	switch s.life {
	case lifeNew, lifeRunning:
		s.life = lifeClosing
		s.mu.Unlock()
		s.halt()
		s.end()
		return nil
	case lifeStopping:
		s.abort()
	}
	s.mu.Unlock()
	<-s.done
	return nil
}

// halt ends the workers, Scrape calls and subscriptions, and waits for the
// goroutines to exit.
func (s *Session) halt() {
	s.mu.Lock()
	if s.stopAfter != nil {
		s.stopAfter()
	}
	var unsub []func()
	for _, t := range s.trackers {
		if t.unsub != nil {
			unsub = append(unsub, t.unsub)
			t.unsub = nil
		}
		if t.forceTimer != nil {
			t.forceTimer.Stop()
		}
	}
	for _, w := range s.workers {
		w.stopLocked()
	}
	var flights []*attempt
	for _, t := range s.trackers {
		if t.inflight != nil {
			flights = append(flights, t.inflight)
		}
	}
	s.mu.Unlock()
	for _, a := range flights {
		a.drop() // those still queued for a slot were never sent: nothing owed
	}
	s.cancelRun()
	s.wg.Wait()
	for _, cancel := range unsub {
		cancel()
	}
}

// end marks the Session ended once every goroutine of it has exited, and
// lets the event stream close.
func (s *Session) end() {
	s.cancelRun()
	s.cancelCall()
	s.wg.Wait()
	s.flights.Wait()
	s.mu.Lock()
	s.life = lifeEnded
	for _, t := range s.trackers {
		if t.State != StateGaveUp {
			t.State, t.NextAnnounce = StateStopped, time.Time{}
			if s.ran { // a Session never started has nothing to tell
				s.stateChangedLocked(t, time.Now())
			}
		}
	}
	s.mu.Unlock()
	s.c.mu.Lock()
	delete(s.c.sessions, s)
	s.c.mu.Unlock()
	s.c.unrefURLs(s.urls)
	s.events.end()
	close(s.done)
}

// sendStopped does Stop's work for every tracker owed a "stopped" (one
// that acknowledged "started" or has an announce on the wire), in
// parallel, under ctx's deadline.
func (s *Session) sendStopped(ctx context.Context) error {
	var targets []*tracker
	s.mu.Lock()
	for _, t := range s.trackers {
		if t.tr != nil && t.State != StateGaveUp && (t.Started || t.mayKnow || t.inflight != nil) {
			targets = append(targets, t)
		}
	}
	s.mu.Unlock()
	return errors.Join(eachTracker(targets, func(t *tracker) error { return s.stopOne(ctx, t) })...)
}

// eachTracker runs fn for every tracker at once and returns their errors,
// in the order of targets, when all have returned. (Each fn's error is
// kept: none cancels the others.)
func eachTracker(targets []*tracker, fn func(*tracker) error) []error {
	errs := make([]error, len(targets))
	var g errgroup.Group
	for i, t := range targets {
		g.Go(func() error {
			errs[i] = fn(t)
			return nil
		})
	}
	g.Wait() // every fn returns nil to the group: errs holds the errors
	return errs
}

// stopRetryMin is the first wait before a failed stopped announce is sent
// again; it doubles each time, within Stop's deadline.
const stopRetryMin = 500 * time.Millisecond

// stopMinBound is the shortest bound of one stopped announce but the last.
const stopMinBound = time.Second

// stopBound bounds one stopped announce under Stop's deadline: 40 to 60%
// (at random) of the time left, or all of it when less than twice
// stopMinBound is left. An unanswered stopped is thus sent again (two or
// three times in 5 s) instead of waiting for a BEP 15 retransmit that the
// deadline never reaches: a datagram lost in a busy tracker's socket
// buffer gets another chance, and the random bound spreads a thousand
// Sessions' second sends out in time.
func stopBound(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	left := time.Until(d)
	if left < 2*stopMinBound {
		return 0
	}
	return time.Duration(float64(left) * (0.4 + 0.2*rand.Float64()))
}

// halfway returns the time half-way between now and ctx's deadline (now
// when ctx has none: Stop always sets one).
func halfway(ctx context.Context) time.Time {
	now := time.Now()
	d, ok := ctx.Deadline()
	if !ok || !d.After(now) {
		return now
	}
	return now.Add(d.Sub(now) / 2)
}

// stopOne does Stop's work for t (see Stop): it waits for the announce in
// flight, sends "completed" if owed, then "stopped" until it is
// acknowledged, the error is one retrying cannot fix (skipped, permanent),
// or ctx ends.
func (s *Session) stopOne(ctx context.Context, t *tracker) error {
	s.mu.Lock()
	a := t.inflight
	s.mu.Unlock()
	if a != nil {
		wait := time.NewTimer(time.Until(halfway(ctx)))
		select {
		case <-a.done:
		case <-wait.C:
			a.cancel() // the stopped goes now; the announce ends at once
		case <-ctx.Done():
			a.cancel()
		}
		wait.Stop()
		select {
		case <-a.done:
		case <-ctx.Done():
		}
	}
	s.mu.Lock()
	owed := t.Started || t.mayKnow || a != nil && owedStopped(a.errLocked())
	completed := owed && t.Started && s.completed && t.leecher && t.State != StateGaveUp
	s.mu.Unlock()
	if !owed {
		return nil
	}
	if completed && ctx.Err() == nil {
		cctx, cancel := context.WithDeadline(ctx, halfway(ctx))
		s.announce(cctx, t, transport.EventCompleted, nil)
		cancel()
	}

	s.mu.Lock()
	trackerID := t.trackerID
	if t.State != StateGaveUp {
		t.State = StateStopping
		s.stateChangedLocked(t, time.Now())
	}
	s.mu.Unlock()
	req := s.request(t, transport.EventStopped, trackerID)
	wait := stopRetryMin
	for {
		resp, err := s.call(ctx, t, req, stopBound(ctx), nil)
		now := time.Now()
		if err == nil {
			s.mu.Lock()
			t.Started, t.mayKnow, t.LastAnnounce = false, false, now
			t.Seeders, t.Leechers, t.Peers = resp.Complete, resp.Incomplete, 0
			if resp.ExternalIP.IsValid() {
				t.ExternalIP = resp.ExternalIP
			}
			s.mu.Unlock()
			for _, p := range resp.Peers { // numwant 0: a tracker sending peers anyway
				if p.Conn != nil {
					p.Conn.Close()
				}
			}
			s.events.push(UpdateEvent{Time: now, Tracker: t.url.redacted, InfoHash: t.InfoHash, Family: t.Family, Event: transport.EventStopped,
				Complete: resp.Complete, Incomplete: resp.Incomplete, Interval: resp.Interval, ExternalIP: resp.ExternalIP})
			return nil
		}
		final := ctx.Err() != nil || errors.Is(err, transport.ErrSkipped) ||
			transport.IsPermanent(err) || errors.Is(err, transport.ErrUnsupported)
		if !final {
			if d, ok := ctx.Deadline(); ok && now.Add(wait).After(d) {
				final = true
			}
		}
		if !final && errors.Is(err, transport.ErrTimeout) {
			continue // unanswered (a lost datagram?): send again at once
		}
		if final {
			s.mu.Lock()
			t.LastError = err
			s.mu.Unlock()
			s.c.log.Debug("stopped not delivered", "tracker", t.url.redacted, "err", err)
			s.events.push(ErrorEvent{Time: now, Tracker: t.url.redacted, InfoHash: t.InfoHash, Family: t.Family, Err: err, GaveUp: true})
			return err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
		wait *= 2
	}
}

// subscribeLocked registers t for asynchronous peers if its transport finds
// them (WebTorrent trackers relay WebRTC offers at any time).
func (s *Session) subscribeLocked(t *tracker) {
	ps, ok := t.tr.(transport.PeerSource) // false for a nil tr too
	if !ok || t.unsub != nil {
		return
	}
	redacted := t.url.redacted
	t.unsub = ps.Subscribe(t.url.u, t.InfoHash, func(p peer.Peer) {
		s.events.push(PeerEvent{Time: time.Now(), Tracker: redacted, Protocol: ProtocolWebRTC, Peers: []peer.Peer{p}})
	})
}
