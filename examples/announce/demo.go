package main

import (
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// The demo torrent: its info hash is the SHA-1 of its name, like nothing
// real, so the demo can never be mistaken for a real swarm.
const demoName = "trackerkit demo"

// The demo's trackers ask for a short interval, and the demo lowers the
// library's floor (1 minute) to match, so that -demo -duration 1m shows
// re-announces.
const (
	demoInterval = 10 * time.Second
	demoFloor    = 5 * time.Second
	demoFailure  = "demo: this tracker refuses every torrent"
)

// demoPeers are the simulated members of the demo swarm: two seeders and
// three leechers on loopback addresses.
var demoPeers = []struct {
	addr string
	left int64
}{
	{"127.0.0.2:51413", 0},
	{"127.0.0.3:6881", 0},
	{"127.0.0.4:6889", 1 << 20},
	{"127.0.0.5:42000", 5 << 20},
	{"[::1]:6881", 1 << 30},
}

// runDemo starts the embedded mock tracker on loopback (HTTP, UDP and
// WebSocket, all serving one swarm) and a second HTTP tracker that refuses
// the torrent, fills the swarm with simulated peers, and announces the demo
// torrent to them. Without -duration the demo makes one
// round (-once) and stops gracefully, so a first run ends by itself within
// seconds; with -duration it runs that long; Ctrl-C stops it either way.
// It never touches the network beyond 127.0.0.1 and ::1.
func runDemo(ctx context.Context, cfg *Config, stdout, stderr io.Writer) int {
	tr := mocktracker.New(mocktracker.Config{Interval: demoInterval})
	defer tr.Close()
	// A second tracker refuses the torrent, so that an error shows too.
	refusing := mocktracker.New(mocktracker.Config{Interval: demoInterval})
	defer refusing.Close()
	refusing.SetHTTPFaults(mocktracker.HTTPFaults{FailureReason: demoFailure})
	hash := transport.InfoHash(sha1.Sum([]byte(demoName)))
	for i, p := range demoPeers {
		var id peer.ID
		copy(id[:], fmt.Sprintf("-DM0001-%012d", i))
		tr.AddPeer(hash, id, netip.MustParseAddrPort(p.addr), p.left)
	}

	var tiers [][]string
	for _, listen := range []func(string) (string, error){tr.ListenHTTP, tr.ListenUDP, tr.ListenWS} {
		u, err := listen("127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(stderr, "announce: demo tracker: %s\n", oneLine(err.Error()))
			return exitNoAnswer
		}
		tiers = append(tiers, []string{u})
	}
	u, err := refusing.ListenHTTP("127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "announce: demo tracker: %s\n", oneLine(err.Error()))
		return exitNoAnswer
	}
	tiers = append(tiers, []string{u})
	// WebRTC stays on loopback too: no ICE servers, loopback candidates only.
	ws := webrtc.New(webrtc.Config{LoopbackOnly: true})
	defer ws.Close()
	// A simulated browser peer joins the swarm over the WebSocket tracker
	// first, so the demo's offers reach it and a data channel opens.
	if stopPeer, err := startDemoWebRTCPeer(ctx, hash, tiers[2][0]); err == nil {
		defer stopPeer()
	}

	demo := *cfg
	if demo.Duration == 0 {
		demo.Once = true
		demo.webRTCWait = demoWebRTCWait
	}
	if demo.MinInterval == 0 {
		demo.MinInterval = demoFloor
	}
	target := &Target{InfoHash: hash, Name: demoName, Size: 64 << 20, Tiers: tiers}
	announceWith(ctx, &demo, target, nil, bySchemes(map[*transport.Protocol]transport.Transport{&webrtc.Protocol: ws}), stdout, stderr)
	return exitAnswered // the demo ran
}

// demoWebRTCWait is how long a one-round demo waits, once every tracker
// answered, for the WebRTC data channel to the simulated peer to open.
const demoWebRTCWait = 5 * time.Second

// startDemoWebRTCPeer runs a second trackerkit peer, a seeder, on the
// WebSocket tracker at wsURL, as a browser would: it answers the demo's
// WebRTC offers and greets each peer over the data channel. The returned
// function stops it and waits for it.
func startDemoWebRTCPeer(ctx context.Context, hash transport.InfoHash, wsURL string) (stop func(), err error) {
	w := webrtc.New(webrtc.Config{LoopbackOnly: true})
	var id peer.ID
	copy(id[:], "-DM0001-webrtc-peer!")
	c, err := announcer.NewClient(announcer.Config{PeerID: id, Transports: map[string]transport.Transport{"ws": w}})
	if err != nil {
		w.Close()
		return nil, err
	}
	closeAll := func() { c.Close(); w.Close() }
	s, err := c.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{wsURL}}}, announcer.SessionOptions{})
	if err == nil {
		err = s.Start(context.WithoutCancel(ctx))
	}
	if err != nil {
		closeAll()
		return nil, err
	}
	joined := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for ev := range s.Events() {
			switch e := ev.(type) {
			case announcer.UpdateEvent:
				select {
				case <-joined:
				default:
					close(joined)
				}
			case announcer.PeerEvent:
				for _, p := range e.Peers {
					if p.Conn != nil {
						p.Conn.Write([]byte("hello from the demo's WebRTC peer\n"))
						p.Conn.Close()
					}
				}
			}
		}
	}()
	select { // in the swarm before the demo announces, or give up waiting
	case <-joined:
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
	}
	return func() { closeAll(); <-drained }, nil
}
