package announcer

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// The promises of issue 11 (bounded attempts, failover, no lost stopped or
// completed), in virtual time.

func hashN(i int) transport.InfoHash {
	h := testHash
	h[18], h[19] = byte(i>>8), byte(i)
	return h
}

// Item 1: with [dead, live] in one tier and default settings, the live
// tracker's first reply reaches the Session 15 s in (Config.FailoverAfter),
// while the dead one is still being tried; the dead one's attempt ends at
// its bound (UDP 45 s, HTTP 30 s), the live one is moved to the front, and
// at Stop only the live one (which registered us) is sent "stopped".
func TestFailoverDeadFirst(t *testing.T) {
	t.Run("udp, 200 torrents", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			mts, urls, c := udpTrackers(t, memnet.New(), 2, Config{})
			dead, live := mts[0], mts[1]
			dead.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
			t0 := time.Now()
			var sessions []*Session
			var cols []*collector
			for i := range 200 {
				s, err := c.NewSession(Torrent{InfoHash: hashN(i), Tiers: [][]string{{urls[0], urls[1]}}}, SessionOptions{KeepOrder: true})
				if err != nil {
					t.Fatal(err)
				}
				cols = append(cols, collect(s))
				sessions = append(sessions, s)
				s.Start(context.Background())
			}
			time.Sleep(time.Minute)
			for i, s := range sessions {
				st := s.Trackers() // in the torrent's order: dead, live
				if st[1].State != StateOK || !st[1].Started {
					t.Fatalf("session %d: live tracker not in use: %+v", i, st)
				}
				if front := s.workers[0].tiers[0][0]; front.url.redacted != transport.RedactString(urls[1]) {
					t.Fatalf("session %d: %s first in the tier, want the live one", i, front.url.redacted)
				}
				st[0], st[1] = st[1], st[0]
				if d := st[0].LastAnnounce.Sub(t0); d != DefaultFailoverAfter {
					t.Fatalf("session %d: live tracker answered after %v, want %v", i, d, DefaultFailoverAfter)
				}
				// The dead one's attempt timed out, or (queued behind the
				// first 64 for a slot of its host) is still on the wire.
				if st[1].Started || st[1].LastError != nil && !errors.Is(st[1].LastError, transport.ErrTimeout) {
					t.Fatalf("session %d: dead tracker %+v", i, st[1])
				}
			}
			// Some dead attempts are still on the wire (queued behind the first
			// 64): those are owed a stopped too, which the dead tracker never
			// acknowledges, so Shutdown's error is not checked.
			c.Shutdown(context.Background())
			for i, col := range cols {
				<-col.done
				ups := ofType[UpdateEvent](col.all())
				if len(ups) != 2 || ups[0].Event != transport.EventStarted || ups[1].Event != transport.EventStopped ||
					ups[0].Time.Sub(t0) > 20*time.Second {
					t.Fatalf("session %d: updates %+v", i, ups)
				}
				if n := len(live.Peers(hashN(i))); n != 0 {
					t.Fatalf("session %d: still registered on the live tracker", i)
				}
			}
			var deadAnnounces int
			for _, p := range dead.UDPPackets() {
				if p.Action == 1 {
					deadAnnounces++
				}
			}
			if deadAnnounces != 0 {
				t.Fatalf("%d announces reached the dead tracker, which never gave a connection ID", deadAnnounces)
			}
		})
	})
	for _, tt := range []struct {
		scheme string
		bound  time.Duration
	}{{"http", DefaultAttemptTimeout}, {"udp", DefaultUDPAttemptTimeout}} {
		t.Run(tt.scheme+", fake", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{})
				dead, live := tt.scheme+"://dead.test:1/announce", tt.scheme+"://live.test:1/announce"
				e.fake.setFaults("dead.test:1", fault{hang: true})
				s := e.session([][]string{{dead, live}}, SessionOptions{})
				col := collect(s)
				t0 := time.Now()
				s.Start(context.Background())
				time.Sleep(time.Hour)
				calls := e.fake.Calls("live.test:1")
				if len(calls) == 0 || calls[0].Time.Sub(t0) != DefaultFailoverAfter || calls[0].Event != transport.EventStarted {
					t.Fatalf("live tracker calls %+v", calls)
				}
				// The hour's rounds go to the live tracker, now first.
				if d := e.fake.Calls("dead.test:1"); len(d) != 1 {
					t.Fatalf("dead tracker asked %d times, want once", len(d))
				}
				stopAt := time.Now()
				s.Stop(context.Background())
				<-col.done
				errs := ofType[ErrorEvent](col.all())
				if len(errs) == 0 || !errors.Is(errs[0].Err, transport.ErrTimeout) || errs[0].Time.Sub(t0) != tt.bound {
					t.Fatalf("errors %+v, want the dead tracker's timeout at %v", errs, tt.bound)
				}
				for _, ev := range errs[1:] {
					if ev.Time.Before(stopAt) {
						t.Fatalf("errors %+v, want only the timeout before Stop", errs)
					}
				}
				// Its started was sent and never answered: it may have
				// registered us, so Stop sends it a stopped too.
				if d := events(e.fake.Calls("dead.test:1")); len(d) < 2 || d[0] != transport.EventStarted || d[1] != transport.EventStopped {
					t.Fatalf("dead tracker calls %v, want started, then stopped at Stop", d)
				}
			})
		})
	}
}

