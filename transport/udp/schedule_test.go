package udp

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// TestRetransmitSchedule asserts, in virtual time, the instants at which the
// tracker receives each (re)transmission and when the call gives up.
func TestRetransmitSchedule(t *testing.T) {
	bep15 := cumulative(0, 15, 30, 60, 120, 240, 480, 960, 1920) // 9 sends
	tests := []struct {
		name         string
		cfg          Config
		faults       mocktracker.UDPFaults
		thenAt       time.Duration // when set, the faults become then at this time
		then         mocktracker.UDPFaults
		wantConnects []time.Duration
		wantAnnounce []time.Duration
		wantErrAt    time.Duration
	}{
		{
			name:         "connect never answered",
			faults:       mocktracker.UDPFaults{DropRate: 1},
			wantConnects: bep15,
			wantErrAt:    7665 * time.Second, // 15 * (2^9 - 1)
		},
		{
			// The connection ID (60 s) expires before the 4th send at
			// 105 s and again before every later one: each resend is
			// preceded by a connect, and the schedule goes on.
			name:         "announce never answered",
			faults:       mocktracker.UDPFaults{DropRate: 1, DropActions: []uint32{1}},
			wantConnects: cumulative(0, 105, 120, 240, 480, 960, 1920),
			wantAnnounce: bep15,
			wantErrAt:    7665 * time.Second,
		},
		{
			name:         "configured base and max",
			cfg:          Config{RetransmitBase: time.Second, MaxRetransmits: 2},
			faults:       mocktracker.UDPFaults{DropRate: 1, DropActions: []uint32{1}},
			wantConnects: cumulative(0),
			wantAnnounce: cumulative(0, 1, 2),
			wantErrAt:    7 * time.Second,
		},
		{
			name:         "first connect lost",
			faults:       mocktracker.UDPFaults{DropFirst: 1},
			wantConnects: cumulative(0, 15),
			wantAnnounce: cumulative(15),
		},
		{
			name:         "three connects lost",
			faults:       mocktracker.UDPFaults{DropFirst: 3},
			wantConnects: cumulative(0, 15, 30, 60),
			wantAnnounce: cumulative(105),
		},
		{
			// n is shared by connect and announce: after two connect
			// timeouts the announce waits 60 s; by then (105 s) the ID
			// received at 45 s has just expired.
			name:         "two connects then one announce lost",
			faults:       mocktracker.UDPFaults{DropFirst: 2, DropActions: []uint32{0}},
			thenAt:       44 * time.Second,
			then:         mocktracker.UDPFaults{DropFirst: 1, DropActions: []uint32{1}},
			wantConnects: cumulative(0, 15, 30, 60),
			wantAnnounce: cumulative(45, 60),
		},
		{
			name:         "MaxRetransmits negative means one send",
			cfg:          Config{MaxRetransmits: -1},
			faults:       mocktracker.UDPFaults{DropRate: 1},
			wantConnects: cumulative(0),
			wantErrAt:    15 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, tt.cfg, "udp4")
				e.tracker.SetUDPFaults(tt.faults)
				if tt.thenAt > 0 {
					go func() {
						time.Sleep(tt.thenAt)
						e.tracker.SetUDPFaults(tt.then)
					}()
				}
				_, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
				elapsed := time.Since(e.start)
				if tt.wantErrAt != 0 {
					var te *transport.Error
					if !errors.Is(err, transport.ErrTimeout) || !errors.As(err, &te) {
						t.Fatalf("err = %v, want ErrTimeout in *transport.Error", err)
					}
					if elapsed != tt.wantErrAt {
						t.Errorf("gave up after %v, want %v", elapsed, tt.wantErrAt)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if got := e.times(0); !slices.Equal(got, tt.wantConnects) {
					t.Errorf("connects at %v, want %v", got, tt.wantConnects)
				}
				if got := e.times(1); !slices.Equal(got, tt.wantAnnounce) {
					t.Errorf("announces at %v, want %v", got, tt.wantAnnounce)
				}
			})
		})
	}
}

