package interop

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// TestMixedSwarmWire puts a JS client and a trackerkit transport in one
// swarm on the JS server, over HTTP and over UDP (IPv4: the JS client cannot
// use an IPv6 UDP URL), and checks that each sees the other.
func TestMixedSwarmWire(t *testing.T) {
	requireNode(t)
	t.Parallel()
	for _, tc := range wireCases() {
		if tc.name == "udp6" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startTracker(t, time.Minute)
			tp := tc.newTransport(t)
			u, err := url.Parse(tc.url(tr))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ih := newInfoHash()

			const jsPort, goPort = 51001, 51002
			js := startJSPeer(t, jsPeerConfig{Announce: tc.url(tr), InfoHash: ih, Port: jsPort, Left: 0})
			js.wait(t, statsTimeout, "update", func(e jsEvent) bool { return e.Ev == "update" })
			tr.waitPeers(t, 1, 0)

			req := &transport.AnnounceRequest{InfoHash: ih, PeerID: newPeerID("-TK0001-"), Port: goPort,
				Left: 1000, Event: transport.EventStarted, NumWant: 50, Key: 7}
			resp, err := tp.Announce(ctx, u, req)
			if err != nil {
				t.Fatalf("go started: %v", err)
			}
			want := netip.AddrPortFrom(tc.loopback, jsPort)
			if !slices.ContainsFunc(resp.Peers, func(p peer.Peer) bool { return p.Addr == want }) {
				t.Errorf("go peer got %v, lacks the JS peer %v", resp.Peers, want)
			}
			if resp.Complete != 1 || resp.Incomplete != 1 {
				t.Errorf("go peer: complete/incomplete = %d/%d, want 1/1", resp.Complete, resp.Incomplete)
			}
			tr.waitPeers(t, 1, 1)

			js.send(t, "update")
			goAddr := fmt.Sprintf("127.0.0.1:%d", goPort)
			js.wait(t, statsTimeout, "the go peer", func(e jsEvent) bool { return e.Ev == "peer" && e.Addr == goAddr })

			req.Event, req.NumWant = transport.EventStopped, 0
			if _, err := tp.Announce(ctx, u, req); err != nil {
				t.Fatalf("go stopped: %v", err)
			}
			tr.waitPeers(t, 1, 0)
		})
	}
}
