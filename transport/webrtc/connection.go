package webrtc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/internal/httpsafe"
	"github.com/trackerkit/trackerkit/transport"
)

// This file is the life of a socket's connection: dial, serve (write the
// queue, read and dispatch, ping), and reconnect with backoff.

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
			s.postpone(time.Now().Add(d))
			tm := time.NewTimer(d)
			select {
			case <-tm.C:
			case <-s.t.ctx.Done():
				tm.Stop()
				return
			}
			s.mu.Lock()
			s.redialAt = time.Time{}
			s.mu.Unlock()
		}
		if s.t.retire(s) {
			return
		}
		s.t.counters.dials.Add(1)
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
	var stale []*peerConn
	for h := range s.torrents {
		stale = append(stale, s.t.offers.forget(subKey{s.key, h})...)
	}
	defer func() { closeAll(stale) }() // after the unlock, with the orphans found below
	defer s.mu.Unlock()
	clear(s.torrents)
	keep := s.queue[:0]
	for _, r := range s.queue {
		if r.reply != nil && !r.abandoned {
			r.reply <- result{err: err}
			continue
		}
		if s.orphanLocked(r) { // a re-announce of a torrent just forgotten
			stale = append(stale, r.offers...)
			continue
		}
		keep = append(keep, r)
	}
	clear(s.queue[len(keep):])
	s.queue = keep
}

// postpone records that the socket redials at at, and fails at once, with a
// *transport.ReconnectingError, the calls queued meanwhile whose deadline
// comes before that: their announces stay as the torrents' re-announces.
func (s *socket) postpone(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redialAt = at
	keep := s.queue[:0]
	for _, r := range s.queue {
		if r.reply != nil && !r.abandoned && !r.deadline.IsZero() && r.deadline.Before(at) {
			r.reply <- result{err: &transport.ReconnectingError{At: at, Err: s.lastErr}}
			if r.adopted {
				r.reply, r.adopted = nil, false // still the socket's re-announce
				keep = append(keep, r)
			}
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
	s.lastErr, s.lastDown, s.up = err, time.Now(), false
	s.mu.Unlock()
}

// dial opens the WebSocket. Its errors never carry the URL: net/http's
// *url.Error does, so it is unwrapped.
func (s *socket) dial() (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(s.t.ctx, s.t.cfg.DialTimeout)
	defer cancel()
	opts, err := s.t.dialOptions()
	if err != nil {
		return nil, err
	}
	// No Referer on a redirected handshake, no wss -> ws, at most 5
	// redirects (the policy of every trackerkit request).
	opts.HTTPClient = httpsafe.Client(opts.HTTPClient)
	conn, resp, err := websocket.Dial(ctx, s.key, opts)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &transport.StatusError{Code: resp.StatusCode}
		}
		inner := unwrapURLError(err)
		var op *net.OpError
		if errors.As(inner, &op) && op.Op == "dial" && transport.Unroutable(inner) {
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
	s.up = true
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
		for _, r := range s.queue {
			if r.kind == kindAnnounce && r.params.Event == transport.EventNone {
				r.params.Event = transport.EventStarted // the tracker forgot us
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
		if s.orphanLocked(r) {
			s.mu.Unlock()
			closeAll(r.offers)
			continue
		}
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
			s.malformed(m, err)
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
