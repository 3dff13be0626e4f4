package webrtc

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/trackerkit/trackerkit/internal/goroutines"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// maxDataChannelMessage is the largest data channel message we accept; it is
// advertised in our SDP (a=max-message-size), so remote peers keep to it.
// WebTorrent sends 16 KiB blocks.
const maxDataChannelMessage = 64 << 10

// ErrClosed is returned (wrapped in a *transport.Error) by calls on a closed
// Transport, and by calls in flight when it closes. It is
// transport.ErrClosed, the one every transport returns after Close.
var ErrClosed = transport.ErrClosed

// Transport speaks to WebTorrent trackers over WebSocket and connects to the
// peers they introduce over WebRTC. It implements transport.Transport and
// transport.PeerSource. It keeps one socket per tracker URL, shared by every
// torrent announced through it. Create it with New and release it with Close.
type Transport struct {
	cfg    Config
	engine *engine       // makes the PeerConnections
	offers *offerManager // owns them, and their budget
	log    *slog.Logger
	net    network // the WebSocket dial's client (User-Agent, proxy, LocalAddr, DNS)

	ctx    context.Context // ends at Close
	cancel context.CancelFunc

	mu      sync.Mutex
	group   goroutines.Group   // every goroutine this Transport started; closed by Close
	sockets map[string]*socket // by URL
	subs    map[subKey]map[uint64]func(peer.Peer)
	subID   uint64 // last subscription id

	counters counters // what happened, for tests to wait on
}

// counters count events that tests wait for instead of sleeping.
type counters struct {
	dials          atomic.Int64 // WebSocket handshakes attempted
	offersRefused  atomic.Int64 // relayed offers not answered
	offersAnswered atomic.Int64 // relayed offers whose answer was queued
}

var (
	_ transport.Transport  = (*Transport)(nil)
	_ transport.PeerSource = (*Transport)(nil)
)

// New returns a Transport configured by cfg (see Config for defaults).
func New(cfg Config) *Transport {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Transport{
		cfg:     cfg,
		engine:  newEngine(cfg),
		offers:  newOfferManager(cfg.MaxPendingConns),
		log:     cfg.Logger,
		ctx:     ctx,
		cancel:  cancel,
		sockets: make(map[string]*socket),
		subs:    make(map[subKey]map[uint64]func(peer.Peer)),
	}
}

// Close closes every socket and every PeerConnection this Transport made
// (including data channels already handed to subscribers) and waits for all
// its goroutines. Closing a socket counts as "stopped" for every torrent on
// it. Close is idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	if first := t.group.Close(); !first {
		t.mu.Unlock()
		t.group.Wait()
		return nil
	}
	t.cancel()
	t.mu.Unlock()
	closeAll(t.offers.close())
	t.group.Wait()
	t.closeNetwork()
	return nil
}

// goroutine runs fn on a goroutine Close waits for. It reports false, and
// does not run fn, once the Transport is closed.
func (t *Transport) goroutine(fn func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.group.Go(fn)
}

// acquire returns the socket of u, creating (and starting) it when needed,
// after running use on it with the socket's lock held. A socket found in the
// map under t.mu is never retired (retire removes it under t.mu), so what use
// registers (a call) keeps it alive. acquire returns nil once
// the Transport is closed.
func (t *Transport) acquire(u *url.URL, use func(s *socket)) *socket {
	key := u.String()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.group.Closed() {
		return nil
	}
	s := t.sockets[key]
	if s == nil {
		s = newSocket(t, u)
		t.sockets[key] = s
		t.group.Go(s.run) // open: checked under t.mu
	}
	s.mu.Lock()
	use(s)
	s.mu.Unlock()
	return s
}

// retire removes s from the socket map if it is idle, and reports whether
// it did; a retired socket takes no more work.
func (t *Transport) retire(s *socket) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.idleLocked() && !t.group.Closed() {
		return false
	}
	s.retired = true
	if t.sockets[s.key] == s {
		delete(t.sockets, s.key)
	}
	return true
}

