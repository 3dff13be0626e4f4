package udp

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

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
