package interop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// jsPeer is one bittorrent-tracker Client in its own Node process
// (testdata/node/peer.mjs).
type jsPeer struct {
	*proc
	ID peer.ID
}

// jsPeerConfig says how a JS peer announces.
type jsPeerConfig struct {
	Announce string
	InfoHash transport.InfoHash
	ID       peer.ID // zero: a random "-JS0000-" ID
	Port     uint16  // the port it announces (HTTP/UDP); 0 means 6881
	Left     int64   // bytes left; 0 announces as a seeder
	Send     string  // written once on every open WebRTC data channel
	// NoOffers announces with numwant 0: on a ws:// tracker the announce
	// then carries no WebRTC offers, so it goes out at once instead of
	// after the JS side's 5 s ICE wait. The peer still answers offers.
	NoOffers bool
}

// jsEvent is one line of peer.mjs's output.
type jsEvent struct {
	Ev         string   `json:"ev"`
	PeerID     string   `json:"peerId"`
	Complete   *int     `json:"complete"`
	Incomplete *int     `json:"incomplete"`
	Downloaded *int     `json:"downloaded"`
	Addr       string   `json:"addr"`
	ID         string   `json:"id"`
	Initiator  bool     `json:"initiator"`
	Data       string   `json:"data"`
	Len        int      `json:"len"`
	Total      int      `json:"total"`
	Sum        uint32   `json:"sum"`
	Msg        string   `json:"msg"`
	Type       string   `json:"type"`
	Candidates []string `json:"candidates"`
}

// startJSPeer starts a JS peer; it announces "started" at once.
func startJSPeer(t *testing.T, cfg jsPeerConfig) *jsPeer {
	t.Helper()
	requireNode(t)
	id := cfg.ID
	if id.IsZero() {
		id = newPeerID("-JS0000-")
	}
	port := cfg.Port
	if port == 0 {
		port = 6881
	}
	args := []string{
		"--announce", cfg.Announce,
		"--info-hash", cfg.InfoHash.String(),
		"--peer-id", hex.EncodeToString(id[:]),
		"--port", fmt.Sprint(port),
		"--left", fmt.Sprint(cfg.Left),
	}
	if cfg.NoOffers {
		args = append(args, "--numwant", "0")
	}
	if cfg.Send != "" {
		args = append(args, "--send", cfg.Send)
	}
	p := &jsPeer{proc: startNode(t, "js peer "+id.String()[:16], "peer.mjs", args...), ID: id}
	p.wait(t, startTimeout, "ready", func(e jsEvent) bool { return e.Ev == "ready" })
	return p
}

// wait returns the first event (from the start of the process's output) that
// match accepts, failing the test after timeout.
func (p *jsPeer) wait(t *testing.T, timeout time.Duration, what string, match func(jsEvent) bool) jsEvent {
	t.Helper()
	ev, _, err := p.waitFrom(t, 0, timeout, match)
	if err != nil {
		t.Fatalf("%s: no %s: %v", p.name, what, err)
	}
	return ev
}

// find returns the first event so far that match accepts.
func (p *jsPeer) find(match func(jsEvent) bool) (jsEvent, bool) {
	lines, _ := p.stdout.snapshot(0)
	for _, line := range lines {
		var e jsEvent
		if json.Unmarshal([]byte(line), &e) == nil && match(e) {
			return e, true
		}
	}
	return jsEvent{}, false
}

// waitFrom is wait from line index from on; it also returns the index after
// the event, to wait for a later one.
func (p *jsPeer) waitFrom(t *testing.T, from int, timeout time.Duration, match func(jsEvent) bool) (jsEvent, int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var ev jsEvent
	_, next, err := p.waitLine(ctx, from, func(line string) bool {
		var e jsEvent
		if json.Unmarshal([]byte(line), &e) != nil {
			return false
		}
		if match(e) {
			ev = e
			return true
		}
		return false
	})
	return ev, next, err
}

// newPeerID returns prefix followed by random bytes.
func newPeerID(prefix string) peer.ID {
	var id peer.ID
	n := copy(id[:], prefix)
	randomFill(id[n:])
	return id
}

// newInfoHash returns a random info hash, so no two tests share a swarm.
// Its bytes cover 0x00-0xff, which HTTP (percent-encoding, and the JS
// server's UTF-8 scrape keys: see TestHTTPScrapeHighBytes) and WebSocket
// (one latin-1 character a byte) must carry intact.
func newInfoHash() transport.InfoHash {
	var h transport.InfoHash
	randomFill(h[:])
	return h
}

// randomFill fills b with random bytes (crypto/rand never fails).
func randomFill(b []byte) { _, _ = rand.Read(b) }
