package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// A socket is the one WebSocket to one tracker URL, shared by every torrent
// announced through it. Its run goroutine dials, serves the connection,
// reconnects with backoff, and retires the socket once nothing uses it.
// Requests are queued while it is down and sent when it is up; replies are
// matched to requests by info hash, oldest first.

type reqKind uint8

const (
	kindAnnounce reqKind = iota
	kindScrape
	kindAnswer // no reply expected
)

// request is one message to the tracker, and who waits for its reply.
type request struct {
	kind     reqKind
	infoHash transport.InfoHash   // announce, answer
	params   announceParams       // announce; Offers is filled at send time
	offers   []*peerConn          // announce
	hashes   []transport.InfoHash // scrape
	raw      []byte               // answer
	reply    chan result          // buffered 1; nil for internal requests
	deadline time.Time            // the caller's; zero for internal requests
	// wanted is how many offers the announce should carry (see
	// AnnounceResponse.OffersWanted).
	wanted int
	// abandoned: the caller gave up after the request was sent; its reply is
	// still absorbed so that it is not taken for a later request's.
	abandoned bool
	// adopted: an internal re-announce a caller took over (see announce).
	adopted bool
}

// result is a request's outcome: the tracker's reply, or why there is none.
type result struct {
	msg *message
	err error
}

// torrent is what the socket re-announces after a reconnect.
type torrent struct {
	req transport.AnnounceRequest
	// registered: the tracker answered an announce of it (see settleLocked).
	registered bool
}

type socket struct {
	t        *Transport
	u        *url.URL
	key      string
	redacted string
	wake     chan struct{} // buffered 1: the queue changed

	mu        sync.Mutex
	retired   bool
	lastErr   error     // why the socket last went down
	lastDown  time.Time // when
	up        bool      // a connection is being served
	redialAt  time.Time // while down and waiting to redial: when; else zero
	calls     int       // Announce and Scrape calls in progress
	answering int       // relayed offers being answered
	queue     []*request
	sent      []*request // sent on the current connection, awaiting a reply
	torrents  map[transport.InfoHash]*torrent
}

func newSocket(t *Transport, u *url.URL) *socket {
	uc := *u
	return &socket{
		t:        t,
		u:        &uc,
		key:      u.String(),
		redacted: transport.Redact(u),
		wake:     make(chan struct{}, 1),
		torrents: make(map[transport.InfoHash]*torrent),
	}
}

func (s *socket) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *socket) idleLocked() bool {
	if len(s.torrents) > 0 || s.calls > 0 || s.answering > 0 || len(s.queue) > 0 {
		return false
	}
	for _, r := range s.sent {
		if !r.abandoned && r.reply != nil {
			return false
		}
	}
	return true
}

// end ends a call registered by Transport.acquire.
func (s *socket) end() {
	s.mu.Lock()
	s.calls--
	s.mu.Unlock()
	s.kick()
}

func (s *socket) enqueue(r *request) {
	s.mu.Lock()
	s.queue = append(s.queue, r)
	s.mu.Unlock()
	s.kick()
}

// withdraw forgets r after its caller gave up.
func (s *socket) withdraw(r *request) {
	s.mu.Lock()
	if r.adopted { // the re-announce stays, nobody waits for it now
		r.reply, r.adopted = nil, false
		s.mu.Unlock()
		return
	}
	if i := slices.Index(s.queue, r); i >= 0 {
		s.queue = slices.Delete(s.queue, i, i+1)
		s.mu.Unlock()
		closeAll(r.offers) // never sent: nobody can answer them
		return
	}
	r.abandoned = true
	s.mu.Unlock()
}

