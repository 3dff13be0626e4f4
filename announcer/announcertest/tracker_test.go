package announcertest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/announcer/announcertest"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	httptransport "github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// transports returns one transport per protocol, closed by the test.
func transports(t *testing.T) map[string]transport.Transport {
	h, u, w := httptransport.New(httptransport.Config{}), udp.New(udp.Config{}), webrtc.New(webrtc.Config{LoopbackOnly: true})
	t.Cleanup(func() { h.Close(); u.Close(); w.Close() })
	return map[string]transport.Transport{announcertest.ProtocolHTTP: h, announcertest.ProtocolUDP: u, announcertest.ProtocolWS: w}
}

func urlOf(trk *announcertest.Tracker, protocol string) string {
	switch protocol {
	case announcertest.ProtocolHTTP:
		return trk.HTTPURL()
	case announcertest.ProtocolUDP:
		return trk.UDPURL()
	}
	return trk.WSURL()
}

func request(h transport.InfoHash, ev transport.Event) *transport.AnnounceRequest {
	var id peer.ID
	copy(id[:], "-TK0001-announcetest")
	return &transport.AnnounceRequest{InfoHash: h, PeerID: id, Port: 6881, Uploaded: 7, Downloaded: 5, Left: 1000,
		Event: ev, NumWant: 20, Key: 0xabcdef, Params: url.Values{"custom": {"yes"}}}
}

func announce(t *testing.T, tr transport.Transport, rawURL string, req *transport.AnnounceRequest, timeout time.Duration) (*transport.AnnounceResponse, error) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return tr.Announce(ctx, u, req)
}

// TestRecordsAnnounces checks what the tracker records per protocol: the
// event and every parameter.
func TestRecordsAnnounces(t *testing.T) {
	trk := announcertest.NewTracker(t)
	trs := transports(t)
	h := transport.InfoHash{0xaa}
	for _, p := range []string{announcertest.ProtocolHTTP, announcertest.ProtocolUDP, announcertest.ProtocolWS} {
		t.Run(p, func(t *testing.T) {
			if _, err := announce(t, trs[p], urlOf(trk, p), request(h, transport.EventStarted), 2*time.Minute); err != nil {
				t.Fatal(err)
			}
			got := trk.Announces(h)
			a := got[len(got)-1]
			// WebSocket clients send as numwant the offers they make.
			if a.Protocol != p || a.Event != transport.EventStarted || a.Left != 1000 || a.Uploaded != 7 || a.Downloaded != 5 || (a.NumWant != 20 && p != "ws") {
				t.Errorf("recorded %+v", a)
			}
			if string(a.PeerID[:8]) != "-TK0001-" || a.Time.IsZero() {
				t.Errorf("peer ID %q, time %v", a.PeerID[:], a.Time)
			}
			switch p {
			case announcertest.ProtocolHTTP:
				if a.Params.Get("custom") != "yes" || a.Params.Get("port") != "6881" || a.Addr.Port() != 6881 || !a.Addr.Addr().IsLoopback() || a.Key != 0xabcdef {
					t.Errorf("HTTP announce: addr %v key %x params %v", a.Addr, a.Key, a.Params)
				}
			case announcertest.ProtocolUDP:
				if a.Addr.Port() != 6881 || a.Key != 0xabcdef {
					t.Errorf("UDP announce: addr %v key %x", a.Addr, a.Key)
				}
			case announcertest.ProtocolWS:
				if a.Params.Get("custom") != "yes" || a.Params.Get("action") != "announce" || a.Addr.IsValid() {
					t.Errorf("WS announce: addr %v params %v", a.Addr, a.Params)
				}
			}
		})
	}
	// One peer ID over three protocols is one member of the swarm.
	if ps := trk.Peers(h); len(ps) != 1 {
		t.Errorf("swarm has %d members, want 1: %v", len(ps), ps)
	}
	if st, ok := trk.Stats(h); !ok || st.Incomplete != 1 {
		t.Errorf("stats %+v, %v", st, ok)
	}
	if n := len(trk.AllAnnounces()); n != 3 {
		t.Errorf("%d announces in all, want 3", n)
	}
	if trk.Announces(transport.InfoHash{0xbb}) != nil {
		t.Error("announces listed for a torrent never announced")
	}
}

