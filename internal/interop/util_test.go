package interop

import (
	"crypto/rand"
	"net/url"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// randomFill fills b with random bytes (crypto/rand never fails).
func randomFill(b []byte) { _, _ = rand.Read(b) }

// parseURL parses a tracker URL the test built itself.
func parseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// startedRequest is the started announce of test peer n (1, 2, ...) in
// swarm ih: port 50000+n, key n, 1000 bytes left, 50 peers wanted.
func startedRequest(ih transport.InfoHash, n uint16) *transport.AnnounceRequest {
	return &transport.AnnounceRequest{InfoHash: ih, PeerID: newPeerID("-TK0001-"), Port: 50000 + n,
		Left: 1000, Event: transport.EventStarted, NumWant: 50, Key: uint32(n)}
}
