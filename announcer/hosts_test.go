package announcer

import (
	"context"
	"net"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// MaxConcurrentAnnounces bounds requests across trackers.
func TestGlobalLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{MaxConcurrentAnnounces: 1})
		for _, h := range []string{"a.test", "b.test", "c.test"} {
			e.fake.setFaults(h, fault{delay: time.Second})
		}
		t0 := time.Now()
		s := e.session([][]string{{"http://a.test/announce"}, {"http://b.test/announce"}, {"http://c.test/announce"}}, SessionOptions{})
		if s.InfoHash() != testHash || e.c.Config().MaxConcurrentAnnounces != 1 {
			t.Fatal("accessors")
		}
		s.Start(context.Background())
		time.Sleep(5 * time.Second)
		for _, st := range s.Trackers() {
			if st.State != StateOK {
				t.Fatalf("state %v", st.State)
			}
		}
		var ends []time.Duration
		for _, st := range s.Trackers() {
			ends = append(ends, st.LastAnnounce.Sub(t0))
		}
		seen := map[time.Duration]bool{}
		for _, d := range ends {
			seen[d] = true
		}
		if !seen[time.Second] || !seen[2*time.Second] || !seen[3*time.Second] {
			t.Fatalf("answers at %v, want one per second", ends)
		}
		s.Close()
	})
}

// acquire never keeps a slot when it fails.
func TestAcquireReleases(t *testing.T) {
	for _, cfg := range []Config{{MaxAnnouncesPerTracker: 1}, {MaxAnnouncesPerTracker: 1, MaxConcurrentAnnounces: 1}, {MaxAnnouncesPerTracker: -1}} {
		c, _ := NewClient(cfg)
		tu, err := c.internURL("http://a.test/announce")
		if err != nil {
			t.Fatal(err)
		}
		done, cancel := context.WithCancel(context.Background())
		cancel()
		for range 3 {
			if err := c.acquireSlot(done, tu); err == nil {
				t.Fatalf("%+v: acquire with an ended context succeeded", cfg)
			}
		}
		if err := c.acquireSlot(context.Background(), tu); err != nil {
			t.Fatalf("%+v: a slot leaked: %v", cfg, err)
		}
		c.releaseSlot(tu)
		c.Close()
	}
}

// Requests to one tracker endpoint are limited; due workers queue for it
// without goroutines of their own, and a Session closed while queued sends
// nothing.
func TestPerTrackerLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{MaxAnnouncesPerTracker: 2})
		e.fake.setFaults("a.test", fault{delay: 10 * time.Second})
		var sessions []*Session
		for i := range 7 {
			s := e.session([][]string{{"http://a.test/announce?pk=" + string(rune('a'+i))}}, SessionOptions{})
			sessions = append(sessions, s)
		}
		t0 := time.Now()
		for _, s := range sessions {
			s.Start(context.Background())
		}
		other := e.session([][]string{{"udp://b.test:1"}}, SessionOptions{})
		other.Start(context.Background()) // another endpoint is not held up
		synctest.Wait()
		if c := e.fake.Calls("b.test:1"); len(c) != 1 || !c[0].Time.Equal(t0) {
			t.Fatalf("calls to another tracker: %+v", c)
		}
		sessions[6].Close() // queued: never announces
		time.Sleep(time.Minute)
		calls := e.fake.Calls("a.test")
		if len(calls) != 6 || e.fake.maxInflight["a.test"] != 2 {
			t.Fatalf("%d calls, %d at most in flight", len(calls), e.fake.maxInflight["a.test"])
		}
		for i, c := range calls {
			if want := time.Duration(i/2) * 10 * time.Second; c.Time.Sub(t0) != want {
				t.Errorf("call %d at %v, want %v", i, c.Time.Sub(t0), want)
			}
		}
	})
}

