package interop

import (
	"context"
	"io"
	"net/netip"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
	trackerudp "github.com/trackerkit/trackerkit/transport/udp"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// wireCase is one protocol of the server, spoken by one trackerkit
// Transport.
type wireCase struct {
	name string
	url  func(*jsTracker) string
	// newTransport builds the transport; the test closes it.
	newTransport func(t *testing.T) transport.Transport
	// peersReturned is false where the server never returns the swarm's
	// peers (see the udp6 case).
	peersReturned bool
}

func wireCases() []wireCase {
	return []wireCase{
		{
			name:          "http",
			url:           (*jsTracker).httpURL,
			newTransport:  newHTTP,
			peersReturned: true,
		},
		{
			// A passkey in the query: the parameters follow with '&'.
			name:          "http-passkey",
			url:           func(tr *jsTracker) string { return tr.httpURL() + "?passkey=s3cr3t" },
			newTransport:  newHTTP,
			peersReturned: true,
		},
		{
			name:          "udp4",
			url:           (*jsTracker).udp4URL,
			newTransport:  newUDP,
			peersReturned: true,
		},
		{
			// A path and query: sent as BEP 41 URLData options, which the
			// server ignores.
			name:          "udp4-urldata",
			url:           func(tr *jsTracker) string { return tr.udp4URL() + "/announce?passkey=s3cr3t" },
			newTransport:  newUDP,
			peersReturned: true,
		},
		{
			// bittorrent-tracker 11.2.3 builds every UDP announce reply
			// from the IPv4 peers only (makeUdpPacket writes "peers" and
			// drops "peers6"), so over IPv6 no ::1 peer is ever returned.
			name:          "udp6",
			url:           (*jsTracker).udp6URL,
			newTransport:  newUDP,
			peersReturned: false,
		},
	}
}

func newHTTP(t *testing.T) transport.Transport {
	tp := trackerhttp.New(trackerhttp.Config{})
	t.Cleanup(func() { tp.Close() })
	return tp
}

func newUDP(t *testing.T) transport.Transport {
	tp := trackerudp.New(trackerudp.Config{})
	t.Cleanup(func() { tp.Close() })
	return tp
}

// TestWire drives each trackerkit Transport directly against the JS server,
// two trackerkit peers in one swarm: started, each finds the other, a
// regular announce, completed (seeders/leechers follow, checked against
// /stats.json), scrape, stopped (the server forgets them).
func TestWire(t *testing.T) {
	requireNode(t)
	t.Parallel()
	for _, tc := range wireCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testWire(t, tc)
		})
	}
}

func testWire(t *testing.T, tc wireCase) {
	tr := startTracker(t, time.Minute)
	tp := tc.newTransport(t)
	u := parseURL(t, tc.url(tr))
	// The server sees us at the loopback address of its URL's family.
	loopback := netip.MustParseAddr(u.Hostname())
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()

	ih := newInfoHash()
	a := startedRequest(ih, 1)
	b := startedRequest(ih, 2)
	addrA := netip.AddrPortFrom(loopback, a.Port)
	addrB := netip.AddrPortFrom(loopback, b.Port)

	announce := func(what string, req *transport.AnnounceRequest, complete, incomplete int) *transport.AnnounceResponse {
		t.Helper()
		resp, err := tp.Announce(ctx, u, req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.Complete != complete || resp.Incomplete != incomplete {
			t.Errorf("%s: complete/incomplete = %d/%d, want %d/%d", what, resp.Complete, resp.Incomplete, complete, incomplete)
		}
		if resp.Interval != time.Minute {
			t.Errorf("%s: interval = %v, want the server's 1m", what, resp.Interval)
		}
		return resp
	}
	checkPeers := func(what string, resp *transport.AnnounceResponse, want netip.AddrPort) {
		t.Helper()
		has := slices.ContainsFunc(resp.Peers, func(p peer.Peer) bool { return p.Addr == want })
		if tc.peersReturned && !has {
			t.Errorf("%s: peers %v lack %v", what, resp.Peers, want)
		}
		if !tc.peersReturned && len(resp.Peers) != 0 {
			t.Errorf("%s: peers %v, want none from this server", what, resp.Peers)
		}
	}

	announce("a started", a, 0, 1)
	resp := announce("b started", b, 0, 2)
	checkPeers("b started", resp, addrA)
	s := tr.waitPeers(t, 0, 2)
	checkFamily(t, s, loopback, 2)

	a.Event = transport.EventNone
	resp = announce("a regular", a, 0, 2)
	checkPeers("a regular", resp, addrB)

	b.Event, b.Left, b.Downloaded = transport.EventCompleted, 0, 1000
	announce("b completed", b, 1, 1)
	tr.waitPeers(t, 1, 1)

	sr, err := tp.Scrape(ctx, u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{ih}})
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	// The server reports "downloaded" as a lower bound: its seeders.
	if got, want := sr.Files[ih], (transport.ScrapeStats{Complete: 1, Incomplete: 1, Downloaded: 1}); got != want {
		t.Errorf("scrape = %+v (files %v), want %+v", got, sr.Files, want)
	}

	a.Event, a.NumWant = transport.EventStopped, 0
	announce("a stopped", a, 1, 0)
	tr.waitPeers(t, 1, 0)
	b.Event, b.NumWant = transport.EventStopped, 0
	announce("b stopped", b, 0, 0)
	tr.waitPeers(t, 0, 0)
}

