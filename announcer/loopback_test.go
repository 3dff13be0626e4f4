package announcer

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Real sockets on loopback: the default transports against the mock
// tracker's front ends. Real time, so each test waits for events, never for
// a schedule.

// patience bounds the waits of these real-socket tests for what must happen,
// and their Stop deadlines (Config.StopTimeout): only a failing test reaches
// it, so it is generous enough for a loaded machine.
const patience = 2 * time.Minute

// waitFor reads events until match returns true or patience passes.
func waitFor(t *testing.T, s *Session, match func(Event) bool) Event {
	t.Helper()
	timeout := time.After(patience)
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatal("timed out waiting for an event")
		}
	}
}

func isUpdate(want transport.Event) func(Event) bool {
	return func(ev Event) bool { u, ok := ev.(UpdateEvent); return ok && u.Event == want }
}

func loopbackTracker(t *testing.T) *mocktracker.Tracker {
	mt := mocktracker.New(mocktracker.Config{})
	t.Cleanup(func() { mt.Close() })
	return mt
}

// The default HTTP and UDP transports over real loopback sockets, UDP over
// IPv4 and IPv6: started, the swarm's other peer, a scrape, stopped.
func TestLoopback(t *testing.T) {
	tests := []struct {
		name     string
		listen   func(*mocktracker.Tracker, string) (string, error)
		addr     string // the tracker's
		query    string // added to its announce URL
		other    string // the swarm's other peer
		left     int64
		protocol string
	}{
		{"http", (*mocktracker.Tracker).ListenHTTP, "127.0.0.1:0", "?passkey=s3cret", "127.0.0.1:7001", 100, ProtocolHTTP},
		{"udp/127.0.0.1:0", (*mocktracker.Tracker).ListenUDP, "127.0.0.1:0", "", "127.0.0.1:7002", 1, ProtocolUDP},
		{"udp/[::1]:0", (*mocktracker.Tracker).ListenUDP, "[::1]:0", "", "[::1]:7002", 1, ProtocolUDP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := loopbackTracker(t)
			announce, err := tt.listen(mt, tt.addr)
			if err != nil && tt.addr[0] == '[' {
				t.Skipf("no loopback for %s: %v", tt.addr, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			other := netip.MustParseAddrPort(tt.other)
			mt.AddPeer(testHash, peer.ID{7}, other, 0)
			c := newClient(t, Config{StopTimeout: patience})
			s, err := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{announce + tt.query}}},
				SessionOptions{Stats: func() Stats { return Stats{Left: tt.left} }})
			if err != nil {
				t.Fatal(err)
			}
			s.Start(context.Background())
			up := waitFor(t, s, isUpdate(transport.EventStarted)).(UpdateEvent)
			if up.Complete != 1 || up.Incomplete != 1 || up.Peers != 1 {
				t.Fatalf("update %+v", up)
			}
			pe := waitFor(t, s, func(ev Event) bool { _, ok := ev.(PeerEvent); return ok }).(PeerEvent)
			if len(pe.Peers) != 1 || pe.Peers[0].Addr != other || pe.Protocol != tt.protocol {
				t.Fatalf("peer %+v", pe)
			}
			if err := s.Scrape(context.Background()); err != nil {
				t.Fatal(err)
			}
			sc := waitFor(t, s, func(ev Event) bool { _, ok := ev.(ScrapeEvent); return ok }).(ScrapeEvent)
			if sc.Stats.Complete != 1 || sc.Stats.Incomplete != 1 {
				t.Fatalf("scrape %+v", sc)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, s, isUpdate(transport.EventStopped))
			if n := len(mt.Peers(testHash)); n != 1 {
				t.Fatalf("%d peers in the swarm after stopped, want the other one", n)
			}
		})
	}
}

func TestLoopbackHTTPGiveUp(t *testing.T) {
	tests := []struct {
		name   string
		faults mocktracker.HTTPFaults
	}{
		{"410", mocktracker.HTTPFaults{Status: 410}},
		{"retry never", mocktracker.HTTPFaults{FailureReason: "banned", RetryIn: "never"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := loopbackTracker(t)
			announce, err := mt.ListenHTTP("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			mt.SetHTTPFaults(tt.faults)
			c, _ := NewClient(Config{StopTimeout: patience})
			defer c.Close()
			s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{announce}}}, SessionOptions{})
			s.Start(context.Background())
			ev := waitFor(t, s, func(ev Event) bool { _, ok := ev.(ErrorEvent); return ok }).(ErrorEvent)
			if !ev.GaveUp || !errors.Is(ev.Err, transport.ErrPermanent) {
				t.Fatalf("error event %+v", ev)
			}
			s.Stop(context.Background())
			if n := mt.HTTPRequests(); n != 1 {
				t.Fatalf("%d requests: stopped sent to a tracker that never acknowledged started", n)
			}
		})
	}
}

