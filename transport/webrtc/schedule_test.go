package webrtc

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

func TestReconnectDelay(t *testing.T) {
	cfg := Config{randFloat: func() float64 { return 0.5 }}.withDefaults()
	jitter := 150 * time.Second
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, 10 * time.Second}, {1, 20 * time.Second}, {2, 40 * time.Second},
		{8, 2560 * time.Second}, {9, time.Hour}, {40, time.Hour}, {70, time.Hour}, {1 << 30, time.Hour},
	}
	for _, tt := range tests {
		if got := cfg.reconnectDelay(tt.n); got != tt.want+jitter {
			t.Errorf("delay(%d) = %v, want %v", tt.n, got, tt.want+jitter)
		}
	}
	noJitter := Config{ReconnectJitter: -1, ReconnectMin: time.Second, ReconnectMax: 3 * time.Second}.withDefaults()
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		if got := noJitter.reconnectDelay(n); got != want {
			t.Errorf("no jitter: delay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{NumOffers: 50}.withDefaults()
	if c.NumOffers != MaxNumOffers || c.OfferTimeout != DefaultOfferTimeout || c.ReconnectMin != DefaultReconnectMin ||
		c.ReconnectMax != DefaultReconnectMax || c.ReconnectJitter != DefaultReconnectJitter || c.KeepAlive != 0 ||
		c.AnnounceTimeout != DefaultAnnounceTimeout || c.MaxMessageBytes != DefaultMaxMessageBytes || c.Logger == nil ||
		c.MaxPendingConns != DefaultMaxPendingConns || c.DialTimeout != DefaultDialTimeout {
		t.Fatalf("defaults: %+v", c)
	}
	if c := (Config{}).withDefaults(); c.NumOffers != DefaultNumOffers {
		t.Fatal(c.NumOffers)
	}
}

// pipeNet connects WebSocket clients to an http.Server through net.Pipe, so
// that sockets can live in a synctest bubble; it records when clients dial.
type pipeNet struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once

	stalled atomic.Bool // the server stops reading (and answering pings)

	mu    sync.Mutex
	dials []time.Time
}

// stallConn is the server's end of a pipe; it stops reading while stalled.
type stallConn struct {
	net.Conn
	p *pipeNet
}

func (c stallConn) Read(b []byte) (int, error) {
	for c.p.stalled.Load() {
		time.Sleep(time.Second)
	}
	return c.Conn.Read(b)
}

func newPipeNet() *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeNet) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

func (p *pipeNet) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }

func (p *pipeNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	p.mu.Lock()
	p.dials = append(p.dials, time.Now())
	p.mu.Unlock()
	client, server := net.Pipe()
	select {
	case p.conns <- stallConn{server, p}:
		return client, nil
	case <-p.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pipeNet) dialTimes(since time.Time) []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Duration
	for _, d := range p.dials {
		out = append(out, d.Sub(since))
	}
	return out
}

func (p *pipeNet) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: p.dial, DisableKeepAlives: true}}
}

// schedule runs fn in a bubble with a mock tracker behind a pipeNet and a
// Transport using it with cfg (defaults otherwise; jitter is half its max).
func schedule(t *testing.T, cfg Config, fn func(t *testing.T, c *Transport, tr *mocktracker.Tracker, pn *pipeNet, u *url.URL)) {
	synctest.Test(t, func(t *testing.T) {
		pn := newPipeNet()
		tr := mocktracker.New(mocktracker.Config{})
		srv := &http.Server{Handler: tr.WSHandler()}
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = srv.Serve(pn)
		}()
		cfg.DialOptions = &websocket.DialOptions{HTTPClient: pn.client()}
		cfg.randFloat = func() float64 { return 0.5 }
		c := New(cfg)
		t.Cleanup(func() { // also after t.Fatal: the bubble must end empty
			c.Close()
			tr.Close()
			_ = srv.Close()
			<-served
		})
		u, _ := url.Parse("ws://127.0.0.1:9/announce")
		fn(t, c, tr, pn, u)
	})
}

