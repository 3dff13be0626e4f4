package announcer

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// started is session, started, once everything in the test's bubble is
// idle again: the announces due at Start have been made and answered.
func (e *env) started(tiers [][]string, opts SessionOptions) *Session {
	e.t.Helper()
	s := e.session(tiers, opts)
	s.Start(context.Background())
	synctest.Wait()
	return s
}

// The whole life of a leeching session: started, a scheduled announce after
// the 30-minute interval, completed, stopped; in virtual time.
func TestLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		left := int64(1000)
		s := e.session([][]string{{"http://t1.test/announce"}}, SessionOptions{
			Stats: func() Stats { return Stats{Left: left} },
		})
		col := collect(s)
		t0 := time.Now()
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); !errors.Is(err, ErrStarted) {
			t.Fatalf("second Start: %v", err)
		}
		synctest.Wait()
		time.Sleep(30*time.Minute + time.Second)
		synctest.Wait()
		left = 0
		tComplete := time.Now()
		s.Complete()
		s.Complete() // once only
		synctest.Wait()
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-col.done

		calls := e.fake.Calls("t1.test")
		want := []transport.Event{transport.EventStarted, transport.EventNone, transport.EventCompleted, transport.EventStopped}
		if got := events(calls); !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		if d := calls[1].Time.Sub(t0); d != 30*time.Minute {
			t.Errorf("scheduled announce after %v, want the 30m interval", d)
		}
		if !calls[2].Time.Equal(tComplete) {
			t.Errorf("completed %v after Complete, want at once (an event is not held by min interval)", calls[2].Time.Sub(tComplete))
		}
		if calls[3].NumWant != 0 || calls[0].NumWant != DefaultNumWant {
			t.Errorf("numwant started %d stopped %d", calls[0].NumWant, calls[3].NumWant)
		}
		for _, c := range calls {
			if c.Key != calls[0].Key || c.PeerID != e.c.cfg.PeerID || c.Port != DefaultPort {
				t.Errorf("key/peer id/port changed: %+v", c)
			}
		}
		if string(e.c.cfg.PeerID[:8]) != PeerIDPrefix {
			t.Errorf("peer id %q", e.c.cfg.PeerID[:])
		}
		ups := ofType[UpdateEvent](col.all())
		var upEvents []transport.Event
		for _, u := range ups {
			upEvents = append(upEvents, u.Event)
		}
		if !slices.Equal(upEvents, want) {
			t.Errorf("update events %v, want %v", upEvents, want)
		}
		if len(e.mt.Peers(testHash)) != 0 {
			t.Error("still in the swarm after stopped")
		}
		for _, st := range s.Trackers() {
			if st.State != StateStopped {
				t.Errorf("state %v after Stop", st.State)
			}
		}
		if err := s.Start(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Start after Stop: %v", err)
		}
	})
}

// A session that starts as a seeder never sends completed.
func TestCompletedOnlyWhenDownloaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"udp://t1.test:1"}}, SessionOptions{Stats: func() Stats { return Stats{} }}) // a seeder: Left 0
		s.Start(context.Background())
		synctest.Wait()
		s.Complete()
		time.Sleep(45 * time.Minute)
		s.Stop(context.Background())
		got := events(e.fake.Calls("t1.test:1"))
		// Complete forces nothing: the scheduled announce after 30 minutes.
		want := []transport.Event{transport.EventStarted, transport.EventNone, transport.EventStopped}
		if !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}

// Close sends nothing; Stop after Close returns at once.
func TestCloseSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.started([][]string{{"http://t1.test/announce"}, {"udp://t2.test:1"}}, SessionOptions{})
		n := len(e.fake.Calls(""))
		s.Close()
		s.Close()
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		if got := len(e.fake.Calls("")); got != n || n != 2 {
			t.Fatalf("%d calls before Close, %d after", n, got)
		}
		for range s.Events() { // closed once the buffered events are read
		}
	})
}

// Stop with trackers that never answer returns by the stop timeout;
// stopped goes to trackers that acknowledged started, and to one whose
// started is still unanswered (half-way through the deadline).
func TestStopDeadTrackers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"http://a.test/announce"}, {"http://b.test/announce"}, {"http://never.test/announce"}}, SessionOptions{})
		e.fake.setFaults("never.test", fault{hang: true})
		s.Start(context.Background())
		synctest.Wait()
		e.fake.setFaults("a.test", fault{hang: true})
		e.fake.setFaults("b.test", fault{err: &transport.StatusError{Code: 503}})
		t0 := time.Now()
		err := s.Stop(context.Background())
		if d := time.Since(t0); d != DefaultStopTimeout {
			t.Errorf("Stop took %v, want %v", d, DefaultStopTimeout)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop: %v", err)
		}
		if calls := e.fake.Calls("never.test"); len(calls) < 2 || calls[1].Event != transport.EventStopped || !calls[1].Time.Equal(t0.Add(DefaultStopTimeout/2)) {
			t.Errorf("never.test: %v, want the unanswered started, then stopped half-way through the deadline", calls)
		}
		if calls := e.fake.Calls("b.test"); len(calls) < 3 {
			t.Errorf("b.test: stopped not retried within the deadline: %v", events(calls))
		}
		// A shorter context wins over the stop timeout.
		s2 := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		e.fake.setFaults("a.test")
		s2.Start(context.Background())
		synctest.Wait()
		e.fake.setFaults("a.test", fault{hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		t0 = time.Now()
		s2.Stop(ctx)
		if d := time.Since(t0); d != time.Second {
			t.Errorf("Stop took %v with a 1s context", d)
		}
	})
}