// Issue 11 item 3: completed and stopped never wait behind regular
// announces for a slot of their host: with every slot held by hung
// announces of other torrents and more queued, they go out at once.
func TestEventsSkipHostQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{MaxAnnouncesPerTracker: 2})
		var left atomic.Int64
		left.Store(100)
		s := e.c.mustSession(t, Torrent{InfoHash: hashN(999), Tiers: [][]string{{"http://a.test/announce"}}},
			SessionOptions{Stats: func() Stats { return Stats{Left: left.Load()} }})
		s.Start(context.Background())
		synctest.Wait()
		e.fake.setFaults("a.test", fault{hang: true}, fault{hang: true}, fault{})
		for i := range 3 { // two hang on the host's slots, one waits for a slot
			o := e.c.mustSession(t, Torrent{InfoHash: hashN(i), Tiers: [][]string{{"http://a.test/announce"}}}, SessionOptions{})
			o.Start(context.Background())
		}
		synctest.Wait()
		time.Sleep(time.Second)
		left.Store(0)
		tc := time.Now()
		s.Complete()
		synctest.Wait()
		time.Sleep(time.Second)
		ts := time.Now()
		s.Stop(context.Background())
		var got []call
		for _, c := range e.fake.Calls("a.test") {
			if c.Event == transport.EventCompleted || c.Event == transport.EventStopped {
				got = append(got, c)
			}
		}
		if len(got) != 2 || !got[0].Time.Equal(tc) || !got[1].Time.Equal(ts) {
			t.Fatalf("events %+v, want completed at %v and stopped at %v", got, tc, ts)
		}
		if n := len(e.fake.Calls("a.test")); n != 5 {
			t.Fatalf("%d calls: the queued announce went out before a slot was free", n)
		}
	})
}

// Issue 11 item 3: under Client.Shutdown, 1,000 Sessions whose tracker
// acknowledged "started" and then died each get the first send of their
// "stopped" at once, far within the deadline: stoppeds take no slot of the
// host (MaxAnnouncesPerTracker, 64) and do not wait for one another. In
// virtual time, over the real UDP transport on memnet, and over the fake
// transport for an HTTP URL (the HTTP connection pool has its own test in
// transport/http and the figure over loopback is BenchmarkShutdownStopped).
func TestShutdownSendsEveryStopped(t *testing.T) {
	const n = 1000
	t.Run("udp", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			mts, urls, c := udpTrackers(t, 1, Config{})
			mt := mts[0]
			startAll(t, c, urls[0], n)
			mt.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
			died := time.Now()
			c.Shutdown(context.Background())
			if d := time.Since(died); d > DefaultStopTimeout {
				t.Fatalf("Shutdown took %v", d)
			}
			var sent []time.Time
			for _, p := range mt.UDPPackets() {
				if p.Action == 1 && !p.Time.Before(died) {
					sent = append(sent, p.Time)
				}
			}
			checkSent(t, sent, died, n)
		})
	})
	t.Run("http (fake)", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, mocktracker.Config{}, Config{})
			startAll(t, e.c, "http://dead.test/announce", n)
			e.fake.setFaults("dead.test", fault{hang: true})
			died := time.Now()
			e.c.Shutdown(context.Background())
			var sent []time.Time
			for _, c := range e.fake.Calls("dead.test") {
				if c.Event == transport.EventStopped {
					sent = append(sent, c.Time)
				}
			}
			checkSent(t, sent, died, n)
		})
	})
}

// startAll starts n Sessions on announce and waits until each has its
// "started" acknowledged.
func startAll(t *testing.T, c *Client, announce string, n int) {
	t.Helper()
	var sessions []*Session
	for i := range n {
		s, err := c.NewSession(Torrent{InfoHash: hashN(i), Tiers: [][]string{{announce}}}, SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for range s.Events() {
			}
		}()
		s.Start(context.Background())
		sessions = append(sessions, s)
	}
	time.Sleep(time.Second)
	synctest.Wait()
	for i, s := range sessions {
		if st := s.Trackers()[0]; !st.Started {
			t.Fatalf("session %d: %+v", i, st)
		}
	}
}

// checkSent wants n first sends, all at the start of Shutdown (the others
// are the resends of unanswered stoppeds, see stopBound).
func checkSent(t *testing.T, sent []time.Time, died time.Time, n int) {
	t.Helper()
	atOnce, inTime := 0, 0
	for _, at := range sent {
		if at.Equal(died) {
			atOnce++
		}
		if at.Sub(died) < DefaultStopTimeout {
			inTime++
		}
	}
	t.Logf("%d of %d stoppeds first sent at once; %d sends within the %v deadline", atOnce, n, inTime, DefaultStopTimeout)
	if atOnce != n || inTime != len(sent) {
		t.Fatalf("%d of %d stoppeds sent at once, %d of %d sends within the deadline", atOnce, n, inTime, len(sent))
	}
}