// TestFaults runs each fault against each protocol it applies to.
func TestFaults(t *testing.T) {
	trk := announcertest.NewTracker(t)
	var ferr *transport.FailureError
	for _, tc := range []struct {
		name      string
		faults    announcertest.Faults
		protocols []string
		timeout   time.Duration // a short one where no answer is the point
		check     func(t *testing.T, res *transport.AnnounceResponse, err error)
	}{
		{"failure reason", announcertest.Faults{FailureReason: "unregistered torrent"}, []string{"http", "udp", "ws"}, 0,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				if !errors.As(err, &ferr) || ferr.Reason != "unregistered torrent" {
					t.Errorf("err = %v, want the failure reason", err)
				}
			}},
		{"retry in never", announcertest.Faults{FailureReason: "banned", RetryIn: "never"}, []string{"http"}, 0,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				if !errors.As(err, &ferr) || !ferr.RetryNever {
					t.Errorf("err = %v, want retry in never", err)
				}
			}},
		{"retry in minutes", announcertest.Faults{FailureReason: "busy", RetryIn: "60"}, []string{"http"}, 0,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				if !errors.As(err, &ferr) || ferr.RetryIn != time.Hour {
					t.Errorf("err = %v, want retry in 1h", err)
				}
			}},
		{"warning", announcertest.Faults{Warning: "ratio low"}, []string{"http", "ws"}, 0,
			func(t *testing.T, res *transport.AnnounceResponse, err error) {
				if err != nil || res.Warning != "ratio low" {
					t.Errorf("res %+v, err %v", res, err)
				}
			}},
		{"interval", announcertest.Faults{Interval: 17 * time.Minute, MinInterval: 3 * time.Minute}, []string{"http", "ws"}, 0,
			func(t *testing.T, res *transport.AnnounceResponse, err error) {
				if err != nil || res.Interval != 17*time.Minute || res.MinInterval != 3*time.Minute {
					t.Errorf("res %+v, err %v", res, err)
				}
			}},
		{"interval udp", announcertest.Faults{Interval: 17 * time.Minute}, []string{"udp"}, 0,
			func(t *testing.T, res *transport.AnnounceResponse, err error) {
				if err != nil || res.Interval != 17*time.Minute {
					t.Errorf("res %+v, err %v", res, err)
				}
			}},
		{"status 410", announcertest.Faults{Status: http.StatusGone}, []string{"http"}, 0,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				var se *transport.StatusError
				if !errors.As(err, &se) || se.Code != http.StatusGone {
					t.Errorf("err = %v, want HTTP 410", err)
				}
			}},
		{"status refuses websocket", announcertest.Faults{Status: http.StatusGone}, []string{"ws"}, 0,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				if err == nil {
					t.Error("announce succeeded through a refused handshake")
				}
			}},
		{"drop", announcertest.Faults{Drop: true}, []string{"http", "udp", "ws"}, 300 * time.Millisecond,
			func(t *testing.T, res *transport.AnnounceResponse, err error) {
				if err == nil {
					t.Errorf("a dropped announce was answered: %+v", res)
				}
			}},
		{"delay", announcertest.Faults{Delay: 50 * time.Millisecond}, []string{"http", "udp", "ws"}, 0,
			func(t *testing.T, res *transport.AnnounceResponse, err error) {
				if err != nil {
					t.Error(err)
				}
			}},
	} {
		for _, p := range tc.protocols {
			t.Run(tc.name+"/"+p, func(t *testing.T) {
				// Fresh transports: a WebSocket transport that saw no answer
				// waits before it reconnects.
				trs := transports(t)
				trk.SetFaults(tc.faults)
				defer trk.SetFaults(announcertest.Faults{})
				timeout := tc.timeout
				if timeout == 0 {
					timeout = 2 * time.Minute // a hang detector: generous for loaded machines
				}
				start := time.Now()
				res, err := announce(t, trs[p], urlOf(trk, p), request(transport.InfoHash{0xcc}, transport.EventNone), timeout)
				tc.check(t, res, err)
				if tc.faults.Delay > 0 && time.Since(start) < tc.faults.Delay {
					t.Errorf("answered after %v, before the delay of %v", time.Since(start), tc.faults.Delay)
				}
			})
		}
	}
}

