package webrtc_test

// This external test package imports announcer to check the whole path a
// user takes (Client, Session, PeerEvent); the webrtc package itself does
// not import it.

import (
	"context"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// startSession starts a Client (its own peer ID and WebRTC Transport) and a
// Session on the tracker at u, and returns the first WebRTC PeerEvent.
func startSession(t *testing.T, u string, pid peer.ID) (*announcer.Session, <-chan announcer.PeerEvent) {
	t.Helper()
	tr := webrtc.New(testConfig())
	t.Cleanup(func() { tr.Close() })
	c, err := announcer.NewClient(announcer.Config{PeerID: pid, StopTimeout: patience, Transports: map[string]transport.Transport{"ws": tr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{u}}},
		announcer.SessionOptions{Stats: func() announcer.Stats { return announcer.Stats{Left: 100} }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	peers := make(chan announcer.PeerEvent, 10)
	go func() {
		for ev := range s.Events() {
			if pe, ok := ev.(announcer.PeerEvent); ok && pe.Protocol == announcer.ProtocolWebRTC {
				peers <- pe
			}
		}
	}()
	return s, peers
}

func TestSessionsMeet(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	sa, pa := startSession(t, u.String(), id(1))
	sb, pb := startSession(t, u.String(), id(50))
	var ea, eb announcer.PeerEvent
	for i, ch := range []<-chan announcer.PeerEvent{pa, pb} {
		select {
		case e := <-ch:
			if i == 0 {
				ea = e
			} else {
				eb = e
			}
		case <-time.After(patience):
			t.Fatal("no PeerEvent")
		}
	}
	defer ea.Peers[0].Conn.Close()
	defer eb.Peers[0].Conn.Close()
	if ea.Peers[0].ID != id(50) || eb.Peers[0].ID != id(1) {
		t.Fatalf("ids %v %v", ea.Peers[0].ID, eb.Peers[0].ID)
	}
	exchange(t, ea.Peers[0].Conn, eb.Peers[0].Conn, []byte("from a's session"))
	exchange(t, eb.Peers[0].Conn, ea.Peers[0].Conn, []byte("from b's session"))

	// The tracker drops both sockets: the transports re-announce both
	// torrents, with offers, and the sessions meet again.
	tr.DropWSSockets()
	eventually(t, "both sessions back in the swarm", func() bool { return len(tr.Peers(hash)) == 2 })
	for _, ch := range []<-chan announcer.PeerEvent{pa, pb} {
		select {
		case e := <-ch:
			defer e.Peers[0].Conn.Close()
		case <-time.After(patience):
			t.Fatal("no PeerEvent after the reconnect")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := sa.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tr.Peers(hash); len(got) != 0 {
		t.Fatalf("swarm after both sessions stopped: %v", got)
	}
}
