package udp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// announceAll runs n announces at once (distinct peer IDs) and returns
// their errors.
func announceAll(e *memEnv, n int, ev transport.Event) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := testRequest(byte(i))
			req.PeerID[1] = byte(i >> 8)
			req.Event = ev
			_, errs[i] = e.tr.Announce(context.Background(), e.url, req)
		})
	}
	wg.Wait()
	return errs
}

// maxAtOnce is the largest number of announces the tracker received at one
// instant (virtual time: a burst arrives at one instant).
func maxAtOnce(e *memEnv) int {
	by := map[time.Duration]int{}
	most := 0
	for _, at := range e.times(actionAnnounce) {
		by[at]++
		most = max(most, by[at])
	}
	return most
}

func TestPacing(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		faults    mocktracker.UDPFaults
		n         int
		ev        transport.Event
		maxBurst  int           // most announces at one instant, 0: no check
		minBurst  int           // least of that most, 0: no check
		within    time.Duration // every announce answered within
		retrySent bool          // some announce was sent more than once
	}{
		// The window caps what is in flight; the rest waits and goes as
		// replies come back: 8, 8, 4 a second apart after the connect.
		{"window caps in flight", Config{MaxInFlight: 8}, mocktracker.UDPFaults{Delay: time.Second},
			20, transport.EventStarted, 8, 8, 4 * time.Second, false},
		// Events never wait for the window.
		{"events do not wait", Config{MaxInFlight: 1}, mocktracker.UDPFaults{Delay: time.Second},
			10, transport.EventStopped, 10, 10, 2 * time.Second, false},
		// A tracker dropping a fifth of the datagrams costs round trips,
		// not 15-second retransmissions: losses are found by later replies
		// (or the tail probe) and sent again at once.
		{"losses resent early", Config{}, mocktracker.UDPFaults{Delay: 10 * time.Millisecond, DropRate: 0.2, Seed: 7, DropActions: []uint32{actionAnnounce}},
			300, transport.EventStarted, 0, 0, 10 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, tt.cfg, "udp4")
				e.tracker.SetUDPFaults(tt.faults)
				for i, err := range announceAll(e, tt.n, tt.ev) {
					if err != nil {
						t.Fatalf("announce %d: %v", i, err)
					}
				}
				if d := time.Since(e.start); d > tt.within {
					t.Errorf("took %v, want at most %v", d, tt.within)
				}
				if most := maxAtOnce(e); tt.maxBurst > 0 && (most > tt.maxBurst || most < tt.minBurst) {
					t.Errorf("%d announces at once, want %d..%d", most, tt.minBurst, tt.maxBurst)
				}
				if sent := len(e.times(actionAnnounce)); tt.retrySent != (sent > tt.n) {
					t.Errorf("%d announces sent for %d", sent, tt.n)
				}
			})
		})
	}
}

// A tracker that has answered before gets a lost request again after the
// probe delay (from its round trip) even when nothing is sent after it; a
// tracker never heard from gets the BEP 15 schedule alone.
func TestPacingTailProbe(t *testing.T) {
	tests := []struct {
		name     string
		answered bool // an announce was answered first
		min, max time.Duration
	}{
		{"known tracker: probed", true, 2 * time.Second, DefaultRetransmitBase},
		{"unknown tracker: BEP 15 wait", false, DefaultRetransmitBase, DefaultRetransmitBase + 2*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{}, "udp4")
				e.tracker.SetUDPFaults(mocktracker.UDPFaults{Delay: time.Second})
				if tt.answered {
					e.mustAnnounce(t, testRequest(1))
				}
				e.tracker.SetUDPFaults(mocktracker.UDPFaults{Delay: time.Second, DropFirst: 1, DropActions: []uint32{actionAnnounce}})
				t0 := time.Now()
				e.mustAnnounce(t, testRequest(2))
				if d := time.Since(t0); d < tt.min || d > tt.max {
					t.Errorf("the dropped announce took %v, want %v..%v", d, tt.min, tt.max)
				}
			})
		})
	}
}

// A tracker that answered and then went silent gets early resends for at
// most probeLiveness after its last reply; then only the BEP 15 schedule.
func TestPacingSilentTracker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{MaxRetransmits: 1}, "udp4")
		e.mustAnnounce(t, testRequest(1))
		before := len(e.times(actionAnnounce))
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1, DropActions: []uint32{actionAnnounce}})
		if _, err := e.tr.Announce(context.Background(), e.url, testRequest(2)); !errors.Is(err, transport.ErrTimeout) {
			t.Fatalf("err %v, want a timeout", err)
		}
		// 2 BEP 15 sends, and the probes within a second of the last reply.
		if sent := len(e.times(actionAnnounce)) - before; sent < 2 || sent > 4 {
			t.Fatalf("%d datagrams to a silent tracker, want 2 to 4", sent)
		}
	})
}