// Item 1: a slow first tracker that answers after the next one won becomes
// a standby that knows us: it is sent "stopped" too (no ghost "started").
func TestFailoverLateAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		e.fake.setFaults("slow.test", fault{delay: 20 * time.Second}, fault{})
		s := e.session([][]string{{"http://slow.test/announce", "http://fast.test/announce"}}, SessionOptions{})
		s.Start(context.Background())
		time.Sleep(30 * time.Second)
		st := s.Trackers() // slow, fast
		if st[1].State != StateOK {
			t.Fatalf("fast tracker %+v, want in use", st[1])
		}
		if st[0].State != StateIdle || !st[0].Started {
			t.Fatalf("late tracker %+v, want a standby that acknowledged started", st[0])
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"slow.test", "fast.test"} {
			if got := events(e.fake.Calls(h)); !slices.Equal(got, []transport.Event{transport.EventStarted, transport.EventStopped}) {
				t.Errorf("%s: %v, want started, stopped", h, got)
			}
		}
	})
}

// Item 2: a tracker with an announce in flight at Stop is owed "stopped":
// Stop lets the announce finish, then sends it, within the deadline; if
// it never finishes, "stopped" goes half-way through the deadline. The
// same when Start's context ends (Ctrl-C, -duration, -once).
func TestStopWaitsForAnnounceInFlight(t *testing.T) {
	tests := []struct {
		name        string
		first       fault         // the started's fate
		viaContext  bool          // end Start's context instead of calling Stop
		wantStopped time.Duration // after Stop began
		wantErr     bool
	}{
		{"started answered 2s into Stop", fault{delay: 3 * time.Second}, false, 2 * time.Second, false},
		{"started never answered", fault{hang: true}, false, DefaultStopTimeout / 2, false},
		{"started answered, Start's context ended", fault{delay: 3 * time.Second}, true, 2 * time.Second, false},
		{"started never answered, Start's context ended", fault{hang: true}, true, DefaultStopTimeout / 2, false},
		{"started refused: nothing owed", fault{err: &transport.FailureError{Reason: "unregistered torrent"}, delay: 3 * time.Second}, false, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{})
				e.fake.setFaults("a.test", tt.first, fault{})
				s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
				col := collect(s)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				s.Start(ctx)
				time.Sleep(time.Second)
				t0 := time.Now()
				var err error
				if tt.viaContext {
					cancel()
					<-s.Done()
				} else {
					err = s.Stop(context.Background())
				}
				if err != nil {
					t.Fatalf("Stop: %v", err)
				}
				<-col.done
				calls := e.fake.Calls("a.test")
				if tt.wantStopped < 0 {
					if len(calls) != 1 {
						t.Fatalf("calls %v, want only the refused started", events(calls))
					}
					return
				}
				if len(calls) != 2 || calls[1].Event != transport.EventStopped || calls[1].NumWant != 0 {
					t.Fatalf("calls %v, want started then stopped", events(calls))
				}
				if d := calls[1].Time.Sub(t0); d != tt.wantStopped {
					t.Fatalf("stopped sent %v into Stop, want %v", d, tt.wantStopped)
				}
				if d := time.Since(t0); d > DefaultStopTimeout {
					t.Fatalf("Stop took %v", d)
				}
				if ups := ofType[UpdateEvent](col.all()); ups[len(ups)-1].Event != transport.EventStopped {
					t.Fatalf("updates %+v", ups)
				}
			})
		})
	}
}

