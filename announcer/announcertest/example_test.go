package announcertest_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/announcer/announcertest"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// A Session announces to the test tracker over HTTP; the tracker says what
// it received. In a test, announcertest.NewTracker(t) replaces Start and
// Close.
func Example() {
	trk, err := announcertest.Start(announcertest.Config{})
	if err != nil {
		panic(err)
	}
	defer trk.Close()
	hash := transport.InfoHash{0xc9, 0xe1}
	trk.AddPeer(hash, peer.ID{'-', 'T', 'R', '4', '0', '5', '0', '-'}, netip.MustParseAddrPort("127.0.0.2:51413"), 0)

	client, _ := announcer.NewClient(announcer.Config{Port: 6881})
	defer client.Close()
	sess, _ := client.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{trk.HTTPURL()}}},
		announcer.SessionOptions{Stats: func() announcer.Stats { return announcer.Stats{Left: 1000} }})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess.Start(ctx)
	for ev := range sess.Events() {
		switch e := ev.(type) {
		case announcer.PeerEvent:
			fmt.Println("client got", len(e.Peers), "peer:", e.Peers[0].Addr)
		case announcer.UpdateEvent:
			if e.Event == transport.EventStarted {
				sess.Stop(ctx)
			}
		}
	}
	for _, a := range trk.Announces(hash) {
		fmt.Printf("tracker got %s over %s: port %d, left %d, numwant %d\n", a.Event, a.Protocol, a.Addr.Port(), a.Left, a.NumWant)
	}
	fmt.Println("swarm now:", len(trk.Peers(hash)), "peer")
	// Output:
	// client got 1 peer: 127.0.0.2:51413
	// tracker got started over http: port 6881, left 1000, numwant 50
	// tracker got stopped over http: port 6881, left 1000, numwant 0
	// swarm now: 1 peer
}

// Faults make the tracker refuse, warn, slow down or go silent; here every
// protocol refuses the torrent with BEP 31 "retry in: never".
func ExampleTracker_SetFaults() {
	trk, err := announcertest.Start(announcertest.Config{})
	if err != nil {
		panic(err)
	}
	defer trk.Close()
	trk.SetFaults(announcertest.Faults{FailureReason: "unregistered torrent", RetryIn: "never"})

	client, _ := announcer.NewClient(announcer.Config{})
	defer client.Close()
	sess, _ := client.NewSession(announcer.Torrent{InfoHash: transport.InfoHash{1}, Tiers: [][]string{{trk.HTTPURL()}}}, announcer.SessionOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess.Start(ctx)
	for ev := range sess.Events() {
		if e, ok := ev.(announcer.ErrorEvent); ok {
			var fe *transport.FailureError
			fmt.Println("failure:", errors.As(e.Err, &fe) && fe.Reason == "unregistered torrent", "gave up:", e.GaveUp)
			sess.Stop(ctx)
		}
	}
	// Output:
	// failure: true gave up: true
}

// WaitAnnounce waits on the tracker, not on the clock.
func ExampleTracker_WaitAnnounce() {
	trk, err := announcertest.Start(announcertest.Config{})
	if err != nil {
		panic(err)
	}
	defer trk.Close()
	hash := transport.InfoHash{2}
	client, _ := announcer.NewClient(announcer.Config{})
	defer client.Close()
	sess, _ := client.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{trk.UDPURL()}}}, announcer.SessionOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess.Start(ctx)
	go func() {
		for range sess.Events() {
		}
	}()
	a, err := trk.WaitAnnounce(ctx, announcertest.EventIs(hash, transport.EventStarted))
	fmt.Println(a.Protocol, a.Event, err)
	sess.Stop(ctx)
	// Output:
	// udp started <nil>
}
