package announcer

import (
	"context"
	"sync"
)

// hostLimit bounds the requests in flight to one tracker endpoint (scheme,
// host and port), whatever the URL's path or passkey: a tracker serving
// thousands of our torrents is not flooded, and a dead one holds only its
// own slots while its requests wait out their bounds.
//
// Regular announces that find every slot taken wait in a queue, not on
// goroutines of their own, and a goroutine that finishes an announce goes
// on with the next one queued, stack warm, handing its slot over. So ten
// thousand sessions starting at once cost a few dozen goroutines, and
// announce at the pace the tracker answers. A worker whose announce waits
// here still fails over to the next tracker of its tier on time: the queue
// holds announces, not workers. Event announces (completed, stopped) never
// queue here.
type hostLimit struct {
	key   string
	slots chan struct{} // nil: unlimited; also taken by scrapes (acquireSlot)
	refs  int

	mu    sync.Mutex
	queue []*attempt // waiting for a slot, FIFO from head; dropped ones have queued false
	head  int
}

// takeSlot takes a slot of h for a, reporting true, or queues a (false):
// a then runs when a slot is handed over (runAttempts).
func (c *Client) takeSlot(h *hostLimit, a *attempt) bool {
	if h.slots == nil {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case h.slots <- struct{}{}:
		return true
	default:
	}
	a.queued = true
	h.queue = append(h.queue, a)
	return false
}

// runAttempts runs a, then, when a held a slot of its host, the attempts
// queued there until none is left.
func (c *Client) runAttempts(a *attempt, slotted bool) {
	defer c.wg.Done()
	for a != nil {
		a.s.runAttempt(a)
		if !slotted {
			return
		}
		a = c.handOver(a.t.url.limit)
	}
}

// handOver gives the slot of an attempt that ended to the next one queued
// at h, or frees it.
func (c *Client) handOver(h *hostLimit) *attempt {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.head < len(h.queue) {
		a := h.queue[h.head]
		h.queue[h.head] = nil
		h.head++
		if h.head >= 1024 && 2*h.head >= len(h.queue) { // a lasting backlog: reclaim the front
			n := copy(h.queue, h.queue[h.head:])
			clear(h.queue[n:])
			h.queue, h.head = h.queue[:n], 0
		}
		if a.queued {
			a.queued = false
			return a
		}
	}
	h.queue, h.head = nil, 0
	<-h.slots
	return nil
}

// unqueue takes a out of h's queue, reporting false when it is not queued
// (any more).
func (c *Client) unqueue(h *hostLimit, a *attempt) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !a.queued {
		return false
	}
	a.queued = false // handOver skips it
	return true
}

// acquireGlobal takes one of Config.MaxConcurrentAnnounces' slots for a
// regular announce (events take none), waiting until ctx ends.
func (c *Client) acquireGlobal(ctx context.Context, event bool) error {
	if c.sem == nil || event {
		return nil
	}
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) releaseGlobal(event bool) {
	if c.sem != nil && !event {
		<-c.sem
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
