package announcer

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net/netip"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// tracker is one announce URL of a Session and what the Session knows of
// it. What it reports is its embedded TrackerStatus, kept up to date in
// place: Session.Trackers and StateEvent copy it whole, so a field added to
// TrackerStatus is reported where it is set. Its URL, Protocol and InfoHash
// (the hash announced here: the Session's, or a hybrid's truncated v2 hash)
// never change once newTracker set them. The rest of TrackerStatus and the
// fields after the first block below are guarded by Session.mu; the worker
// that owns the tracker is the only writer, apart from Stop once the
// workers have exited (and SetTrackers, which moves a kept tracker's Tier).
type tracker struct {
	TrackerStatus

	url *trackerURL         // shared with other Sessions; read-only
	tr  transport.Transport // nil: the URL is unusable
	key string              // the normalized URL (SetTrackers matches trackers by it)
	w   *worker             // the worker that owns it; nil for an unusable URL
	// origin is the tracker a dual-stack sibling was split from (it goes
	// where its origin goes on SetTrackers); nil for the others.
	origin *tracker

	unsub      func()      // the PeerSource subscription, if any
	forceTimer *time.Timer // AnnounceTo's pending announce
	twin       *tracker    // a hybrid's same URL under its other hash; nil otherwise

	// familyDone: the families of the URL were looked at (dualstack.go);
	// Family then is the one this tracker's announces are forced to
	// (dual-stack: one tracker per family of the URL), FamilyAny: none.
	familyDone bool

	delivered   map[peerKey]struct{} // a hybrid twin's peers of its last reply (hybrid.go)
	deliveredAt time.Time

	leecher    bool // acknowledged us with left > 0: owed "completed" once we finish
	mayKnow    bool // an unanswered started may have registered us: will be sent "stopped"
	sized      bool // that started carried a known size (not LeftUnknown): Left 0 then means finished
	trackerID  string
	shown      State                       // the state the last StateEvent carried
	bo         *backoff.ExponentialBackOff // nil while healthy
	inflight   *attempt                    // the announce on the wire, if any
	boundTimer *time.Timer                 // ends attempts at their bound (armBound); nil until the first
	boundAt    time.Time                   // when the armed bound is due
	boundCut   context.CancelCauseFunc     // ends the armed attempt; nil: none armed
}

// newTracker returns the tracker of url announcing hash, in tier tier,
// with nothing known of it yet.
func newTracker(key string, url *trackerURL, tr transport.Transport, tier int, hash transport.InfoHash) *tracker {
	return &tracker{
		TrackerStatus: TrackerStatus{
			URL: url.redacted, InfoHash: hash, Tier: tier, Protocol: url.proto,
			Seeders: -1, Leechers: -1,
		},
		url: url, tr: tr, key: key,
	}
}

// outcome is how one announce attempt ended, for the worker's choices.
type outcome uint8

const (
	outcomeOK           outcome = iota
	outcomeFailed               // counted failure, retry at t.NextAnnounce
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
	case !t.Started:
		return transport.EventStarted
	case completed && t.leecher:
		return transport.EventCompleted
	}
	return transport.EventNone
}

