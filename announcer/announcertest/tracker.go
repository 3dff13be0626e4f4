package announcertest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Config configures a Tracker. The zero value is a well-behaved tracker
// with the defaults given per field.
type Config struct {
	// Interval is the announce interval the tracker asks for. Default 30
	// minutes, as most public trackers.
	Interval time.Duration
	// MinInterval is sent as "min interval" (HTTP, WebSocket); 0: not sent.
	MinInterval time.Duration
	// PeerTTL is how long a peer stays in a swarm without announcing.
	// Default 2 * Interval + 1 minute.
	PeerTTL time.Duration
	// DefaultNumWant is the number of peers given when an announce does not
	// say (or says -1). Default 50.
	DefaultNumWant int
	// MaxNumWant caps the peers given per announce. Default 200.
	MaxNumWant int

	// HTTPAddr, UDPAddr and WSAddr are where the front ends listen, as
	// "IP:PORT". Default "127.0.0.1:0" (a free port). Only loopback
	// addresses (127.0.0.0/8, ::1) are accepted: the tracker is for tests.
	HTTPAddr, UDPAddr, WSAddr string

	// OnAnnounce, when set, is called with every announce as it is
	// recorded, before the reply is sent (on the front end's goroutine:
	// keep it short). OnScrape is the same for scrape requests.
	OnAnnounce func(Announce)
	OnScrape   func(Scrape)
}

// ErrNotLoopback is returned by Start for a listen address outside
// 127.0.0.0/8 and ::1.
var ErrNotLoopback = errors.New("announcertest: listen address is not loopback")

// listenAddr returns addr, or the default, after checking it is loopback.
func listenAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "", fmt.Errorf("announcertest: listen address %q: want IP:PORT", addr)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return "", fmt.Errorf("%w: %s", ErrNotLoopback, addr)
	}
	return addr, nil
}

// Protocols of the front ends, as Announce.Protocol and Scrape.Protocol
// name them.
const (
	ProtocolHTTP = "http"
	ProtocolUDP  = "udp"
	ProtocolWS   = "ws" // WebTorrent over WebSocket; its peers connect over WebRTC
)

// maxLog bounds the announces and scrapes a Tracker keeps.
const maxLog = 100_000

// Tracker is a running tracker with HTTP, UDP and WebSocket front ends on
// 127.0.0.1. Its methods are safe for concurrent use.
type Tracker struct {
	mt              *mocktracker.Tracker
	httpURL, udpURL string
	wsURL           string
	mu              sync.Mutex
	announces       []Announce
	scrapes         []Scrape
	changed         chan struct{} // closed and replaced on every announce
	closeOnce       sync.Once
	onAnnounce      func(Announce)
	onScrape        func(Scrape)
}

// NewTracker starts a Tracker with the default Config on free ports of
// 127.0.0.1; tb's Cleanup closes it. It fails the test (tb.Fatal) if a
// front end cannot listen.
func NewTracker(tb testing.TB) *Tracker { return NewTrackerConfig(tb, Config{}) }

// NewTrackerConfig is NewTracker with a Config.
func NewTrackerConfig(tb testing.TB, cfg Config) *Tracker {
	tb.Helper()
	t, err := Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(t.Close)
	return t
}

// Start starts a Tracker outside a test (an example, a TestMain, a
// command such as examples/mocktracker); the caller must Close it.
func Start(cfg Config) (*Tracker, error) {
	var addrs [3]string
	for i, a := range []string{cfg.HTTPAddr, cfg.UDPAddr, cfg.WSAddr} {
		var err error
		if addrs[i], err = listenAddr(a); err != nil {
			return nil, err
		}
	}
	t := &Tracker{changed: make(chan struct{}), onAnnounce: cfg.OnAnnounce, onScrape: cfg.OnScrape}
	t.mt = mocktracker.New(mocktracker.Config{
		Interval: cfg.Interval, MinInterval: cfg.MinInterval, PeerTTL: cfg.PeerTTL,
		DefaultNumWant: cfg.DefaultNumWant, MaxNumWant: cfg.MaxNumWant,
		OnAnnounce: t.record, OnScrape: t.recordScrape,
	})
	var err error
	if t.httpURL, err = t.mt.ListenHTTP(addrs[0]); err != nil {
		t.Close()
		return nil, fmt.Errorf("announcertest: HTTP tracker: %w", err)
	}
	if t.udpURL, err = t.mt.ListenUDP(addrs[1]); err != nil {
		t.Close()
		return nil, fmt.Errorf("announcertest: UDP tracker: %w", err)
	}
	if t.wsURL, err = t.mt.ListenWS(addrs[2]); err != nil {
		t.Close()
		return nil, fmt.Errorf("announcertest: WebSocket tracker: %w", err)
	}
	return t, nil
}

// HTTPURL is the HTTP announce URL, "http://127.0.0.1:PORT/announce" (its
// scrape URL ends in /scrape, BEP 48).
func (t *Tracker) HTTPURL() string { return t.httpURL }

