package announcer

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// tracker is one announce URL of a Session and what the Session knows of
// it. The fields after the first block are guarded by Session.mu; the
// worker that owns the tracker is the only writer, apart from Stop once
// the workers have exited.
type tracker struct {
	url  *trackerURL         // shared with other Sessions; read-only
	tr   transport.Transport // nil: the URL is unusable
	tier int

	state        State
	started      bool // acknowledged "started": will be sent "stopped"
	leecher      bool // acknowledged us with left > 0: owed "completed" once we finish
	interval     time.Duration
	minInterval  time.Duration
	last         time.Time // last successful announce
	next         time.Time // next announce or retry; zero: none planned
	seeders      int
	leechers     int
	peers        int
	offers       int // WebRTC offers the last reply's announce carried
	offersWanted int
	failures     int
	lastErr      error
	warning      string
	trackerID    string
	bo           *backoff.ExponentialBackOff // nil while healthy
}

// outcome is how one announce attempt ended, for the worker's choices.
type outcome uint8

const (
	outcomeOK           outcome = iota
	outcomeFailed               // counted failure, retry at t.next
	outcomeSkipped              // not tried: address family unreachable
	outcomeGaveUp               // the URL is given up
	outcomeAborted              // the Session is ending
	outcomeReconnecting         // the transport reconnects by itself (failed only)
)

// pendingEvent returns the event t is owed, most important first: started
// until acknowledged, then completed (once, to a tracker that knew us as a
// leecher, after Complete), else none.
func (t *tracker) pendingEvent(completed bool) transport.Event {
	switch {
	case !t.started:
		return transport.EventStarted
	case completed && t.leecher:
		return transport.EventCompleted
	}
	return transport.EventNone
}

// announce sends one announce to t (never the stopped one: see stop) and
// records the result. It emits UpdateEvent, WarningEvent and PeerEvents on
// success, ErrorEvent on failure.
func (s *Session) announce(ctx context.Context, t *tracker) outcome {
	s.mu.Lock()
	ev := t.pendingEvent(s.completed)
	trackerID := t.trackerID
	prev := t.state
	t.state = StateAnnouncing
	s.mu.Unlock()

	req := s.request(ev, trackerID)
	resp, err := s.call(ctx, t, req)
	now := time.Now()
	if err != nil && ctx.Err() != nil {
		s.mu.Lock()
		t.state = prev
		s.mu.Unlock()
		return outcomeAborted
	}
	if err != nil {
		return s.failed(t, err, now)
	}

	s.mu.Lock()
	t.state = StateOK
	t.failures, t.bo = 0, nil
	t.interval, t.minInterval = resp.Interval, resp.MinInterval
	t.last = now
	t.next = now.Add(s.c.clampInterval(resp.Interval))
	t.seeders, t.leechers, t.peers = resp.Complete, resp.Incomplete, len(resp.Peers)
	t.offers, t.offersWanted = resp.Offers, resp.OffersWanted
	t.warning = resp.Warning
	if resp.TrackerID != "" {
		t.trackerID = resp.TrackerID
	}
	switch ev {
	case transport.EventStarted:
		t.started, t.leecher = true, req.Left != 0
	case transport.EventCompleted:
		t.leecher = false
	}
	s.mu.Unlock()

	if s.c.log.Enabled(ctx, slog.LevelDebug) { // spare 10,000 sessions the arguments
		s.c.log.Debug("announce", "tracker", t.url.redacted, "event", ev.String(),
			"interval", resp.Interval, "peers", len(resp.Peers))
	}
	s.emitReply(t, ev, resp, now)
	return outcomeOK
}

// call runs one transport call under the Client's concurrency limit.
func (s *Session) call(ctx context.Context, t *tracker, req *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	if err := s.c.acquire(ctx, t.url); err != nil {
		return nil, s.wrap("announce", t, err)
	}
	defer s.c.release(t.url)
	resp, err := t.tr.Announce(ctx, t.url.u, req)
	if err == nil && resp == nil {
		err = &transport.MalformedError{What: "transport returned no response"}
	}
	if err != nil {
		return nil, s.wrap("announce", t, err)
	}
	return resp, nil
}

// wrap makes err a *transport.Error for t unless it is one already (a
// user-supplied transport may return anything).
func (s *Session) wrap(op string, t *tracker, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		return err
	}
	return &transport.Error{Op: op, URL: t.url.redacted, Err: err}
}

