package mocktracker

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/trackerkit/trackerkit/internal/defaults"
	"github.com/trackerkit/trackerkit/internal/goroutines"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Config configures a Tracker. Zero values are the defaults given per field.
type Config struct {
	// Interval sent to clients. Default 30 minutes.
	Interval time.Duration
	// MinInterval sent to clients (HTTP "min interval"); 0 means not sent.
	MinInterval time.Duration
	// PeerTTL is how long a peer stays in a swarm without announcing.
	// Default 2 * Interval + 1 minute.
	PeerTTL time.Duration
	// DefaultNumWant is used when a client sends no or a negative numwant.
	// Default 50.
	DefaultNumWant int
	// MaxNumWant caps numwant. Default 200.
	MaxNumWant int
	// Now is the clock. Default time.Now (which testing/synctest virtualizes).
	Now func() time.Time

	// OnAnnounce, when set, is called with every announce a front end
	// received and parsed (not with AddPeer's simulated ones), after the
	// swarm was updated and before the reply is sent, on the front end's
	// goroutine: it must not block for long, and must not call back into
	// the Tracker's fault setters from a UDP front end's goroutine.
	OnAnnounce func(Announce)
	// OnScrape, when set, is called with every scrape a front end received.
	OnScrape func(Scrape)
	// OnArrival, when set, is called with every well-formed announce
	// request a front end receives, when it arrives and before the faults
	// decide what becomes of it (dropped, delayed, refused, failed or
	// answered; OnAnnounce then sees the answered ones): the tracker's log
	// of what it was sent, including what it did not accept. Time is the
	// arrival. Same rules as OnAnnounce.
	OnArrival func(Announce)
	// OnSocketClosed, when set, is called with the stopped that a closed
	// WebSocket counts as, once for each torrent announced on it
	// (Protocol "ws", Event EventStopped), after the swarm forgot it.
	OnSocketClosed func(Announce)
}

func (c *Config) populate() {
	defaults.Positive(&c.Interval, 30*time.Minute)
	defaults.Positive(&c.PeerTTL, 2*c.Interval+time.Minute)
	defaults.Positive(&c.DefaultNumWant, 50)
	defaults.Positive(&c.MaxNumWant, 200)
	if c.Now == nil {
		c.Now = time.Now
	}
}

// ErrClosed is returned by front ends started after Close.
var ErrClosed = errors.New("mocktracker: closed")

// Tracker is the protocol-neutral tracker state. It is safe for concurrent
// use. Create it with New; stop it and every front end with Close.
type Tracker struct {
	cfg Config

	mu      sync.Mutex
	swarms  map[transport.InfoHash]*swarm
	closers []func()         // front ends' stop functions, run by Close in reverse
	group   goroutines.Group // the front ends' goroutines; guarded by mu

	// Each protocol front end keeps its faults and counters here, created on
	// first use by that protocol's files; they stay readable after Close.
	httpOnce sync.Once
	httpSt   *httpState
	udpOnce  sync.Once
	udpSt    *udpState
	wsOnce   sync.Once
	wsSt     *wsFront
}

type swarm struct {
	peers      map[peer.ID]*member
	downloaded int
}

type member struct {
	id      peer.ID
	addr    netip.AddrPort
	left    int64
	key     uint32
	expires time.Time
}

// New returns a Tracker with no front end; start them with the Listen/Serve
// methods of each protocol.
func New(cfg Config) *Tracker {
	cfg.populate()
	return &Tracker{cfg: cfg, swarms: make(map[transport.InfoHash]*swarm)}
}

// Config returns the populated configuration.
func (t *Tracker) Config() Config { return t.cfg }

// Announce is one announce as the tracker sees it, whatever the protocol.
type Announce struct {
	InfoHash transport.InfoHash
	PeerID   peer.ID
	// Addr is the address to hand to other peers: the request's source IP
	// with the announced port. WebSocket members have none.
	Addr    netip.AddrPort
	Left    int64
	Event   transport.Event
	NumWant int // < 0: the default
	Key     uint32

	// What the front ends add for OnAnnounce; the swarm does not use them.

	// Time is when the announce arrived (Config.Now); Announce sets it
	// when zero.
	Time time.Time
	// Protocol is the front end: "http", "udp" or "ws"; "" for AddPeer
	// and for the stopped of a closed WebSocket.
	Protocol             string
	Uploaded, Downloaded int64
	// Params are the announce's parameters as received: the HTTP query
	// (info_hash and peer_id as raw bytes), the query of a UDP announce's
	// BEP 41 URLData, or the top-level fields of a WebSocket announce
	// message except offers (strings as they are, numbers in decimal, an
	// array of strings as several values).
	Params url.Values
}

// Scrape is one scrape request a front end received, for OnScrape.
type Scrape struct {
	Time     time.Time
	Protocol string // "http", "udp" or "ws"
	From     netip.AddrPort
	// InfoHashes are the torrents asked for; none asks for every torrent
	// (HTTP and WebSocket).
	InfoHashes []transport.InfoHash
}

// observeScrape reports a scrape request to OnScrape.
func (t *Tracker) observeScrape(s Scrape) {
	if t.cfg.OnScrape == nil {
		return
	}
	if s.Time.IsZero() {
		s.Time = t.cfg.Now()
	}
	t.cfg.OnScrape(s)
}

