package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

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
	// abandoned: the caller gave up after the request was sent; its reply is
	// still absorbed so that it is not taken for a later request's.
	abandoned bool
}

// result is a request's outcome: the tracker's reply, or why there is none.
type result struct {
	msg *message
	err error
}

// torrent is what the socket re-announces after a reconnect.
type torrent struct {
	req transport.AnnounceRequest
}

// maxAnswering bounds the relayed offers being answered at once on one
// socket, so that a flood of offers cannot make unbounded PeerConnections.
const maxAnswering = 32

type socket struct {
	t        *Transport
	u        *url.URL
	key      string
	redacted string
	wake     chan struct{} // buffered 1: the queue changed

	mu        sync.Mutex
	retired   bool
	connected bool
	lastErr   error // why the socket is down; nil when up
	calls     int   // Announce and Scrape calls in progress
	answering int   // relayed offers being answered
	queue     []*request
	sent      []*request // sent on the current connection, awaiting a reply
	torrents  map[transport.InfoHash]*torrent
	offers    map[offerID]*peerConn // our unanswered offers
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
		offers:   make(map[offerID]*peerConn),
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
func (s *socket) announce(ctx context.Context, req transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	fail := func(err error) (*transport.AnnounceResponse, error) {
		return nil, &transport.Error{Op: "announce", URL: s.redacted, Err: err}
	}
	h := req.InfoHash
	n := 0
	subscribed := s.t.subscriber(s.key, h) != nil
	s.mu.Lock()
	var stale []*peerConn
	if req.Event == transport.EventStopped {
		delete(s.torrents, h)
		stale = s.offersForLocked(h)
	} else {
		s.torrents[h] = &torrent{req: req}
		if req.Event != transport.EventCompleted && subscribed {
			n = s.t.cfg.NumOffers
			if req.NumWant >= 0 {
				n = min(n, int(req.NumWant))
			}
		}
	}
	s.mu.Unlock()
	closeAll(stale)

	r := &request{kind: kindAnnounce, infoHash: h, params: paramsOf(req), reply: make(chan result, 1)}
	if n > 0 {
		offers, err := s.makeOffers(ctx, h, req.PeerID, n)
		if err != nil && ctx.Err() != nil {
			closeAll(offers)
			return fail(s.waitError(ctx))
		}
		switch {
		case errors.Is(err, errTooManyPending):
			s.t.log.Debug("webrtc: fewer offers", "tracker", s.redacted, "offers", len(offers), "err", err)
		case err != nil:
			s.t.log.Warn("webrtc: making offers", "tracker", s.redacted, "err", err)
		}
		r.offers = offers
	}
	r.params.NumWant = len(r.offers)
	s.enqueue(r)
	select {
	case res := <-r.reply:
		if res.err != nil {
			closeAll(r.offers)
			return fail(res.err)
		}
		m := res.msg
		if m.HasFailure {
			closeAll(r.offers)
			return fail(&transport.FailureError{Reason: m.Failure})
		}
		if m.Interval <= 0 {
			return fail(&transport.MalformedError{What: "interval missing"})
		}
		return &transport.AnnounceResponse{
			Interval:    m.Interval,
			MinInterval: m.MinInterval,
			Complete:    m.Complete,
			Incomplete:  m.Incomplete,
			TrackerID:   m.TrackerID,
			Warning:     m.Warning,
		}, nil
	case <-ctx.Done():
		s.withdraw(r)
		return fail(s.waitError(ctx))
	case <-s.t.ctx.Done():
		return fail(ErrClosed)
	}
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
	}
}

// scrape implements Transport.Scrape on this socket.
func (s *socket) scrape(ctx context.Context, hashes []transport.InfoHash) (*transport.ScrapeResponse, error) {
	fail := func(err error) (*transport.ScrapeResponse, error) {
		return nil, &transport.Error{Op: "scrape", URL: s.redacted, Err: err}
	}
	r := &request{kind: kindScrape, hashes: slices.Clone(hashes), reply: make(chan result, 1)}
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
		return fail(s.waitError(ctx))
	case <-s.t.ctx.Done():
		return fail(ErrClosed)
	}
}

