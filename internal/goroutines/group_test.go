package goroutines

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestGroup: Go runs fn and Wait waits for it while the group is open;
// after Close, Go runs nothing, and a goroutine that asks for another one
// as it ends is refused rather than outliving Wait.
func TestGroup(t *testing.T) {
	tests := []struct {
		name     string
		closeAt  int // Close before the Go call of this index; -1: never
		calls    int
		wantRuns int32
	}{
		{"open", -1, 3, 3},
		{"closed first", 0, 3, 0},
		{"closed midway", 2, 4, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var g Group
			var runs atomic.Int32
			for i := range tt.calls {
				mu.Lock()
				if i == tt.closeAt && !g.Close() {
					t.Error("the first Close reported the group closed already")
				}
				started := g.Go(func() { runs.Add(1) })
				if started == g.Closed() {
					t.Errorf("call %d: Go reported %v with Closed %v", i, started, g.Closed())
				}
				mu.Unlock()
			}
			mu.Lock()
			g.Close()
			if g.Close() {
				t.Error("a second Close reported that it closed the group")
			}
			mu.Unlock()
			g.Wait()
			if n := runs.Load(); n != tt.wantRuns {
				t.Errorf("%d goroutines ran, want %d", n, tt.wantRuns)
			}
		})
	}
}

// TestRefusedAfterClose: a goroutine that starts another while Close and
// Wait run is refused once Close is done, and Wait returns after the ones
// that were started.
func TestRefusedAfterClose(t *testing.T) {
	var mu sync.Mutex
	var g Group
	release := make(chan struct{})
	var second atomic.Bool
	mu.Lock()
	g.Go(func() {
		<-release
		mu.Lock()
		defer mu.Unlock()
		second.Store(g.Go(func() {}))
	})
	g.Close()
	mu.Unlock()
	close(release)
	g.Wait()
	if second.Load() {
		t.Error("Go started a goroutine after Close")
	}
}
