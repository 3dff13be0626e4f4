package announcer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

func gaps(calls []call) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(calls); i++ {
		out = append(out, calls[i].Time.Sub(calls[i-1].Time))
	}
	return out
}

// The tracker's interval is clamped to [IntervalFloor, IntervalCap].
func TestIntervalClamp(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		cfg      Config
		want     time.Duration
	}{
		{"as asked", 20 * time.Minute, Config{}, 20 * time.Minute},
		{"floor", 5 * time.Second, Config{}, DefaultIntervalFloor},
		{"cap", 24 * time.Hour, Config{}, DefaultIntervalCap},
		{"custom floor", time.Minute, Config{IntervalFloor: 10 * time.Minute}, 10 * time.Minute},
		{"custom cap", time.Hour, Config{IntervalCap: 15 * time.Minute}, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{Interval: tt.interval}, tt.cfg)
				s := e.session([][]string{{"udp://a.test:1"}}, SessionOptions{})
				s.Start(context.Background())
				time.Sleep(3*tt.want + time.Second)
				s.Close()
				g := gaps(e.fake.Calls(""))
				if len(g) != 3 || g[0] != tt.want || g[1] != tt.want {
					t.Fatalf("gaps %v, want 3 of %v", g, tt.want)
				}
			})
		})
	}
}

// A forced announce waits for min interval (at least the floor) after the
// last one, and a pending started goes with it.
func TestForcedAnnounceHonoursMinInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{MinInterval: 5 * time.Minute}, Config{})
		var st Stats
		s := e.started([][]string{{"http://a.test/announce"}}, SessionOptions{})
		time.Sleep(time.Minute)
		st.Uploaded = 42
		s.Update(st)
		s.Announce()
		synctest.Wait()
		if n := len(e.fake.Calls("")); n != 1 {
			t.Fatalf("forced announce before min interval: %d calls", n)
		}
		time.Sleep(4 * time.Minute)
		synctest.Wait()
		calls := e.fake.Calls("")
		if len(calls) != 2 || calls[1].Time.Sub(calls[0].Time) != 5*time.Minute {
			t.Fatalf("calls %+v, want a second one at +5m", calls)
		}
		if calls[1].Event != transport.EventNone {
			t.Errorf("forced announce sent %v", calls[1].Event)
		}
		// The next scheduled one follows the interval from the forced one.
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		calls = e.fake.Calls("")
		if len(calls) != 3 || calls[2].Time.Sub(calls[1].Time) != 30*time.Minute {
			t.Fatalf("gaps %v", gaps(calls))
		}
		// Long after the last announce, a forced one goes at once.
		time.Sleep(10 * time.Minute)
		s.Announce()
		synctest.Wait()
		calls = e.fake.Calls("")
		if len(calls) != 4 || calls[3].Time.Sub(calls[2].Time) != 10*time.Minute {
			t.Fatalf("gaps %v", gaps(calls))
		}
		s.Close()
	})
}

