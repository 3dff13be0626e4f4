package webrtc_test

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// Two clients find each other through a WebTorrent tracker and talk over a
// WebRTC data channel. Here the tracker is the mock one, on loopback.
func Example() {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	raw, _ := tracker.ListenWS("127.0.0.1:0")
	announceURL, _ := url.Parse(raw)

	infoHash := transport.InfoHash{0xc0, 0xff, 0xee}
	alice := webrtc.New(webrtc.Config{LoopbackOnly: true})
	defer alice.Close()
	bob := webrtc.New(webrtc.Config{LoopbackOnly: true})
	defer bob.Close()

	// Subscribe before announcing: offers are only made for torrents
	// someone wants peers for.
	alicePeers := make(chan peer.Peer, 1)
	bobPeers := make(chan peer.Peer, 1)
	defer alice.Subscribe(announceURL, infoHash, func(p peer.Peer) { alicePeers <- p })()
	defer bob.Subscribe(announceURL, infoHash, func(p peer.Peer) { bobPeers <- p })()

	ctx := context.Background()
	for _, c := range []struct {
		tr *webrtc.Transport
		id byte
	}{{alice, 'a'}, {bob, 'b'}} {
		req := &transport.AnnounceRequest{InfoHash: infoHash, PeerID: peer.ID{c.id}, Left: 1, Event: transport.EventStarted, NumWant: transport.NumWantDefault}
		res, err := c.tr.Announce(ctx, announceURL, req)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("announced: interval %v, %d leechers\n", res.Interval, res.Incomplete)
	}

	toBob, toAlice := <-alicePeers, <-bobPeers
	defer toBob.Conn.Close()
	defer toAlice.Conn.Close()
	fmt.Printf("alice met %q, bob met %q\n", toBob.ID[0], toAlice.ID[0])

	go toBob.Conn.Write([]byte("hello, bob"))
	buf := make([]byte, 10)
	io.ReadFull(toAlice.Conn, buf)
	fmt.Printf("bob read %q\n", buf)
	// Output:
	// announced: interval 30m0s, 1 leechers
	// announced: interval 30m0s, 2 leechers
	// alice met 'b', bob met 'a'
	// bob read "hello, bob"
}
