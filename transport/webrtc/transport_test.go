package webrtc_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// eventually polls cond (real sockets and real WebRTC cannot run in virtual
// time) for up to patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReconnectReannounces(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	a, gotA := subscribed(t, u)
	b, gotB := subscribed(t, u)
	idA, idB := id(1), id(100)
	announce(t, a, u, idA, transport.EventStarted)
	announce(t, b, u, idB, transport.EventStarted)
	// Both ends first, then close (closing one end at once could abort the
	// other's opening).
	first := []peer.Peer{waitPeer(t, gotA), waitPeer(t, gotB)}
	first[0].Conn.Close()
	first[1].Conn.Close()

	// The tracker goes down: the sockets drop and reconnecting fails.
	tr.SetWSFaults(mocktracker.WSFaults{Refuse: true})
	if n := tr.DropWSSockets(); n != 2 {
		t.Fatalf("dropped %d sockets, want 2", n)
	}
	if got := tr.Peers(hash); len(got) != 0 {
		t.Fatalf("swarm after the drop: %v", got)
	}
	// An announce made meanwhile is queued, not dropped (and stands for
	// a's re-announce, so it carries offers too).
	queued := make(chan error, 1)
	go func() {
		_, err := a.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: hash, PeerID: idA, Left: 1, NumWant: -1})
		queued <- err
	}()
	dialed := a.Dials()
	eventually(t, "two refused reconnects", func() bool { return a.Dials() >= dialed+2 })
	select {
	case err := <-queued:
		t.Fatalf("the queued announce ended while the tracker refused: %v", err)
	default:
	}
	tr.SetWSFaults(mocktracker.WSFaults{})

	if err := <-queued; err != nil {
		t.Fatalf("queued announce: %v", err)
	}
	eventually(t, "both peers re-announced", func() bool { return len(tr.Peers(hash)) == 2 })
	// The re-announces carried fresh offers: the peers meet again.
	pa, pb := waitPeer(t, gotA), waitPeer(t, gotB)
	defer pa.Conn.Close()
	defer pb.Conn.Close()
	exchange(t, pa.Conn, pb.Conn, []byte("after reconnect"))
}

func TestOffersExpire(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{})
	cfg := testConfig()
	cfg.OfferTimeout = 300 * time.Millisecond
	cfg.NumOffers = 3
	a := webrtc.New(cfg)
	defer a.Close()
	cancel := a.Subscribe(u, hash, func(p peer.Peer) { p.Conn.Close() })
	defer cancel()
	announce(t, a, u, id(1), transport.EventStarted) // alone in the swarm: nobody answers
	if n := a.LivePeerConns(); n != 3 {
		t.Fatalf("%d peer connections after announcing, want 3", n)
	}
	eventually(t, "offers to expire", func() bool { return a.LivePeerConns() == 0 })
}

func TestNoSubscriberNoOffers(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{})
	a := webrtc.New(testConfig())
	defer a.Close()
	announce(t, a, u, id(1), transport.EventStarted)
	if n := a.LivePeerConns(); n != 0 {
		t.Fatalf("%d peer connections without a subscriber", n)
	}
}

func TestStoppedAndUnsubscribeCleanUp(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	a := webrtc.New(testConfig())
	defer a.Close()
	cancel := a.Subscribe(u, hash, func(p peer.Peer) { p.Conn.Close() })
	announce(t, a, u, id(1), transport.EventStarted)
	if a.LivePeerConns() == 0 || len(tr.Peers(hash)) != 1 {
		t.Fatal("no offers or not in the swarm")
	}
	announce(t, a, u, id(1), transport.EventStopped)
	if n := a.LivePeerConns(); n != 0 {
		t.Fatalf("%d offers left after stopped", n)
	}
	if len(tr.Peers(hash)) != 0 {
		t.Fatal("still in the swarm after stopped")
	}
	cancel()
	cancel()
	eventually(t, "the idle socket to close", func() bool { return a.Sockets() == 0 })
	// A later announce opens a new socket.
	announce(t, a, u, id(1), transport.EventStarted)
	if len(tr.Peers(hash)) != 1 {
		t.Fatal("not back in the swarm")
	}
}