// Item 2 over the real UDP transport: Ctrl-C one second into a started the
// tracker answers after 3 s: the tracker ends with us unregistered.
func TestStopWaitsForAnnounceInFlightUDP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mts, urls, c := udpTrackers(t, memnet.New(), 1, Config{})
		mt := mts[0]
		mt.SetUDPFaults(mocktracker.UDPFaults{Delay: 3 * time.Second})
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{urls[0]}}}, SessionOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		s.Start(ctx)
		time.Sleep(time.Second)
		cancel()
		<-s.Done()
		var announces int
		for _, p := range mt.UDPPackets() {
			if p.Action == 1 {
				announces++
			}
		}
		if announces < 2 || len(mt.Peers(testHash)) != 0 { // the delayed stopped may be sent twice
			t.Fatalf("%d announces, %d peers left: want started and stopped, nobody left", announces, len(mt.Peers(testHash)))
		}
	})
}

// Item 4: Complete sends "completed" at once to every tracker that
// acknowledged "started" (the one in use of each tier, and a standby that
// answered late), whatever their min interval; Announce still waits for
// it. Stop while completed is in flight or pending sends completed first,
// then stopped, within the deadline.
func TestCompleteAtOnce(t *testing.T) {
	leech := func(left *atomic.Int64) SessionOptions {
		return SessionOptions{Stats: func() Stats { return Stats{Left: left.Load()} }}
	}
	t.Run("every tracker that knows us, at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, mocktracker.Config{MinInterval: 10 * time.Minute}, Config{})
			e.fake.setFaults("slow.test", fault{delay: 20 * time.Second}, fault{})
			var left atomic.Int64
			left.Store(100)
			s := e.session([][]string{{"http://slow.test/announce", "http://fast.test/announce"}, {"udp://b.test:1"}}, leech(&left))
			s.Start(context.Background())
			time.Sleep(time.Minute)
			left.Store(0)
			t0 := time.Now()
			s.Complete()
			s.Announce() // a plain forced announce waits for the 10-minute min interval
			time.Sleep(20 * time.Minute)
			for _, h := range []string{"slow.test", "fast.test", "b.test:1"} {
				var completed []call
				for _, c := range e.fake.Calls(h) {
					if c.Event == transport.EventCompleted {
						completed = append(completed, c)
					}
				}
				if len(completed) != 1 || !completed[0].Time.Equal(t0) {
					t.Errorf("%s: completed %+v, want once, at Complete", h, completed)
				}
			}
			for _, c := range e.fake.Calls("b.test:1") {
				if c.Event == transport.EventNone && c.Time.Sub(t0) < 9*time.Minute {
					t.Errorf("plain announce %v after Complete: before min interval", c.Time.Sub(t0))
				}
			}
			s.Stop(context.Background())
		})
	})
	for _, tt := range []struct {
		name      string
		completed []fault // the completed's fate(s) at Complete
	}{
		{"in flight", []fault{{delay: 2 * time.Second}}},
		{"pending after a failure", []fault{{err: &transport.StatusError{Code: 503}}}},
		{"in flight, never answered", []fault{{hang: true}}},
	} {
		t.Run("Stop 1s after Complete, completed "+tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{})
				var left atomic.Int64
				left.Store(100)
				s := e.session([][]string{{"http://a.test/announce"}}, leech(&left))
				s.Start(context.Background())
				synctest.Wait()
				left.Store(0)
				e.fake.setFaults("a.test", append(tt.completed, fault{})...)
				s.Complete()
				time.Sleep(time.Second)
				t0 := time.Now()
				if err := s.Stop(context.Background()); err != nil {
					t.Fatal(err)
				}
				if d := time.Since(t0); d > DefaultStopTimeout {
					t.Fatalf("Stop took %v", d)
				}
				calls := e.fake.Calls("a.test")
				got := events(calls)
				if got[len(got)-1] != transport.EventStopped || got[len(got)-2] != transport.EventCompleted {
					t.Fatalf("events %v, want completed, then stopped", got)
				}
				if last := calls[len(calls)-1]; last.Time.Sub(t0) >= DefaultStopTimeout {
					t.Fatalf("stopped %v into Stop", last.Time.Sub(t0))
				}
			})
		})
	}
}

