package webrtc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// testConfig is fast and stays on loopback.
func testConfig() webrtc.Config {
	return webrtc.Config{
		LoopbackOnly:    true,
		OfferTimeout:    patience,
		ReconnectMin:    20 * time.Millisecond,
		ReconnectMax:    200 * time.Millisecond,
		ReconnectJitter: -1,
		AnnounceTimeout: patience,
	}
}

func startTracker(t *testing.T, cfg mocktracker.Config) (*mocktracker.Tracker, *url.URL) {
	t.Helper()
	tr := mocktracker.New(cfg)
	t.Cleanup(func() { tr.Close() })
	raw, err := tr.ListenWS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tr, u
}

func id(b byte) peer.ID {
	var p peer.ID
	for i := range p {
		p[i] = b + byte(i)*13 // bytes above 0x7f too: latin-1 on the wire
	}
	return p
}

var hash = transport.InfoHash{0xde, 0xad, 0xbe, 0xef, 0x80, 0xff, 0x00, 0x01}

func announce(t *testing.T, tr *webrtc.Transport, u *url.URL, pid peer.ID, ev transport.Event) *transport.AnnounceResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	res, err := tr.Announce(ctx, u, &transport.AnnounceRequest{InfoHash: hash, PeerID: pid, Left: 100, Event: ev, NumWant: transport.NumWantDefault})
	if err != nil {
		t.Fatalf("announce: %v", err)
	}
	return res
}

// subscribed returns a new Transport subscribed to hash on the tracker at
// u, and the peers it meets; both end with the test.
func subscribed(t *testing.T, u *url.URL) (*webrtc.Transport, <-chan peer.Peer) {
	t.Helper()
	tr := webrtc.New(testConfig())
	t.Cleanup(func() { tr.Close() })
	got := make(chan peer.Peer, 10)
	t.Cleanup(tr.Subscribe(u, hash, func(p peer.Peer) { got <- p }))
	return tr, got
}

func waitPeer(t *testing.T, ch <-chan peer.Peer) peer.Peer {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(patience):
		t.Fatal("no peer")
		return peer.Peer{}
	}
}

// exchange writes want on w and reads it back from r.
func exchange(t *testing.T, w io.Writer, r io.Reader, want []byte) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := w.Write(want)
		errc <- err
	}()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes differ")
	}
}

func TestTwoTransportsMeet(t *testing.T) {
	_, u := startTracker(t, mocktracker.Config{Interval: 2 * time.Minute})
	a, gotA := subscribed(t, u)
	b, gotB := subscribed(t, u)
	idA, idB := id(1), id(200)

	res := announce(t, a, u, idA, transport.EventStarted)
	if res.Interval != 2*time.Minute || res.Complete != 0 || res.Incomplete != 1 {
		t.Fatalf("first reply %+v", res)
	}
	res = announce(t, b, u, idB, transport.EventStarted)
	if res.Incomplete != 2 {
		t.Fatalf("second reply %+v", res)
	}
	pa, pb := waitPeer(t, gotA), waitPeer(t, gotB)
	defer pa.Conn.Close()
	defer pb.Conn.Close()
	if pa.ID != idB || pb.ID != idA {
		t.Fatalf("peer ids: a got %v, b got %v", pa.ID, pb.ID)
	}
	exchange(t, pa.Conn, pb.Conn, []byte("hello from a"))
	exchange(t, pb.Conn, pa.Conn, []byte("hello from b"))
	big := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB: many messages, blocking writes
	exchange(t, pb.Conn, pa.Conn, big)
	exchange(t, pa.Conn, pb.Conn, big)

	// Deadlines work as on a net.Conn.
	dl, ok := pa.Conn.(interface{ SetReadDeadline(time.Time) error })
	if !ok {
		t.Fatal("Conn has no SetReadDeadline")
	}
	dl.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var ne net.Error
	if _, err := pa.Conn.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v", err)
	}
	dl.SetReadDeadline(time.Time{})
	exchange(t, pb.Conn, pa.Conn, []byte("still open"))
}