// announce implements Transport.Announce on this socket.
//
// While the socket is down and its next dial is beyond the call's deadline,
// an announce does not wait for it: it is kept as the torrent's re-announce
// (sent, with event "started", once the socket is back) if the tracker
// listed the torrent (see settleLocked), and fails at once
// with a *transport.ReconnectingError saying when that will be, so that the
// caller asks again then and does not count a failure. A stopped announce
// then succeeds at once: the tracker forgot the torrent when the socket
// dropped (closing a socket counts as "stopped"), so nothing is owed.
func (s *socket) announce(ctx context.Context, req transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	start := time.Now()
	h := req.InfoHash
	var tor *torrent // what this call set as h's re-announce; nil for stopped
	refused := false
	fail := func(err error) (*transport.AnnounceResponse, error) {
		s.mu.Lock()
		s.settleLocked(h, tor, false, refused)
		s.mu.Unlock()
		return nil, transport.Wrap("announce", s.redacted, err)
	}
	k := subKey{s.key, h}
	want := s.wantOffers(&req)
	deadline, _ := ctx.Deadline()
	s.mu.Lock()
	var stale []*peerConn
	if req.Event == transport.EventStopped {
		stale = s.forgetLocked(h)
	} else {
		old := s.torrents[h]
		tor = &torrent{req: req, registered: old != nil && old.registered}
		s.torrents[h] = tor
	}
	if re := s.reconnectingLocked(deadline); re != nil {
		s.settleLocked(h, tor, false, false)
		s.mu.Unlock()
		closeAll(stale)
		if req.Event == transport.EventStopped {
			closeAll(s.t.offers.forget(k))
			return &transport.AnnounceResponse{Complete: -1, Incomplete: -1}, nil
		}
		return fail(re)
	}
	r := s.adoptLocked(h, req.Event)
	s.mu.Unlock()
	closeAll(stale)
	if req.Event == transport.EventStopped {
		closeAll(s.t.offers.forget(k))
	}

	if r == nil {
		r = &request{kind: kindAnnounce, infoHash: h, params: paramsOf(req), reply: make(chan result, 1), deadline: deadline, wanted: want}
		if want > 0 {
			offers, err := s.makeOffers(ctx, h, want)
			if err != nil && ctx.Err() != nil {
				closeAll(offers)
				return fail(s.waitError(ctx, start))
			}
			if err != nil {
				s.t.log.Warn("webrtc: making offers", "tracker", s.redacted, "err", err)
			}
			r.offers = offers
		}
		r.params.NumWant = len(r.offers)
		s.enqueue(r)
	}
	select {
	case res := <-r.reply:
		if res.err != nil {
			closeAll(r.offers)
			return fail(res.err)
		}
		m := res.msg
		if m.HasFailure {
			closeAll(r.offers)
			refused = true
			return fail(&transport.FailureError{Reason: m.Failure})
		}
		if m.Interval <= 0 {
			closeAll(r.offers)
			return fail(&transport.MalformedError{What: "interval missing"})
		}
		s.mu.Lock()
		s.settleLocked(h, tor, true, false)
		s.mu.Unlock()
		return &transport.AnnounceResponse{
			Interval:     m.Interval,
			MinInterval:  m.MinInterval,
			Complete:     m.Complete,
			Incomplete:   m.Incomplete,
			TrackerID:    m.TrackerID,
			Warning:      m.Warning,
			Offers:       r.params.NumWant,
			OffersWanted: r.wanted,
		}, nil
	case <-ctx.Done():
		s.withdraw(r)
		return fail(s.waitError(ctx, start))
	case <-s.t.ctx.Done():
		return fail(ErrClosed)
	}
}

// settleLocked records the outcome of an announce of h that set tor as its
// re-announce. A torrent is re-announced by the socket after a reconnect
// only while the tracker listed it when the socket dropped, that is while
// its caller's last announce succeeded, or failed after an earlier one had:
// that caller knows the torrent is announced and owes a stopped, which
// withdraws it. A torrent never registered (every announce failed, timed
// out or found the socket reconnecting) is not: its caller may end without
// a stopped, and the socket would then list a torrent nobody runs; its
// caller's next announce, due when the socket is back, registers it and gets
// the reply. A torrent the tracker refused ("failure reason") is forgotten
// too: the caller may give the URL up, and otherwise asks again.
func (s *socket) settleLocked(h transport.InfoHash, tor *torrent, ok, refused bool) {
	if tor == nil || s.torrents[h] != tor {
		return
	}
	switch {
	case ok:
		tor.registered = true
	case refused || !tor.registered:
		delete(s.torrents, h)
	}
}

// forgetLocked removes h from the torrents re-announced after a reconnect,
// with the socket's own re-announces of h still queued (nobody waits for
// them: a caller that adopted one waits on its reply and keeps it), and
// returns their offers to close once the lock is released. A torrent whose
// caller said "stopped" is never announced again by the socket alone.
func (s *socket) forgetLocked(h transport.InfoHash) []*peerConn {
	delete(s.torrents, h)
	var stale []*peerConn
	s.queue = slices.DeleteFunc(s.queue, func(r *request) bool {
		if r.kind == kindAnnounce && r.infoHash == h && r.reply == nil {
			stale = append(stale, r.offers...)
			return true
		}
		return false
	})
	return stale
}

