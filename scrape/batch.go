package scrape

import (
	"sync"

	"github.com/trackerkit/trackerkit/transport"
)

// queue hands out one tracker's batches. Its batch size can only shrink: a
// 414 URI Too Long halves it, and every later batch of the call uses the
// smaller size, including the one put back after the 414.
type queue struct {
	mu       sync.Mutex
	size     int                  // current batch size, >= 1
	rest     []transport.InfoHash // hashes not sent yet (or put back), in order
	inflight int                  // batches handed out and not yet done
}

func newQueue(hashes []transport.InfoHash, size int) *queue {
	return &queue{size: max(size, 1), rest: hashes}
}

// next returns the next batch, at most q.size hashes, and counts it in
// flight. It returns nil when nothing is left to send; inflight then says
// whether a batch still out may put hashes back.
func (q *queue) next() (batch []transport.InfoHash, inflight int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.rest) == 0 {
		return nil, q.inflight
	}
	n := min(q.size, len(q.rest))
	batch, q.rest = q.rest[:n:n], q.rest[n:]
	q.inflight++
	return batch, q.inflight
}

// done marks a batch as finished.
func (q *queue) done() {
	q.mu.Lock()
	q.inflight--
	q.mu.Unlock()
}

// shrink handles a 414 for batch: it lowers the size to at most half the
// batch and puts the batch back in front, to be sent again in smaller
// pieces. It returns false, changing nothing, when batch is a single hash:
// there is no smaller request to try. The batch is still counted in flight:
// call done.
func (q *queue) shrink(batch []transport.InfoHash) (newSize int, ok bool) {
	if len(batch) <= 1 {
		return 0, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.size = max(min(q.size, len(batch)/2), 1)
	// Put back in front as one run, so the pieces are full-sized.
	rest := make([]transport.InfoHash, 0, len(batch)+len(q.rest))
	q.rest = append(append(rest, batch...), q.rest...)
	return q.size, true
}

// drain removes and returns every hash not yet handed out.
func (q *queue) drain() []transport.InfoHash {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.rest
	q.rest = nil
	return out
}
