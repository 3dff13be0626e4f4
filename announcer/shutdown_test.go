package announcer

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// Item 3: under Client.Shutdown, 1,000 Sessions whose tracker acknowledged
// "started" and then died each get the first send of their "stopped" at
// once, far within the deadline: stoppeds take no slot of the host
// (MaxAnnouncesPerTracker, 64) and do not wait for one another. In virtual
// time, over the real UDP transport on memnet, and over the fake transport
// for an HTTP URL (the HTTP connection pool has its own test in
// transport/http and the figure over loopback is BenchmarkShutdownStopped).
func TestShutdownSendsEveryStopped(t *testing.T) {
	const n = 1000
	t.Run("udp", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			mts, urls, c := udpTrackers(t, memnet.New(), 1, Config{})
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