// checkFamily checks that the server saw n peers of addr's family.
func checkFamily(t *testing.T, s trackerStats, addr netip.Addr, n int) {
	t.Helper()
	got := s.PeersIPv4
	if addr.Is6() {
		got = s.PeersIPv6
	}
	if got != n {
		t.Errorf("server saw %v; want %d peers over %v", s, n, addr)
	}
}

// TestWireWS is TestWire over ws://: two trackerkit WebRTC transports in one
// swarm of the JS WebSocket tracker announce started, meet over WebRTC
// (bytes both ways), see seeders/leechers change (checked against
// /stats.json), scrape, and stop (the server forgets them).
func TestWireWS(t *testing.T) {
	requireNode(t)
	t.Parallel()
	tr := startTracker(t, serverInterval)
	ih := newInfoHash()
	a, b := newGoWebRTC(t, tr, ih), newGoWebRTC(t, tr, ih)

	checkReply := func(what string, resp *transport.AnnounceResponse, complete, incomplete int) {
		t.Helper()
		if resp.Complete != complete || resp.Incomplete != incomplete {
			t.Errorf("%s: complete/incomplete = %d/%d, want %d/%d", what, resp.Complete, resp.Incomplete, complete, incomplete)
		}
	}
	checkReply("a started", a.announce(t, transport.EventStarted, 100), 0, 1)
	tr.waitPeers(t, 0, 1)
	resp := b.announce(t, transport.EventStarted, 100)
	checkReply("b started", resp, 0, 2)
	if want := serverInterval / 5; resp.Interval != want {
		t.Errorf("interval = %v, want the server's %v", resp.Interval, want)
	}
	tr.waitPeers(t, 0, 2)

	pa, pb := a.waitPeer(t), b.waitPeer(t)
	if pa.ID != b.req.PeerID || pb.ID != a.req.PeerID {
		t.Errorf("a met %v, b met %v; want each other (%v, %v)", pa.ID, pb.ID, b.req.PeerID, a.req.PeerID)
	}
	go io.WriteString(pa.Conn, "a->b")
	go io.WriteString(pb.Conn, "b->a")
	if got, err := readFull(pb.Conn, 4, webrtcTimeout); got != "a->b" {
		t.Errorf("b read %q, %v; want a->b", got, err)
	}
	if got, err := readFull(pa.Conn, 4, webrtcTimeout); got != "b->a" {
		t.Errorf("a read %q, %v; want b->a", got, err)
	}

	checkReply("b completed", b.announce(t, transport.EventCompleted, 0), 1, 1)
	tr.waitPeers(t, 1, 1)

	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	sr, err := a.tp.Scrape(ctx, a.u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{ih}})
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	// The server reports "downloaded" as a lower bound: its seeders.
	if got, want := sr.Files[ih], (transport.ScrapeStats{Complete: 1, Incomplete: 1, Downloaded: 1}); got != want {
		t.Errorf("scrape = %+v (files %v), want %+v", got, sr.Files, want)
	}

	a.req.NumWant = 0
	a.announce(t, transport.EventStopped, 100)
	tr.waitPeers(t, 1, 0)
	b.req.NumWant = 0
	b.announce(t, transport.EventStopped, 0)
	tr.waitPeers(t, 0, 0)
}

// goWebRTC is one trackerkit WebRTC peer: a transport subscribed to one
// torrent on one tracker.
type goWebRTC struct {
	tp    *webrtc.Transport
	u     *url.URL
	req   transport.AnnounceRequest
	peers chan peer.Peer
}

func newGoWebRTC(t *testing.T, tr *jsTracker, ih transport.InfoHash) *goWebRTC {
	t.Helper()
	u := parseURL(t, tr.wsURL())
	g := &goWebRTC{
		tp:    webrtc.New(webrtc.Config{LoopbackOnly: true}),
		u:     u,
		req:   transport.AnnounceRequest{InfoHash: ih, PeerID: newPeerID("-TK0001-"), Port: 6881, NumWant: 50, Key: 3},
		peers: make(chan peer.Peer, 16),
	}
	cancel := g.tp.Subscribe(u, ih, func(p peer.Peer) {
		select {
		case g.peers <- p:
		default:
			p.Conn.Close()
		}
	})
	t.Cleanup(func() {
		cancel()
		g.tp.Close()
		for {
			select {
			case p := <-g.peers:
				p.Conn.Close()
			default:
				return
			}
		}
	})
	return g
}