// waitError says why a call ended without a reply.
func (s *socket) waitError(ctx context.Context) error {
	if s.t.ctx.Err() != nil {
		return ErrClosed
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	s.mu.Lock()
	last := s.lastErr
	s.mu.Unlock()
	if last != nil {
		return fmt.Errorf("%w (%w): socket down: %w", transport.ErrTimeout, ctx.Err(), last)
	}
	return fmt.Errorf("%w: %w", transport.ErrTimeout, ctx.Err())
}

// dropOffers closes our unanswered offers for h (its last subscriber left).
func (s *socket) dropOffers(h transport.InfoHash) {
	s.mu.Lock()
	stale := s.offersForLocked(h)
	s.mu.Unlock()
	closeAll(stale)
}

func (s *socket) offersForLocked(h transport.InfoHash) []*peerConn {
	var out []*peerConn
	for _, p := range s.offers {
		if p.infoHash == h {
			out = append(out, p)
		}
	}
	return out
}

// run owns the connection: dial, serve, wait, redial, until the socket is
// idle or the Transport closes.
func (s *socket) run() {
	failures := 0 // reconnect attempts since the last good connection
	everConnected := false
	for first := true; ; first = false {
		if !first {
			if s.t.retire(s) {
				return
			}
			d := s.t.cfg.reconnectDelay(failures)
			failures++
			s.t.log.Debug("webrtc: reconnecting", "tracker", s.redacted, "in", d)
			tm := time.NewTimer(d)
			select {
			case <-tm.C:
			case <-s.t.ctx.Done():
				tm.Stop()
				return
			}
		}
		if s.t.retire(s) {
			return
		}
		conn, err := s.dial()
		if err != nil {
			s.down(err)
			s.t.log.Warn("webrtc: tracker socket", "tracker", s.redacted, "err", err)
			if errors.Is(err, transport.ErrSkipped) || transport.IsPermanent(err) {
				s.giveUp(err) // waiting cannot help: say so now
			}
			continue
		}
		failures = 0
		err = s.serve(conn, everConnected)
		everConnected = true
		if s.t.ctx.Err() != nil {
			s.down(ErrClosed)
			return
		}
		s.mu.Lock()
		retired := s.retired
		s.mu.Unlock()
		if retired {
			return
		}
		s.down(err)
		s.t.log.Info("webrtc: tracker socket dropped", "tracker", s.redacted, "err", err)
	}
}

// giveUp fails every queued request someone waits for with err, and forgets
// the torrents to re-announce: this tracker cannot be reached from here, and
// the socket retires unless a new call comes.
func (s *socket) giveUp(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.torrents)
	keep := s.queue[:0]
	for _, r := range s.queue {
		if r.reply != nil && !r.abandoned {
			r.reply <- result{err: err}
			continue
		}
		keep = append(keep, r)
	}
	clear(s.queue[len(keep):])
	s.queue = keep
}

func (s *socket) down(err error) {
	if err == nil {
		err = errors.New("socket closed")
	}
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

// dial opens the WebSocket. Its errors never carry the URL: net/http's
// *url.Error does, so it is unwrapped.
func (s *socket) dial() (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(s.t.ctx, s.t.cfg.DialTimeout)
	defer cancel()
	var opts websocket.DialOptions
	if s.t.cfg.DialOptions != nil {
		opts = *s.t.cfg.DialOptions
	}
	conn, resp, err := websocket.Dial(ctx, s.key, &opts)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &transport.StatusError{Code: resp.StatusCode}
		}
		inner := unwrapURLError(err)
		var op *net.OpError
		if errors.As(inner, &op) && op.Op == "dial" &&
			(errors.Is(inner, syscall.ENETUNREACH) || errors.Is(inner, syscall.EADDRNOTAVAIL) || errors.Is(inner, syscall.EAFNOSUPPORT)) {
			return nil, &dialError{msg: s.scrub(err), err: inner, skipped: true}
		}
		return nil, &dialError{msg: s.scrub(err), err: inner}
	}
	return conn, nil
}

