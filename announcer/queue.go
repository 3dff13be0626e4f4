package announcer

import (
	"sync"
	"time"
)

// eventQueue is a Session's bounded event buffer and the delivery to its
// exported channel.
//
// Producers (tracker goroutines, PeerSource callbacks) never block. The
// exported channel has a small buffer of its own (eventChanCap): while no
// backlog is waiting, push puts the event straight into it, so the events
// of one reply (an update, a warning, the peers) reach the consumer with no
// goroutine and no lock beyond the channel's. Only when the channel is full
// (the consumer lags behind) does push append to a backlog under the mutex,
// bounded by the Session's event limit; when that is full too, the newest
// event is dropped (what is buffered stays in order) and counted. A
// forwarding goroutine exists only while a backlog waits: it moves the
// backlog into the channel one event at a time and, as soon as it has made
// room after drops, queues a DroppedEvent with the count. An idle Session
// thus costs no goroutine and no backlog, only the channel's small buffer.
//
// When the Session ends, end is called after every other goroutine of the
// Session has exited. The channel is closed once the backlog is empty, or
// after the linger time (or at Client.Close) when the consumer does not
// read: the rest is then discarded, WebRTC connections closed. Either way it
// is closed exactly once, by the forwarder or by end, and after it nothing
// is sent.
type eventQueue struct {
	out     chan Event
	limit   int
	linger  time.Duration
	wg      *sync.WaitGroup // the Client's: Client.Close waits for forwarders
	closing <-chan struct{} // the Client's: closed by Client.Close

	mu      sync.Mutex
	buf     []Event
	dropped int
	running bool          // a forwarder goroutine is active
	ended   bool          // the Session has ended: no more pushes
	closed  bool          // out is closed
	abandon chan struct{} // closed when the ended Session's lingering is over
	timer   *time.Timer   // the linger timer
}

// eventChanCap is the most a Session's Events channel buffers itself: room
// for the events of a few replies (an update, a warning and the peers each),
// so that a consumer that keeps up needs no forwarding goroutine, for 128
// bytes per Session. It is at most half the event limit; the backlog holds
// the rest of the limit.
const eventChanCap = 8

func (q *eventQueue) init(limit int, linger time.Duration, wg *sync.WaitGroup, closing <-chan struct{}) {
	chanCap := min(eventChanCap, limit/2)
	q.out = make(chan Event, chanCap)
	limit -= chanCap // at least 1: a limit of 1 gives an unbuffered channel
	q.abandon = make(chan struct{})
	q.limit, q.linger, q.wg, q.closing = limit, linger, wg, closing
}

// push queues ev without blocking; it reports whether ev was queued. An
// event that is not queued is discarded (a WebRTC peer's connection closed).
func (q *eventQueue) push(ev Event) bool {
	q.mu.Lock()
	if q.ended {
		q.mu.Unlock()
		discard(ev)
		return false
	}
	if len(q.buf) >= q.limit {
		q.dropped++
		q.mu.Unlock()
		discard(ev)
		return false
	}
	if !q.running {
		// No backlog: put ev into the channel's buffer (or hand it to a
		// consumer waiting on it), sparing a forwarder goroutine.
		select {
		case q.out <- ev:
			q.mu.Unlock()
			return true
		default:
		}
	}
	q.buf = append(q.buf, ev)
	if !q.running {
		q.running = true
		q.wg.Add(1)
		go q.forward()
	}
	q.mu.Unlock()
	return true
}

// forward delivers buffered events until the buffer is empty, then exits.
// Once the Session has ended it gives up on a consumer that does not read
// when the linger time is over or the Client closes.
func (q *eventQueue) forward() {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if len(q.buf) == 0 {
			q.running = false
			if q.ended {
				q.closeLocked()
			}
			q.mu.Unlock()
			return
		}
		ev := q.buf[0]
		q.buf[0] = nil
		q.buf = q.buf[1:]
		if len(q.buf) == 0 {
			q.buf = nil // let an emptied buffer go
		}
		if q.dropped > 0 {
			q.buf = append(q.buf, DroppedEvent{Time: time.Now(), Count: q.dropped})
			q.dropped = 0
		}
		q.mu.Unlock()
		if !q.deliver(ev) {
			break
		}
	}
	q.mu.Lock()
	for _, e := range q.buf {
		discard(e)
	}
	q.buf, q.running = nil, false
	q.drainLocked()
	q.closeLocked()
	q.mu.Unlock()
}

// deliver sends ev to the consumer. It reports false, having discarded ev,
// when the Session has ended and the linger time is over or the Client is
// closing.
func (q *eventQueue) deliver(ev Event) bool {
	closing := q.closing
	for {
		select {
		case q.out <- ev:
			return true
		case <-q.abandon:
			discard(ev)
			return false
		case <-closing:
			q.mu.Lock()
			ended := q.ended
			q.mu.Unlock()
			if ended {
				discard(ev)
				return false
			}
			closing = nil // end will close abandon: Client.Close ends every Session
		}
	}
}

// end is called once, when every goroutine of the Session that may push
// has exited. It closes the channel now if nothing is buffered, or lets the
// forwarder deliver the rest for at most the linger time.
func (q *eventQueue) end() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ended = true
	if !q.running {
		select {
		case <-q.closing: // Client.Close discards what was not read
			q.drainLocked()
		default: // what the channel holds stays readable
		}
		q.closeLocked()
		return
	}
	select {
	case <-q.closing:
		close(q.abandon)
	default:
		q.timer = time.AfterFunc(q.linger, func() { close(q.abandon) })
	}
}

// drainLocked discards the events still in the channel's buffer: the
// consumer is gone (linger over, or Client.Close).
func (q *eventQueue) drainLocked() {
	if q.closed {
		return
	}
	for {
		select {
		case ev := <-q.out:
			discard(ev)
		default:
			return
		}
	}
}

// closeLocked closes out exactly once.
func (q *eventQueue) closeLocked() {
	if q.closed {
		return
	}
	q.closed = true
	close(q.out)
	if q.timer != nil {
		q.timer.Stop()
	}
}

// discard frees what an undelivered event owns: WebRTC peers' connections.
func discard(ev Event) {
	if pe, ok := ev.(PeerEvent); ok {
		for _, p := range pe.Peers {
			if p.Conn != nil {
				p.Conn.Close()
			}
		}
	}
}