func TestUDPDropFirst(t *testing.T) {
	trk := announcertest.NewTracker(t)
	trk.SetUDPFaults(announcertest.Faults{DropFirst: 1})
	// The first connect is dropped; BEP 15's resend after 15 s would get an
	// answer, but a short deadline shows the drop.
	if _, err := announce(t, transports(t)["udp"], trk.UDPURL(), request(transport.InfoHash{1}, transport.EventStarted), 300*time.Millisecond); err == nil {
		t.Fatal("the dropped connect was answered")
	}
	if _, err := announce(t, transports(t)["udp"], trk.UDPURL(), request(transport.InfoHash{1}, transport.EventStarted), 2*time.Minute); err != nil {
		t.Fatalf("after the drop: %v", err)
	}
}

func TestScrapes(t *testing.T) {
	trk := announcertest.NewTracker(t)
	trs := transports(t)
	h := transport.InfoHash{0xdd}
	for _, p := range []string{"http", "udp", "ws"} {
		u, _ := url.Parse(urlOf(trk, p))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous for loaded machines
		_, err := trs[p].Scrape(ctx, u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{h}})
		cancel()
		if err != nil {
			t.Fatalf("%s scrape: %v", p, err)
		}
	}
	got := trk.Scrapes()
	if len(got) != 3 {
		t.Fatalf("%d scrapes recorded, want 3: %+v", len(got), got)
	}
	for i, p := range []string{"http", "udp", "ws"} {
		if got[i].Protocol != p || len(got[i].InfoHashes) != 1 || got[i].InfoHashes[0] != h {
			t.Errorf("scrape %d: %+v", i, got[i])
		}
	}
}

