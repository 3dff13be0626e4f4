package mocktracker

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// TestOnAnnounce checks which announces reach Config.OnAnnounce: the front
// ends' (they carry a Protocol), not AddPeer's simulated ones.
func TestOnAnnounce(t *testing.T) {
	var got []Announce
	var scrapes []Scrape
	tr := New(Config{OnAnnounce: func(a Announce) { got = append(got, a) }, OnScrape: func(s Scrape) { scrapes = append(scrapes, s) }})
	defer tr.Close()
	h := transport.InfoHash{7}
	tr.AddPeer(h, id(1), netip.MustParseAddrPort("127.0.0.2:1"), 0)
	for _, tc := range []struct {
		a      Announce
		report bool
	}{
		{Announce{InfoHash: h, PeerID: id(2), Event: transport.EventStarted, NumWant: 5}, false},
		{Announce{InfoHash: h, PeerID: id(2), Event: transport.EventStarted, NumWant: 5, Protocol: "http", Uploaded: 3}, true},
		{Announce{InfoHash: h, PeerID: id(2), Event: transport.EventStopped, Protocol: "udp"}, true},
	} {
		before := len(got)
		tr.Announce(tc.a)
		if reported := len(got) > before; reported != tc.report {
			t.Errorf("%+v: reported %v, want %v", tc.a, reported, tc.report)
		}
	}
	if len(got) != 2 || got[0].Protocol != "http" || got[0].Uploaded != 3 || got[0].Time.IsZero() || got[1].Event != transport.EventStopped {
		t.Errorf("reported %+v", got)
	}
	tr.observeScrape(Scrape{Protocol: "ws"})
	if len(scrapes) != 1 || scrapes[0].Time.IsZero() {
		t.Errorf("scrapes %+v", scrapes)
	}
}

func TestWSParams(t *testing.T) {
	p := wsParams([]byte(`{"action":"announce","numwant":5,"left":1e3,"event":"started","offers":[{"x":1}],"pk":["a","b"],"answer":{},"flag":true}`))
	for k, want := range map[string][]string{"action": {"announce"}, "numwant": {"5"}, "left": {"1e3"}, "event": {"started"}, "pk": {"a", "b"}, "flag": {"true"}} {
		if got := p[k]; len(got) != len(want) || got[0] != want[0] {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, ok := p["offers"]; ok {
		t.Error("offers kept")
	}
	if _, ok := p["answer"]; ok {
		t.Error("answer kept")
	}
	if wsParams([]byte(`[1,2]`)) != nil || wsParams([]byte(`not json`)) != nil {
		t.Error("params from a message that is not an object")
	}
}

func FuzzWSParams(f *testing.F) {
	f.Add([]byte(`{"action":"announce","numwant":5,"pk":["a","b"]}`))
	f.Add([]byte(`{"info_hash":"\u00ff\u0000","offers":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for k := range wsParams(data) {
			if k == "offers" || k == "answer" {
				t.Fatalf("kept %q", k)
			}
		}
	})
}

// hookLog collects what the hooks see.
type hookLog struct {
	mu                         sync.Mutex
	arrived, announced, closed []Announce
}

func (l *hookLog) config() Config {
	add := func(to *[]Announce) func(Announce) {
		return func(a Announce) {
			l.mu.Lock()
			*to = append(*to, a)
			l.mu.Unlock()
		}
	}
	return Config{OnArrival: add(&l.arrived), OnAnnounce: add(&l.announced), OnSocketClosed: add(&l.closed)}
}

func (l *hookLog) counts() (arrived, announced, closed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.arrived), len(l.announced), len(l.closed)
}

// OnArrival sees every announce request, also those the faults refuse;
// OnAnnounce only the accepted ones.
func TestOnArrivalHTTP(t *testing.T) {
	var l hookLog
	tr := New(l.config())
	defer tr.Close()
	h, id := transport.InfoHash{1}, peer.ID{2}
	serve(tr, "/announce?"+announceQuery(h, id, "&event=started"), "192.0.2.1:1")
	tr.SetHTTPFaults(HTTPFaults{FailureReason: "no"})
	serve(tr, "/announce?"+announceQuery(h, id, "&event=stopped"), "192.0.2.1:1")
	serve(tr, "/scrape", "192.0.2.1:1") // not an announce
	if a, n, c := l.counts(); a != 2 || n != 1 || c != 0 {
		t.Fatalf("arrived %d, announced %d, closed %d", a, n, c)
	}
	if e := l.arrived[1]; e.Event != transport.EventStopped || e.Protocol != "http" || e.InfoHash != h || e.Time.IsZero() {
		t.Fatalf("arrival %+v", e)
	}
}

// A WebSocket that closes is reported once per torrent to OnSocketClosed.
func TestOnSocketClosedWS(t *testing.T) {
	var l hookLog
	tr, u := startWS(t, l.config())
	c := dialWS(t, u)
	tr.SetWSFaults(WSFaults{FailureReason: "busy"})
	c.send(announceMsg(bin(0x80)))
	c.recv()
	tr.SetWSFaults(WSFaults{})
	c.send(announceMsg(bin(0x80)))
	c.recv()
	tr.DropWSSockets()
	if a, n, cl := l.counts(); a != 2 || n != 1 || cl != 1 {
		t.Fatalf("arrived %d, announced %d, closed %d", a, n, cl)
	}
	if e := l.closed[0]; e.Event != transport.EventStopped || e.Protocol != "ws" || e.InfoHash != wsHash || e.Time.Before(l.announced[0].Time.Add(-time.Second)) {
		t.Fatalf("closed %+v", e)
	}
}
