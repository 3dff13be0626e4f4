package announcer

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
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
