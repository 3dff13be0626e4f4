package announcer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Stop leaves the swarm gracefully: it ends the announce goroutines, then
// sends "stopped" (numwant 0) in parallel to every tracker that acknowledged
// "started", retrying failures until ctx ends or Config.StopTimeout passes,
// whichever is first, and ends the Session. It returns the errors of the
// stopped announces that did not get through (joined), or nil.
//
// Stop on a Session never started ends it and sends nothing. A second Stop
// (or a Stop during Close) waits for the Session to end, until ctx ends.
// Close during Stop abandons the stopped announces at once.
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
	s.abort = cancel
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
	unsub := s.unsub
	s.unsub = nil
	for _, w := range s.workers {
		w.stopLocked()
	}
	s.mu.Unlock()
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
	s.wg.Wait()
	s.mu.Lock()
	s.life = lifeEnded
	for _, t := range s.trackers {
		if t.state != StateGaveUp {
			t.state, t.next = StateStopped, time.Time{}
			if s.ran { // a Session never started has nothing to tell
				s.stateChangedLocked(t, time.Now())
			}
		}
	}
	s.mu.Unlock()
	s.c.mu.Lock()
	delete(s.c.sessions, s)
	s.c.mu.Unlock()
	s.c.releaseURLs(s.urls)
	s.events.end()
	close(s.done)
}

// sendStopped sends "stopped" to every tracker that acknowledged "started"
// and has not been given up, in parallel, each retried until ctx ends.
func (s *Session) sendStopped(ctx context.Context) error {
	var targets []*tracker
	s.mu.Lock()
	for _, t := range s.trackers {
		if t.started && t.tr != nil && t.state != StateGaveUp {
			t.state = StateStopping
			s.stateChangedLocked(t, time.Now())
			targets = append(targets, t)
		}
	}
	s.mu.Unlock()
	return errors.Join(eachTracker(targets, func(t *tracker) error { return s.stopOne(ctx, t) })...)
}

// eachTracker runs fn for every tracker at once and returns their errors,
// in the order of targets, when all have returned.
func eachTracker(targets []*tracker, fn func(*tracker) error) []error {
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(t)
		}()
	}
	wg.Wait()
	return errs
}

// stopRetryMin is the first wait before a failed stopped announce is sent
// again; it doubles each time, within Stop's deadline.
const stopRetryMin = 500 * time.Millisecond

// stopOne sends "stopped" to t until it is acknowledged, the error is one
// retrying cannot fix (skipped, permanent), or ctx ends.
func (s *Session) stopOne(ctx context.Context, t *tracker) error {
	s.mu.Lock()
	trackerID := t.trackerID
	s.mu.Unlock()
	req := s.request(transport.EventStopped, trackerID)
	wait := stopRetryMin
	for {
		resp, err := s.call(ctx, t, req)
		now := time.Now()
		if err == nil {
			s.mu.Lock()
			t.started, t.last = false, now
			t.seeders, t.leechers, t.peers = resp.Complete, resp.Incomplete, 0
			if resp.ExternalIP.IsValid() {
				t.externalIP = resp.ExternalIP
			}
			s.mu.Unlock()
			for _, p := range resp.Peers { // numwant 0: a tracker sending peers anyway
				if p.Conn != nil {
					p.Conn.Close()
				}
			}
			s.events.push(UpdateEvent{Time: now, Tracker: t.url.redacted, Event: transport.EventStopped,
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
		if final {
			s.mu.Lock()
			t.lastErr = err
			s.mu.Unlock()
			s.c.log.Debug("stopped not delivered", "tracker", t.url.redacted, "err", err)
			s.events.push(ErrorEvent{Time: now, Tracker: t.url.redacted, Err: err, GaveUp: true})
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

// subscribeLocked registers for asynchronous peers with every transport
// that finds them (WebTorrent trackers relay WebRTC offers at any time).
func (s *Session) subscribeLocked() {
	for _, t := range s.trackers {
		ps, ok := t.tr.(transport.PeerSource)
		if !ok || t.tr == nil {
			continue
		}
		redacted := t.url.redacted
		s.unsub = append(s.unsub, ps.Subscribe(t.url.u, s.hash, func(p peer.Peer) {
			s.events.push(PeerEvent{Time: time.Now(), Tracker: redacted, Protocol: ProtocolWebRTC, Peers: []peer.Peer{p}})
		}))
	}
}