// Failures back off exponentially with jitter, up to the cap; a success
// resets the backoff; a pending started survives the failures.
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{RetryMin: 10 * time.Second, RetryMax: 5 * time.Minute})
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		col := collect(s)
		fail := fault{err: &transport.StatusError{Code: 503}}
		e.fake.setFaults("a.test", fail, fail, fail, fail, fail, fail, fail, fail, fault{})
		s.Start(context.Background())
		s.Announce() // forced announces do not skip the backoff
		time.Sleep(time.Hour)
		s.Close()
		<-col.done
		calls := e.fake.Calls("")
		g := gaps(calls)
		if len(g) < 9 {
			t.Fatalf("gaps %v", g)
		}
		// Wait n after failure n+1 is RetryMin*2^n ±50%, capped at RetryMax.
		for n := range 8 {
			base := min(10*time.Second<<n, 5*time.Minute)
			lo, hi := base/2, min(base*3/2, 5*time.Minute)
			if g[n] < lo || g[n] > hi {
				t.Errorf("wait %d = %v, want in [%v, %v]", n, g[n], lo, hi)
			}
		}
		for i, c := range calls[:9] {
			if c.Event != transport.EventStarted {
				t.Errorf("call %d sent %v: the pending started was lost", i, c.Event)
			}
		}
		if calls[9].Event != transport.EventNone || g[8] != 30*time.Minute {
			t.Errorf("after recovery: %v after %v", calls[9].Event, g[8])
		}
		errs := ofType[ErrorEvent](col.all())
		if len(errs) != 8 {
			t.Fatalf("%d error events", len(errs))
		}
		for i, ev := range errs {
			if ev.Failures != i+1 || ev.GaveUp || ev.NextTry.IsZero() || !errors.Is(ev.Err, transport.ErrTemporary) {
				t.Errorf("error event %d: %+v", i, ev)
			}
			if want := calls[i+1].Time; !ev.NextTry.Equal(want) {
				t.Errorf("error event %d: NextTry %v, retried at %v", i, ev.NextTry, want)
			}
		}
		// Fail again: the backoff starts over from RetryMin.
	})
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{RetryMin: time.Minute})
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		fail := fault{err: &transport.StatusError{Code: 500}}
		e.fake.setFaults("a.test", fail, fail, fail, fault{}, fail, fault{})
		s.Start(context.Background())
		time.Sleep(3 * time.Hour)
		s.Close()
		g := gaps(e.fake.Calls(""))
		if g[4] < 30*time.Second || g[4] > 90*time.Second {
			t.Errorf("backoff not reset by success: gaps %v", g)
		}
	})
}

// BEP 31 retry in replaces the backoff step; "never", 410 and unsupported
// give the URL up.
func TestRetryInAndGiveUp(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		gaveUp bool
		next   time.Duration // retry wait when not given up
	}{
		{"retry in", &transport.FailureError{Reason: "busy", RetryIn: 7 * time.Minute}, false, 7 * time.Minute},
		{"retry in below floor", &transport.FailureError{Reason: "busy", RetryIn: time.Second}, false, time.Minute},
		{"never", &transport.FailureError{Reason: "go away", RetryNever: true}, true, 0},
		{"410", &transport.StatusError{Code: 410}, true, 0},
		{"unsupported", transport.ErrUnsupported, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{})
				s := e.session([][]string{{"http://a.test/announce?passkey=secret"}}, SessionOptions{})
				col := collect(s)
				e.fake.setFaults("a.test", fault{err: tt.err}, fault{})
				s.Start(context.Background())
				time.Sleep(time.Hour)
				st := s.Trackers()[0]
				s.Close()
				<-col.done
				calls := e.fake.Calls("")
				errs := ofType[ErrorEvent](col.all())
				if len(errs) != 1 || errs[0].GaveUp != tt.gaveUp || !errors.Is(errs[0].Err, tt.err) {
					t.Fatalf("error events %+v", errs)
				}
				if tt.gaveUp {
					if len(calls) != 1 || st.State != StateGaveUp || !errs[0].NextTry.IsZero() {
						t.Fatalf("%d calls, state %v, next %v", len(calls), st.State, errs[0].NextTry)
					}
					return
				}
				if len(calls) < 2 || calls[1].Time.Sub(calls[0].Time) != tt.next {
					t.Fatalf("retried after %v, want %v", gaps(calls), tt.next)
				}
			})
		})
	}
}