// announce sends one announce carrying ev to t (never the stopped one: see
// stopOne) within t's attempt timeout, and records the result. It emits
// UpdateEvent, WarningEvent and a PeerEvent on success, ErrorEvent on
// failure. An announce cut short by the end of ctx (the Session ending) is
// outcomeAborted: nothing is recorded, its error is returned.
//
// cut, when set, ends ctx with a cause: the attempt's bound uses it rather
// than a context of its own (see call).
func (s *Session) announce(ctx context.Context, t *tracker, ev transport.Event, cut context.CancelCauseFunc) (outcome, error) {
	s.mu.Lock()
	trackerID := t.trackerID
	prev := t.State
	t.State = StateAnnouncing
	bound := s.c.attemptTimeout(t)
	s.stateChangedLocked(t, time.Now())
	s.mu.Unlock()

	req := s.request(t, ev, trackerID)
	if ev == transport.EventNone && req.Left == 0 {
		// The download finished (Stats say Left 0) but this tracker knows
		// us as a leecher: a plain announce would make it count us a
		// seeder that never completed. It carries "completed" instead
		// (see "Lifecycle" in doc.go).
		s.mu.Lock()
		if t.Started && t.leecher && (t.sized || s.completed) {
			ev = transport.EventCompleted
			req.Event = ev
		}
		s.mu.Unlock()
	}
	resp, err := s.call(ctx, t, req, bound, cut)
	left := req.Left
	s.c.requests.Put(req) // transports keep no request after a call (transport.Transport)
	now := time.Now()
	if err != nil && ctx.Err() != nil && context.Cause(ctx) != errAttemptTimeout {
		s.mu.Lock()
		if t.State == StateAnnouncing {
			t.State = prev
		}
		s.stateChangedLocked(t, now)
		s.mu.Unlock()
		return outcomeAborted, err
	}
	if err != nil {
		return s.failed(t, err, now), err
	}

	s.mu.Lock()
	t.State = StateOK
	t.Failures, t.bo = 0, nil
	t.Interval, t.MinInterval = resp.Interval, resp.MinInterval
	t.LastAnnounce = now
	t.NextAnnounce = now.Add(s.c.clampInterval(resp.Interval))
	t.Seeders, t.Leechers, t.Peers = resp.Complete, resp.Incomplete, len(resp.Peers)
	t.Offers, t.OffersWanted = resp.Offers, resp.OffersWanted
	t.Warning = resp.Warning
	if resp.ExternalIP.IsValid() {
		t.ExternalIP = resp.ExternalIP
	}
	if resp.TrackerID != "" {
		t.trackerID = resp.TrackerID
	}
	switch ev {
	case transport.EventStarted:
		t.Started, t.leecher, t.sized = true, left != 0, left > 0
	case transport.EventCompleted:
		t.leecher = false
	}
	s.stateChangedLocked(t, now)
	s.mu.Unlock()

	if s.c.log.Enabled(ctx, slog.LevelDebug) { // spare 10,000 sessions the arguments
		s.c.log.Debug("announce", "tracker", t.url.redacted, "event", ev.String(),
			"interval", resp.Interval, "peers", len(resp.Peers))
	}
	s.emitReply(t, ev, resp, now)
	return outcomeOK, nil
}

// call runs one transport call (the caller holds the slots a regular
// announce needs: see attempt). bound, when positive, limits it; reaching
// it is a transport.ErrTimeout.
//
// With cut (ctx's own cancel), the bound ends ctx itself, through the
// tracker's bound timer (armBound); without, a bounded context is derived.
func (s *Session) call(ctx context.Context, t *tracker, req *transport.AnnounceRequest, bound time.Duration, cut context.CancelCauseFunc) (*transport.AnnounceResponse, error) {
	callCtx := ctx
	switch {
	case bound > 0 && cut != nil:
		s.armBound(t, bound, cut)
		defer s.disarmBound(t)
	case bound > 0:
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeoutCause(ctx, bound, errAttemptTimeout)
		defer cancel()
	}
	sent := time.Now()
	resp, err := t.tr.Announce(callCtx, t.url.u, req)
	if err == nil && resp == nil {
		err = &transport.MalformedError{What: "transport returned no response"}
	}
	if err == nil {
		s.mu.Lock()
		t.recordRTTLocked(time.Since(sent))
		s.mu.Unlock()
	}
	if err != nil && context.Cause(callCtx) == errAttemptTimeout && (callCtx == ctx || ctx.Err() == nil) {
		err = timeoutErr(bound)
	}
	if err != nil {
		return nil, s.wrap("announce", t, err)
	}
	return resp, nil
}

// armBound makes t's bound timer end the attempt's context (cut) with
// errAttemptTimeout after d. A tracker has one attempt at a time, so one
// timer per tracker, reused, serves all of them: an announce arms no timer
// of its own.
func (s *Session) armBound(t *tracker, d time.Duration, cut context.CancelCauseFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.boundAt, t.boundCut = time.Now().Add(d), cut
	if t.boundTimer == nil {
		t.boundTimer = time.AfterFunc(d, func() { s.boundFired(t) })
		return
	}
	t.boundTimer.Reset(d)
}

func (s *Session) disarmBound(t *tracker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.boundCut = nil
	t.boundTimer.Stop()
}

// boundFired is the bound timer's function. A firing that comes late, for
// an attempt already over, finds boundCut unset or a later boundAt.
func (s *Session) boundFired(t *tracker) {
	s.mu.Lock()
	cut := t.boundCut
	if cut == nil || time.Now().Before(t.boundAt) {
		s.mu.Unlock()
		return
	}
	t.boundCut = nil
	s.mu.Unlock()
	cut(errAttemptTimeout)
}

