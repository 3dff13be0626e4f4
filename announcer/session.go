package announcer

import (
	"context"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackerkit/trackerkit/internal/defaults"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// life is where a Session is in its lifecycle.
type life uint8

const (
	lifeNew      life = iota // made, not started
	lifeRunning              // started
	lifeStopping             // Stop is sending stopped announces
	lifeClosing              // Close is ending the goroutines
	lifeEnded                // every goroutine has exited
)

// Session keeps one torrent announced to its trackers. Make it with
// Client.NewSession, start it with Start, end it with Stop (graceful) or
// Close. Its methods are safe for concurrent use.
type Session struct {
	c           *Client
	hash        transport.InfoHash   // announced by every tracker; the truncated v2 hash for a v2-only torrent
	hashV2      transport.InfoHashV2 // zero unless v2 or hybrid
	key         uint32
	peerID      peer.ID
	port        atomic.Uint32 // SetPort changes it
	numWant     int32
	statsFn     func() Stats
	params      url.Values
	paramsFn    func() url.Values
	stateEvents bool
	scrapeEvery time.Duration
	tierMode    TierMode
	keepOrder   bool
	hybrid      bool // announced under hash and hashV2.Truncated() (hybrid.go)

	trackers []*tracker    // every URL, in tier order
	workers  []*worker     // the goroutines' work, made at NewSession
	urls     []*trackerURL // interned URLs to unref at the end
	events   eventQueue

	runCtx     context.Context // ends when Stop or Close begins: ends workers and scrapes
	cancelRun  context.CancelFunc
	callCtx    context.Context // ends at Close or the end of Stop: aborts announces in flight
	cancelCall context.CancelFunc
	wg         sync.WaitGroup // running workers and Scrape calls
	flights    sync.WaitGroup // announce attempts in flight (see attempt)
	done       chan struct{}  // closed when the Session has ended

	mu        sync.Mutex
	life      life
	completed bool
	ran       bool               // Start was called: end reports the trackers stopped
	reported  Stats              // the totals given to Update
	stopAfter func() bool        // unregisters Start's context watch
	abort     context.CancelFunc // ends a Stop in progress (Close)
}

// NewSession makes a Session for torrent t. It fails with ErrNoTrackers when
// t has no announce URL and ErrClosed after Client.Close. URLs that cannot be
// used (unparsable, or a scheme without a transport) do not fail it: they
// are reported at Start by an ErrorEvent with GaveUp set (see SchemeError).
func (c *Client) NewSession(t Torrent, opts SessionOptions) (*Session, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	s := &Session{
		c:           c,
		hash:        t.InfoHash,
		hashV2:      t.InfoHashV2,
		key:         opts.Key,
		peerID:      opts.PeerID,
		statsFn:     opts.Stats,
		params:      opts.Params,
		paramsFn:    opts.ParamsFunc,
		stateEvents: opts.StateEvents,
		scrapeEvery: opts.ScrapeInterval,
		reported:    Stats{Left: LeftUnknown},
		done:        make(chan struct{}),
	}
	defaults.Unset(&s.peerID, c.cfg.PeerID)
	if s.key == 0 {
		s.key = rand.Uint32()
	}
	defaults.Unset(&opts.Port, c.cfg.Port)
	s.port.Store(uint32(opts.Port))
	s.numWant = resolveNumWant(opts.NumWant, c.cfg.NumWant)
	if s.scrapeEvery > 0 {
		s.scrapeEvery = max(s.scrapeEvery, c.cfg.IntervalFloor)
	}
	// A v1 hash equal to the truncated v2 one is a v2-only torrent given
	// twice: announced once.
	hybrid := !s.hashV2.IsZero() && s.hash != (transport.InfoHash{}) && s.hash != s.hashV2.Truncated()
	if s.hash == (transport.InfoHash{}) && !s.hashV2.IsZero() {
		s.hash = s.hashV2.Truncated() // v2-only
	}
	s.tierMode, s.keepOrder = opts.TierMode, opts.KeepOrder
	s.buildTrackers(t.Tiers, s.tierMode, s.keepOrder, nil)
	s.hybrid = hybrid
	if hybrid {
		s.addHash(s.hashV2.Truncated())
	}
	if len(s.trackers) == 0 {
		return nil, ErrNoTrackers
	}
	s.events.init(c.cfg.EventBuffer, c.cfg.EventLinger, &c.wg, c.closing)
	s.runCtx, s.cancelRun = context.WithCancel(context.Background())
	s.callCtx, s.cancelCall = context.WithCancel(context.Background())

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.cancelRun()
		s.cancelCall()
		c.unrefURLs(s.urls)
		return nil, ErrClosed
	}
	c.sessions[s] = struct{}{}
	c.mu.Unlock()
	return s, nil
}

// resolveNumWant returns the numwant to send for a Session's option and the
// Client's (already defaulted) value: 0 for NumWantNone,
// transport.NumWantDefault for any other negative value, at most 2^20.
func resolveNumWant(session, client int) int32 {
	n := session
	if n == 0 {
		n = client
	}
	if n == NumWantNone {
		return 0
	}
	return int32(min(max(n, transport.NumWantDefault), 1<<20))
}

