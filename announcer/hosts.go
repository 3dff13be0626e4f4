package announcer

import (
	"context"
	"sync"
)

// hostLimit bounds the requests in flight to one tracker endpoint (scheme,
// host and port), whatever the URL's path or passkey: a tracker serving
// thousands of our torrents is not flooded, and a dead one holds only its
// own slots while its requests wait out their retransmits.
//
// It also runs the workers whose next tracker is on that endpoint, with
// at most as many goroutines as it has slots: workers due while all are
// busy wait in a queue, not on goroutines of their own, and a goroutine that
// finishes a worker goes on with the next one, stack warm. So ten thousand
// sessions starting at once cost a few dozen goroutines, and announce at the
// pace the tracker answers.
type hostLimit struct {
	key   string
	slots chan struct{} // nil: unlimited
	refs  int

	mu      sync.Mutex
	queue   []*worker // due workers waiting for a goroutine, FIFO from head
	head    int
	running int // goroutines running workers
}

// submit runs w on one of the endpoint's goroutines, or queues it. The
// caller holds w's Session.mu and has marked w running, so the Client
// cannot be waiting for its goroutines yet.
func (c *Client) submit(h *hostLimit, w *worker) {
	h.mu.Lock()
	if h.slots != nil && h.running >= cap(h.slots) {
		h.queue = append(h.queue, w)
		h.mu.Unlock()
		return
	}
	h.running++
	h.mu.Unlock()
	c.wg.Add(1)
	go c.runWorkers(h, w)
}

// runWorkers runs w, then the queued workers of h until none is left.
func (c *Client) runWorkers(h *hostLimit, w *worker) {
	defer c.wg.Done()
	for {
		w.runIfRunning()
		h.mu.Lock()
		if h.head == len(h.queue) {
			h.queue, h.head = nil, 0
			h.running--
			h.mu.Unlock()
			return
		}
		w = h.queue[h.head]
		h.queue[h.head] = nil
		h.head++
		if h.head >= 1024 && 2*h.head >= len(h.queue) { // a lasting backlog: reclaim the front
			n := copy(h.queue, h.queue[h.head:])
			clear(h.queue[n:])
			h.queue, h.head = h.queue[:n], 0
		}
		h.mu.Unlock()
	}
}

// acquireSlot takes a request slot for tu's tracker (and one of the Client's,
// when limited), waiting until ctx ends.
func (c *Client) acquireSlot(ctx context.Context, tu *trackerURL) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.sem == nil && tu.limit.slots != nil { // the common case, without select
		select {
		case tu.limit.slots <- struct{}{}:
			return nil
		default:
		}
	}
	if c.sem != nil {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if tu.limit.slots != nil {
		select {
		case tu.limit.slots <- struct{}{}:
		case <-ctx.Done():
			if c.sem != nil {
				<-c.sem
			}
			return ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil { // ended meanwhile: do not start the request
		c.releaseSlot(tu)
		return err
	}
	return nil
}

// releaseSlot returns the slots acquireSlot took.
func (c *Client) releaseSlot(tu *trackerURL) {
	if tu.limit.slots != nil {
		<-tu.limit.slots
	}
	if c.sem != nil {
		<-c.sem
	}
}
