package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long a Node process may take to say it is ready.
	// (Every bound here is only reached when a test fails; they are
	// generous so that a loaded 2-core machine passes.)
	startTimeout = 2 * time.Minute
	// pollEvery is how often waitStats asks /stats.json again.
	pollEvery = 50 * time.Millisecond
	// statsTimeout bounds one waitStats.
	statsTimeout = 2 * time.Minute
	// webrtcTimeout bounds a WebRTC connection through the JS client, whose
	// offers and answers each wait up to 5 s for ICE gathering.
	webrtcTimeout = 2 * time.Minute
)

// jsTracker is a running bittorrent-tracker Server (testdata/node/server.mjs).
type jsTracker struct {
	*proc
	HTTP, WS, UDP4, UDP6 int // ports on 127.0.0.1 (HTTP, WS, UDP4) and ::1 (UDP6)
	client               *http.Client
}

// trackerStats is the server's /stats.json. Peers are counted over every
// torrent, by peer ID.
type trackerStats struct {
	Torrents              int `json:"torrents"`
	ActiveTorrents        int `json:"activeTorrents"`
	PeersAll              int `json:"peersAll"`
	PeersSeederOnly       int `json:"peersSeederOnly"`
	PeersLeecherOnly      int `json:"peersLeecherOnly"`
	PeersSeederAndLeecher int `json:"peersSeederAndLeecher"`
	PeersIPv4             int `json:"peersIPv4"`
	PeersIPv6             int `json:"peersIPv6"`
}

func (s trackerStats) String() string {
	return fmt.Sprintf("peers=%d seeders=%d leechers=%d both=%d ipv4=%d ipv6=%d torrents=%d active=%d",
		s.PeersAll, s.PeersSeederOnly, s.PeersLeecherOnly, s.PeersSeederAndLeecher,
		s.PeersIPv4, s.PeersIPv6, s.Torrents, s.ActiveTorrents)
}

// startTracker starts a fresh server (one per test, so /stats.json counts
// only that test's peers). interval is the announce interval the server hands
// out (the WebSocket one is a fifth of it).
func startTracker(t *testing.T, interval time.Duration) *jsTracker {
	t.Helper()
	requireNode(t)
	p := startNode(t, "tracker", "server.mjs", "--interval", fmt.Sprint(interval.Milliseconds()))
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	line, _, err := p.waitLine(ctx, 0, func(l string) bool { return strings.Contains(l, `"ready"`) })
	if err != nil {
		t.Fatalf("tracker did not start: %v\nstderr:\n%s", err, p.stderr.String())
	}
	var ready struct {
		Ready                bool
		Error                string
		HTTP, WS, UDP4, UDP6 int
	}
	if err := json.Unmarshal([]byte(line), &ready); err != nil || !ready.Ready {
		t.Fatalf("tracker did not start: %s (%v)", line, err)
	}
	tr := &jsTracker{
		proc: p, HTTP: ready.HTTP, WS: ready.WS, UDP4: ready.UDP4, UDP6: ready.UDP6,
		// No keep-alive: no idle connection outlives the test (goleak), and
		// the server's close does not wait for one.
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second},
	}
	t.Logf("bittorrent-tracker pid %d: http/ws 127.0.0.1:%d, udp 127.0.0.1:%d, udp [::1]:%d",
		p.pid, tr.HTTP, tr.UDP4, tr.UDP6)
	return tr
}

// Announce URLs of the server, one per protocol.
func (tr *jsTracker) httpURL() string { return fmt.Sprintf("http://127.0.0.1:%d/announce", tr.HTTP) }
func (tr *jsTracker) udp4URL() string { return fmt.Sprintf("udp://127.0.0.1:%d", tr.UDP4) }
func (tr *jsTracker) udp6URL() string { return fmt.Sprintf("udp://[::1]:%d", tr.UDP6) }
func (tr *jsTracker) wsURL() string   { return fmt.Sprintf("ws://127.0.0.1:%d", tr.WS) }

// stats fetches /stats.json over loopback HTTP.
func (tr *jsTracker) stats(ctx context.Context) (trackerStats, error) {
	var s trackerStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/stats.json", tr.HTTP), nil)
	if err != nil {
		return s, err
	}
	resp, err := tr.client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("stats.json: HTTP %d", resp.StatusCode)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&s)
	return s, err
}

// waitStats polls /stats.json until ok accepts it, failing the test after
// statsTimeout. These are real external processes, so real time is polled.
func (tr *jsTracker) waitStats(t *testing.T, what string, ok func(trackerStats) bool) trackerStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	var last trackerStats
	var lastErr error
	for {
		s, err := tr.stats(ctx)
		if err == nil && ok(s) {
			return s
		}
		if err == nil {
			last = s
		}
		lastErr = err
		select {
		case <-ctx.Done():
			t.Fatalf("server stats never showed %s; last: %v (err %v)", what, last, lastErr)
		case <-time.After(pollEvery):
		}
	}
}

// waitPeers waits until /stats.json shows exactly seeders seeders and
// leechers leechers (and no one else).
func (tr *jsTracker) waitPeers(t *testing.T, seeders, leechers int) trackerStats {
	t.Helper()
	return tr.waitStats(t, fmt.Sprintf("%d seeders and %d leechers", seeders, leechers), func(s trackerStats) bool {
		return s.PeersSeederOnly == seeders && s.PeersLeecherOnly == leechers &&
			s.PeersAll == seeders+leechers
	})
}