// TestConnectionIDExpiry checks that an ID is reused for exactly
// ConnectionIDTTL and renewed after.
func TestConnectionIDExpiry(t *testing.T) {
	tests := []struct {
		name         string
		ttl          time.Duration
		announceAt   []time.Duration
		wantConnects []time.Duration
	}{
		{"default 60 s", 0, cumulative(0, 30, 29, 1, 59, 1), cumulative(0, 60, 60)},
		{"configured 10 s", 10 * time.Second, cumulative(0, 9, 1, 5), cumulative(0, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{ConnectionIDTTL: tt.ttl}, "udp4")
				for _, at := range tt.announceAt {
					time.Sleep(at - time.Since(e.start))
					e.mustAnnounce(t, testRequest(1))
				}
				if got := e.times(0); !slices.Equal(got, tt.wantConnects) {
					t.Errorf("connects at %v, want %v", got, tt.wantConnects)
				}
			})
		})
	}
}

// TestContextEndsRetransmits: the caller's deadline ends the schedule early.
func TestContextEndsRetransmits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
		defer cancel()
		_, err := e.tr.Announce(ctx, e.url, testRequest(1))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(e.start) != 50*time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(e.start))
		}
		if got, want := e.times(0), cumulative(0, 15, 30); !slices.Equal(got, want) {
			t.Fatalf("connects at %v, want %v", got, want)
		}
		// The abandoned connect stopped retransmitting.
		time.Sleep(time.Hour)
		if n := e.tracker.UDPStats().Connect; n != 3 {
			t.Fatalf("%d connects after the caller left", n)
		}
	})
}

// TestStuckTrackerDoesNotDelayAnother: one tracker that never answers does
// not slow down announces to another on the same Transport.
func TestStuckTrackerDoesNotDelayAnother(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
		good := mocktracker.New(mocktracker.Config{})
		defer good.Close()
		pc, err := e.net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := good.ServeUDP(pc); err != nil {
			t.Fatal(err)
		}
		goodURL := mustURL(t, "udp://"+pc.LocalAddr().String()+"/announce")

		ctx, cancel := context.WithCancel(context.Background())
		stuck := make(chan error, 8)
		for i := range 8 {
			go func() {
				_, err := e.tr.Announce(ctx, e.url, testRequest(byte(i)))
				stuck <- err
			}()
		}
		synctest.Wait()
		for i := range 100 {
			time.Sleep(time.Duration(i) * 100 * time.Millisecond)
			before := time.Now()
			if _, err := e.tr.Announce(context.Background(), goodURL, testRequest(byte(i))); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(before); d != 0 {
				t.Fatalf("announce to the good tracker took %v of virtual time", d)
			}
		}
		cancel()
		for range 8 {
			if err := <-stuck; !errors.Is(err, context.Canceled) {
				t.Fatalf("stuck announce: %v", err)
			}
		}
	})
}

// A request that joins a connect in flight at a long retransmit step (the
// tracker was dead for a while, other torrents keep the flight alive)
// resends the connect at once: it must not wait minutes for the flight's
// next send when the tracker is back. Found by internal/sim: after a dead
// spell, Stop's stopped waited behind such a flight and was never sent.
func TestJoinLateConnectFlightResends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
		old := make(chan error, 1)
		go func() { // keeps the connect flight alive: 15+30+60+120 s so far
			_, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
			old <- err
		}()
		time.Sleep(4 * time.Minute) // the flight now waits 240 s for its next send
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := e.tr.Announce(ctx, e.url, testRequest(2)); err != nil {
			t.Fatalf("a new announce behind the old connect: %v after %v", err, time.Since(start))
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("the new announce took %v with the tracker back", d)
		}
		if err := <-old; err != nil {
			t.Errorf("the old announce: %v", err)
		}
	})
}