func TestCloseClosesEverything(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{})
	a, b := webrtc.New(testConfig()), webrtc.New(testConfig())
	defer b.Close()
	gotA, gotB := make(chan peer.Peer, 10), make(chan peer.Peer, 10)
	a.Subscribe(u, hash, func(p peer.Peer) { gotA <- p })
	b.Subscribe(u, hash, func(p peer.Peer) { gotB <- p })
	announce(t, a, u, id(1), transport.EventStarted)
	announce(t, b, u, id(2), transport.EventStarted)
	pa, pb := waitPeer(t, gotA), waitPeer(t, gotB)
	defer pb.Conn.Close()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if n := a.LivePeerConns(); n != 0 {
		t.Fatalf("%d peer connections after Close", n)
	}
	if _, err := pa.Conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("read on a closed transport's channel succeeded")
	}
	if _, err := pb.Conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("remote end still open")
	}
	if _, err := a.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: hash}); !errors.Is(err, webrtc.ErrClosed) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("announce after Close: %v", err)
	}
}

func TestTrackerFailures(t *testing.T) {
	tests := []struct {
		name   string
		faults mocktracker.WSFaults
	}{
		{"with action", mocktracker.WSFaults{FailureReason: "torrent not allowed"}},
		{"without action", mocktracker.WSFaults{FailureReason: "torrent not allowed", FailureNoAction: true}},
		{"after garbage", mocktracker.WSFaults{FailureReason: "torrent not allowed", Garbage: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, u := startTracker(t, mocktracker.Config{})
			tr.SetWSFaults(tt.faults)
			a := webrtc.New(testConfig())
			defer a.Close()
			defer a.Subscribe(u, hash, func(p peer.Peer) { p.Conn.Close() })()
			_, err := a.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: hash, PeerID: id(1), NumWant: -1})
			var fe *transport.FailureError
			if !errors.Is(err, transport.ErrTrackerFailure) || !errors.As(err, &fe) || fe.Reason != "torrent not allowed" {
				t.Fatalf("announce: %v", err)
			}
			if n := a.LivePeerConns(); n != 0 {
				t.Fatalf("%d offers left after a failure", n)
			}
			_, err = a.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{hash}})
			if !errors.Is(err, transport.ErrTrackerFailure) {
				t.Fatalf("scrape: %v", err)
			}
		})
	}
}

func TestGarbageIsIgnored(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	tr.SetWSFaults(mocktracker.WSFaults{Garbage: true})
	a := webrtc.New(testConfig())
	defer a.Close()
	res := announce(t, a, u, id(1), transport.EventStarted)
	if res.Incomplete != 1 {
		t.Fatalf("reply %+v", res)
	}
}

func TestScrape(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	tr.AddPeer(hash, id(9), netipZero, 0) // a seeder from another protocol
	a := webrtc.New(testConfig())
	defer a.Close()
	announce(t, a, u, id(1), transport.EventStarted)
	other := transport.InfoHash{1}
	res, err := a.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{hash, other}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Files[hash]; got != (transport.ScrapeStats{Complete: 1, Incomplete: 1, Downloaded: 0}) {
		t.Fatalf("stats %+v", got)
	}
	if _, ok := res.Files[other]; ok {
		t.Fatal("unknown torrent in the reply")
	}
}

func TestDropAfterMessages(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	tr.SetWSFaults(mocktracker.WSFaults{DropAfter: 2})
	a := webrtc.New(testConfig())
	defer a.Close()
	for i := range 5 { // every second message drops the socket
		ev := transport.EventNone
		if i == 0 {
			ev = transport.EventStarted
		}
		announce(t, a, u, id(1), ev)
	}
}