// Close during a Stop that waits for dead trackers ends it at once.
func TestCloseAbortsStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.started([][]string{{"http://a.test/announce"}}, SessionOptions{})
		e.fake.setFaults("a.test", fault{hang: true})
		stopped := make(chan error)
		go func() { stopped <- s.Stop(context.Background()) }()
		time.Sleep(time.Second)
		t0 := time.Now()
		s.Close()
		<-stopped
		if d := time.Since(t0); d != 0 {
			t.Errorf("Close took %v during Stop", d)
		}
	})
}

// The end of Start's context stops the session gracefully.
func TestStartContextStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		s.Start(ctx)
		synctest.Wait()
		cancel()
		<-s.Done()
		got := events(e.fake.Calls("a.test"))
		if !slices.Equal(got, []transport.Event{transport.EventStarted, transport.EventStopped}) {
			t.Fatalf("events %v", got)
		}
		if err := s.Start(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatal(err)
		}
	})
}

// A session never started: Stop ends it without traffic, NewSession after
// Client.Close fails.
func TestNeverStartedAndClientClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, ok := <-s.Events(); ok {
			t.Fatal("event from a session never started")
		}
		s2 := e.started([][]string{{"http://a.test/announce"}}, SessionOptions{})
		e.c.Close()
		<-s2.Done()
		if _, err := e.c.NewSession(Torrent{Tiers: [][]string{{"http://a.test/announce"}}}, SessionOptions{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("NewSession after Close: %v", err)
		}
		if n := len(e.fake.Calls("")); n != 1 {
			t.Fatalf("%d calls, want the one started", n)
		}
	})
}

// Client.Shutdown stops every session.
func TestClientShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		for i := range 3 {
			s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{Key: uint32(i + 1)})
			s.Start(context.Background())
		}
		synctest.Wait()
		if err := e.c.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := events(e.fake.Calls(""))
		if n := len(got); n != 6 || got[5] != transport.EventStopped {
			t.Fatalf("events %v", got)
		}
	})
}

// Every way a Session ends without running closes Events and Done: Start
// with a context that has already ended (cancelled, deadline passed), Stop
// or Close of a Session never started. Nothing is sent to a tracker.
func TestEndWithoutRunning(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	tests := []struct {
		name    string
		end     func(*Session) error
		wantErr error
	}{
		{"Start with a cancelled context", func(s *Session) error { return s.Start(cancelled) }, context.Canceled},
		{"Start with an expired context", func(s *Session) error { return s.Start(expired) }, context.DeadlineExceeded},
		{"Stop before Start", func(s *Session) error { return s.Stop(context.Background()) }, nil},
		{"Close before Start", func(s *Session) error { return s.Close() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{})
				s := e.session([][]string{{"http://t1.test/announce"}, {"udp://t2.test:1"}}, SessionOptions{})
				col := collect(s)
				if err := tt.end(s); !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				synctest.Wait()
				select {
				case <-s.Done():
				default:
					t.Fatal("Done not closed")
				}
				select {
				case <-col.done:
				default:
					t.Fatal("Events not closed")
				}
				if n := len(e.fake.Calls("")); n != 0 {
					t.Fatalf("%d calls to trackers", n)
				}
				if err := s.Start(context.Background()); !errors.Is(err, ErrClosed) {
					t.Fatalf("Start after the end: %v", err)
				}
			})
		})
	}
}

// Issue 11 item 2: a tracker with an announce in flight at Stop is owed
// "stopped": Stop lets the announce finish, then sends it, within the
// deadline; if it never finishes, "stopped" goes half-way through the
// deadline. The same when Start's context ends (Ctrl-C, -duration, -once).
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

// Issue 11 item 2 over the real UDP transport: Ctrl-C one second into a
// started the tracker answers after 3 s: the tracker ends with us
// unregistered.
func TestStopWaitsForAnnounceInFlightUDP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mts, urls, c := udpTrackers(t, 1, Config{})
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

// Issue 11 item 4: Complete sends "completed" at once to every tracker that
// acknowledged "started" (the one in use of each tier, and a standby that
// answered late), whatever their min interval; Announce still waits for it.
// Stop while completed is in flight or pending sends completed first, then
// stopped, within the deadline.
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
				s := e.started([][]string{{"http://a.test/announce"}}, leech(&left))
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
