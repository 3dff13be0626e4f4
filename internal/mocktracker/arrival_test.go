package mocktracker

import (
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

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
