package mocktracker

import (
	"slices"
	"sync"
	"testing"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// The announce log sees every request on arrival and, separately, what the
// swarm recorded: a refused request is logged as arrived only.
func TestAnnounceLogHTTP(t *testing.T) {
	var mu sync.Mutex
	var log []AnnounceLog
	tr := New(Config{OnAnnounce: func(e AnnounceLog) {
		mu.Lock()
		log = append(log, e)
		mu.Unlock()
	}})
	defer tr.Close()
	h, id := transport.InfoHash{1}, peer.ID{2}
	serve(tr, "/announce?"+announceQuery(h, id, "&event=started&key=2a"), "192.0.2.1:1")
	tr.SetHTTPFaults(HTTPFaults{FailureReason: "no"})
	serve(tr, "/announce?"+announceQuery(h, id, "&event=stopped"), "192.0.2.1:1")
	serve(tr, "/scrape?info_hash=x", "192.0.2.1:1") // not an announce
	type row struct {
		stage AnnounceStage
		ev    transport.Event
	}
	var got []row
	for _, e := range log {
		if e.Protocol != ProtoHTTP || e.InfoHash != h || e.PeerID != id || e.Left != 10 || e.Time.IsZero() {
			t.Fatalf("entry %+v", e)
		}
		got = append(got, row{e.Stage, e.Event})
	}
	want := []row{{StageArrived, transport.EventStarted}, {StageAccepted, transport.EventStarted}, {StageArrived, transport.EventStopped}}
	if !slices.Equal(got, want) {
		t.Fatalf("log %v, want %v", got, want)
	}
	if log[1].Key != 0x2a {
		t.Errorf("key %x", log[1].Key)
	}
	if StageSocketClosed.String() != "socket closed" || AnnounceStage(9).String() != "unknown" {
		t.Error("stage names")
	}
}
