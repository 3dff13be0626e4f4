package udp

import (
	"container/heap"
	"time"
)

// Retransmission deadlines: each socket keeps its outstanding requests'
// deadlines in one min-heap with one timer, instead of a timer per request.
// A request is in the heap while it waits for a reply to its latest send.
// The timer is armed for the earliest deadline when that deadline comes
// first; when a request leaves the heap early (answered, abandoned) the
// timer is left alone: it fires, finds nothing due, and is armed again for
// the new earliest one. Under load that is one timer event per wait
// (15 s), not one timer reset per announce.
//
// When a deadline passes, the timer's function takes the request out of
// the heap and hands it a retransmit token on its channel: the caller
// itself resends (its connection ID may have expired meanwhile, and getting
// a new one may block), then puts the request back with its next deadline.

// deadlineHeap orders requests by deadline; each knows its index.
type deadlineHeap []*pending

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i+1, j+1
}
func (h *deadlineHeap) Push(x any) {
	p := x.(*pending)
	p.heapIdx = len(*h) + 1
	*h = append(*h, p)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	p.heapIdx = 0
	return p
}

// armLocked puts p in the heap with deadline at and arms the timer if at
// comes before the time it is armed for. The caller holds s.mu.
func (s *socket) armLocked(p *pending, at time.Time) {
	p.deadline = at
	heap.Push(&s.deadlines, p)
	if !s.armedAt.IsZero() && !at.Before(s.armedAt) {
		return
	}
	s.armedAt = at
	d := time.Until(at)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.expire)
		return
	}
	s.timer.Reset(d)
}

// disarmLocked takes p out of the heap, if it is there.
func (s *socket) disarmLocked(p *pending) {
	if p.heapIdx > 0 {
		heap.Remove(&s.deadlines, p.heapIdx-1)
	}
}

// expire is the timer's function: every request whose deadline has passed
// gets its retransmit token; the timer is armed for the next deadline.
func (s *socket) expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armedAt = time.Time{}
	if s.closed {
		return
	}
	now := time.Now()
	for len(s.deadlines) > 0 {
		p := s.deadlines[0]
		if p.deadline.After(now) {
			s.armedAt = p.deadline
			s.timer.Reset(p.deadline.Sub(now))
			return
		}
		heap.Pop(&s.deadlines)
		if p.probing {
			s.probeLocked(p, now)
			continue
		}
		s.dueLocked(p)
		p.ch <- result{retransmit: true} // never blocks: see pending.ch
	}
}

// arm puts p, registered and out of the heap, in the heap with deadline at;
// false when the socket has closed (failAll ran: p is no longer
// registered).
func (s *socket) arm(p *pending, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.pending[p.txid] != p {
		return !s.closed
	}
	s.armLocked(p, at)
	return true
}
