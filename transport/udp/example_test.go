package udp_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// One Transport serves every torrent and tracker of a client.
func Example() {
	tracker := mocktracker.New(mocktracker.Config{Interval: 30 * time.Minute})
	defer tracker.Close()
	announceURL, err := tracker.ListenUDP("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	u, _ := url.Parse(announceURL + "?passkey=secret")

	tr := udp.New(udp.Config{}) // BEP 15 defaults: 15 s * 2^n retransmits, 60 s connection IDs
	defer tr.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := &transport.AnnounceRequest{
		InfoHash: transport.InfoHash{1},
		PeerID:   [20]byte{'-', 'T', 'K'},
		Port:     6881,
		Left:     1 << 20,
		Event:    transport.EventStarted,
		NumWant:  transport.NumWantDefault,
		Key:      0x1234,
	}
	resp, err := tr.Announce(ctx, u, req)
	if err != nil {
		fmt.Println(err) // a *transport.Error; its URL is redacted
		return
	}
	fmt.Println("interval", resp.Interval, "leechers", resp.Incomplete, "seeders", resp.Complete)

	scrape, err := tr.Scrape(ctx, u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{req.InfoHash}})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", scrape.Files[req.InfoHash])
	fmt.Println("URLData seen by the tracker:", tracker.LastURLData())
	// Output:
	// interval 30m0s leechers 1 seeders 0
	// {Complete:0 Incomplete:1 Downloaded:0}
	// URLData seen by the tracker: /announce?passkey=secret
}