// BenchmarkShutdownStopped measures item 3 of issue 11 over real loopback
// sockets and the default transports: 1,000 Sessions on one tracker, each
// "started" acknowledged, then the tracker dies (UDP: drops every datagram;
// HTTP: accepts and never answers) and Client.Shutdown runs with the
// default 5 s StopTimeout. It reports how many of the 1,000 owed stoppeds
// reached the tracker before the deadline and, for UDP, how many stopped
// datagrams left our socket (first sends and resends: a burst of 1,000 on
// loopback overflows the tracker's socket buffer, which the resends make
// up for). It asserts nothing: the figures go to
// docs/performance.md.
func BenchmarkShutdownStopped(b *testing.B) {
	for _, proto := range []string{"udp", "http"} {
		b.Run(proto, func(b *testing.B) {
			var got, sent float64
			for range b.N {
				g, s := shutdownStopped(b, proto, 1000)
				got, sent = got+float64(g), sent+float64(s)
			}
			b.ReportMetric(got/float64(b.N), "stoppeds-received/1000")
			if proto == "udp" {
				b.ReportMetric(sent/float64(b.N), "datagrams-sent")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

func shutdownStopped(b *testing.B, proto string, n int) (received, sent int) {
	mt := mocktracker.New(mocktracker.Config{})
	defer mt.Close()
	var (
		dead    atomic.Bool
		mu      sync.Mutex
		stopped = map[string]bool{} // info hashes of stoppeds received while dead
		died    time.Time
		release = make(chan struct{})
	)
	var announce string
	switch proto {
	case "udp":
		u, err := mt.ListenUDP("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		announce = u
	case "http":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		h := mt.HTTPHandler()
		srv := &nethttp.Server{Handler: nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			if !dead.Load() {
				h.ServeHTTP(w, r)
				return
			}
			q := r.URL.Query()
			mu.Lock()
			if q.Get("event") == "stopped" && time.Since(died) < DefaultStopTimeout {
				stopped[q.Get("info_hash")] = true
			}
			mu.Unlock()
			select { // dead: never answers
			case <-release:
			case <-r.Context().Done():
			}
		})}
		go srv.Serve(l)
		defer srv.Close()
		defer close(release)
		announce = "http://" + l.Addr().String() + "/announce"
	}
	var sends atomic.Int64 // announce datagrams written while dead
	cfg := Config{}
	if proto == "udp" {
		tr := udp.New(udp.Config{ListenPacket: func(network, address string) (net.PacketConn, error) {
			pc, err := net.ListenPacket(network, address)
			return &sendCounter{PacketConn: pc, dead: &dead, sends: &sends}, err
		}})
		defer tr.Close()
		cfg.Transports = map[string]transport.Transport{"udp": tr}
	}
	c, err := NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range n {
		s, err := c.NewSession(Torrent{InfoHash: hashN(i), Tiers: [][]string{{announce}}}, SessionOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			first := true
			for ev := range s.Events() {
				if u, ok := ev.(UpdateEvent); ok && u.Event == transport.EventStarted && first {
					first = false
					wg.Done()
				}
			}
		}()
		s.Start(context.Background())
	}
	wg.Wait()
	died = time.Now()
	dead.Store(true)
	if proto == "udp" {
		mt.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
	}
	c.Shutdown(context.Background())
	if proto == "udp" {
		sent := 0
		for _, p := range mt.UDPPackets() {
			if p.Action == 1 && !p.Time.Before(died) && p.Time.Sub(died) < DefaultStopTimeout {
				sent++
			}
		}
		return min(sent, n), int(sends.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	return len(stopped), 0
}

// sendCounter counts the announce datagrams written while dead is set.
type sendCounter struct {
	net.PacketConn
	dead  *atomic.Bool
	sends *atomic.Int64
}

func (c *sendCounter) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.dead.Load() && len(b) >= 12 && b[11] == 1 && b[8]|b[9]|b[10] == 0 {
		c.sends.Add(1)
	}
	return c.PacketConn.WriteTo(b, addr)
}