// orphanLocked reports whether r is a re-announce of the socket's own that
// nobody waits for, of a torrent no longer re-announced (stopped, refused
// or given up since r was queued): such a request must not reach the
// tracker, which would register a torrent whose caller is done with it.
func (s *socket) orphanLocked(r *request) bool {
	return r.kind == kindAnnounce && r.reply == nil && s.torrents[r.infoHash] == nil
}

// reconnectingLocked returns the error of a call with deadline made while
// the socket waits to redial later than that, nil otherwise.
func (s *socket) reconnectingLocked(deadline time.Time) *transport.ReconnectingError {
	if s.redialAt.IsZero() || (!deadline.IsZero() && !deadline.Before(s.redialAt)) {
		return nil
	}
	return &transport.ReconnectingError{At: s.redialAt, Err: s.lastErr}
}

// adoptLocked returns the socket's own re-announce of h, queued or sent and
// not yet answered, for a caller to wait on instead of sending another
// announce; nil if there is none or ev is not a plain or started announce.
func (s *socket) adoptLocked(h transport.InfoHash, ev transport.Event) *request {
	if ev != transport.EventNone && ev != transport.EventStarted {
		return nil
	}
	for _, list := range [][]*request{s.queue, s.sent} {
		for _, r := range list {
			if r.kind == kindAnnounce && r.infoHash == h && r.reply == nil {
				r.reply, r.adopted = make(chan result, 1), true
				r.abandoned = false
				return r
			}
		}
	}
	return nil
}

// paramsOf converts a request; offers are added at send time.
func paramsOf(req transport.AnnounceRequest) announceParams {
	return announceParams{
		InfoHash:   req.InfoHash,
		PeerID:     req.PeerID,
		Uploaded:   req.Uploaded,
		Downloaded: req.Downloaded,
		Left:       req.Left,
		Event:      req.Event,
		TrackerID:  req.TrackerID,
		Params:     req.Params,
	}
}

// scrape implements Transport.Scrape on this socket.
func (s *socket) scrape(ctx context.Context, hashes []transport.InfoHash) (*transport.ScrapeResponse, error) {
	start := time.Now()
	fail := func(err error) (*transport.ScrapeResponse, error) {
		return nil, transport.Wrap("scrape", s.redacted, err)
	}
	deadline, _ := ctx.Deadline()
	s.mu.Lock()
	re := s.reconnectingLocked(deadline)
	s.mu.Unlock()
	if re != nil {
		return fail(re)
	}
	r := &request{kind: kindScrape, hashes: slices.Clone(hashes), reply: make(chan result, 1), deadline: deadline}
	s.enqueue(r)
	select {
	case res := <-r.reply:
		if res.err != nil {
			return fail(res.err)
		}
		m := res.msg
		if m.HasFailure {
			return fail(&transport.FailureError{Reason: m.Failure})
		}
		files := m.Files
		if files == nil {
			files = make(map[transport.InfoHash]transport.ScrapeStats)
		}
		return &transport.ScrapeResponse{Files: files}, nil
	case <-ctx.Done():
		s.withdraw(r)
		return fail(s.waitError(ctx, start))
	case <-s.t.ctx.Done():
		return fail(ErrClosed)
	}
}

