package announcer_test

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// inProcess serves announces from a mock tracker without sockets, so the
// example runs anywhere. A real program leaves Config.Transports empty and
// gets the HTTP, UDP and WebSocket transports.
type inProcess struct{ t *mocktracker.Tracker }

func (p inProcess) Announce(_ context.Context, _ *url.URL, req *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	r := p.t.Announce(mocktracker.Announce{InfoHash: req.InfoHash, PeerID: req.PeerID, Left: req.Left, Event: req.Event, NumWant: int(req.NumWant)})
	return &transport.AnnounceResponse{Interval: r.Interval, Complete: r.Complete, Incomplete: r.Incomplete, Peers: r.Peers}, nil
}

func (p inProcess) Scrape(context.Context, *url.URL, *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	return nil, transport.ErrUnsupported
}

func (p inProcess) Close() error { return nil }

func Example() {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	hash := transport.InfoHash{1, 2, 3}
	tracker.AddPeer(hash, [20]byte{9}, mustAddr("127.0.0.1:6882"), 0)

	client, _ := announcer.NewClient(announcer.Config{
		Transports: map[string]transport.Transport{"http": inProcess{tracker}},
	})
	defer client.Close()

	session, _ := client.NewSession(announcer.Torrent{
		InfoHash: hash,
		Tiers:    [][]string{{"http://tracker.test/announce"}},
	}, announcer.SessionOptions{
		Stats: func() announcer.Stats { return announcer.Stats{Left: 1 << 20} },
	})
	session.Start(context.Background())

	for ev := range session.Events() {
		switch ev := ev.(type) {
		case announcer.PeerEvent: // the peers of one reply, or one WebRTC peer
			for _, p := range ev.Peers {
				fmt.Println("peer", p, "from", ev.Tracker)
			}
		case announcer.UpdateEvent:
			fmt.Printf("%s: %s, %d seeders, %d leechers, next in %v\n",
				ev.Tracker, ev.Event, ev.Complete, ev.Incomplete, ev.Interval)
			if ev.Event == transport.EventStarted {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				session.Stop(ctx) // the channel closes once the rest is read
				cancel()
			}
		case announcer.ScrapeEvent:
			fmt.Println("scrape", ev.Stats)
		case announcer.WarningEvent:
			fmt.Println("warning", ev.Message)
		case announcer.ErrorEvent:
			fmt.Println("error", ev.Err, "gave up:", ev.GaveUp)
		case announcer.DroppedEvent:
			fmt.Println("dropped", ev.Count)
		}
	}
	// Output:
	// http://tracker.test/announce: started, 1 seeders, 1 leechers, next in 30m0s
	// peer 127.0.0.1:6882 from http://tracker.test/announce
	// http://tracker.test/announce: stopped, 1 seeders, 0 leechers, next in 30m0s
}

func mustAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// A UI follows its trackers from StateEvents, and changes a running Session:
// here a second tracker is added, then the first removed (it is sent
// "stopped").
func ExampleSession_SetTrackers() {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	client, _ := announcer.NewClient(announcer.Config{
		Transports: map[string]transport.Transport{"http": inProcess{tracker}},
	})
	defer client.Close()
	a, b := "http://a.test/announce", "http://b.test/announce"
	session, _ := client.NewSession(announcer.Torrent{InfoHash: transport.InfoHash{7}, Tiers: [][]string{{a}}},
		announcer.SessionOptions{StateEvents: true, Stats: func() announcer.Stats { return announcer.Stats{Left: 100} }})
	session.Start(context.Background())

	step := 0
	for ev := range session.Events() {
		switch ev := ev.(type) {
		case announcer.StateEvent:
			fmt.Printf("%s: %s -> %s\n", ev.Tracker, ev.From, ev.Status.State)
		case announcer.UpdateEvent:
			fmt.Printf("%s: %s answered\n", ev.Tracker, ev.Event)
			switch step++; step {
			case 1:
				session.SetTrackers([][]string{{a}, {b}}) // add a tier
			case 2:
				session.SetTrackers([][]string{{b}}) // remove a: it is sent stopped
			case 3:
				session.Close() // leave b without a stopped, to keep the example short
			}
		}
	}
	// Output:
	// http://a.test/announce: idle -> announcing
	// http://a.test/announce: announcing -> ok
	// http://a.test/announce: started answered
	// http://b.test/announce: idle -> announcing
	// http://b.test/announce: announcing -> ok
	// http://b.test/announce: started answered
	// http://a.test/announce: ok -> stopping
	// http://a.test/announce: stopped answered
	// http://a.test/announce: stopping -> stopped
	// http://b.test/announce: ok -> stopped
}
