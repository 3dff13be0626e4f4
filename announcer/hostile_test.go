package announcer

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

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
