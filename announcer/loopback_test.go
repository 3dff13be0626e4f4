package announcer

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Real sockets on loopback: the default transports against the mock
// tracker's front ends. Real time, so each test waits for events, never for
// a schedule.

// patience bounds the waits of these real-socket tests for what must happen,
// and their Stop deadlines (Config.StopTimeout): only a failing test reaches
// it, so it is generous enough for a loaded machine.
const patience = 2 * time.Minute

// waitFor reads events until match returns true or patience passes.
func waitFor(t *testing.T, s *Session, match func(Event) bool) Event {
	t.Helper()
	timeout := time.After(patience)
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatal("timed out waiting for an event")
		}
	}
}

func isUpdate(want transport.Event) func(Event) bool {
	return func(ev Event) bool { u, ok := ev.(UpdateEvent); return ok && u.Event == want }
}

func loopbackTracker(t *testing.T) *mocktracker.Tracker {
	mt := mocktracker.New(mocktracker.Config{})
	t.Cleanup(func() { mt.Close() })
	return mt
}

func TestLoopbackHTTP(t *testing.T) {
	mt := loopbackTracker(t)
	announce, err := mt.ListenHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other := netip.MustParseAddrPort("127.0.0.1:7001")
	mt.AddPeer(testHash, peer.ID{7}, other, 0)
	c, err := NewClient(Config{StopTimeout: patience})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{announce + "?passkey=s3cret"}}},
		SessionOptions{Stats: func() Stats { return Stats{Left: 100} }})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	up := waitFor(t, s, isUpdate(transport.EventStarted)).(UpdateEvent)
	if up.Complete != 1 || up.Incomplete != 1 || up.Peers != 1 {
		t.Fatalf("update %+v", up)
	}
	pe := waitFor(t, s, func(ev Event) bool { _, ok := ev.(PeerEvent); return ok }).(PeerEvent)
	if len(pe.Peers) != 1 || pe.Peers[0].Addr != other || pe.Protocol != ProtocolHTTP {
		t.Fatalf("peer %+v", pe)
	}
	if err := s.Scrape(context.Background()); err != nil {
		t.Fatal(err)
	}
	sc := waitFor(t, s, func(ev Event) bool { _, ok := ev.(ScrapeEvent); return ok }).(ScrapeEvent)
	if sc.Stats.Complete != 1 || sc.Stats.Incomplete != 1 {
		t.Fatalf("scrape %+v", sc)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, isUpdate(transport.EventStopped))
	if n := len(mt.Peers(testHash)); n != 1 {
		t.Fatalf("%d peers in the swarm after stopped, want the other one", n)
	}
}

func TestLoopbackHTTPGiveUp(t *testing.T) {
	tests := []struct {
		name   string
		faults mocktracker.HTTPFaults
	}{
		{"410", mocktracker.HTTPFaults{Status: 410}},
		{"retry never", mocktracker.HTTPFaults{FailureReason: "banned", RetryIn: "never"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := loopbackTracker(t)
			announce, err := mt.ListenHTTP("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			mt.SetHTTPFaults(tt.faults)
			c, _ := NewClient(Config{StopTimeout: patience})
			defer c.Close()
			s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{announce}}}, SessionOptions{})
			s.Start(context.Background())
			ev := waitFor(t, s, func(ev Event) bool { _, ok := ev.(ErrorEvent); return ok }).(ErrorEvent)
			if !ev.GaveUp || !errors.Is(ev.Err, transport.ErrPermanent) {
				t.Fatalf("error event %+v", ev)
			}
			s.Stop(context.Background())
			if n := mt.HTTPRequests(); n != 1 {
				t.Fatalf("%d requests: stopped sent to a tracker that never acknowledged started", n)
			}
		})
	}
}