// Announce sends req to the WebSocket tracker at u (ws:// or wss://) and
// waits for the tracker's reply. Unless req.Event is EventStopped or
// EventCompleted, or req.NumWant is 0, and provided someone subscribed to
// (u, req.InfoHash), the announce carries up to Config.NumOffers WebRTC
// offers; peers that answer them are delivered to the subscribers when their
// data channel opens. An EventStopped announce removes the torrent from the
// set re-announced after a reconnect and closes its unanswered offers.
//
// The reply carries the interval, min interval, counts, tracker id and
// warning; Peers is always empty (WebRTC peers arrive through Subscribe).
func (t *Transport) Announce(ctx context.Context, u *url.URL, req *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	return onSocket(ctx, t, "announce", u, func(ctx context.Context, s *socket) (*transport.AnnounceResponse, error) {
		return s.announce(ctx, *req)
	})
}

// Scrape asks the tracker at u for the statistics of req.InfoHashes over its
// WebSocket.
func (t *Transport) Scrape(ctx context.Context, u *url.URL, req *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	return onSocket(ctx, t, "scrape", u, func(ctx context.Context, s *socket) (*transport.ScrapeResponse, error) {
		return s.scrape(ctx, req.InfoHashes)
	})
}

// onSocket runs call (operation op: "announce" or "scrape") on the socket
// of u, as one of its calls (which keep it from retiring), within
// Config.AnnounceTimeout.
func onSocket[R any](ctx context.Context, t *Transport, op string, u *url.URL, call func(context.Context, *socket) (*R, error)) (*R, error) {
	if err := checkURL(u); err != nil {
		return nil, transport.Wrap(op, transport.Redact(u), err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.AnnounceTimeout)
	defer cancel()
	s := t.acquire(u, func(s *socket) { s.calls++ })
	if s == nil {
		return nil, transport.Wrap(op, transport.Redact(u), ErrClosed)
	}
	defer s.end()
	return call(ctx, s)
}

// Subscribe registers fn for the WebRTC peers found for infoHash through the
// tracker at u: each call gives a peer.Peer whose ID is the remote peer ID
// and whose Conn is the open data channel, which fn's caller then owns and
// must close. fn is called from the Transport's goroutines and must not
// block. Offers are only made, and relayed offers only answered, for info
// hashes with a subscriber; cancel removes the subscription (and closes the
// unanswered offers when it was the last one). Cancel is idempotent.
func (t *Transport) Subscribe(u *url.URL, infoHash transport.InfoHash, fn func(peer.Peer)) (cancel func()) {
	if checkURL(u) != nil {
		return func() {}
	}
	key := subKey{u.String(), infoHash}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.group.Closed() {
		return func() {}
	}
	t.subID++
	id := t.subID
	m := t.subs[key]
	if m == nil {
		m = make(map[uint64]func(peer.Peer))
		t.subs[key] = m
	}
	m[id] = fn
	t.offers.want(key)
	var once sync.Once
	return func() { once.Do(func() { t.unsubscribe(key, id) }) }
}

// subKey identifies a subscription target: tracker URL and info hash.
type subKey struct {
	url      string
	infoHash transport.InfoHash
}

func (t *Transport) unsubscribe(key subKey, id uint64) {
	t.mu.Lock()
	delete(t.subs[key], id)
	last := len(t.subs[key]) == 0
	if last {
		delete(t.subs, key)
	}
	t.mu.Unlock()
	if last {
		closeAll(t.offers.forget(key))
	}
}

// subscriber returns the subscriber that gets the next peer of (url, h):
// the oldest subscription; nil if there is none.
func (t *Transport) subscriber(url string, h transport.InfoHash) func(peer.Peer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var best uint64
	var fn func(peer.Peer)
	for id, f := range t.subs[subKey{url, h}] {
		if fn == nil || id < best {
			best, fn = id, f
		}
	}
	return fn
}

// checkURL accepts ws:// and wss:// URLs with a host.
func checkURL(u *url.URL) error {
	if u == nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return errScheme
	}
	return nil
}

var errScheme = fmt.Errorf("%w: the URL must be ws:// or wss:// with a host", transport.ErrUnsupported)
