package webrtc

import (
	"context"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/testenv"
	"github.com/trackerkit/trackerkit/transport"
)

// BenchmarkPendingOffer measures what one of our offers costs while it
// waits for its answer: the CPU to make it (gathering included), and, for a
// batch of pendingBatch offers held at once, the heap and goroutines each
// one keeps and the CPU they burn while idle.
func BenchmarkPendingOffer(b *testing.B) {
	const pendingBatch = 100
	tr := New(Config{LoopbackOnly: true, MaxPendingConns: 10 * pendingBatch})
	defer tr.Close()
	u, _ := url.Parse("ws://127.0.0.1:1/announce")
	s := newSocket(tr, u)
	h := transport.InfoHash{1}
	ctx := context.Background()
	reserve := func() { // newOffer takes a slot reserved by the offer manager
		tr.offers.mu.Lock()
		tr.offers.pending++
		tr.offers.mu.Unlock()
	}

	// The steady costs of a batch held pending.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	var batch []*peerConn
	for range pendingBatch {
		reserve()
		p, err := s.newOffer(ctx, h, 0)
		if err != nil {
			b.Fatal(err)
		}
		batch = append(batch, p)
	}
	time.Sleep(500 * time.Millisecond) // let pion's goroutines settle
	runtime.GC()
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	cpu0 := testenv.ProcessCPU()
	time.Sleep(time.Second)
	idle := testenv.ProcessCPU() - cpu0
	closeAll(batch)

	b.ResetTimer()
	cpu0 = testenv.ProcessCPU()
	batch = batch[:0]
	for b.Loop() {
		reserve()
		p, err := s.newOffer(ctx, h, 0)
		if err != nil {
			b.Fatal(err)
		}
		batch = append(batch, p)
		if len(batch) == pendingBatch {
			closeAll(batch)
			batch = batch[:0]
		}
	}
	b.ReportMetric(float64(testenv.ProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	// Reported after the loop: ResetTimer deletes metrics reported before.
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/pendingBatch, "heapB/pending")
	b.ReportMetric(float64(g1-g0)/pendingBatch, "goroutines/pending")
	b.ReportMetric(float64(idle.Microseconds())/pendingBatch, "idle-cpu-µs/pending/s")
	b.StopTimer()
	closeAll(batch)
}
