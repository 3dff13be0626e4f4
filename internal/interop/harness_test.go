package interop

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHarness checks the harness itself with JS peers only: the Node server
// starts, /stats.json follows a JS client over HTTP and UDP through
// started, completed and stopped, and processes stop when the test ends.
// The JS client cannot announce to udp://[::1]:port (its UDP client passes
// the bracketed host to getaddrinfo: ENOTFOUND), so IPv6 UDP is proven by
// trackerkit alone.
func TestHarness(t *testing.T) {
	requireNode(t)
	t.Parallel()
	tr := startTracker(t, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	if s, err := tr.stats(ctx); err != nil || s.PeersAll != 0 || s.Torrents != 0 {
		t.Fatalf("fresh server stats = %v, %v; want empty", s, err)
	}
	ih := newInfoHash()
	for _, tc := range []struct {
		name, url string
	}{
		{"http", tr.httpURL()},
		{"udp4", tr.udp4URL()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := startJSPeer(t, jsPeerConfig{Announce: tc.url, InfoHash: ih, Left: 100})
			js.wait(t, statsTimeout, "update", func(e jsEvent) bool { return e.Ev == "update" })
			tr.waitPeers(t, 0, 1)
			js.send(t, "complete")
			tr.waitPeers(t, 1, 0)
			js.send(t, "stop")
			tr.waitPeers(t, 0, 0)
		})
	}
}

// TestHarnessWebRTC checks the JS side of WebRTC alone: two JS peers on the
// WebSocket tracker connect and exchange bytes over their data channel.
func TestHarnessWebRTC(t *testing.T) {
	requireNode(t)
	t.Parallel()
	tr := startTracker(t, time.Minute)
	ih := newInfoHash()
	a := startJSPeer(t, jsPeerConfig{Announce: tr.wsURL(), InfoHash: ih, Left: 100, Send: "from-a", NoOffers: true})
	tr.waitPeers(t, 0, 1) // a is in the swarm before b offers to it
	b := startJSPeer(t, jsPeerConfig{Announce: tr.wsURL(), InfoHash: ih, Left: 100, Send: "from-b"})
	got := b.wait(t, webrtcTimeout, "data from a", func(e jsEvent) bool { return e.Ev == "data" })
	if got.Data != "from-a" {
		t.Errorf("b got %q, want from-a", got.Data)
	}
	got = a.wait(t, webrtcTimeout, "data from b", func(e jsEvent) bool { return e.Ev == "data" })
	if got.Data != "from-b" {
		t.Errorf("a got %q, want from-b", got.Data)
	}
	ev := b.wait(t, webrtcTimeout, "connect", func(e jsEvent) bool { return e.Ev == "connect" })
	if !ev.Initiator {
		t.Errorf("b connected as answerer; the later peer should have offered")
	}
	ev = a.wait(t, webrtcTimeout, "answer", func(e jsEvent) bool { return e.Ev == "signal" })
	checkLoopback(t, ev)
}

// checkLoopback checks that a JS peer's SDP offered only loopback candidates.
func checkLoopback(t *testing.T, ev jsEvent) {
	t.Helper()
	if len(ev.Candidates) == 0 {
		t.Errorf("JS %s has no ICE candidates", ev.Type)
	}
	for _, c := range ev.Candidates {
		if a, err := netip.ParseAddr(c); err != nil || !a.IsLoopback() {
			t.Errorf("JS %s offers ICE candidate %q, not loopback", ev.Type, c)
		}
	}
}

// TestNodeFiles checks package.json is the one protocol.md gives, and opens
// every file of the Node side: go test caches a passing run keyed on the
// files its tests opened (TestMain's own reads do not count), so editing a
// script or the lock file runs the suite again.
func TestNodeFiles(t *testing.T) {
	const want = `{"private":true,"type":"module","dependencies":{"bittorrent-tracker":"11.2.3"},` +
		`"overrides":{"node-datachannel":"0.33.4"}}`
	for _, f := range []string{"package.json", "package-lock.json", "server.mjs", "peer.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "node", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "package.json" && strings.TrimSpace(string(b)) != want {
			t.Errorf("package.json = %s, want %s", b, want)
		}
	}
}