// dialError is a failed handshake with the URL scrubbed from its text. It
// matches transport.ErrSkipped when this host has no route for the
// tracker's address family.
type dialError struct {
	msg     string
	err     error
	skipped bool
}

func (e *dialError) Error() string { return e.msg }
func (e *dialError) Unwrap() []error {
	if e.skipped {
		return []error{transport.ErrSkipped, e.err}
	}
	return []error{e.err}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// scrub returns the text of err with the tracker URL redacted, in the forms
// the WebSocket library and net/http may print it.
func (s *socket) scrub(err error) string {
	msg := "websocket dial: " + err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = "websocket dial: " + ue.Op + ": " + ue.Err.Error()
	}
	for _, scheme := range []string{s.u.Scheme, "http", "https"} {
		v := *s.u
		v.Scheme = scheme
		msg = strings.ReplaceAll(msg, v.String(), s.redacted)
	}
	return msg
}

// serve runs one connection until it breaks, the Transport closes, or the
// socket goes idle. It returns why the connection ended.
func (s *socket) serve(conn *websocket.Conn, reconnected bool) error {
	conn.SetReadLimit(s.t.cfg.MaxMessageBytes)
	ctx, cancel := context.WithCancel(s.t.ctx)
	defer cancel()
	readErr := make(chan error, 1)
	go func() { readErr <- s.readLoop(ctx, conn) }()
	var pingDone chan struct{}
	if ka := s.t.cfg.KeepAlive; ka > 0 {
		pingDone = make(chan struct{})
		go s.pingLoop(ctx, conn, ka, pingDone)
	}

	s.mu.Lock()
	s.connected, s.lastErr = true, nil
	var again []*torrent
	if reconnected {
		queued := make(map[transport.InfoHash]bool)
		for _, r := range s.queue {
			if r.kind == kindAnnounce {
				queued[r.infoHash] = true
			}
		}
		for h, tor := range s.torrents {
			if !queued[h] { // a queued announce stands for the re-announce
				again = append(again, tor)
			}
		}
	}
	s.mu.Unlock()
	for _, tor := range again {
		s.t.goroutine(func() { s.reannounce(tor) })
	}

	var err error
loop:
	for {
		if err = s.flush(ctx, conn); err != nil {
			break
		}
		if s.t.retire(s) {
			s.t.log.Debug("webrtc: closing idle socket", "tracker", s.redacted)
			break
		}
		select {
		case <-s.wake:
		case err = <-readErr:
			readErr = nil
			break loop
		case <-s.t.ctx.Done():
			err = ErrClosed
			break loop
		}
	}
	if readErr != nil {
		closeCtx, closeCancel := context.WithTimeout(context.Background(), time.Second)
		closed := make(chan struct{})
		go func() {
			_ = conn.Close(websocket.StatusNormalClosure, "")
			close(closed)
		}()
		select {
		case <-closed:
		case <-closeCtx.Done():
			_ = conn.CloseNow()
			<-closed
		}
		closeCancel()
		cancel()
		<-readErr
	}
	_ = conn.CloseNow()
	cancel()
	if pingDone != nil {
		<-pingDone
	}

	s.mu.Lock()
	s.connected = false
	var resend []*request
	for _, r := range s.sent {
		if !r.abandoned && r.reply != nil || r.reply == nil && r.kind == kindAnnounce && s.torrents[r.infoHash] != nil {
			resend = append(resend, r)
		}
	}
	s.queue = append(resend, s.queue...)
	s.sent = nil
	s.mu.Unlock()
	return err
}