// A tracker skipped for an unroutable address family is not failing.
func TestSkippedIsNotFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"udp://[::1]:1"}}, SessionOptions{})
		col := collect(s)
		e.fake.setFaults("[::1]:1", fault{err: transport.ErrSkipped}, fault{err: transport.ErrSkipped}, fault{})
		s.Start(context.Background())
		synctest.Wait()
		st := s.Trackers()[0]
		if st.State != StateSkipped || st.Failures != 0 {
			t.Fatalf("status %+v", st)
		}
		time.Sleep(time.Hour + time.Second)
		s.Close()
		<-col.done
		errs := ofType[ErrorEvent](col.all())
		if len(errs) != 2 || errs[0].Failures != 0 || errs[1].Failures != 0 || errs[0].GaveUp {
			t.Fatalf("error events %+v", errs)
		}
		calls := e.fake.Calls("")
		if g := gaps(calls); len(g) < 2 || g[0] != 30*time.Minute || g[1] != 30*time.Minute {
			t.Fatalf("gaps %v", g)
		}
		if calls[2].Event != transport.EventStarted {
			t.Fatal("started not sent after the skips")
		}
	})
}

// Complete while the tracker fails: completed is sent once it recovers,
// and a forced announce does not lose it.
func TestPendingCompletedSurvivesFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		left := int64(10)
		s := e.started([][]string{{"http://a.test/announce"}}, SessionOptions{Stats: func() Stats { return Stats{Left: left} }})
		fail := fault{err: &transport.StatusError{Code: 502}}
		e.fake.setFaults("a.test", fail, fail, fault{})
		left = 0
		s.Complete()
		time.Sleep(time.Minute)
		s.Announce()
		time.Sleep(2 * time.Hour)
		s.Close()
		got := events(e.fake.Calls(""))
		want := []transport.Event{transport.EventStarted, transport.EventCompleted, transport.EventCompleted, transport.EventCompleted, transport.EventNone}
		if !slices.Equal(got[:5], want) {
			t.Fatalf("events %v", got)
		}
		if slices.Index(got[4:], transport.EventCompleted) >= 0 {
			t.Fatalf("completed sent twice: %v", got)
		}
	})
}

// Periodic scrape, when asked for.
func TestPeriodicScrape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{ScrapeInterval: 10 * time.Minute})
		col := collect(s)
		s.Start(context.Background())
		time.Sleep(35 * time.Minute)
		s.Close()
		<-col.done
		sc := ofType[ScrapeEvent](col.all())
		if len(sc) != 3 || sc[0].InfoHash != testHash || sc[0].Stats.Incomplete != 1 { // Stats nil: a leecher
			t.Fatalf("scrape events %+v", sc)
		}
	})
}

// Complete while the started announce is in flight: the tracker learns we
// were leeching, so completed follows as soon as started is answered.
func TestCompleteDuringStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		left := int64(10)
		var mu sync.Mutex
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{Stats: func() Stats {
			mu.Lock()
			defer mu.Unlock()
			return Stats{Left: left}
		}})
		e.fake.setFaults("a.test", fault{delay: 10 * time.Second}, fault{})
		s.Start(context.Background())
		time.Sleep(5 * time.Second)
		mu.Lock()
		left = 0
		mu.Unlock()
		s.Complete()
		time.Sleep(10 * time.Minute)
		s.Close()
		calls := e.fake.Calls("")
		if got := events(calls); !slices.Equal(got, []transport.Event{transport.EventStarted, transport.EventCompleted}) {
			t.Fatalf("events %v", got)
		}
		if d := calls[1].Time.Sub(calls[0].Time); d != 10*time.Second {
			t.Fatalf("completed %v after started, want at its reply (10s)", d)
		}
	})
}

// Issue 11 item 1: a single-tracker torrent still gets the whole BEP 15
// retransmit ladder, over successive attempts with backoff between them:
// attempt k (k consecutive failures before it) is bounded by
// UDPAttemptTimeout·2^k, so it makes 2, 3, 4... sends 15 s, 30 s, 60 s...
// apart, up to the 9 sends of the full ladder (2 h 08 min) from the eighth
// failure on.
func TestUDPAttemptsClimbTheLadder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mts, urls, c := udpTrackers(t, 1, Config{})
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

// Issue 11 item 8: Config.IntervalFloor is at least 1 s: a tracker
// answering "interval 0" to a Client configured with a 1 ms floor is
// announced to once a second, not thousands of times.
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