// UDPURL is the UDP announce URL, "udp://127.0.0.1:PORT/announce".
func (t *Tracker) UDPURL() string { return t.udpURL }

// WSURL is the WebSocket (WebTorrent) announce URL, "ws://127.0.0.1:PORT".
func (t *Tracker) WSURL() string { return t.wsURL }

// URLs returns the HTTP, UDP and WebSocket announce URLs, in that order.
func (t *Tracker) URLs() []string { return []string{t.httpURL, t.udpURL, t.wsURL} }

// Close stops every front end and waits for their goroutines. NewTracker's
// Cleanup calls it; calling it earlier (to test a tracker going away) or
// more than once is fine. The records (Announces, Peers, ...) stay
// readable.
func (t *Tracker) Close() {
	t.closeOnce.Do(func() { t.mt.Close() })
}

// AddPeer puts a simulated peer in the swarm of h, as if it had announced
// from addr (left 0: a seeder). It is not recorded as an announce.
func (t *Tracker) AddPeer(h transport.InfoHash, id peer.ID, addr netip.AddrPort, left int64) {
	t.mt.AddPeer(h, id, addr, left)
}

// Peers returns the members of the swarm of h, sorted by peer ID. WebSocket
// members have no address (they connect over WebRTC).
func (t *Tracker) Peers(h transport.InfoHash) []peer.Peer {
	ps := t.mt.Peers(h)
	slices.SortFunc(ps, func(a, b peer.Peer) int { return slices.Compare(a.ID[:], b.ID[:]) })
	return ps
}

// Stats returns the swarm's counts as a scrape would (seeders, leechers,
// completed downloads); ok is false when the tracker never saw h.
func (t *Tracker) Stats(h transport.InfoHash) (stats transport.ScrapeStats, ok bool) {
	return t.mt.Scrape(h)
}

// Announces returns the announces received for h, oldest first.
func (t *Tracker) Announces(h transport.InfoHash) []Announce {
	t.mu.Lock()
	defer t.mu.Unlock()
	return appendClones(nil, t.announces, func(a *Announce) bool { return a.InfoHash == h })
}

// AllAnnounces returns every announce received, oldest first (at most the
// first 100,000).
func (t *Tracker) AllAnnounces() []Announce {
	t.mu.Lock()
	defer t.mu.Unlock()
	return appendClones(make([]Announce, 0, len(t.announces)), t.announces, nil)
}

// appendClones appends to dst a copy (see Announce.clone) of each announce
// of src that keep accepts (keep nil: every one); t.mu is held.
func appendClones(dst, src []Announce, keep func(*Announce) bool) []Announce {
	for i := range src {
		if keep == nil || keep(&src[i]) {
			dst = append(dst, src[i].clone())
		}
	}
	return dst
}

// Scrapes returns the scrape requests received, oldest first (at most the
// first 100,000).
func (t *Tracker) Scrapes() []Scrape {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Scrape, len(t.scrapes))
	for i, s := range t.scrapes {
		s.InfoHashes = slices.Clone(s.InfoHashes)
		out[i] = s
	}
	return out
}

// WaitAnnounce returns the first announce received, before or after the
// call, for which match is true, or ctx's error once ctx ends. match is
// called without locks held.
func (t *Tracker) WaitAnnounce(ctx context.Context, match func(Announce) bool) (Announce, error) {
	seen := 0
	for {
		t.mu.Lock()
		fresh := appendClones(make([]Announce, 0, len(t.announces)-seen), t.announces[seen:], nil)
		seen = len(t.announces)
		changed := t.changed
		t.mu.Unlock()
		for _, a := range fresh {
			if match(a) {
				return a, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Announce{}, ctx.Err()
		}
	}
}

// EventIs matches announces for h that carry event ev
// (transport.EventNone: a regular announce), for WaitAnnounce.
func EventIs(h transport.InfoHash, ev transport.Event) func(Announce) bool {
	return func(a Announce) bool { return a.InfoHash == h && a.Event == ev }
}

func (t *Tracker) record(m mocktracker.Announce) {
	a := fromMock(m)
	t.mu.Lock()
	if len(t.announces) < maxLog {
		t.announces = append(t.announces, a)
	}
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
	if t.onAnnounce != nil {
		t.onAnnounce(a.clone())
	}
}

func (t *Tracker) recordScrape(m mocktracker.Scrape) {
	s := Scrape{Time: m.Time, Protocol: m.Protocol, From: m.From, InfoHashes: slices.Clone(m.InfoHashes)}
	t.mu.Lock()
	if len(t.scrapes) < maxLog {
		t.scrapes = append(t.scrapes, s)
	}
	t.mu.Unlock()
	if t.onScrape != nil {
		s.InfoHashes = slices.Clone(s.InfoHashes)
		t.onScrape(s)
	}
}