// request builds an announce request with the current stats.
func (s *Session) request(ev transport.Event, trackerID string) *transport.AnnounceRequest {
	st := s.stats()
	numWant := s.numWant
	if ev == transport.EventStopped {
		numWant = 0
	}
	return &transport.AnnounceRequest{
		InfoHash:   s.hash,
		PeerID:     s.c.cfg.PeerID,
		Port:       s.port,
		Uploaded:   st.Uploaded,
		Downloaded: st.Downloaded,
		Left:       st.Left,
		Event:      ev,
		NumWant:    numWant,
		Key:        s.key,
		TrackerID:  trackerID,
	}
}

// failed records a failed announce and decides what comes next: a skipped
// tracker waits without counting a failure, and so does one whose
// transport is reconnecting (it shows StateReconnecting and emits no
// ErrorEvent: it is not failing); a permanent error (HTTP 410,
// "retry in: never", unsupported) gives the URL up; anything else backs off.
func (s *Session) failed(t *tracker, err error, now time.Time) outcome {
	ev := ErrorEvent{Time: now, Tracker: t.url.redacted, Err: err}
	res := outcomeFailed
	var reconnecting *transport.ReconnectingError
	s.mu.Lock()
	t.lastErr = err
	switch {
	case errors.As(err, &reconnecting):
		// The transport reconnects by itself and re-sends then: ask again
		// at that time; not a failure (the tracker is not refusing us).
		t.state = StateReconnecting
		t.next = reconnecting.At
		if floor := now.Add(time.Second); t.next.Before(floor) {
			t.next = floor
		}
		ev.NextTry = t.next
		res = outcomeReconnecting
	case errors.Is(err, transport.ErrSkipped):
		t.state = StateSkipped
		t.next = now.Add(s.c.clampInterval(skippedRetry))
		ev.NextTry = t.next
		res = outcomeSkipped
	case transport.IsPermanent(err) || errors.Is(err, transport.ErrUnsupported):
		t.state = StateGaveUp
		t.failures++
		t.next, t.bo = time.Time{}, nil
		ev.Failures, ev.GaveUp = t.failures, true
		res = outcomeGaveUp
	default:
		var fe *transport.FailureError
		var retryIn time.Duration
		if errors.As(err, &fe) {
			retryIn = fe.RetryIn
		}
		t.state = StateBackingOff
		t.failures++
		t.next = now.Add(s.c.retryDelay(t, retryIn))
		ev.Failures, ev.NextTry = t.failures, t.next
	}
	s.mu.Unlock()
	if res == outcomeGaveUp {
		s.c.log.Warn("tracker given up", "tracker", t.url.redacted, "err", err)
	} else if s.c.log.Enabled(context.Background(), slog.LevelDebug) {
		s.c.log.Debug("announce failed", "tracker", t.url.redacted, "err", err, "next", ev.NextTry)
	}
	if res == outcomeReconnecting {
		return outcomeFailed // for the worker: try the next tracker meanwhile
	}
	s.events.push(ev)
	return res
}

// emitReply emits the events of one successful announce: the update, the
// warning if any, and each distinct peer once.
func (s *Session) emitReply(t *tracker, ev transport.Event, resp *transport.AnnounceResponse, now time.Time) {
	s.events.push(UpdateEvent{
		Time: now, Tracker: t.url.redacted, Event: ev,
		Complete: resp.Complete, Incomplete: resp.Incomplete,
		Interval: resp.Interval, Peers: len(resp.Peers),
		Offers: resp.Offers, OffersWanted: resp.OffersWanted,
	})
	if resp.Warning != "" {
		s.events.push(WarningEvent{Time: now, Tracker: t.url.redacted, Message: resp.Warning})
	}
	if len(resp.Peers) == 0 {
		return
	}
	seen := make(map[peerKey]struct{}, len(resp.Peers))
	for _, p := range resp.Peers {
		k := peerKey{addr: p.Addr, host: p.Host}
		if !p.Addr.IsValid() && p.Host == "" {
			k.id = p.ID // a peer known only by ID (WebRTC)
		}
		if _, dup := seen[k]; dup {
			if p.Conn != nil {
				p.Conn.Close()
			}
			continue
		}
		seen[k] = struct{}{}
		s.events.push(PeerEvent{Time: now, Tracker: t.url.redacted, Protocol: t.url.proto, Peer: p})
	}
}

// peerKey identifies a peer within one reply: by address (or host name and
// port), or by ID when it has no address.
type peerKey struct {
	addr netip.AddrPort
	host string
	id   peer.ID
}
