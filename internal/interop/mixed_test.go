package interop

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// TestMixedSwarm puts a JS client and a trackerkit Session in one swarm on
// the JS server, over HTTP and over UDP (IPv4: the JS client cannot use an
// IPv6 UDP URL), and checks that each sees the other.
func TestMixedSwarm(t *testing.T) {
	requireNode(t)
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  func(*jsTracker) string
	}{
		{"http", (*jsTracker).httpURL},
		{"udp4", (*jsTracker).udp4URL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startTracker(t, serverInterval)
			ih := newInfoHash()
			const jsPort, goPort = 51001, 51002

			js := startJSPeer(t, jsPeerConfig{Announce: tc.url(tr), InfoHash: ih, Port: jsPort, Left: 0})
			js.wait(t, statsTimeout, "update", func(e jsEvent) bool { return e.Ev == "update" })
			tr.waitPeers(t, 1, 0)

			g := newSession(t, "go", tc.url(tr), ih, goPort, 1000)
			g.start(t)
			u, _ := g.waitUpdate(t, 0, transport.EventStarted)
			checkCounts(t, "go started", u, 1, 1)
			want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), jsPort)
			g.waitPeer(t, eventTimeout, "the JS peer "+want.String(), func(p peer.Peer) bool { return p.Addr == want })
			tr.waitPeers(t, 1, 1)

			js.send(t, "update") // the JS client learns of us on its next announce
			goAddr := fmt.Sprintf("127.0.0.1:%d", goPort)
			js.wait(t, statsTimeout, "the go peer "+goAddr, func(e jsEvent) bool { return e.Ev == "peer" && e.Addr == goAddr })

			g.stop(t)
			tr.waitPeers(t, 1, 0)
		})
	}
}
