package announcer

import (
	"context"
	"io"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// fakeTransport is an in-process transport.Transport that calls a
// mocktracker.Tracker directly (the same swarms as its real front ends),
// with per-URL fault injection. It works in a synctest bubble: nothing
// touches a socket.
type fakeTransport struct {
	mt *mocktracker.Tracker

	mu       sync.Mutex
	faults   map[string][]fault // by URL host, applied in order; the last one sticks
	calls    []call
	extra    map[string][]peer.Peer   // peers added to each reply, by host (duplicates allowed)
	warn     map[string]string        // warning message by host
	interval map[string]time.Duration // interval sent instead of the tracker's, by host
	subs     map[string]func(peer.Peer)
	extIP    netip.Addr // BEP 24 external ip in every reply

	inflight, maxInflight map[string]int // by host
}

// fault is one misbehaviour. A zero fault means "answer normally".
type fault struct {
	err   error         // returned (wrapped in *transport.Error)
	hang  bool          // block until ctx ends
	delay time.Duration // wait before answering
}

// call is one request the fake saw.
type call struct {
	Time    time.Time
	Host    string
	Op      string // "announce" or "scrape"
	Event   transport.Event
	NumWant int32
	Left    int64
	Key     uint32
	PeerID  peer.ID
	Port    uint16
	Params  url.Values
	Hash    transport.InfoHash
}

func newFake(mt *mocktracker.Tracker) *fakeTransport {
	return &fakeTransport{mt: mt, faults: map[string][]fault{}, extra: map[string][]peer.Peer{},
		warn: map[string]string{}, interval: map[string]time.Duration{}, subs: map[string]func(peer.Peer){},
		inflight: map[string]int{}, maxInflight: map[string]int{}}
}

// setFaults makes the next calls to host misbehave in order; the last
// fault repeats. setFaults(host) clears them.
func (f *fakeTransport) setFaults(host string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[host] = fs
}

func (f *fakeTransport) nextFault(host string) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	fs := f.faults[host]
	if len(fs) == 0 {
		return fault{}
	}
	ft := fs[0]
	if len(fs) > 1 {
		f.faults[host] = fs[1:]
	}
	return ft
}

func (f *fakeTransport) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// Calls returns the calls so far, optionally only those to host.
func (f *fakeTransport) Calls(host string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if host == "" || c.Host == host {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeTransport) apply(ctx context.Context, op string, u *url.URL) error {
	ft := f.nextFault(u.Host)
	if ft.delay > 0 {
		select {
		case <-time.After(ft.delay):
		case <-ctx.Done():
			return &transport.Error{Op: op, URL: transport.Redact(u), Err: ctx.Err()}
		}
	}
	if ft.hang {
		<-ctx.Done()
		return &transport.Error{Op: op, URL: transport.Redact(u), Err: ctx.Err()}
	}
	if ft.err != nil {
		return &transport.Error{Op: op, URL: transport.Redact(u), Err: ft.err}
	}
	return ctx.Err()
}

func (f *fakeTransport) Announce(ctx context.Context, u *url.URL, req *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	f.mu.Lock()
	f.inflight[u.Host]++
	f.maxInflight[u.Host] = max(f.maxInflight[u.Host], f.inflight[u.Host])
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight[u.Host]--
		f.mu.Unlock()
	}()
	f.record(call{Time: time.Now(), Host: u.Host, Op: "announce", Event: req.Event, NumWant: req.NumWant,
		Left: req.Left, Key: req.Key, PeerID: req.PeerID, Port: req.Port, Params: req.Params, Hash: req.InfoHash})
	if err := f.apply(ctx, "announce", u); err != nil {
		return nil, err
	}
	res := f.mt.Announce(mocktracker.Announce{
		InfoHash: req.InfoHash, PeerID: req.PeerID, Left: req.Left, Event: req.Event,
		NumWant: int(req.NumWant), Key: req.Key,
		Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), req.Port),
	})
	f.mu.Lock()
	peers := append(res.Peers, f.extra[u.Host]...)
	warning, extIP := f.warn[u.Host], f.extIP
	if d, ok := f.interval[u.Host]; ok {
		res.Interval = d
	}
	f.mu.Unlock()
	return &transport.AnnounceResponse{Interval: res.Interval, MinInterval: res.MinInterval,
		Complete: res.Complete, Incomplete: res.Incomplete, Peers: peers, Warning: warning, ExternalIP: extIP}, nil
}

