package udp

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// memEnv is a mock tracker and a Transport on one in-memory network; make it
// inside a synctest bubble.
type memEnv struct {
	net     *memnet.Network
	tracker *mocktracker.Tracker
	tr      *Transport
	url     *url.URL // the tracker's IPv4 announce URL
	start   time.Time
}

func newMemEnv(t *testing.T, cfg Config, family string) *memEnv {
	t.Helper()
	e := &memEnv{net: memnet.New(), start: time.Now()}
	e.tracker = mocktracker.New(mocktracker.Config{Interval: 30 * time.Minute, MaxNumWant: 1000})
	t.Cleanup(func() { e.tracker.Close() })
	addr := "127.0.0.1:0"
	if family == "udp6" {
		addr = "[::1]:0"
	}
	pc, err := e.net.ListenPacket(family, addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.tracker.ServeUDP(pc); err != nil {
		t.Fatal(err)
	}
	e.url = mustURL(t, "udp://"+pc.LocalAddr().String()+"/announce")
	if cfg.ListenPacket == nil {
		cfg.ListenPacket = e.net.ListenPacket
	}
	e.tr = New(cfg)
	t.Cleanup(func() { e.tr.Close() })
	return e
}

// mustAnnounce announces req to the tracker and fails the test on an error.
func (e *memEnv) mustAnnounce(t *testing.T, req *transport.AnnounceRequest) {
	t.Helper()
	if _, err := e.tr.Announce(context.Background(), e.url, req); err != nil {
		t.Fatal(err)
	}
}

// since returns the virtual time elapsed since the environment was made.
func (e *memEnv) since(at time.Time) time.Duration { return at.Sub(e.start) }

// times returns when the tracker received requests of action (dropped ones
// included), relative to the start.
func (e *memEnv) times(action uint32) []time.Duration {
	var out []time.Duration
	for _, p := range e.tracker.UDPPackets() {
		if p.Action == action {
			out = append(out, e.since(p.Time))
		}
	}
	return out
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testRequest(b byte) *transport.AnnounceRequest {
	r := &transport.AnnounceRequest{Port: 6881, Left: 100, NumWant: transport.NumWantDefault, Key: 0xdeadbeef, Event: transport.EventStarted}
	r.InfoHash[0], r.PeerID[0] = 0xaa, b
	return r
}

func addPeers(tr *mocktracker.Tracker, h transport.InfoHash, n int, v6 bool) {
	for i := range n {
		var id peer.ID
		id[0], id[1], id[2] = 0xee, byte(i>>8), byte(i)
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		if v6 {
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)})
		}
		tr.AddPeer(h, id, netip.AddrPortFrom(a, uint16(1000+i)), 1)
	}
}

// durations builds a schedule of cumulative offsets from waits in seconds.
func cumulative(waits ...int) []time.Duration {
	var out []time.Duration
	var at time.Duration
	for _, w := range waits {
		at += time.Duration(w) * time.Second
		out = append(out, at)
	}
	return out
}

// loopback returns a real-socket mock tracker URL on addr, or skips.
func loopback(t *testing.T, tr *mocktracker.Tracker, addr string) *url.URL {
	t.Helper()
	s, err := tr.ListenUDP(addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	return mustURL(t, s)
}

// patience bounds the real-socket tests' waits for a reply: only a failing
// test reaches it, so it is generous enough for a loaded machine.
const patience = 2 * time.Minute

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

type netipAddr = netip.Addr

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// checkErr fails t when err does not match want (errors.Is), or when want
// is nil and err is not. It reports whether want was an error, so that a
// table case returns there and the rest of it checks a reply.
func checkErr(t *testing.T, err, want error) (wantedErr bool) {
	t.Helper()
	if want != nil {
		if !errors.Is(err, want) {
			t.Fatalf("err = %v, want %v", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}
