package udp

import (
	"context"
	"net/netip"
	"sync"
	"time"
)

// connCache holds the connection ID of each tracker address (the address
// carries the family), shared by every torrent. Concurrent requests to one
// tracker that need a new ID share one connect in flight.
type connCache struct {
	mu        sync.Mutex
	entries   map[netip.AddrPort]*connEntry
	lastPrune time.Time
}

type connEntry struct {
	id      uint64
	expires time.Time      // zero: no usable ID
	flight  *connectFlight // the connect in flight, if any
}

// pruneAbove is the number of cached trackers above which expired entries
// are swept (at most once per TTL).
const pruneAbove = 256

// connectFlight is one connect request shared by every request waiting for
// the tracker's connection ID. It retransmits on its own timer, follows the
// BEP 15 schedule from the retransmission count of the request that started
// it, and ends when answered, when its waits run out, or when every waiter
// has gone.
type connectFlight struct {
	t     *Transport
	s     *socket
	dst   netip.AddrPort
	p     pending
	timer *time.Timer

	// Guarded by t.conns.mu.
	n        int // retransmission count: the current wait is base * 2^n
	waiters  int
	finished bool

	done chan struct{} // closed once the fields below are set
	id   uint64
	err  error
}

// connID returns a valid connection ID for dst, connecting if needed. n is
// the caller's retransmission count: a connect it starts begins its waits
// there, and n is raised to the count the connect ended at, so one request
// follows one BEP 15 schedule across connect and announce.
func (t *Transport) connID(ctx context.Context, s *socket, dst netip.AddrPort, n *int) (uint64, error) {
	c := &t.conns
	c.mu.Lock()
	e := c.entries[dst]
	if e == nil {
		e = &connEntry{}
		c.entries[dst] = e
		c.pruneLocked(time.Now(), t.cfg.ConnectionIDTTL)
	}
	if e.flight == nil && time.Now().Before(e.expires) {
		id := e.id
		c.mu.Unlock()
		return id, nil
	}
	f := e.flight
	start := f == nil
	if start {
		f = &connectFlight{t: t, s: s, dst: dst, n: *n, done: make(chan struct{})}
		f.p = pending{kind: actionConnect, v6: s.v6, dst: dst, flight: f}
		e.flight = f
	}
	f.waiters++
	// A request joining a flight further up the BEP 15 ladder than itself
	// (the tracker was silent for a while and other requests kept the
	// flight alive) resends the connect now and brings the flight down to
	// its own step: otherwise it would wait for the flight's next send, up
	// to an hour away, although the tracker may be back (a Stop's stopped
	// would be lost behind it). It costs one connect per such request, as
	// if connects were not shared.
	rewind := !start && !f.finished && f.timer != nil && f.n > *n
	if rewind {
		f.n = *n
		f.timer.Reset(f.t.cfg.wait(f.n))
	}
	c.mu.Unlock()

	switch {
	case start:
		f.start()
	case rewind:
		f.send()
	}
	select {
	case <-f.done:
		*n = max(*n, f.n) // f.n is final once done is closed
		return f.id, f.err
	case <-ctx.Done():
		f.leave()
		return 0, context.Cause(ctx)
	case <-t.closing:
		f.leave()
		return 0, errClosed
	}
}

// invalidate forgets dst's connection ID id after the tracker refused it
// (a newer ID obtained meanwhile is kept).
func (t *Transport) invalidate(dst netip.AddrPort, id uint64) {
	c := &t.conns
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[dst]; e != nil && e.id == id {
		e.expires = time.Time{}
	}
}

// pruneLocked drops expired, idle entries when the cache has grown.
func (c *connCache) pruneLocked(now time.Time, ttl time.Duration) {
	if len(c.entries) < pruneAbove || now.Sub(c.lastPrune) < ttl {
		return
	}
	c.lastPrune = now
	for k, e := range c.entries {
		if e.flight == nil && !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
}

// start registers the connect and sends it for the first time.
func (f *connectFlight) start() {
	if err := f.s.register(&f.p); err != nil {
		f.finish(result{err: err})
		return
	}
	c := &f.t.conns
	c.mu.Lock()
	if f.finished { // every waiter left already
		c.mu.Unlock()
		f.s.unregister(&f.p)
		return
	}
	f.timer = time.AfterFunc(f.t.cfg.wait(f.n), f.onTimeout)
	c.mu.Unlock()
	f.send()
}

func (f *connectFlight) send() {
	var b [connectLen]byte
	if err := f.s.send(appendConnect(b[:0], f.p.txid), f.dst); err != nil {
		f.s.unregister(&f.p)
		f.finish(result{err: sendError(err)})
	}
}

// onTimeout runs when a wait ended with no reply: resend, or give up.
func (f *connectFlight) onTimeout() {
	c := &f.t.conns
	c.mu.Lock()
	if f.finished {
		c.mu.Unlock()
		return
	}
	if f.n >= f.t.cfg.MaxRetransmits {
		f.finishLocked(result{err: timeoutError(f.n)})
		c.mu.Unlock()
		f.s.unregister(&f.p)
		return
	}
	f.n++
	f.timer.Reset(f.t.cfg.wait(f.n))
	c.mu.Unlock()
	f.send()
}

// finish ends the flight with res (first call wins) and wakes the waiters.
func (f *connectFlight) finish(res result) {
	c := &f.t.conns
	c.mu.Lock()
	defer c.mu.Unlock()
	f.finishLocked(res)
}

func (f *connectFlight) finishLocked(res result) {
	if f.finished {
		return
	}
	c := &f.t.conns
	f.finished = true
	if f.timer != nil {
		f.timer.Stop()
	}
	e := c.entries[f.dst]
	if e != nil && e.flight == f {
		e.flight = nil
	}
	switch {
	case res.failure != nil:
		f.err = res.failure
	case res.err != nil:
		f.err = res.err
	default:
		f.id = res.connID
		if e != nil {
			e.id, e.expires = res.connID, time.Now().Add(f.t.cfg.ConnectionIDTTL)
		}
	}
	close(f.done)
}

// leave is called by a waiter that stops waiting; the last one to leave
// abandons the connect.
func (f *connectFlight) leave() {
	c := &f.t.conns
	c.mu.Lock()
	f.waiters--
	if f.waiters > 0 || f.finished {
		c.mu.Unlock()
		return
	}
	f.finishLocked(result{err: errAbandoned})
	c.mu.Unlock()
	f.s.unregister(&f.p)
}