func (f *fakeTransport) Scrape(ctx context.Context, u *url.URL, req *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	f.record(call{Time: time.Now(), Host: u.Host, Op: "scrape"})
	if _, err := trackerhttp.ScrapeURL(u); err != nil && u.Scheme != "udp" {
		return nil, err
	}
	if err := f.apply(ctx, "scrape", u); err != nil {
		return nil, err
	}
	out := &transport.ScrapeResponse{Files: map[transport.InfoHash]transport.ScrapeStats{}}
	for _, h := range req.InfoHashes {
		if st, ok := f.mt.Scrape(h); ok {
			out.Files[h] = st
		}
	}
	return out, nil
}

// Close does nothing: the fake owns no sockets.
func (f *fakeTransport) Close() error { return nil }

// peerSourceFake adds transport.PeerSource to fakeTransport (a WebTorrent
// tracker's asynchronous peers).
type peerSourceFake struct{ *fakeTransport }

func (f peerSourceFake) Subscribe(u *url.URL, h transport.InfoHash, fn func(peer.Peer)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs[u.Host] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, u.Host)
	}
}

// deliver calls the subscriber of host, if any; it reports whether there
// was one.
func (f peerSourceFake) deliver(host string, p peer.Peer) bool {
	f.mu.Lock()
	fn := f.subs[host]
	f.mu.Unlock()
	if fn != nil {
		fn(p)
	}
	return fn != nil
}

// env is one test's tracker, fake transport and client.
type env struct {
	t    *testing.T
	mt   *mocktracker.Tracker
	fake *fakeTransport
	c    *Client
}

func newEnv(t *testing.T, mcfg mocktracker.Config, cfg Config) *env {
	t.Helper()
	mt := mocktracker.New(mcfg)
	fake := newFake(mt)
	if cfg.Transports == nil {
		cfg.Transports = map[string]transport.Transport{"http": fake, "https": fake, "udp": fake,
			"ws": peerSourceFake{fake}, "wss": peerSourceFake{fake}}
	}
	c := newClient(t, cfg, mt)
	return &env{t: t, mt: mt, fake: fake, c: c}
}

// newClient is NewClient(cfg), or the end of the test; when the test ends,
// the Client is closed, then each of closers in order.
func newClient(tb testing.TB, cfg Config, closers ...io.Closer) *Client {
	tb.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c.Close()
		for _, cl := range closers {
			cl.Close()
		}
	})
	return c
}

var testHash = transport.InfoHash{0xaa, 0xbb, 1, 2, 3}

func (e *env) session(tiers [][]string, opts SessionOptions) *Session {
	e.t.Helper()
	opts.KeepOrder = true
	s, err := e.c.NewSession(Torrent{InfoHash: testHash, Tiers: tiers}, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// collector reads a Session's events into a slice until the channel closes.
type collector struct {
	mu     sync.Mutex
	events []Event
	done   chan struct{}
}

func collect(s *Session) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for ev := range s.Events() {
			c.mu.Lock()
			c.events = append(c.events, ev)
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) all() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

func ofType[T Event](evs []Event) []T {
	var out []T
	for _, ev := range evs {
		if e, ok := ev.(T); ok {
			out = append(out, e)
		}
	}
	return out
}

func events(calls []call) []transport.Event {
	out := make([]transport.Event, len(calls))
	for i, c := range calls {
		out[i] = c.Event
	}
	return out
}

func announces(calls []call) []call {
	var out []call
	for _, c := range calls {
		if c.Op == "announce" {
			out = append(out, c)
		}
	}
	return out
}

// udpTrackers starts n mock UDP trackers on a new in-memory network and a
// Client using the real UDP transport over it, with cfg.
func udpTrackers(t *testing.T, n int, cfg Config) ([]*mocktracker.Tracker, []string, *Client) {
	t.Helper()
	return udpTrackersOn(t, memnet.New(), n, cfg)
}

// udpTrackersOn is udpTrackers on the in-memory network net.
func udpTrackersOn(t *testing.T, net *memnet.Network, n int, cfg Config) ([]*mocktracker.Tracker, []string, *Client) {
	t.Helper()
	var mts []*mocktracker.Tracker
	var urls []string
	for range n {
		mt := mocktracker.New(mocktracker.Config{})
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := mt.ServeUDP(pc); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mt.Close() })
		mts = append(mts, mt)
		urls = append(urls, "udp://"+pc.LocalAddr().String()+"/announce")
	}
	tr := udp.New(udp.Config{ListenPacket: net.ListenPacket})
	cfg.Transports = map[string]transport.Transport{"udp": tr}
	c := newClient(t, cfg, tr)
	return mts, urls, c
}

func hashN(i int) transport.InfoHash {
	h := testHash
	h[18], h[19] = byte(i>>8), byte(i)
	return h
}

func (c *Client) mustSession(t *testing.T, tor Torrent, opts SessionOptions) *Session {
	t.Helper()
	s, err := c.NewSession(tor, opts)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range s.Events() {
		}
	}()
	return s
}
