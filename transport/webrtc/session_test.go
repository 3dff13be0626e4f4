package webrtc_test

// This external test package imports announcer to check the whole path a
// user takes (Client, Session, PeerEvent); the webrtc package itself does
// not import it.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// startSession starts a Client (its own peer ID and WebRTC Transport) and a
// Session on the tracker at u, and returns the first WebRTC PeerEvent.
func startSession(t *testing.T, u string, pid peer.ID) (*announcer.Session, <-chan announcer.PeerEvent) {
	t.Helper()
	tr := webrtc.New(testConfig())
	t.Cleanup(func() { tr.Close() })
	c, err := announcer.NewClient(announcer.Config{PeerID: pid, StopTimeout: patience, Transports: map[string]transport.Transport{"ws": tr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := startLeecher(t, c, hash, u, 100)
	peers := make(chan announcer.PeerEvent, 10)
	go func() {
		for ev := range s.Events() {
			if pe, ok := ev.(announcer.PeerEvent); ok && pe.Protocol == announcer.ProtocolWebRTC {
				peers <- pe
			}
		}
	}()
	return s, peers
}

// startLeecher starts a Session of c for torrent h on the tracker at u,
// with left bytes still to download.
func startLeecher(tb testing.TB, c *announcer.Client, h transport.InfoHash, u string, left int64) *announcer.Session {
	tb.Helper()
	s, err := c.NewSession(announcer.Torrent{InfoHash: h, Tiers: [][]string{{u}}},
		announcer.SessionOptions{Stats: func() announcer.Stats { return announcer.Stats{Left: left} }})
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestSessionsMeet(t *testing.T) {
	tr, u := startTracker(t, mocktracker.Config{})
	sa, pa := startSession(t, u.String(), id(1))
	sb, pb := startSession(t, u.String(), id(50))
	var ea, eb announcer.PeerEvent
	for i, ch := range []<-chan announcer.PeerEvent{pa, pb} {
		select {
		case e := <-ch:
			if i == 0 {
				ea = e
			} else {
				eb = e
			}
		case <-time.After(patience):
			t.Fatal("no PeerEvent")
		}
	}
	defer ea.Peers[0].Conn.Close()
	defer eb.Peers[0].Conn.Close()
	if ea.Peers[0].ID != id(50) || eb.Peers[0].ID != id(1) {
		t.Fatalf("ids %v %v", ea.Peers[0].ID, eb.Peers[0].ID)
	}
	exchange(t, ea.Peers[0].Conn, eb.Peers[0].Conn, []byte("from a's session"))
	exchange(t, eb.Peers[0].Conn, ea.Peers[0].Conn, []byte("from b's session"))

	// The tracker drops both sockets: the transports re-announce both
	// torrents, with offers, and the sessions meet again.
	tr.DropWSSockets()
	eventually(t, "both sessions back in the swarm", func() bool { return len(tr.Peers(hash)) == 2 })
	for _, ch := range []<-chan announcer.PeerEvent{pa, pb} {
		select {
		case e := <-ch:
			defer e.Peers[0].Conn.Close()
		case <-time.After(patience):
			t.Fatal("no PeerEvent after the reconnect")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := sa.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sb.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tr.Peers(hash); len(got) != 0 {
		t.Fatalf("swarm after both sessions stopped: %v", got)
	}
}

// TestScaleTwoClientsMeet is issue 18's meeting at scale: two announcer
// Clients, each with a WebRTC Transport in its default configuration apart
// from LoopbackOnly, share 50 torrents on one WebSocket tracker. Both start
// their 50 Sessions at once, so for each torrent either Client may announce
// first: the first one's offers go to nobody (the swarm is empty, and a
// WebTorrent tracker relays offers only as an announce brings them), and
// the torrent meets only if the second one's announce carries an offer.
// Answers to the relayed offers hold slots of the second Client's budget
// too, so that announce used to find the budget full while every torrent
// held no more than its share, and carry none: in 1 run of 5 to 10, 1 to 3
// torrents then met only at the next interval (the fix:
// TestOfferManagerFirstOfferWhileAnswersHoldSlots). At least 45 torrents
// must open a data channel that carries bytes both ways. Nothing is
// asserted against the wall clock: the wait is bounded by scaleWait only;
// once 45 have met, the others get as long again (at least a second)
// before the wait ends, only for the logged figure and the list of
// torrents that did not meet. The time the 45th torrent took is logged,
// and docs/performance.md records it (the goal is under 20 s).
func TestScaleTwoClientsMeet(t *testing.T) {
	if testing.Short() {
		t.Skip("100 sessions and their PeerConnections")
	}
	const torrents, enough = 50, 45
	_, u := startTracker(t, mocktracker.Config{})
	hashes := make([]transport.InfoHash, torrents)
	for i := range hashes {
		hashes[i] = transport.InfoHash{0x18, byte(i), 0xfe}
	}
	start := time.Now()
	a := startScaleClient(t, u.String(), id(3), hashes)
	b := startScaleClient(t, u.String(), id(160), hashes)

	// wait ends every torrent's wait for its data channels: cancelled once
	// the outcome is decided, or after scaleWait.
	wait, stop := context.WithTimeout(context.Background(), scaleWait)
	defer stop()
	type meeting struct {
		i   int
		at  time.Duration
		err error
	}
	met := make(chan meeting, torrents)
	for i := range torrents {
		go func() {
			pa, okA := a.first(wait, i)
			pb, okB := b.first(wait, i)
			if !okA || !okB {
				if pa != nil {
					pa.Close()
				}
				met <- meeting{i: i, err: fmt.Errorf("no data channel (a: %v, b: %v)", okA, okB)}
				return
			}
			defer pa.Close()
			defer pb.Close()
			err := bothWays(pa, pb, []byte(fmt.Sprintf("torrent %d from a", i)), []byte(fmt.Sprintf("torrent %d from b", i)))
			met <- meeting{i: i, at: time.Since(start), err: err}
		}()
	}
	var times []time.Duration
	var failed []string
	var grace <-chan time.Time // set once enough have met
	for reported := 0; reported < torrents; reported++ {
		var m meeting
		select {
		case m = <-met:
		case <-grace:
			stop() // the others report at once now
			grace = nil
			m = <-met
		}
		if m.err != nil {
			failed = append(failed, fmt.Sprintf("torrent %d: %v", m.i, m.err))
			continue
		}
		times = append(times, m.at)
		if len(times) == enough {
			t.Logf("%d of %d torrents carried bytes both ways after %v", enough, torrents, m.at.Round(time.Millisecond))
			if reported+1 < torrents {
				grace = time.After(max(m.at, time.Second))
			}
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if len(times) > 0 {
		t.Logf("met: %d of %d; first %v, last %v", len(times), torrents,
			times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		t.Logf("did not meet:\n%v", failed)
	}
	if len(times) < enough {
		t.Fatalf("only %d of %d torrents met", len(times), torrents)
	}
}

// scaleWait bounds the wait for the torrents' data channels.
var scaleWait = func() time.Duration {
	if os.Getenv("SCALE_DEBUG") != "" {
		return 10 * time.Second
	}
	return patience
}()

// scaleClient is one announcer Client with a Session for each torrent, and
// the first WebRTC data channel each Session found.
type scaleClient struct {
	conns []chan io.ReadWriteCloser // by torrent, buffered 1
}

func startScaleClient(t *testing.T, u string, pid peer.ID, hashes []transport.InfoHash) *scaleClient {
	t.Helper()
	cfg := webrtc.Config{LoopbackOnly: true}
	if os.Getenv("SCALE_DEBUG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	w := webrtc.New(cfg)
	c, err := announcer.NewClient(announcer.Config{PeerID: pid, Transports: map[string]transport.Transport{"ws": w}})
	if err != nil {
		t.Fatal(err)
	}
	sc := &scaleClient{conns: make([]chan io.ReadWriteCloser, len(hashes))}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		c.Close()
		w.Close()
		wg.Wait()
		for _, ch := range sc.conns { // channels that came after their wait ended
			select {
			case conn := <-ch:
				conn.Close()
			default:
			}
		}
	})
	for i, h := range hashes {
		sc.conns[i] = make(chan io.ReadWriteCloser, 1)
		s := startLeecher(t, c, h, u, 100)
		wg.Go(func() {
			for ev := range s.Events() {
				if ue, ok := ev.(announcer.UpdateEvent); ok && os.Getenv("SCALE_DEBUG") != "" {
					fmt.Fprintf(os.Stderr, "SCALE %x torrent %d: offers %d of %d, swarm %d\n", pid[:2], i, ue.Offers, ue.OffersWanted, ue.Complete+ue.Incomplete)
				}
				pe, ok := ev.(announcer.PeerEvent)
				if !ok || pe.Protocol != announcer.ProtocolWebRTC {
					continue
				}
				for _, p := range pe.Peers {
					select {
					case sc.conns[i] <- p.Conn:
					default:
						p.Conn.Close() // one channel per torrent is enough here
					}
				}
			}
		})
	}
	return sc
}

// first returns torrent i's first data channel, waiting until ctx ends.
func (sc *scaleClient) first(ctx context.Context, i int) (io.ReadWriteCloser, bool) {
	select {
	case c := <-sc.conns[i]:
		return c, true
	case <-ctx.Done():
		return nil, false
	}
}

// bothWays sends fromA over a and reads it on b, and fromB the other way,
// at the same time.
func bothWays(a, b io.ReadWriter, fromA, fromB []byte) error {
	errs := make(chan error, 4)
	send := func(w io.Writer, p []byte) {
		_, err := w.Write(p)
		errs <- err
	}
	recv := func(r io.Reader, want []byte) {
		got := make([]byte, len(want))
		_, err := io.ReadFull(r, got)
		if err == nil && !bytes.Equal(got, want) {
			err = fmt.Errorf("read %q, want %q", got, want)
		}
		errs <- err
	}
	go send(a, fromA)
	go recv(b, fromA)
	go send(b, fromB)
	go recv(a, fromB)
	var first error
	for range 4 {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