// isEvent reports whether an announce carries an event that must not wait
// behind regular announces: completed or stopped. (A started is the first
// regular announce: it is paced like the others.)
func isEvent(ev transport.Event) bool {
	return ev == transport.EventCompleted || ev == transport.EventStopped
}

// wrap makes err a *transport.Error for t unless it is one already (a
// user-supplied transport may return anything).
func (s *Session) wrap(op string, t *tracker, err error) error {
	return transport.Wrap(op, t.url.redacted, err)
}

// request builds an announce to t with the current stats.
func (s *Session) request(t *tracker, ev transport.Event, trackerID string) *transport.AnnounceRequest {
	st := s.stats()
	numWant := s.numWant
	if ev == transport.EventStopped {
		numWant = 0
	}
	req := s.c.requests.Get().(*transport.AnnounceRequest)
	*req = transport.AnnounceRequest{
		InfoHash:   t.InfoHash,
		PeerID:     s.peerID,
		Port:       uint16(s.port.Load()),
		Uploaded:   st.Uploaded,
		Downloaded: st.Downloaded,
		Left:       st.Left,
		Event:      ev,
		NumWant:    numWant,
		Key:        s.key,
		TrackerID:  trackerID,
		Params:     s.announceParams(),
		Family:     s.familyOf(t),
		IP:         s.c.cfg.AnnounceIP,
	}
	return req
}

// announceParams returns the custom parameters of the next announce: the
// static ones, with those of ParamsFunc replacing them name by name.
func (s *Session) announceParams() url.Values {
	if s.paramsFn == nil {
		return s.params // shared: transports never modify a request
	}
	fresh := s.paramsFn()
	if len(s.params) == 0 {
		return fresh
	}
	out := make(url.Values, len(s.params)+len(fresh))
	for k, v := range s.params {
		out[k] = v
	}
	for k, v := range fresh {
		out[k] = v
	}
	return out
}