// announce sends one announce with ev and left; it fails the test on error.
func (g *goWebRTC) announce(t *testing.T, ev transport.Event, left int64) *transport.AnnounceResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	g.req.Event, g.req.Left = ev, left
	resp, err := g.tp.Announce(ctx, g.u, &g.req)
	if err != nil {
		t.Fatalf("go %v announce: %v", ev, err)
	}
	return resp
}

// waitPeer returns the next WebRTC peer (its data channel open); the test
// owns its Conn, closed at cleanup.
func (g *goWebRTC) waitPeer(t *testing.T) peer.Peer {
	t.Helper()
	select {
	case p := <-g.peers:
		t.Cleanup(func() { p.Conn.Close() })
		return p
	case <-time.After(webrtcTimeout):
		t.Fatalf("go peer: no WebRTC peer after %v", webrtcTimeout)
		return peer.Peer{}
	}
}

// Quirks of the JS tracker that this suite found, and that trackerkit now
// copes with; these tests keep it so.

// TestHTTPScrapeHighBytes scrapes, over HTTP, a torrent whose info hash has
// bytes from 0x80 up. bittorrent-tracker 11.2.3 bencodes the "files" keys
// of its scrape reply as JS strings, so each such byte goes out as two UTF-8
// bytes: a 20-byte hash with two of them comes back as a 22-byte key. The JS
// client copes (http-tracker.js: a key that does not have 20 bytes is
// decoded as UTF-8 and its 20 characters taken as bytes), and so must
// trackerkit.
func TestHTTPScrapeHighBytes(t *testing.T) {
	requireNode(t)
	t.Parallel()
	tr := startTracker(t, time.Minute)
	tp := trackerhttp.New(trackerhttp.Config{})
	defer tp.Close()
	u := parseURL(t, tr.httpURL())
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()

	ih := newInfoHash()
	ih[0], ih[19] = 0xff, 0x80
	req := startedRequest(ih, 1)
	if _, err := tp.Announce(ctx, u, req); err != nil {
		t.Fatalf("announce: %v", err)
	}
	tr.waitPeers(t, 0, 1)
	sr, err := tp.Scrape(ctx, u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{ih}})
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	got, ok := sr.Files[ih]
	if !ok {
		t.Fatalf("scrape: no stats for %v in %v: the JS server's UTF-8-encoded files key was not read", ih, sr.Files)
	}
	if want := (transport.ScrapeStats{Complete: 0, Incomplete: 1, Downloaded: 0}); got != want {
		t.Errorf("scrape = %+v, want %+v", got, want)
	}
	req.Event, req.NumWant = transport.EventStopped, 0
	if _, err := tp.Announce(ctx, u, req); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// TestUDP6ReplyWithIPv4Peers announces one peer over UDP/IPv4 and then one
// over UDP/IPv6 to the same torrent. bittorrent-tracker 11.2.3 answers UDP
// announces with the IPv4 peers only, in 6-byte records, whatever the
// family of the socket (makeUdpPacket writes "peers", never "peers6"); BEP
// 15 says 18-byte records over IPv6. So every dual-stack swarm on this
// server sends 6-byte records to IPv6 clients. The JS client cannot announce
// to an IPv6 UDP URL at all. Doing better, trackerkit keeps the reply and
// reads those records as the IPv4 peers they are.
func TestUDP6ReplyWithIPv4Peers(t *testing.T) {
	requireNode(t)
	t.Parallel()
	tr := startTracker(t, time.Minute)
	tp := newUDP(t)
	u4 := parseURL(t, tr.udp4URL())
	u6 := parseURL(t, tr.udp6URL())
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()

	ih := newInfoHash()
	a := startedRequest(ih, 1)
	b := startedRequest(ih, 2)
	if _, err := tp.Announce(ctx, u4, a); err != nil {
		t.Fatalf("a over udp4: %v", err)
	}
	resp, err := tp.Announce(ctx, u6, b)
	s := tr.waitPeers(t, 0, 2) // the server took b either way
	checkFamily(t, s, netip.MustParseAddr("::1"), 1)
	if err != nil {
		t.Fatalf("b over udp6, with the server's 6-byte IPv4 peer records: %v", err)
	}
	if resp.Complete != 0 || resp.Incomplete != 2 {
		t.Errorf("b over udp6: complete/incomplete = %d/%d, want 0/2", resp.Complete, resp.Incomplete)
	}
	if len(resp.Peers) != 1 || resp.Peers[0].Addr != netip.MustParseAddrPort("127.0.0.1:50001") {
		t.Errorf("b over udp6: peers %v, want only a (127.0.0.1:50001)", resp.Peers)
	}
}

// parseURL parses a tracker URL the test built itself.
func parseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// startedRequest is the started announce of test peer n (1, 2, ...) in
// swarm ih: port 50000+n, key n, 1000 bytes left, 50 peers wanted.
func startedRequest(ih transport.InfoHash, n uint16) *transport.AnnounceRequest {
	return &transport.AnnounceRequest{InfoHash: ih, PeerID: newPeerID("-TK0001-"), Port: 50000 + n,
		Left: 1000, Event: transport.EventStarted, NumWant: 50, Key: uint32(n)}
}
