package interop

import (
	"context"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// TestWireWS is TestWire over ws://: two trackerkit WebRTC transports in one
// swarm of the JS WebSocket tracker announce started, meet over WebRTC
// (bytes both ways), see seeders/leechers change (checked against
// /stats.json), scrape, and stop (the server forgets them).
func TestWireWS(t *testing.T) {
	requireNode(t)
	t.Parallel()
	tr := startTracker(t, serverInterval)
	ih := newInfoHash()
	a, b := newGoWebRTC(t, tr, ih), newGoWebRTC(t, tr, ih)

	checkReply := func(what string, resp *transport.AnnounceResponse, complete, incomplete int) {
		t.Helper()
		if resp.Complete != complete || resp.Incomplete != incomplete {
			t.Errorf("%s: complete/incomplete = %d/%d, want %d/%d", what, resp.Complete, resp.Incomplete, complete, incomplete)
		}
	}
	checkReply("a started", a.announce(t, transport.EventStarted, 100), 0, 1)
	tr.waitPeers(t, 0, 1)
	resp := b.announce(t, transport.EventStarted, 100)
	checkReply("b started", resp, 0, 2)
	if want := serverInterval / 5; resp.Interval != want {
		t.Errorf("interval = %v, want the server's %v", resp.Interval, want)
	}
	tr.waitPeers(t, 0, 2)

	pa, pb := a.waitPeer(t), b.waitPeer(t)
	if pa.ID != b.req.PeerID || pb.ID != a.req.PeerID {
		t.Errorf("a met %v, b met %v; want each other (%v, %v)", pa.ID, pb.ID, b.req.PeerID, a.req.PeerID)
	}
	go io.WriteString(pa.Conn, "a->b")
	go io.WriteString(pb.Conn, "b->a")
	if got, err := readFull(pb.Conn, 4, webrtcTimeout); got != "a->b" {
		t.Errorf("b read %q, %v; want a->b", got, err)
	}
	if got, err := readFull(pa.Conn, 4, webrtcTimeout); got != "b->a" {
		t.Errorf("a read %q, %v; want b->a", got, err)
	}

	checkReply("b completed", b.announce(t, transport.EventCompleted, 0), 1, 1)
	tr.waitPeers(t, 1, 1)

	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	sr, err := a.tp.Scrape(ctx, a.u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{ih}})
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	// The server reports "downloaded" as a lower bound: its seeders.
	if got, want := sr.Files[ih], (transport.ScrapeStats{Complete: 1, Incomplete: 1, Downloaded: 1}); got != want {
		t.Errorf("scrape = %+v (files %v), want %+v", got, sr.Files, want)
	}

	a.req.NumWant = 0
	a.announce(t, transport.EventStopped, 100)
	tr.waitPeers(t, 1, 0)
	b.req.NumWant = 0
	b.announce(t, transport.EventStopped, 0)
	tr.waitPeers(t, 0, 0)
}

// goWebRTC is one trackerkit WebRTC peer: a transport subscribed to one
// torrent on one tracker.
type goWebRTC struct {
	tp    *webrtc.Transport
	u     *url.URL
	req   transport.AnnounceRequest
	peers chan peer.Peer
}

func newGoWebRTC(t *testing.T, tr *jsTracker, ih transport.InfoHash) *goWebRTC {
	t.Helper()
	u := parseURL(t, tr.wsURL())
	g := &goWebRTC{
		tp:    webrtc.New(webrtc.Config{LoopbackOnly: true}),
		u:     u,
		req:   transport.AnnounceRequest{InfoHash: ih, PeerID: newPeerID("-TK0001-"), Port: 6881, NumWant: 50, Key: 3},
		peers: make(chan peer.Peer, 16),
	}
	cancel := g.tp.Subscribe(u, ih, func(p peer.Peer) {
		select {
		case g.peers <- p:
		default:
			p.Conn.Close()
		}
	})
	t.Cleanup(func() {
		cancel()
		g.tp.Close()
		for {
			select {
			case p := <-g.peers:
				p.Conn.Close()
			default:
				return
			}
		}
	})
	return g
}

// announce sends one announce with ev and left; it fails the test on error.
func (g *goWebRTC) announce(t *testing.T, ev transport.Event, left int64) *transport.AnnounceResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	g.req.Event, g.req.Left = ev, left
	resp, err := g.tp.Announce(ctx, g.u, &g.req)
	if err != nil {
		t.Fatalf("go %v announce: %v", ev, err)
	}
	return resp
}

// waitPeer returns the next WebRTC peer (its data channel open); the test
// owns its Conn, closed at cleanup.
func (g *goWebRTC) waitPeer(t *testing.T) peer.Peer {
	t.Helper()
	select {
	case p := <-g.peers:
		t.Cleanup(func() { p.Conn.Close() })
		return p
	case <-time.After(webrtcTimeout):
		t.Fatalf("go peer: no WebRTC peer after %v", webrtcTimeout)
		return peer.Peer{}
	}
}
