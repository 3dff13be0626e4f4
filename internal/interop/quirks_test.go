package interop

// Quirks of the JS tracker that this suite found, and that trackerkit now
// copes with; these tests keep it so.

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
)

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
