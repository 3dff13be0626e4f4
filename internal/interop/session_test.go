package interop

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

const (
	// intervalFloor lets a forced announce (Announce, Complete) go out
	// right away instead of a minute after the last one: the JS server sends
	// no "min interval", so the floor alone spaces them.
	intervalFloor = 200 * time.Millisecond
	// eventTimeout bounds waiting for one Session event over HTTP or UDP,
	// and the Sessions' stop deadline. Only a failing test reaches it: it
	// is generous, so that a loaded 2-core machine passes.
	eventTimeout = 2 * time.Minute
)

// goSession is one trackerkit peer: its own announcer.Client (so its own
// peer ID) and one Session on one announce URL. Its events are kept as they
// arrive, to be waited for.
type goSession struct {
	name string
	c    *announcer.Client
	s    *announcer.Session
	id   peer.ID
	port uint16
	left atomic.Int64

	mu      sync.Mutex
	events  []announcer.Event
	changed chan struct{} // closed and replaced on each new event
	drained chan struct{} // closed when Events is closed
}

// newSession makes (but does not start) a Session for ih on announceURL,
// announcing port and left. ws:// URLs get a WebRTC transport restricted to
// loopback.
func newSession(t *testing.T, name, announceURL string, ih transport.InfoHash, port uint16, left int64) *goSession {
	t.Helper()
	g := &goSession{name: name, id: newPeerID(announcer.PeerIDPrefix), port: port,
		changed: make(chan struct{}), drained: make(chan struct{})}
	g.left.Store(left)
	ws := webrtc.New(webrtc.Config{LoopbackOnly: true})
	c, err := announcer.NewClient(announcer.Config{
		PeerID:        g.id,
		Port:          port,
		IntervalFloor: intervalFloor,
		StopTimeout:   eventTimeout,
		Transports:    map[string]transport.Transport{"ws": ws},
	})
	if err != nil {
		ws.Close()
		t.Fatalf("%s: NewClient: %v", name, err)
	}
	g.c = c
	s, err := c.NewSession(announcer.Torrent{InfoHash: ih, Tiers: [][]string{{announceURL}}},
		announcer.SessionOptions{Stats: func() announcer.Stats { return announcer.Stats{Left: g.left.Load()} }})
	if err != nil {
		c.Close()
		ws.Close()
		t.Fatalf("%s: NewSession: %v", name, err)
	}
	g.s = s
	go g.collect()
	t.Cleanup(func() {
		s.Close()
		c.Close()
		ws.Close()
		<-g.drained
		for _, ev := range g.snapshot() {
			if p, ok := ev.(announcer.PeerEvent); ok {
				for _, pp := range p.Peers {
					if pp.Conn != nil {
						pp.Conn.Close()
					}
				}
			}
		}
		if t.Failed() {
			t.Logf("%s (peer %v) events:\n%s", name, g.id, g.dump())
		}
	})
	return g
}

func (g *goSession) collect() {
	defer close(g.drained)
	for ev := range g.s.Events() {
		g.mu.Lock()
		g.events = append(g.events, ev)
		close(g.changed)
		g.changed = make(chan struct{})
		g.mu.Unlock()
	}
}

func (g *goSession) snapshot() []announcer.Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.events[:len(g.events):len(g.events)]
}

func (g *goSession) dump() string {
	s := ""
	for _, ev := range g.snapshot() {
		s += fmt.Sprintf("  %T %+v\n", ev, ev)
	}
	return s
}

// start starts the Session; Stop or Close ends it.
func (g *goSession) start(t *testing.T) {
	t.Helper()
	if err := g.s.Start(context.Background()); err != nil {
		t.Fatalf("%s: Start: %v", g.name, err)
	}
}

// stop sends stopped and ends the Session.
func (g *goSession) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	if err := g.s.Stop(ctx); err != nil {
		t.Errorf("%s: Stop: %v", g.name, err)
	}
}

// wait returns the first event since index from that match accepts, and the
// index after it; an ErrorEvent on the way fails the test.
func (g *goSession) wait(t *testing.T, from int, timeout time.Duration, what string, match func(announcer.Event) bool) (announcer.Event, int) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		g.mu.Lock()
		evs, changed := g.events[from:], g.changed
		g.mu.Unlock()
		for i, ev := range evs {
			if e, ok := ev.(announcer.ErrorEvent); ok {
				t.Fatalf("%s: waiting for %s: error event: %v", g.name, what, e.Err)
			}
			if match(ev) {
				return ev, from + i + 1
			}
		}
		from += len(evs)
		select {
		case <-changed:
		case <-g.drained:
			t.Fatalf("%s: events closed while waiting for %s", g.name, what)
		case <-deadline:
			t.Fatalf("%s: no %s within %v", g.name, what, timeout)
		}
	}
}

// waitUpdate waits for the reply to an announce with event ev.
func (g *goSession) waitUpdate(t *testing.T, from int, ev transport.Event) (announcer.UpdateEvent, int) {
	t.Helper()
	e, next := g.wait(t, from, eventTimeout, fmt.Sprintf("reply to %q announce", ev), func(e announcer.Event) bool {
		u, ok := e.(announcer.UpdateEvent)
		return ok && u.Event == ev
	})
	return e.(announcer.UpdateEvent), next
}

// waitPeer waits for a PeerEvent with a peer that match accepts, and returns
// it narrowed to that peer (Peers[0]).
func (g *goSession) waitPeer(t *testing.T, timeout time.Duration, what string, match func(peer.Peer) bool) announcer.PeerEvent {
	t.Helper()
	e, _ := g.wait(t, 0, timeout, what, func(e announcer.Event) bool {
		_, ok := narrowPeer(e, match)
		return ok
	})
	p, _ := narrowPeer(e, match)
	return p
}

// findPeer returns the first PeerEvent so far with a peer that match
// accepts, narrowed to that peer.
func (g *goSession) findPeer(match func(peer.Peer) bool) (announcer.PeerEvent, bool) {
	for _, e := range g.snapshot() {
		if p, ok := narrowPeer(e, match); ok {
			return p, true
		}
	}
	return announcer.PeerEvent{}, false
}

// narrowPeer returns e, a PeerEvent, with only its first peer that match
// accepts.
func narrowPeer(e announcer.Event, match func(peer.Peer) bool) (announcer.PeerEvent, bool) {
	pe, ok := e.(announcer.PeerEvent)
	if !ok {
		return pe, false
	}
	for _, p := range pe.Peers {
		if match(p) {
			pe.Peers = []peer.Peer{p}
			return pe, true
		}
	}
	return pe, false
}

// checkCounts checks an UpdateEvent's seeders and leechers.
func checkCounts(t *testing.T, what string, u announcer.UpdateEvent, complete, incomplete int) {
	t.Helper()
	if u.Complete != complete || u.Incomplete != incomplete {
		t.Errorf("%s: complete/incomplete = %d/%d, want %d/%d", what, u.Complete, u.Incomplete, complete, incomplete)
	}
}