// waitError says why a call that began at start ended without a reply,
// naming the socket's failure if it is down or went down since.
func (s *socket) waitError(ctx context.Context, start time.Time) error {
	if s.t.ctx.Err() != nil {
		return ErrClosed
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	s.mu.Lock()
	last := s.lastErr
	if s.up && s.lastDown.Before(start) {
		last = nil // an old failure, since mended
	}
	s.mu.Unlock()
	if last != nil {
		return fmt.Errorf("%w (%w): socket down: %w", transport.ErrTimeout, ctx.Err(), last)
	}
	return fmt.Errorf("%w: %w", transport.ErrTimeout, ctx.Err())
}

// handle dispatches one message from the tracker.
func (s *socket) handle(m *message) {
	switch {
	case m.HasFailure || m.Files != nil || m.Action == "scrape" || m.isAnnounceReply():
		s.deliver(m)
	case m.Offer != "":
		s.onOffer(m)
	case m.Answer != "":
		s.onAnswer(m)
	default:
		s.t.log.Debug("webrtc: ignoring a message that is no reply, offer or answer", "tracker", s.redacted)
	}
}

// take removes and returns the oldest sent request that m answers: an
// announce of the same info hash, a scrape, or, for a failure that names
// neither action nor info hash, whatever was sent first (trackers answer in
// order). It returns nil if m answers none.
func (s *socket) take(m *message) *request {
	scrape := m.Action == "scrape" || m.Files != nil
	match := func(r *request) bool {
		switch {
		case scrape:
			return r.kind == kindScrape
		case m.HasInfoHash:
			return r.kind == kindAnnounce && r.infoHash == m.InfoHash ||
				m.HasFailure && r.kind == kindScrape && slices.Contains(r.hashes, m.InfoHash)
		case m.HasFailure && m.Action == "":
			return true
		default:
			return r.kind == kindAnnounce
		}
	}
	s.mu.Lock()
	defer s.kick() // the socket may be idle now
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.sent, match)
	if i < 0 {
		return nil
	}
	r := s.sent[i]
	s.sent = slices.Delete(s.sent, i, i+1)
	return r
}

// deliver gives a reply to the request it answers.
func (s *socket) deliver(m *message) {
	r := s.take(m)
	if r != nil && r.kind == kindAnnounce && len(r.offers) > 0 && !m.HasFailure && m.Complete >= 0 && m.Incomplete >= 0 {
		s.t.offers.unrelayed(r.offers, m.Complete+m.Incomplete-1) // the counts include us
	}
	switch {
	case r == nil:
		s.t.log.Debug("webrtc: unsolicited tracker reply", "tracker", s.redacted, "failure", m.Failure)
	case r.reply != nil && !r.abandoned:
		r.reply <- result{msg: m}
	case m.HasFailure:
		closeAll(r.offers)
		if r.kind == kindAnnounce && r.reply == nil { // our own re-announce, refused: the caller's next announce asks again
			s.mu.Lock()
			if tor := s.torrents[r.infoHash]; tor != nil && !r.adopted {
				delete(s.torrents, r.infoHash)
			}
			s.mu.Unlock()
		}
		s.t.log.Warn("webrtc: tracker failure", "tracker", s.redacted, "reason", m.Failure)
	default:
		if m.Warning != "" {
			s.t.log.Warn("webrtc: tracker warning", "tracker", s.redacted, "warning", m.Warning)
		}
		s.t.log.Debug("webrtc: re-announced", "tracker", s.redacted, "complete", m.Complete, "incomplete", m.Incomplete)
	}
}

// malformed handles a message that does not decode: a reply that still says
// which request it was meant for (its action or info hash parsed) fails that
// request; anything else is logged and ignored, as the JavaScript client
// does.
func (s *socket) malformed(m *message, err error) {
	var r *request
	if m != nil && !m.Relayed && (m.HasInfoHash || m.Action == "scrape") {
		r = s.take(m)
	}
	if r == nil || r.reply == nil || r.abandoned {
		s.t.log.Warn("webrtc: ignoring a malformed tracker message", "tracker", s.redacted, "err", err)
		return
	}
	r.reply <- result{err: err}
}

// reannounce announces tor again after a reconnect: the tracker forgot the
// socket's torrents when it dropped, so the event is "started".
func (s *socket) reannounce(tor *torrent) {
	req := tor.req
	req.Event = transport.EventStarted
	want := s.wantOffers(&req)
	r := &request{kind: kindAnnounce, infoHash: req.InfoHash, params: paramsOf(req), wanted: want}
	if want > 0 {
		ctx, cancel := context.WithTimeout(s.t.ctx, s.t.cfg.OfferTimeout)
		offers, err := s.makeOffers(ctx, req.InfoHash, want)
		cancel()
		if err != nil {
			s.t.log.Debug("webrtc: making offers", "tracker", s.redacted, "err", err)
		}
		r.offers = offers
	}
	r.params.NumWant = len(r.offers)
	s.mu.Lock()
	current := s.torrents[req.InfoHash] == tor
	if current {
		s.queue = append(s.queue, r)
	}
	s.mu.Unlock()
	if !current {
		closeAll(r.offers)
		return
	}
	s.kick()
}