// Item 3: completed and stopped never wait behind regular announces for a
// slot of their host: with every slot held by hung announces of other
// torrents and more queued, they go out at once.
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

func (c *Client) mustSession(t *testing.T, tor Torrent, opts SessionOptions) *Session {
	t.Helper()
	s, err := c.NewSession(tor, opts)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range s.Events() {
		}
	}()
	return s
}

// Item 1: a single-tracker torrent still gets the whole BEP 15 retransmit
// ladder, over successive attempts with backoff between them: attempt k
// (k consecutive failures before it) is bounded by UDPAttemptTimeout·2^k,
// so it makes 2, 3, 4... sends 15 s, 30 s, 60 s... apart, up to the 9 sends
// of the full ladder (2 h 08 min) from the eighth failure on.
func TestUDPAttemptsClimbTheLadder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mts, urls, c := udpTrackers(t, memnet.New(), 1, Config{})
		mt := mts[0]
		mt.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{urls[0]}}}, SessionOptions{})
		go func() {
			for range s.Events() {
			}
		}()
		t0 := time.Now()
		s.Start(context.Background())
		time.Sleep(30 * time.Hour)
		s.Close()
		// Split the sends into attempts: inside one, each wait is twice
		// the one before, from 15 s.
		var attempts [][]time.Duration
		for _, p := range mt.UDPPackets() {
			at := p.Time.Sub(t0)
			if n := len(attempts); n > 0 {
				cur := attempts[n-1]
				if at-cur[len(cur)-1] == 15*time.Second<<(len(cur)-1) {
					attempts[n-1] = append(cur, at)
					continue
				}
			}
			attempts = append(attempts, []time.Duration{at})
		}
		t.Logf("%d attempts, sends in each: %v", len(attempts), func() (n []int) {
			for _, a := range attempts {
				n = append(n, len(a))
			}
			return n
		}())
		if len(attempts) < 10 {
			t.Fatalf("%d attempts in 30 h", len(attempts))
		}
		attempts = attempts[:len(attempts)-1] // the last one may be cut short by Close
		for k, a := range attempts {
			want := min(k+2, 9)
			if k == 0 && len(a) == 3 { // the third send and the 45 s bound fall on the same instant
				want = 3
			}
			if len(a) != want {
				t.Fatalf("attempt %d at %v: %d sends, want %d (attempts %v)", k, a[0], len(a), want, attempts)
			}
			if k == 0 {
				continue
			}
			prev := attempts[k-1]
			end := prev[0] + min(DefaultUDPAttemptTimeout<<(k-1), 15*time.Second*511)
			// The backoff: RetryMin (15 s) doubling, ±50%, at most RetryMax (1 h).
			step := min(DefaultRetryMin<<(k-1), DefaultRetryMax)
			if gap := a[0] - end; gap < step/2 || gap > min(step*3/2, DefaultRetryMax) {
				t.Fatalf("attempt %d: %v after the previous one's end, want the backoff around %v", k, gap, step)
			}
		}
	})
}

// Item 8: Config.IntervalFloor is at least 1 s: a tracker answering
// "interval 0" to a Client configured with a 1 ms floor is announced to
// once a second, not thousands of times.
func TestIntervalFloorClamped(t *testing.T) {
	for _, floor := range []time.Duration{time.Nanosecond, time.Millisecond, 999 * time.Millisecond} {
		cfg := Config{IntervalFloor: floor}
		cfg.populate()
		if cfg.IntervalFloor != MinIntervalFloor {
			t.Errorf("IntervalFloor %v became %v, want %v", floor, cfg.IntervalFloor, MinIntervalFloor)
		}
	}
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{IntervalFloor: time.Millisecond})
		e.fake.mu.Lock()
		e.fake.interval["a.test"] = 0 // "interval 0"
		e.fake.mu.Unlock()
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		s.Start(context.Background())
		time.Sleep(3*time.Second + time.Millisecond)
		s.Close()
		if n := len(e.fake.Calls("a.test")); n != 4 {
			t.Fatalf("%d announces in 3 s, want 4 (at 0, 1, 2, 3 s)", n)
		}
	})
}

