package interop

import (
	"context"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// serverInterval is the announce interval the JS servers of the Session
// tests hand out: 10 min over HTTP and UDP, 2 min over WebSocket, so no
// scheduled announce (and no new WebRTC offer) happens during a test; the
// tests force the ones they want.
const serverInterval = 10 * time.Minute

// TestSessions runs two trackerkit Sessions in one swarm of the JS server
// over each protocol: they announce started, find each other as peers, see
// seeders/leechers change (checked against /stats.json too) when one
// completes, scrape, and stop (the server forgets them).
func TestSessions(t *testing.T) {
	requireNode(t)
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  func(*jsTracker) string
		// loopback is our address as the server sees it; invalid for
		// WebRTC, where peers have IDs and data channels, not addresses.
		loopback netip.Addr
		// peers is false where this server returns no peers: its UDP
		// replies carry IPv4 peers only (see wireCases, udp6).
		peers bool
	}{
		{"http", (*jsTracker).httpURL, netip.MustParseAddr("127.0.0.1"), true},
		{"udp4", (*jsTracker).udp4URL, netip.MustParseAddr("127.0.0.1"), true},
		{"udp6", (*jsTracker).udp6URL, netip.MustParseAddr("::1"), false},
		{"ws", (*jsTracker).wsURL, netip.Addr{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startTracker(t, serverInterval)
			ih := newInfoHash()
			a := newSession(t, "a", tc.url(tr), ih, 52001, 1000)
			b := newSession(t, "b", tc.url(tr), ih, 52002, 1000)
			webRTC := !tc.loopback.IsValid()

			a.start(t)
			u, _ := a.waitUpdate(t, 0, transport.EventStarted)
			checkCounts(t, "a started", u, 0, 1)
			tr.waitPeers(t, 0, 1)
			b.start(t)
			u, bNext := b.waitUpdate(t, 0, transport.EventStarted)
			checkCounts(t, "b started", u, 0, 2)
			s := tr.waitPeers(t, 0, 2)
			if !webRTC {
				checkFamily(t, s, tc.loopback, 2)
			}

			// Each finds the other.
			switch {
			case webRTC:
				// b's offers reach a, a answers: both get a data channel.
				pa := a.waitPeer(t, webrtcTimeout, "WebRTC peer b", func(p peer.Peer) bool { return p.ID == b.id })
				pb := b.waitPeer(t, webrtcTimeout, "WebRTC peer a", func(p peer.Peer) bool { return p.ID == a.id })
				if pa.Protocol != announcer.ProtocolWebRTC || pa.Peers[0].Conn == nil || pb.Peers[0].Conn == nil {
					t.Fatalf("WebRTC peers without data channels: %+v / %+v", pa, pb)
				}
				go io.WriteString(pa.Peers[0].Conn, "a->b")
				go io.WriteString(pb.Peers[0].Conn, "b->a")
				if got, err := readFull(pb.Peers[0].Conn, 4, webrtcTimeout); got != "a->b" {
					t.Errorf("b read %q, %v; want a->b", got, err)
				}
				if got, err := readFull(pa.Peers[0].Conn, 4, webrtcTimeout); got != "b->a" {
					t.Errorf("a read %q, %v; want b->a", got, err)
				}
			case tc.peers:
				wantA := netip.AddrPortFrom(tc.loopback, a.port)
				b.waitPeer(t, eventTimeout, "peer a "+wantA.String(), func(p peer.Peer) bool { return p.Addr == wantA })
				a.s.Announce() // a learns of b on its next announce
				wantB := netip.AddrPortFrom(tc.loopback, b.port)
				a.waitPeer(t, eventTimeout, "peer b "+wantB.String(), func(p peer.Peer) bool { return p.Addr == wantB })
			default:
				if u.Peers != 0 {
					t.Errorf("b started: %d peers; this server returns none over %s", u.Peers, tc.name)
				}
			}

			// b completes: one seeder, one leecher, as both the server and
			// a's next announce say.
			b.left.Store(0)
			b.s.Complete()
			u, _ = b.waitUpdate(t, bNext, transport.EventCompleted)
			checkCounts(t, "b completed", u, 1, 1)
			tr.waitPeers(t, 1, 1)
			aNext := len(a.snapshot()) // a's earlier announces are answered
			a.s.Announce()
			u, _ = a.waitUpdate(t, aNext, transport.EventNone)
			checkCounts(t, "a after b completed", u, 1, 1)

			// Scrape.
			ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
			defer cancel()
			if err := a.s.Scrape(ctx); err != nil {
				t.Fatalf("a scrape: %v", err)
			}
			e, _ := a.wait(t, 0, eventTimeout, "scrape", func(e announcer.Event) bool {
				_, ok := e.(announcer.ScrapeEvent)
				return ok
			})
			// The server reports "downloaded" as a lower bound: its seeders.
			if got, want := e.(announcer.ScrapeEvent).Stats, (transport.ScrapeStats{Complete: 1, Incomplete: 1, Downloaded: 1}); got != want {
				t.Errorf("scrape = %+v, want %+v", got, want)
			}

			// Stop: the server forgets them.
			a.stop(t)
			tr.waitPeers(t, 1, 0)
			b.stop(t)
			tr.waitPeers(t, 0, 0)
		})
	}
}
