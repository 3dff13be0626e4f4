package interop

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
	trackerudp "github.com/trackerkit/trackerkit/transport/udp"
)

// wireCase is one protocol of the server, spoken by one trackerkit
// Transport.
type wireCase struct {
	name string
	url  func(*jsTracker) string
	// newTransport builds the transport; the test closes it.
	newTransport func(t *testing.T) transport.Transport
	// loopback is the address the server sees us at.
	loopback netip.Addr
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
			loopback:      netip.MustParseAddr("127.0.0.1"),
			peersReturned: true,
		},
		{
			// A passkey in the query: the parameters follow with '&'.
			name:          "http-passkey",
			url:           func(tr *jsTracker) string { return tr.httpURL() + "?passkey=s3cr3t" },
			newTransport:  newHTTP,
			loopback:      netip.MustParseAddr("127.0.0.1"),
			peersReturned: true,
		},
		{
			name:          "udp4",
			url:           (*jsTracker).udp4URL,
			newTransport:  newUDP,
			loopback:      netip.MustParseAddr("127.0.0.1"),
			peersReturned: true,
		},
		{
			// A path and query: sent as BEP 41 URLData options, which the
			// server ignores.
			name:          "udp4-urldata",
			url:           func(tr *jsTracker) string { return tr.udp4URL() + "/announce?passkey=s3cr3t" },
			newTransport:  newUDP,
			loopback:      netip.MustParseAddr("127.0.0.1"),
			peersReturned: true,
		},
		{
			// bittorrent-tracker 11.2.3 builds every UDP announce reply
			// from the IPv4 peers only (makeUdpPacket writes "peers" and
			// drops "peers6"), so over IPv6 no ::1 peer is ever returned.
			name:          "udp6",
			url:           (*jsTracker).udp6URL,
			newTransport:  newUDP,
			loopback:      netip.MustParseAddr("::1"),
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
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()

	ih := newInfoHash()
	a := startedRequest(ih, 1)
	b := startedRequest(ih, 2)
	addrA := netip.AddrPortFrom(tc.loopback, a.Port)
	addrB := netip.AddrPortFrom(tc.loopback, b.Port)

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
	checkFamily(t, s, tc.loopback, 2)

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
