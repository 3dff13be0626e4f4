package http_test

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
)

// Announce to a tracker (here the mock tracker on loopback) and read the
// peers it returns.
func Example() {
	tracker := mocktracker.New(mocktracker.Config{Interval: 30 * time.Minute})
	defer tracker.Close()
	infoHash := transport.InfoHash{0xab}
	tracker.AddPeer(infoHash, peer.ID{1}, netip.MustParseAddrPort("192.0.2.10:6881"), 0)
	announceURL, err := tracker.ListenHTTP("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}

	tp := trackerhttp.New(trackerhttp.Config{}) // defaults: keep-alive client, 1 MiB replies, 5 redirects
	defer tp.Close()

	u, _ := url.Parse(announceURL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := tp.Announce(ctx, u, &transport.AnnounceRequest{
		InfoHash: infoHash,
		PeerID:   peer.ID([]byte("-TK0001-123456789012")),
		Port:     6881,
		Left:     1 << 20,
		Event:    transport.EventStarted,
		NumWant:  transport.NumWantDefault,
		Key:      0x1234abcd,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("interval:", resp.Interval)
	fmt.Println("seeders:", resp.Complete, "leechers:", resp.Incomplete)
	for _, p := range resp.Peers {
		fmt.Println("peer:", p)
	}
	// Output:
	// interval: 30m0s
	// seeders: 1 leechers: 1
	// peer: 192.0.2.10:6881
}