func TestBadURLsAndDialErrors(t *testing.T) {
	cfg := testConfig()
	down := untilLogged(t, &cfg, "webrtc: tracker socket") // each dial failure is logged
	a := webrtc.New(cfg)
	defer a.Close()
	for _, raw := range []string{"http://127.0.0.1:1/announce", "udp://127.0.0.1:1", "ws:///nohost"} {
		u, _ := url.Parse(raw)
		if _, err := a.Announce(context.Background(), u, &transport.AnnounceRequest{}); !errors.Is(err, transport.ErrUnsupported) {
			t.Errorf("%s: %v", raw, err)
		}
	}
	// Nothing listens on port 1: the announce waits for its timeout and
	// says why, without the passkey.
	u, _ := url.Parse("ws://127.0.0.1:1/s3cretpath/announce?passkey=s3cret")
	_, err := a.Announce(down, u, &transport.AnnounceRequest{InfoHash: hash})
	if !errors.Is(err, transport.ErrTimeout) || !strings.Contains(err.Error(), "socket down") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error leaks the URL: %v", err)
	}

	// A tracker that refuses the handshake: the HTTP status is kept.
	tr, tu := startTracker(t, mocktracker.Config{})
	tr.SetWSFaults(mocktracker.WSFaults{Refuse: true})
	cfg = testConfig()
	refusedCtx := untilLogged(t, &cfg, "webrtc: tracker socket")
	refused := webrtc.New(cfg)
	defer refused.Close()
	_, err = refused.Announce(refusedCtx, tu, &transport.AnnounceRequest{InfoHash: hash})
	var se *transport.StatusError
	if !errors.As(err, &se) || se.Code != 503 || !errors.Is(err, transport.ErrTemporary) {
		t.Fatalf("err = %v", err)
	}

	// 410 Gone is permanent: the announce fails at once, without waiting
	// for its timeout (which would have been an ErrTimeout, not the status).
	tr.SetWSFaults(mocktracker.WSFaults{Refuse: true, RefuseStatus: 410})
	gone, _ := url.Parse(tu.String() + "/gone")
	_, err = a.Announce(context.Background(), gone, &transport.AnnounceRequest{InfoHash: hash})
	if !transport.IsPermanent(err) || !errors.As(err, &se) || se.Code != 410 || errors.Is(err, transport.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

var netipZero = netip.AddrPort{}

func TestNoSubscriberDoesNotAnswer(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{})
	a, gotA := subscribed(t, u)
	b := webrtc.New(testConfig())
	defer b.Close()
	announce(t, b, u, id(2), transport.EventStarted) // b wants no peers
	announce(t, a, u, id(1), transport.EventStarted) // a's offers reach b
	eventually(t, "b to handle a's relayed offer", func() bool { return b.RelayedOffersRefused()+b.RelayedOffersAnswered() > 0 })
	if n := b.RelayedOffersAnswered(); n != 0 {
		t.Fatalf("b answered %d relayed offers without a subscriber", n)
	}
	if n := b.LivePeerConns(); n != 0 {
		t.Fatalf("b made %d peer connections without a subscriber", n)
	}
	select {
	case p := <-gotA:
		t.Fatalf("a met %v", p)
	default:
	}
}