// AnnounceResult is the tracker's answer before protocol encoding.
type AnnounceResult struct {
	Interval    time.Duration
	MinInterval time.Duration
	Complete    int
	Incomplete  int
	// Peers are other members of the swarm, at most numwant, in random
	// order; the front end filters them by address family as its protocol
	// requires.
	Peers []peer.Peer
}

// Announce records a and returns the swarm as a tracker would. An announce
// with a Protocol is reported to Config.OnAnnounce.
func (t *Tracker) Announce(a Announce) AnnounceResult {
	if a.Time.IsZero() {
		a.Time = t.cfg.Now()
	}
	res := t.announce(a)
	if a.Protocol != "" && t.cfg.OnAnnounce != nil {
		t.cfg.OnAnnounce(a)
	}
	return res
}

func (t *Tracker) announce(a Announce) AnnounceResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := a.Time
	s := t.swarmLocked(a.InfoHash)
	s.expireLocked(now)
	switch a.Event {
	case transport.EventStopped:
		delete(s.peers, a.PeerID)
	default:
		m := s.peers[a.PeerID]
		if m == nil {
			m = &member{id: a.PeerID}
			s.peers[a.PeerID] = m
		}
		if a.Event == transport.EventCompleted && m.left != 0 {
			s.downloaded++
		}
		m.addr, m.left, m.key = a.Addr, a.Left, a.Key
		m.expires = now.Add(t.cfg.PeerTTL)
	}
	res := AnnounceResult{Interval: t.cfg.Interval, MinInterval: t.cfg.MinInterval}
	res.Complete, res.Incomplete = s.countsLocked()
	want := a.NumWant
	if want < 0 {
		want = t.cfg.DefaultNumWant
	}
	want = min(want, t.cfg.MaxNumWant)
	if a.Event == transport.EventStopped {
		want = 0
	}
	for _, m := range s.peers {
		if len(res.Peers) >= want {
			break
		}
		if m.id != a.PeerID {
			res.Peers = append(res.Peers, peer.Peer{Addr: m.addr, ID: m.id})
		}
	}
	rand.Shuffle(len(res.Peers), func(i, j int) { res.Peers[i], res.Peers[j] = res.Peers[j], res.Peers[i] })
	return res
}

// Scrape returns the statistics of h and whether the tracker knows it.
func (t *Tracker) Scrape(h transport.InfoHash) (transport.ScrapeStats, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.swarms[h]
	if !ok {
		return transport.ScrapeStats{}, false
	}
	s.expireLocked(t.cfg.Now())
	c, i := s.countsLocked()
	return transport.ScrapeStats{Complete: c, Incomplete: i, Downloaded: s.downloaded}, true
}

// AddPeer puts a simulated peer into the swarm of h, as if it had announced
// (used by the CLI demo and tests). left == 0 makes it a seeder.
func (t *Tracker) AddPeer(h transport.InfoHash, id peer.ID, addr netip.AddrPort, left int64) {
	t.Announce(Announce{InfoHash: h, PeerID: id, Addr: addr, Left: left, Event: transport.EventStarted, NumWant: 0})
}

// Peers returns the current members of the swarm of h, for assertions.
func (t *Tracker) Peers(h transport.InfoHash) []peer.Peer {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.swarms[h]
	if !ok {
		return nil
	}
	s.expireLocked(t.cfg.Now())
	out := make([]peer.Peer, 0, len(s.peers))
	for _, m := range s.peers {
		out = append(out, peer.Peer{Addr: m.addr, ID: m.id})
	}
	return out
}

func (t *Tracker) swarmLocked(h transport.InfoHash) *swarm {
	s := t.swarms[h]
	if s == nil {
		s = &swarm{peers: make(map[peer.ID]*member)}
		t.swarms[h] = s
	}
	return s
}

func (s *swarm) expireLocked(now time.Time) {
	for id, m := range s.peers {
		if now.After(m.expires) {
			delete(s.peers, id)
		}
	}
}

func (s *swarm) countsLocked() (complete, incomplete int) {
	for _, m := range s.peers {
		if m.left == 0 {
			complete++
		} else {
			incomplete++
		}
	}
	return complete, incomplete
}

// onClose registers a front end's stop function, run by Close. It returns
// ErrClosed if the tracker is already closed (the caller must then stop what
// it started itself).
func (t *Tracker) onClose(stop func()) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.group.Closed() {
		return ErrClosed
	}
	t.closers = append(t.closers, stop)
	return nil
}

// goroutine runs fn on a goroutine that Close waits for. After Close has
// begun it runs nothing and reports false (see goroutines.Group).
func (t *Tracker) goroutine(fn func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.group.Go(fn)
}

// Close stops every front end and waits for all their goroutines. It is safe
// to call more than once.
func (t *Tracker) Close() error {
	t.mu.Lock()
	closers := t.closers
	t.closers = nil
	t.group.Close()
	t.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	t.group.Wait()
	return nil
}

// observeArrival reports an announce request to OnArrival.
func (t *Tracker) observeArrival(a Announce) {
	if t.cfg.OnArrival == nil {
		return
	}
	if a.Time.IsZero() {
		a.Time = t.cfg.Now()
	}
	t.cfg.OnArrival(a)
}