// flush sends everything queued.
func (s *socket) flush(ctx context.Context, conn *websocket.Conn) error {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			return nil
		}
		r := s.queue[0]
		s.queue = s.queue[1:]
		var data []byte
		switch r.kind {
		case kindAnnounce:
			p := r.params
			for _, o := range r.offers {
				if o.pending() {
					p.Offers = append(p.Offers, offer{ID: o.offerID, SDP: o.sdp})
				}
			}
			data = encodeAnnounce(p)
		case kindScrape:
			data = encodeScrape(r.hashes)
		case kindAnswer:
			data = r.raw
		}
		if r.kind != kindAnswer {
			s.sent = append(s.sent, r)
		}
		s.mu.Unlock()

		wctx, cancel := context.WithTimeout(ctx, s.t.cfg.DialTimeout)
		err := conn.Write(wctx, websocket.MessageText, data)
		cancel()
		if err != nil {
			s.mu.Lock()
			if i := slices.Index(s.sent, r); i >= 0 {
				s.sent = slices.Delete(s.sent, i, i+1)
			}
			s.queue = append([]*request{r}, s.queue...)
			s.mu.Unlock()
			return err
		}
	}
}

func (s *socket) readLoop(ctx context.Context, conn *websocket.Conn) error {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				return &transport.TooLargeError{Limit: s.t.cfg.MaxMessageBytes}
			}
			return err
		}
		m, err := decodeMessage(data)
		if err != nil {
			s.t.log.Warn("webrtc: ignoring a malformed tracker message", "tracker", s.redacted, "err", err)
			continue
		}
		s.handle(m)
	}
}

func (s *socket) pingLoop(ctx context.Context, conn *websocket.Conn, every time.Duration, done chan struct{}) {
	defer close(done)
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		pctx, cancel := context.WithTimeout(ctx, every)
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.t.log.Info("webrtc: keepalive ping failed", "tracker", s.redacted, "err", err)
				_ = conn.CloseNow()
			}
			return
		}
	}
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
		s.t.log.Debug("webrtc: ignoring a relayed message without offer or answer", "tracker", s.redacted)
	}
}

// deliver gives a reply to the oldest request it can answer: an announce of
// the same info hash, a scrape, or, for a failure that names neither action
// nor info hash, whatever was sent first (the tracker answers in order).
func (s *socket) deliver(m *message) {
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
	i := slices.IndexFunc(s.sent, match)
	if i < 0 {
		s.mu.Unlock()
		s.t.log.Debug("webrtc: unsolicited tracker reply", "tracker", s.redacted, "failure", m.Failure)
		return
	}
	r := s.sent[i]
	s.sent = slices.Delete(s.sent, i, i+1)
	s.mu.Unlock()
	s.kick() // the socket may be idle now
	switch {
	case r.reply != nil && !r.abandoned:
		r.reply <- result{msg: m}
	case m.HasFailure:
		closeAll(r.offers)
		s.t.log.Warn("webrtc: tracker failure", "tracker", s.redacted, "reason", m.Failure)
	default:
		if m.Warning != "" {
			s.t.log.Warn("webrtc: tracker warning", "tracker", s.redacted, "warning", m.Warning)
		}
		s.t.log.Debug("webrtc: re-announced", "tracker", s.redacted, "complete", m.Complete, "incomplete", m.Incomplete)
	}
}

// reannounce announces tor again after a reconnect: the tracker forgot the
// socket's torrents when it dropped, so the event is "started".
func (s *socket) reannounce(tor *torrent) {
	req := tor.req
	req.Event = transport.EventStarted
	r := &request{kind: kindAnnounce, infoHash: req.InfoHash, params: paramsOf(req)}
	n := 0
	if s.t.subscriber(s.key, req.InfoHash) != nil {
		n = s.t.cfg.NumOffers
		if req.NumWant >= 0 {
			n = min(n, int(req.NumWant))
		}
	}
	if n > 0 {
		ctx, cancel := context.WithTimeout(s.t.ctx, s.t.cfg.OfferTimeout)
		offers, err := s.makeOffers(ctx, req.InfoHash, req.PeerID, n)
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