// failed records a failed announce and decides what comes next: a skipped
// tracker waits without counting a failure, and so does one whose
// transport is reconnecting (it shows StateReconnecting and emits no
// ErrorEvent: it is not failing); a permanent error (HTTP 410,
// "retry in: never", unsupported) gives the URL up; anything else backs off.
func (s *Session) failed(t *tracker, err error, now time.Time) outcome {
	ev := ErrorEvent{Time: now, Tracker: t.url.redacted, InfoHash: t.InfoHash, Family: t.Family, Err: err}
	res := outcomeFailed
	var reconnecting *transport.ReconnectingError
	s.mu.Lock()
	t.LastError = err
	if !t.Started && errors.Is(err, transport.ErrTimeout) {
		// An unanswered started may still have registered us (the last
		// UDP resend goes out at the attempt's bound): owed a stopped.
		t.mayKnow = true
	}
	switch {
	case errors.As(err, &reconnecting):
		// The transport reconnects by itself and re-sends then: ask again
		// at that time; not a failure (the tracker is not refusing us).
		t.State = StateReconnecting
		t.NextAnnounce = reconnecting.At
		if floor := now.Add(time.Second); t.NextAnnounce.Before(floor) {
			t.NextAnnounce = floor
		}
		ev.NextTry = t.NextAnnounce
		res = outcomeReconnecting
	case errors.Is(err, transport.ErrSkipped):
		t.State = StateSkipped
		t.NextAnnounce = now.Add(s.c.clampInterval(skippedRetry))
		ev.NextTry = t.NextAnnounce
		res = outcomeSkipped
	case transport.IsPermanent(err) || errors.Is(err, transport.ErrUnsupported):
		t.State = StateGaveUp
		t.Failures++
		t.NextAnnounce, t.bo = time.Time{}, nil
		ev.Failures, ev.GaveUp = t.Failures, true
		res = outcomeGaveUp
	default:
		var fe *transport.FailureError
		var retryIn time.Duration
		if errors.As(err, &fe) {
			retryIn = fe.RetryIn
		}
		t.State = StateBackingOff
		t.Failures++
		t.NextAnnounce = now.Add(s.c.retryDelay(t, retryIn))
		ev.Failures, ev.NextTry = t.Failures, t.NextAnnounce
	}
	s.stateChangedLocked(t, now)
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
// warning if any, and the distinct peers together in one PeerEvent. Each is
// pushed without blocking and without a goroutine of its own (see
// eventQueue).
func (s *Session) emitReply(t *tracker, ev transport.Event, resp *transport.AnnounceResponse, now time.Time) {
	s.events.push(UpdateEvent{
		Time: now, Tracker: t.url.redacted, InfoHash: t.InfoHash, Family: t.Family, Event: ev,
		Complete: resp.Complete, Incomplete: resp.Incomplete,
		Interval: resp.Interval, Peers: len(resp.Peers), ExternalIP: resp.ExternalIP,
		Offers: resp.Offers, OffersWanted: resp.OffersWanted,
	})
	if resp.Warning != "" {
		s.events.push(WarningEvent{Time: now, Tracker: t.url.redacted, Message: resp.Warning, Family: t.Family})
	}
	if peers := s.notFromTwin(t, distinctPeers(resp.Peers), now); len(peers) > 0 {
		s.events.push(PeerEvent{Time: now, Tracker: t.url.redacted, Protocol: t.url.proto, Peers: peers, Family: t.Family})
	}
}

// distinctPeers returns peers without repeats (the first of each is kept; a
// repeat's WebRTC connection is closed). Without repeats, the common case,
// it returns peers itself and allocates nothing: a reply of up to
// dedupTableMax peers is checked with an open-addressing table on the
// stack, a larger one with a map.
func distinctPeers(peers []peer.Peer) []peer.Peer {
	if len(peers) < 2 {
		return peers
	}
	if len(peers) <= dedupTableMax {
		var table [2 * dedupTableMax]int16 // 1 + index into peers; 0: empty
		mask := uint64(len(table) - 1)
		clean := true
	fill:
		for i := range peers {
			k := keyOf(&peers[i])
			for h := k.hash() & mask; ; h = (h + 1) & mask {
				j := table[h]
				if j == 0 {
					table[h] = int16(i + 1)
					break
				}
				if keyOf(&peers[j-1]) == k {
					clean = false
					break fill
				}
			}
		}
		if clean {
			return peers
		}
	}
	seen := make(map[peerKey]struct{}, len(peers))
	var out []peer.Peer // nil until the first repeat
	for i := range peers {
		p := &peers[i]
		k := keyOf(p)
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			if out != nil {
				out = append(out, *p)
			}
			continue
		}
		if out == nil {
			out = append(make([]peer.Peer, 0, len(peers)), peers[:i]...)
		}
		if p.Conn != nil {
			p.Conn.Close()
		}
	}
	if out == nil {
		return peers
	}
	return out
}

// dedupTableMax is the largest reply checked for repeats without
// allocating (a 512-byte table on the stack).
const dedupTableMax = 128

// peerKey identifies a peer within one reply: by address (or host name and
// port), or by ID when it has no address.
type peerKey struct {
	addr netip.AddrPort
	host string
	id   peer.ID
}

func keyOf(p *peer.Peer) peerKey {
	k := peerKey{addr: p.Addr, host: p.Host}
	if !p.Addr.IsValid() && p.Host == "" {
		k.id = p.ID // a peer known only by ID (WebRTC)
	}
	return k
}

// hash mixes the key's bytes, eight at a time, and finishes with MurmurHash3's
// fmix64 so that every input bit reaches the low bits the table uses.
func (k peerKey) hash() uint64 {
	const m = 0x9e3779b97f4a7c15
	mix := func(h, w uint64) uint64 { h = (h ^ w) * m; return h ^ h>>32 }
	a := k.addr.Addr().As16() // zeros for the zero Addr
	h := mix(uint64(k.addr.Port())+1, binary.LittleEndian.Uint64(a[:8]))
	h = mix(h, binary.LittleEndian.Uint64(a[8:]))
	for i := 0; i < len(k.host); i++ {
		h = mix(h, uint64(k.host[i]))
	}
	if !k.id.IsZero() {
		h = mix(h, binary.LittleEndian.Uint64(k.id[:8]))
		h = mix(h, binary.LittleEndian.Uint64(k.id[8:16]))
		h = mix(h, uint64(binary.LittleEndian.Uint32(k.id[16:])))
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}