// TestThousandSessionsHostile (issue 12, "keep what passes"): 1,000
// Sessions on one Client against hostile trackers on loopback (garbage
// HTTP replies, an HTTP tracker that never answers, a UDP tracker that
// answers with wrong transaction IDs, a WebSocket tracker that sends
// garbage frames and never answers), then Stop and Close: every goroutine
// ends (back to the baseline; goleak in TestMain checks the rest).
func TestThousandSessionsHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 sessions")
	}
	garbage, hung, udp, ws := loopbackTracker(t), loopbackTracker(t), loopbackTracker(t), loopbackTracker(t)
	garbage.SetHTTPFaults(mocktracker.HTTPFaults{GarbageBody: true})
	hung.SetHTTPFaults(mocktracker.HTTPFaults{Delay: time.Hour})
	udp.SetUDPFaults(mocktracker.UDPFaults{WrongTxID: true})
	ws.SetWSFaults(mocktracker.WSFaults{Garbage: true, Silent: true})
	var urls []string
	for _, f := range []func() (string, error){
		func() (string, error) { return garbage.ListenHTTP("127.0.0.1:0") },
		func() (string, error) { return hung.ListenHTTP("127.0.0.1:0") },
		func() (string, error) { return udp.ListenUDP("127.0.0.1:0") },
		func() (string, error) { return ws.ListenWS("127.0.0.1:0") },
	} {
		u, err := f()
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u+"?passkey=s3cret")
	}
	baseline := runtime.NumGoroutine()
	c, err := NewClient(Config{StopTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	sessions := make([]*Session, n)
	var failed, drained sync.WaitGroup
	failed.Add(n)
	drained.Add(n)
	for i := range sessions {
		h := transport.InfoHash{byte(i >> 8), byte(i), 0xbd}
		s, err := c.NewSession(Torrent{InfoHash: h, Tiers: [][]string{urls}}, SessionOptions{TierMode: TiersAll})
		if err != nil {
			t.Fatal(err)
		}
		sessions[i] = s
		go func() {
			defer drained.Done()
			once := sync.OnceFunc(failed.Done)
			for ev := range s.Events() {
				if e, ok := ev.(ErrorEvent); ok && e.Tracker == transport.RedactString(urls[0]) {
					once() // the garbage tracker's reply was refused
				}
			}
			once()
		}()
		s.Start(context.Background())
	}
	done := make(chan struct{})
	go func() { failed.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("not every session saw the garbage tracker fail")
	}
	var stops sync.WaitGroup
	for _, s := range sessions {
		stops.Go(func() {
			s.Stop(context.Background()) // nothing to tell: no tracker acknowledged started
			s.Close()
		})
	}
	stops.Wait()
	drained.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The trackers' per-connection goroutines end as the client's
	// connections close; nothing of trackerkit's may remain.
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The real UDP transport and the mock tracker's UDP front end over an
// in-memory network (udpTrackers), in a synctest bubble: BEP 15
// retransmits take no real time.

// A lost announce is retransmitted after BEP 15's 15 s; the pending started
// goes through.
func TestMemnetUDPRetransmit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mts, urls, c := udpTrackers(t, 1, Config{})
		mts[0].SetUDPFaults(mocktracker.UDPFaults{DropFirst: 1, DropActions: []uint32{1}})
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{urls[0]}}}, SessionOptions{})
		col := collect(s)
		t0 := time.Now()
		s.Start(context.Background())
		time.Sleep(time.Minute)
		st := s.Trackers()[0]
		if st.State != StateOK || st.LastAnnounce.Sub(t0) != 15*time.Second || !st.Started {
			t.Fatalf("status %+v after %v", st, st.LastAnnounce.Sub(t0))
		}
		s.Stop(context.Background())
		<-col.done
		if n := len(ofType[ErrorEvent](col.all())); n != 0 {
			t.Fatalf("%d error events for a retransmitted announce", n)
		}
	})
}

// Stop with a UDP tracker that went silent returns by the stop timeout.
func TestMemnetUDPStopDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mts, urls, c := udpTrackers(t, 1, Config{})
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{urls[0]}}}, SessionOptions{})
		s.Start(context.Background())
		synctest.Wait()
		mts[0].SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
		t0 := time.Now()
		err := s.Stop(context.Background())
		if d := time.Since(t0); d != DefaultStopTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop: %v after %v", err, d)
		}
	})
}

// On a host without IPv6, an IPv6 tracker is skipped, not failing, and the
// IPv4 one of the tier is used.
func TestMemnetUDPSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		n.DisableIPv6()
		_, urls, c := udpTrackersOn(t, n, 1, Config{})
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{"udp://[::1]:6969/announce", urls[0]}}},
			SessionOptions{KeepOrder: true})
		col := collect(s)
		s.Start(context.Background())
		synctest.Wait()
		st := s.Trackers()
		if st[0].State != StateSkipped || st[0].Failures != 0 || st[1].State != StateOK {
			t.Fatalf("states %v %v, failures %d", st[0].State, st[1].State, st[0].Failures)
		}
		s.Close()
		<-col.done
		errs := ofType[ErrorEvent](col.all())
		if len(errs) != 1 || errs[0].Failures != 0 || !errors.Is(errs[0].Err, transport.ErrSkipped) {
			t.Fatalf("error events %+v", errs)
		}
	})
}
