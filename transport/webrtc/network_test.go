package webrtc

import (
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/proxytest"
	"github.com/trackerkit/trackerkit/transport"
)

// TestHandshakeSettings: the WebSocket handshake carries the configured
// User-Agent, goes through the proxy, or leaves from the bound address.
func TestHandshakeSettings(t *testing.T) {
	mt := mocktracker.New(mocktracker.Config{Interval: 30 * time.Minute})
	defer mt.Close()
	l := proxytest.Listen(t, "127.0.0.1:0")
	rec := proxytest.NewRecorder(t, mt.WSHandler(), l)
	u, _ := url.Parse("ws://" + l.Addr().String() + "/announce")
	egress := netip.MustParseAddr("127.0.0.3")
	px := proxytest.NewHTTP(t, proxytest.Config{Egress: egress})
	socks := proxytest.NewSOCKS5(t, proxytest.Config{Egress: egress, User: "u", Password: "p"})
	proxyURL := func(s string) *url.URL { p, _ := url.Parse(s); return p }
	tests := []struct {
		name      string
		cfg       Config
		wantUA    string
		wantSrc   netip.Addr
		wantProxy *proxytest.Proxy
	}{
		{"default", Config{}, transport.DefaultUserAgent, netip.MustParseAddr("127.0.0.1"), nil},
		{"user agent", Config{UserAgent: "qBittorrent/5.0"}, "qBittorrent/5.0", netip.MustParseAddr("127.0.0.1"), nil},
		{"bound", Config{LocalAddr: netip.MustParseAddr("127.0.0.2")}, transport.DefaultUserAgent, netip.MustParseAddr("127.0.0.2"), nil},
		{"http proxy", Config{Proxy: proxyURL("http://" + px.Addr())}, transport.DefaultUserAgent, egress, px},
		{"socks5 proxy", Config{Proxy: proxyURL("socks5://u:p@" + socks.Addr())}, transport.DefaultUserAgent, egress, socks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.LoopbackOnly = true
			tr := New(tt.cfg)
			defer tr.Close()
			req := &transport.AnnounceRequest{Event: transport.EventStarted, NumWant: 0, Left: 1}
			req.InfoHash[0], req.PeerID[0] = 1, 2
			if _, err := tr.Announce(t.Context(), u, req); err != nil {
				t.Fatal(err)
			}
			seen := rec.Requests()
			ua, src := seen[len(seen)-1].UserAgent, seen[len(seen)-1].Source
			if ua != tt.wantUA || src != tt.wantSrc {
				t.Fatalf("handshake User-Agent %q from %v, want %q from %v", ua, src, tt.wantUA, tt.wantSrc)
			}
			if tt.wantProxy != nil {
				if got := tt.wantProxy.Targets(); len(got) == 0 || got[len(got)-1] != "tcp "+u.Host {
					t.Fatalf("proxy relayed %v", got)
				}
			}
		})
	}
}