// InfoHash returns the torrent's info hash as trackers know it: the v1 hash,
// or for a v2-only torrent its truncated v2 hash. A hybrid torrent is also
// announced under its truncated v2 hash (see Torrent).
func (s *Session) InfoHash() transport.InfoHash { return s.hash }

// Events returns the Session's event stream. Read it until it is closed.
//
// Sending never blocks the Session: events wait in a buffer of
// Config.EventBuffer; while it is full, new events are dropped (the newest
// are lost, what is buffered stays in order) and counted, and a
// DroppedEvent with the count follows as soon as there is room. A dropped
// PeerEvent's WebRTC connection is closed.
//
// The channel is closed exactly once, after every goroutine of the Session
// has exited and the buffered events have been read; a consumer that stops
// reading loses what is still buffered Config.EventLinger after the end
// (or at Client.Close), and nothing leaks.
func (s *Session) Events() <-chan Event { return s.events.out }

// Start begins announcing: the first announce to each tracker sends
// "started". It returns at once; the Session runs until Stop, Close, or
// the end of ctx, which stops it as Stop does (stopped announces bounded by
// Config.StopTimeout), so a cancelled context never loses a stopped.
// Start fails with ErrStarted when called twice and ErrClosed after the
// Session ended. Started with a context that has already ended, it sends
// nothing, ends the Session (Events and Done are closed) and returns the
// context's error.
func (s *Session) Start(ctx context.Context) error {
	s.mu.Lock()
	switch s.life {
	case lifeNew:
	case lifeRunning:
		s.mu.Unlock()
		return ErrStarted
	default:
		s.mu.Unlock()
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		// Ended before it began: no tracker knows us, so nothing is owed.
		// The Session ends as Stop ends one never started, closing Events
		// and Done, so a consumer ranging over Events is not left waiting.
		s.life = lifeClosing
		s.mu.Unlock()
		s.end()
		return err
	}
	s.life = lifeRunning
	s.ran = true
	for _, t := range s.trackers {
		s.subscribeLocked(t)
	}
	if ctx.Done() != nil { // context.Background and the like never end: nothing to watch
		s.stopAfter = context.AfterFunc(ctx, func() { s.Stop(context.Background()) })
	}
	now := time.Now()
	for _, t := range s.trackers {
		if t.tr == nil {
			s.events.push(ErrorEvent{Time: now, Tracker: t.url.redacted, Err: t.LastError, GaveUp: true})
		}
	}
	for _, w := range s.workers {
		w.start()
	}
	s.mu.Unlock()
	return nil
}

// Announce forces an announce to the tracker in use of each tier, as soon
// as its "min interval" (at least Config.IntervalFloor) since the last one
// allows. A tracker that is failing keeps its retry time.
func (s *Session) Announce() {
	s.mu.Lock()
	running := s.life == lifeRunning
	workers := slices.Clone(s.workers) // dual-stack and SetTrackers change the list
	s.mu.Unlock()
	if !running {
		return
	}
	for _, w := range workers {
		w.force()
	}
}

// Update records new transfer totals and forces an announce as Announce
// does. The totals are those reported from now on unless
// SessionOptions.Stats is set, which then takes precedence. Until the
// first Update, a Session without SessionOptions.Stats reports Left
// LeftUnknown (a leecher of unknown size).
func (s *Session) Update(st Stats) {
	s.mu.Lock()
	s.reported = st
	s.mu.Unlock()
	s.Announce()
}

// Complete says the download finished. Each tracker that acknowledged our
// "started" while we were downloading (Left > 0) is sent "completed" at
// once, once: an event is not a re-announce, so min interval does not hold
// it back (it holds back Announce and Update only). A tracker with an
// announce in flight is sent it as soon as that one is answered; one that
// cannot be reached keeps it pending, for its next announce or for Stop,
// which sends it before "stopped". A Session that started as a seeder
// sends none. Report Left 0 from then on. Later calls do nothing.
func (s *Session) Complete() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.completed {
		return
	}
	s.completed = true
	if s.life != lifeRunning {
		return
	}
	for _, w := range s.workers {
		for _, tier := range w.tiers {
			for _, t := range tier {
				if t.State != StateGaveUp && t.pendingEvent(true) == transport.EventCompleted && t.inflight == nil {
					s.startAttemptLocked(t, w)
				}
			}
		}
	}
}

// stats returns the totals to report now.
func (s *Session) stats() Stats {
	if s.statsFn != nil {
		return s.statsFn()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reported
}

// Trackers returns a snapshot of every announce URL, in tier order.
func (s *Session) Trackers() []TrackerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TrackerStatus, len(s.trackers))
	for i, t := range s.trackers {
		out[i] = t.TrackerStatus
	}
	return out
}

// Done returns a channel closed when the Session has ended (after Stop,
// Close, or the end of Start's context), every goroutine but the event
// delivery having exited.
func (s *Session) Done() <-chan struct{} { return s.done }