func TestWaitAnnounceContext(t *testing.T) {
	trk := announcertest.NewTracker(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := trk.WaitAnnounce(ctx, func(announcertest.Announce) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestSessionLifecycle runs a Session over all three protocols and checks
// started and stopped arrive at each, with numwant 0 on the stopped.
func TestSessionLifecycle(t *testing.T) {
	trk := announcertest.NewTracker(t)
	trs := transports(t)
	c, err := announcer.NewClient(announcer.Config{Transports: map[string]transport.Transport{"ws": trs["ws"]}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := transport.InfoHash{0xee}
	s, err := c.NewSession(announcer.Torrent{InfoHash: h, Tiers: [][]string{trk.URLs()}}, announcer.SessionOptions{TierMode: announcer.TiersAll})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous for loaded machines
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Stop once every tracker acknowledged started (a stopped is owed to
	// those only).
	for answered := 0; answered < 3; {
		select {
		case ev := <-s.Events():
			if u, ok := ev.(announcer.UpdateEvent); ok && u.Event == transport.EventStarted {
				answered++
			}
		case <-ctx.Done():
			t.Fatal("not every tracker answered started")
		}
	}
	go func() {
		for range s.Events() {
		}
	}()
	for _, p := range []string{"http", "udp", "ws"} {
		if _, err := trk.WaitAnnounce(ctx, func(a announcertest.Announce) bool {
			return a.Protocol == p && a.InfoHash == h && a.Event == transport.EventStarted
		}); err != nil {
			t.Fatalf("no started over %s: %v", p, err)
		}
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// A WebSocket stopped is not answered (the JS client does not wait
	// either): wait for the tracker to have it.
	for _, p := range []string{"http", "udp", "ws"} {
		a, err := trk.WaitAnnounce(ctx, func(a announcertest.Announce) bool {
			return a.Protocol == p && a.InfoHash == h && a.Event == transport.EventStopped
		})
		if err != nil {
			t.Fatalf("no stopped over %s: %v", p, err)
		}
		if a.NumWant != 0 {
			t.Errorf("stopped over %s asks for %d peers", p, a.NumWant)
		}
	}
	if ps := trk.Peers(h); len(ps) != 0 {
		t.Errorf("swarm still has %v", ps)
	}
}

// TestWebRTCRelay checks two WebSocket peers meet over WebRTC when the
// tracker relays, and never when NoWebRTCRelay is set.
func TestWebRTCRelay(t *testing.T) {
	if testing.Short() {
		t.Skip("WebRTC")
	}
	for _, relay := range []bool{true, false} {
		t.Run(map[bool]string{true: "relay", false: "no relay"}[relay], func(t *testing.T) {
			trk := announcertest.NewTracker(t)
			trk.SetWSFaults(announcertest.Faults{NoWebRTCRelay: !relay})
			h := transport.InfoHash{0xf0}
			peers := make(chan announcer.PeerEvent, 4)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous for loaded machines
			defer cancel()
			for i := range 2 {
				w := webrtc.New(webrtc.Config{LoopbackOnly: true})
				c, err := announcer.NewClient(announcer.Config{Transports: map[string]transport.Transport{"ws": w}})
				if err != nil {
					t.Fatal(err)
				}
				s, err := c.NewSession(announcer.Torrent{InfoHash: h, Tiers: [][]string{{trk.WSURL()}}}, announcer.SessionOptions{})
				if err != nil {
					t.Fatal(err)
				}
				done := make(chan struct{})
				t.Cleanup(func() { s.Stop(ctx); <-done; c.Close(); w.Close() })
				if err := s.Start(ctx); err != nil {
					t.Fatal(err)
				}
				go func() {
					defer close(done)
					for ev := range s.Events() {
						if pe, ok := ev.(announcer.PeerEvent); ok {
							for _, p := range pe.Peers {
								if p.Conn != nil {
									p.Conn.Close()
								}
							}
							peers <- pe
						}
					}
				}()
				// The second peer's offers go to the first: wait until the
				// tracker has it.
				if i == 0 {
					if _, err := trk.WaitAnnounce(ctx, announcertest.EventIs(h, transport.EventStarted)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if relay {
				select {
				case <-peers:
				case <-ctx.Done():
					t.Fatal("the peers never met over WebRTC")
				}
				return
			}
			// Both peers announced and were answered; no offer was relayed.
			if _, err := trk.WaitAnnounce(ctx, func(a announcertest.Announce) bool {
				return a.Event == transport.EventStarted && len(trk.Announces(h)) >= 2
			}); err != nil {
				t.Fatal(err)
			}
			select {
			case pe := <-peers:
				t.Fatalf("peers met although relaying is off: %+v", pe)
			case <-time.After(500 * time.Millisecond):
			}
		})
	}
}

func TestStartConfig(t *testing.T) {
	for _, bad := range []announcertest.Config{{HTTPAddr: "192.0.2.1:0"}, {UDPAddr: "0.0.0.0:0"}, {WSAddr: "[2001:db8::1]:0"}, {HTTPAddr: "localhost"}} {
		if trk, err := announcertest.Start(bad); err == nil {
			trk.Close()
			t.Errorf("Start(%+v) accepted a non-loopback address", bad)
		}
	}
	got := make(chan announcertest.Announce, 1)
	scraped := make(chan announcertest.Scrape, 1)
	trk, err := announcertest.Start(announcertest.Config{UDPAddr: "[::1]:0", OnAnnounce: func(a announcertest.Announce) { got <- a },
		OnScrape: func(s announcertest.Scrape) { scraped <- s }})
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	defer trk.Close()
	if !strings.HasPrefix(trk.UDPURL(), "udp://[::1]:") {
		t.Errorf("UDP URL %s", trk.UDPURL())
	}
	trs := transports(t)
	if _, err := announce(t, trs["udp"], trk.UDPURL(), request(transport.InfoHash{3}, transport.EventStarted), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.Protocol != "udp" || a.InfoHash != (transport.InfoHash{3}) || !a.Addr.Addr().Is6() {
		t.Errorf("OnAnnounce got %+v", a)
	}
	u, _ := url.Parse(trk.HTTPURL())
	if _, err := trs["http"].Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{{3}}}); err != nil {
		t.Fatal(err)
	}
	if s := <-scraped; s.Protocol != "http" || len(s.InfoHashes) != 1 {
		t.Errorf("OnScrape got %+v", s)
	}
}
