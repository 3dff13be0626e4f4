package announcer

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/proxytest"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// networkTrackers starts three mock trackers on loopback, HTTP, UDP and
// WebSocket (one front end each, so each swarm shows what one protocol
// did), and returns them with their announce URLs.
func networkTrackers(t *testing.T) ([]*mocktracker.Tracker, []string) {
	var mts []*mocktracker.Tracker
	var urls []string
	for _, proto := range []string{"http", "udp", "ws"} {
		mt := loopbackTracker(t)
		listen := map[string]func(string) (string, error){"http": mt.ListenHTTP, "udp": mt.ListenUDP, "ws": mt.ListenWS}[proto]
		u, err := listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		mts = append(mts, mt)
		urls = append(urls, u)
	}
	return mts, urls
}

// eventsUntil collects events until every URL in urls has had an update or
// an error.
func eventsUntil(t *testing.T, s *Session, n int) map[string]Event {
	t.Helper()
	got := make(map[string]Event)
	for len(got) < n {
		ev := waitFor(t, s, func(ev Event) bool {
			switch ev.(type) {
			case UpdateEvent, ErrorEvent:
				return true
			}
			return false
		})
		switch e := ev.(type) {
		case UpdateEvent:
			got[e.Tracker] = e
		case ErrorEvent:
			got[e.Tracker] = e
		}
	}
	return got
}

// TestProxyAllTraffic: with a proxy set, every tracker the proxy can carry
// is announced through it (the tracker sees the proxy's source address)
// and nothing reaches a tracker directly; an http:// proxy skips UDP
// trackers with an ErrorEvent saying why.
func TestProxyAllTraffic(t *testing.T) {
	egress := netip.MustParseAddr("127.0.0.3")
	tests := []struct {
		name    string
		start   func(testing.TB, proxytest.Config) *proxytest.Proxy
		scheme  string
		udpSkip bool
	}{
		{"http CONNECT", proxytest.NewHTTP, "http", true},
		{"socks5", proxytest.NewSOCKS5, "socks5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mts, urls := networkTrackers(t)
			px := tt.start(t, proxytest.Config{Egress: egress, User: "u", Password: "secretpw"})
			proxy, _ := url.Parse(tt.scheme + "://u:secretpw@" + px.Addr())
			c := newClient(t, Config{Proxy: proxy, StopTimeout: patience})
			s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{urls[0]}, {urls[1]}, {urls[2]}}}, SessionOptions{})
			s.Start(context.Background())
			got := eventsUntil(t, s, 3)
			for _, u := range urls {
				ev := got[transport.RedactString(u)]
				isUDP := strings.HasPrefix(u, "udp:")
				if e, failed := ev.(ErrorEvent); failed {
					if !(isUDP && tt.udpSkip) || !errors.Is(e.Err, transport.ErrSkipped) || !errors.Is(e.Err, udp.ErrHTTPProxy) ||
						!strings.Contains(e.Err.Error(), "http:// proxy cannot carry UDP") {
						t.Fatalf("%s: %v", u, e.Err)
					}
					if strings.Contains(e.Err.Error(), "secretpw") {
						t.Fatalf("error leaks the proxy password: %v", e.Err)
					}
					continue
				}
				if isUDP && tt.udpSkip {
					t.Fatalf("%s announced around the http proxy: %+v", u, ev)
				}
			}
			// HTTP and UDP swarms list us at the proxy's address (a WebRTC
			// member has none: transport/webrtc's TestHandshakeSettings
			// checks the WebSocket's source).
			for i, mt := range mts[:2] {
				peers := mt.Peers(testHash)
				if i == 1 && tt.udpSkip {
					if len(peers) != 0 || len(mt.UDPPackets()) != 0 {
						t.Fatal("the UDP tracker was reached around the http proxy")
					}
					continue
				}
				if len(peers) != 1 || peers[0].Addr.Addr() != egress {
					t.Fatalf("%s: tracker saw %v, want one peer at the proxy's %v", urls[i], peers, egress)
				}
			}
			for _, p := range mts[1].UDPPackets() {
				if p.From.Addr() != egress {
					t.Fatalf("a datagram reached the tracker from %v", p.From)
				}
			}
			if len(px.Targets()) == 0 {
				t.Fatal("nothing went through the proxy")
			}
		})
	}
}

func TestProxyRefused(t *testing.T) {
	for _, p := range []string{"ftp://127.0.0.1:1", "socks5://", "http://nohostport"} {
		u, _ := url.Parse(p)
		if _, err := NewClient(Config{Proxy: u}); err == nil {
			t.Errorf("%s: accepted", p)
		}
	}
}

// TestLocalAddrAllTraffic: every tracker socket, UDP, HTTP and WS, leaves
// from the bound address.
func TestLocalAddrAllTraffic(t *testing.T) {
	mts, urls := networkTrackers(t)
	local := netip.MustParseAddr("127.0.0.2")
	c, _ := NewClient(Config{LocalAddr: local, StopTimeout: patience})
	defer c.Close()
	s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{urls[0]}, {urls[1]}, {urls[2]}}}, SessionOptions{})
	s.Start(context.Background())
	for u, ev := range eventsUntil(t, s, 3) {
		if _, ok := ev.(UpdateEvent); !ok {
			t.Fatalf("%s: %+v", u, ev)
		}
	}
	for i, mt := range mts[:2] {
		if peers := mt.Peers(testHash); len(peers) != 1 || peers[0].Addr.Addr() != local {
			t.Fatalf("%s: tracker saw %v, want the bound %v", urls[i], peers, local)
		}
	}
	for _, p := range mts[1].UDPPackets() {
		if p.From.Addr() != local {
			t.Fatalf("datagram from %v", p.From)
		}
	}
}

// TestSharedDNS: many torrents on trackers of one hostname, over every
// protocol, cost one lookup (Config.LookupHost is the hook tests use).
func TestSharedDNS(t *testing.T) {
	_, urls := networkTrackers(t)
	var lookups atomic.Int32
	c, _ := NewClient(Config{StopTimeout: patience, LookupHost: func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		if host != "tracker.test" {
			return nil, errors.New("no such host")
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}})
	defer c.Close()
	var named [][]string
	for _, u := range urls {
		named = append(named, []string{strings.Replace(u, "127.0.0.1", "tracker.test", 1)})
	}
	const torrents = 50
	var wg sync.WaitGroup
	for i := range torrents {
		h := transport.InfoHash{byte(i), 1}
		s, err := c.NewSession(Torrent{InfoHash: h, Tiers: named}, SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Start(context.Background())
		wg.Go(func() {
			for u, ev := range eventsUntil(t, s, len(named)) {
				if _, ok := ev.(UpdateEvent); !ok {
					t.Errorf("%s: %+v", u, ev)
				}
			}
		})
	}
	wg.Wait()
	if n := lookups.Load(); n != 1 {
		t.Fatalf("%d lookups for %d torrents on 3 trackers of one name, want 1", n, torrents)
	}
}
