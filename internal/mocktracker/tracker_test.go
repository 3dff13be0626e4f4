package mocktracker

import (
	"net/netip"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func id(b byte) peer.ID { var p peer.ID; p[0] = b; return p }

func TestSwarmLifecycle(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := New(Config{Interval: time.Minute, Now: func() time.Time { return now }})
	defer tr.Close()
	var h transport.InfoHash
	addr := netip.MustParseAddrPort("127.0.0.1:1")

	steps := []struct {
		name           string
		a              Announce
		wantC, wantI   int
		wantPeers      int
		wantDownloaded int
	}{
		{"leecher starts", Announce{InfoHash: h, PeerID: id(1), Addr: addr, Left: 10, Event: transport.EventStarted, NumWant: -1}, 0, 1, 0, 0},
		{"seeder starts", Announce{InfoHash: h, PeerID: id(2), Addr: addr, Left: 0, Event: transport.EventStarted, NumWant: -1}, 1, 1, 1, 0},
		{"leecher completes", Announce{InfoHash: h, PeerID: id(1), Addr: addr, Left: 0, Event: transport.EventCompleted, NumWant: -1}, 2, 0, 1, 1},
		{"numwant 0", Announce{InfoHash: h, PeerID: id(3), Addr: addr, Left: 5, NumWant: 0}, 2, 1, 0, 1},
		{"stopped", Announce{InfoHash: h, PeerID: id(1), Addr: addr, Event: transport.EventStopped, NumWant: -1}, 1, 1, 0, 1},
	}
	for _, st := range steps {
		res := tr.Announce(st.a)
		if res.Complete != st.wantC || res.Incomplete != st.wantI || len(res.Peers) != st.wantPeers {
			t.Fatalf("%s: got c=%d i=%d peers=%d", st.name, res.Complete, res.Incomplete, len(res.Peers))
		}
		s, ok := tr.Scrape(h)
		if !ok || s.Downloaded != st.wantDownloaded {
			t.Fatalf("%s: scrape %+v %v", st.name, s, ok)
		}
	}
	now = now.Add(time.Hour) // every member expires
	if s, _ := tr.Scrape(h); s.Complete+s.Incomplete != 0 || len(tr.Peers(h)) != 0 {
		t.Fatalf("members did not expire: %+v", s)
	}
	if _, ok := tr.Scrape(transport.InfoHash{1}); ok {
		t.Fatal("unknown hash known")
	}
}