// An announce already on its way when the download finishes (its Stats
// read Left 0, Complete comes while it is on the wire) carries
// "completed": a plain left=0 announce would make the tracker count us a
// seeder that never downloaded, and the completed after it would not be
// counted (mocktracker counts a download as real trackers do).
func TestCompletedNotLostToAnnounceInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{Interval: 5 * time.Minute, MinInterval: time.Minute}, Config{})
		var left atomic.Int64
		left.Store(100)
		// started answers at once; the regular re-announce is slow.
		e.fake.setFaults("a.test:1", fault{}, fault{delay: 10 * time.Second}, fault{})
		s := e.session([][]string{{"udp://a.test:1"}}, SessionOptions{Stats: func() Stats { return Stats{Left: left.Load()} }})
		s.Start(context.Background())
		time.Sleep(5*time.Minute - time.Second)
		left.Store(0) // finished just before the re-announce reads the stats
		time.Sleep(5 * time.Second)
		s.Complete() // the re-announce is on the wire
		time.Sleep(time.Minute)
		var completed int
		for _, c := range announces(e.fake.Calls("a.test:1")) {
			if c.Left == 0 && c.Event == transport.EventNone {
				t.Errorf("announce with left=0 and no event at %v: the tracker takes us for a seeder", c.Time)
			}
			if c.Event == transport.EventCompleted {
				completed++
			}
		}
		if completed != 1 {
			t.Errorf("%d completeds, want 1 (calls %v)", completed, events(e.fake.Calls("a.test:1")))
		}
		if st, _ := e.mt.Scrape(testHash); st.Downloaded != 1 {
			t.Errorf("tracker counted %d downloads, want 1", st.Downloaded)
		}
		s.Stop(context.Background())
	})
}

// Failover honours the min interval of a standby that answered: a tracker
// whose late answer came 55 s before the one in use fails is not asked
// again (a plain announce) before its min interval has passed since.
func TestFailoverHonoursStandbyMinInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{Interval: 10 * time.Minute, MinInterval: 5 * time.Minute}, Config{})
		e.fake.mu.Lock()
		e.fake.interval["b.test"] = time.Minute
		e.fake.mu.Unlock()
		// a answers its started late (after the failover to b, which wins);
		// b fails its next announce.
		e.fake.setFaults("a.test", fault{delay: 20 * time.Second}, fault{})
		e.fake.setFaults("b.test", fault{}, fault{err: &transport.StatusError{Code: 503}})
		s := e.session([][]string{{"http://a.test/announce", "http://b.test/announce"}}, SessionOptions{})
		s.Start(context.Background())
		time.Sleep(10 * time.Minute)
		calls := announces(e.fake.Calls("a.test"))
		if len(calls) < 2 {
			t.Fatalf("a: %d announces, want the started and a later one", len(calls))
		}
		answered := calls[0].Time.Add(20 * time.Second)
		if d := calls[1].Time.Sub(answered); d < 5*time.Minute {
			t.Errorf("a asked again %v after it answered, before its 5m min interval (events %v)", d, events(calls))
		}
		s.Close()
	})
}

// A started that timed out (unanswered: the tracker may have registered
// us, the last UDP resend going out at the attempt's bound) leaves the
// tracker owed a stopped: Stop sends it even though no reply came.
func TestStoppedAfterUnansweredStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		e.fake.setFaults("a.test:1", fault{hang: true})
		s := e.session([][]string{{"udp://a.test:1"}}, SessionOptions{})
		s.Start(context.Background())
		time.Sleep(DefaultUDPAttemptTimeout + time.Millisecond) // the started timed out; its retry waits
		e.fake.setFaults("a.test:1")
		s.Stop(context.Background())
		got := events(e.fake.Calls("a.test:1"))
		if len(got) != 2 || got[0] != transport.EventStarted || got[1] != transport.EventStopped {
			t.Fatalf("calls %v, want the started, then a stopped", got)
		}
	})
}
