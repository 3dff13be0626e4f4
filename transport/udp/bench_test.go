package udp

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

func BenchmarkAppendAnnounce(b *testing.B) {
	req := testRequest(1)
	r := request{kind: actionAnnounce, announce: req, path: "/announce", query: "passkey=0123456789abcdef"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.append(buf[:0], 0x1122334455667788, 42)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkParseAnnounceReply(b *testing.B) {
	for _, tc := range []struct {
		name string
		v6   bool
		n    int
	}{{"v4-50", false, 50}, {"v4-400", false, 400}, {"v6-150", true, 150}} {
		b.Run(tc.name, func(b *testing.B) {
			size := 6
			if tc.v6 {
				size = 18
			}
			peers := make([]byte, tc.n*size)
			for i := range tc.n {
				peers[i*size], peers[i*size+size-1] = byte(i), 1
			}
			pkt := reply(1, []uint32{1800, 5, 6}, peers)
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseAnnounceReply(pkt, tc.v6); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnnounceLoopback measures announces per second over real
// loopback against the mock tracker, 64 requests in flight on one Transport.
// Allocations include the mock tracker's (same process).
func BenchmarkAnnounceLoopback(b *testing.B) {
	const inFlight = 64
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	u := mustURL(b, mustListen(b, tracker))
	tr := New(Config{RetransmitBase: time.Second})
	defer tr.Close()
	ctx := context.Background()
	// Warm up: the connection ID, and every worker's peer in the swarm.
	for w := range inFlight {
		if _, err := tr.Announce(ctx, u, testRequest(byte(w))); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range inFlight {
		req := testRequest(byte(w))
		req.Event = 0
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if _, err := tr.Announce(ctx, u, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "announces/s")
}

func mustListen(b *testing.B, tr *mocktracker.Tracker) string {
	s, err := tr.ListenUDP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return s
}