func TestMessageTooLarge(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{})
	cfg := testConfig()
	cfg.MaxMessageBytes = 40 // smaller than any announce reply
	dropped := untilLogged(t, &cfg, "webrtc: tracker socket dropped")
	a := webrtc.New(cfg)
	defer a.Close()
	_, err := a.Announce(dropped, u, &transport.AnnounceRequest{InfoHash: hash, PeerID: id(1)})
	if !errors.Is(err, transport.ErrTimeout) || !errors.Is(err, transport.ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

func TestOneSocketManyTorrents(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	const n = 20
	for i := range n {
		h := transport.InfoHash{byte(i)}
		for j := range i { // torrent i has i seeders
			tr.AddPeer(h, id(byte(100+j)), netip.MustParseAddrPort("127.0.0.1:6881"), 0)
		}
	}
	a := webrtc.New(testConfig())
	defer a.Close()
	errs := make(chan error, n)
	for i := range n {
		go func() {
			res, err := a.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: transport.InfoHash{byte(i)}, PeerID: id(1), Left: 1})
			if err == nil && res.Complete != i {
				err = fmt.Errorf("torrent %d: %d seeders in its reply", i, res.Complete)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if s := a.Sockets(); s != 1 {
		t.Fatalf("%d sockets for one tracker", s)
	}
}

func TestWSS(t *testing.T) {
	tr := mocktracker.New(mocktracker.Config{})
	defer tr.Close()
	srv := httptest.NewUnstartedServer(tr.WSHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	u, _ := url.Parse("wss://" + srv.Listener.Addr().String())

	// The certificate is checked: unknown to the default client, it fails.
	plainCfg := testConfig()
	refused := untilLogged(t, &plainCfg, "webrtc: tracker socket") // the failed handshake is logged
	plain := webrtc.New(plainCfg)
	defer plain.Close()
	_, err := plain.Announce(refused, u, &transport.AnnounceRequest{InfoHash: hash, PeerID: id(1)})
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) {
		t.Fatalf("untrusted certificate: %v", err)
	}

	cfg := testConfig()
	cfg.DialOptions = &websocket.DialOptions{HTTPClient: srv.Client()} // trusts the test certificate
	trusting := webrtc.New(cfg)
	defer trusting.Close()
	announce(t, trusting, u, id(1), transport.EventStarted)
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogsAreRedacted(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	secret, _ := url.Parse(u.String() + "/s3cretkey/announce?passkey=s3cret")
	var logs syncBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := webrtc.New(cfg)
	defer a.Subscribe(secret, hash, func(p peer.Peer) { p.Conn.Close() })()
	announce(t, a, secret, id(1), transport.EventStarted)
	tr.SetWSFaults(mocktracker.WSFaults{Refuse: true, Garbage: true})
	tr.DropWSSockets()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := a.Announce(ctx, secret, &transport.AnnounceRequest{InfoHash: hash, PeerID: id(1)})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
	a.Close()
	out := logs.String()
	if !strings.Contains(out, "REDACTED") || strings.Contains(out, "s3cret") {
		t.Fatalf("logs:\n%s", out)
	}
}

func TestMaxPendingConns(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{})
	cfg := testConfig()
	cfg.MaxPendingConns = 7
	a := webrtc.New(cfg)
	defer a.Close()
	// Three torrents want 5 offers each, one after the other: the first
	// gets 5, the second 3 (a share of 7/2, one taken from the first), the
	// third 2 (7/3), each announce saying how many it carried.
	for i, want := range []int{5, 3, 2} {
		h := transport.InfoHash{byte(i)}
		defer a.Subscribe(u, h, func(p peer.Peer) { p.Conn.Close() })()
		res, err := a.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: h, PeerID: id(1), NumWant: -1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Offers != want || res.OffersWanted != webrtc.DefaultNumOffers {
			t.Fatalf("torrent %d: %d of %d offers, want %d of %d", i, res.Offers, res.OffersWanted, want, webrtc.DefaultNumOffers)
		}
	}
	// Offers that gave way close on their own goroutine.
	eventually(t, "the cap of 7 pending connections", func() bool { return a.LivePeerConns() == 7 })
}

func TestCloseDuringAnnounces(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{})
	for range 5 {
		a := webrtc.New(testConfig())
		var wg sync.WaitGroup
		for i := range 4 {
			h := transport.InfoHash{byte(i)}
			a.Subscribe(u, h, func(p peer.Peer) { p.Conn.Close() })
			wg.Go(func() {
				_, _ = a.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: h, PeerID: id(byte(i)), NumWant: -1})
			})
		}
		a.Close()
		wg.Wait()
		if n := a.LivePeerConns(); n != 0 {
			t.Fatalf("%d peer connections after Close", n)
		}
	}
}