func TestReconnectScheduleVirtual(t *testing.T) {
	schedule(t, Config{AnnounceTimeout: 2 * time.Hour}, func(t *testing.T, c *Transport, tr *mocktracker.Tracker, pn *pipeNet, u *url.URL) {
		h := transport.InfoHash{7}
		req := &transport.AnnounceRequest{InfoHash: h, PeerID: [20]byte{1}, Event: transport.EventStarted, NumWant: transport.NumWantDefault}
		if _, err := c.Announce(context.Background(), u, req); err != nil {
			t.Fatal(err)
		}
		tr.SetWSFaults(mocktracker.WSFaults{Refuse: true})
		dropped := time.Now()
		tr.DropWSSockets()
		queued := make(chan error, 1)
		go func() {
			_, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: h, PeerID: [20]byte{1}, NumWant: -1})
			queued <- err
		}()
		// Reconnects at 10 s, then 20 s, 40 s after each failure, each plus
		// half the 5 min jitter: 160 s, 330 s, 520 s after the drop.
		time.Sleep(400 * time.Second)
		synctest.Wait()
		if len(tr.Peers(h)) != 0 {
			t.Fatal("back in the swarm while the tracker refuses")
		}
		select {
		case err := <-queued:
			t.Fatalf("queued announce returned while the tracker is down: %v", err)
		default:
		}
		tr.SetWSFaults(mocktracker.WSFaults{})
		if err := <-queued; err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{160 * time.Second, 330 * time.Second, 520 * time.Second}
		if got := pn.dialTimes(dropped)[1:]; !equalRounded(got, want) {
			t.Fatalf("dials after the drop at %v, want %v", got, want)
		}
		if len(tr.Peers(h)) != 1 {
			t.Fatal("not re-announced")
		}

		// A good connection resets the backoff: the next drop waits 160 s again.
		dropped = time.Now()
		tr.DropWSSockets()
		time.Sleep(200 * time.Second)
		synctest.Wait()
		if got := pn.dialTimes(dropped); len(got) != 5 || got[4].Round(time.Second) != 160*time.Second {
			t.Fatalf("dials %v", got)
		}
		if len(tr.Peers(h)) != 1 {
			t.Fatal("not re-announced after the second drop")
		}
	})
}

func TestKeepAliveVirtual(t *testing.T) {
	schedule(t, Config{KeepAlive: 30 * time.Second}, func(t *testing.T, c *Transport, tr *mocktracker.Tracker, pn *pipeNet, u *url.URL) {
		h := transport.InfoHash{8}
		if _, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: h, PeerID: [20]byte{2}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Minute) // twenty pings, all answered
		synctest.Wait()
		if n := len(pn.dialTimes(time.Now())); n != 1 {
			t.Fatalf("%d dials: pings broke the socket", n)
		}
	})
}

func TestKeepAliveDetectsDeadSocketVirtual(t *testing.T) {
	schedule(t, Config{KeepAlive: 30 * time.Second}, func(t *testing.T, c *Transport, tr *mocktracker.Tracker, pn *pipeNet, u *url.URL) {
		h := transport.InfoHash{8}
		if _, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: h, PeerID: [20]byte{2}}); err != nil {
			t.Fatal(err)
		}
		// The tracker hangs: a read it had already begun still answers the
		// ping at 30 s, the one at 60 s goes unanswered and fails at 90 s.
		pn.stalled.Store(true)
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		pn.stalled.Store(false)
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if n := len(pn.dialTimes(time.Now())); n != 2 {
			t.Fatalf("%d dials, want a reconnect after the unanswered ping", n)
		}
		if len(tr.Peers(h)) != 1 {
			t.Fatal("not re-announced")
		}
	})
}

func TestIdleSocketRetiresVirtual(t *testing.T) {
	schedule(t, Config{}, func(t *testing.T, c *Transport, tr *mocktracker.Tracker, pn *pipeNet, u *url.URL) {
		h := transport.InfoHash{9}
		for _, ev := range []transport.Event{transport.EventStarted, transport.EventStopped} {
			if _, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: h, PeerID: [20]byte{3}, Event: ev}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if c.Sockets() != 0 {
			t.Fatal("idle socket still open")
		}
		// A drop while idle does not make it reconnect.
		time.Sleep(time.Hour)
		if n := len(pn.dialTimes(time.Now())); n != 1 {
			t.Fatalf("%d dials", n)
		}
	})
}

func equalRounded(got, want []time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Round(time.Second) != want[i] {
			return false
		}
	}
	return true
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
