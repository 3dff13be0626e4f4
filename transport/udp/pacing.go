package udp

import (
	"net/netip"
	"time"
)

// Pacing: each tracker address has an in-flight window that adapts to what
// the tracker answers (AIMD, as TCP's congestion window). A tracker whose
// receive buffer overflows drops datagrams silently, and under BEP 15 each
// loss costs a 15-second retransmission wait; so a client that keeps more
// requests in flight than the tracker absorbs falls off a cliff (seen with
// opentracker at 256 in flight: a quarter of the first datagrams lost, the
// rate down to 1 %). The window avoids that:
//
//   - it starts at initialWindow and grows by one per reply up to the
//     slow-start threshold (doubling every round trip), then by one per
//     window's worth of replies, up to Config.MaxInFlight;
//   - a request counts as lost when a reply comes for a request sent after
//     it and it has waited longer than the retransmission estimate (the
//     smoothed round trip plus four deviations, at least minLossDelay), or
//     when its BEP 15 wait runs out. A loss halves the window (once per
//     window: losses of the same burst count once) and the lost request is
//     sent again at once (its BEP 15 schedule goes on), so a loss costs a
//     round trip instead of 15 seconds;
//   - a request that goes unanswered with nothing sent after it answered
//     (the last of a burst) is sent again once after the probe delay
//     (twice the loss delay, at least minProbeDelay, doubling for each
//     probe of the same request, at most maxProbes), when the tracker has
//     answered before (its round trip is known) and lately (probeLiveness):
//     the tail of a burst does not wait 15 seconds either, and a tracker
//     that went silent is not sent more than BEP 15 asks. A tracker never heard from gets the BEP
//     15 schedule alone, which goes on unchanged beside the early resends;
//   - requests beyond the window wait in a FIFO queue and are sent as
//     replies free room, by the goroutine that frees it (the socket's
//     reader, usually): no goroutine waits for the window.
//
// Event announces (completed, stopped) never wait: they are sent at once
// and counted in the window. Connects are not paced (one per tracker a
// minute). A tracker address with nothing in flight forgets its window.

const (
	initialWindow = 64 // the announcer's default in flight per tracker: pacing changes nothing until a loss
	minWindow     = 4
	minLossDelay  = 20 * time.Millisecond
	minProbeDelay = 200 * time.Millisecond
	// maxProbes bounds the early resends of one request (probes and
	// loss-triggered ones); the BEP 15 schedule takes over after them.
	maxProbes = 4 // per BEP 15 wait
	// probeLiveness: a tracker that has not answered for this long (or
	// four loss delays, if longer: room for the first probe) gets no early
	// resends, only the BEP 15 schedule: a tracker that died is not sent
	// more than BEP 15 asks.
	probeLiveness = time.Second
	// maxFastResends bounds the requests declared lost and resent while
	// handling one reply.
	maxFastResends = 8
)

// pacer is the window of one tracker address. Guarded by socket.mu.
type pacer struct {
	cwnd      float64 // the window, in requests
	ssthresh  float64 // slow start below it
	max       float64
	inflight  int
	seq       uint64    // send order
	lastCut   time.Time // the last halving: a loss of a request sent before it counts no more
	sampled   bool      // srtt holds a measurement
	replied   time.Time // the last reply from this address
	srtt      time.Duration
	rttvar    time.Duration
	idleSince time.Time // when inflight and the queue became empty
	out       plist     // sent and unanswered, oldest send first
	wait      plist     // waiting for room in the window, FIFO
}

// plist is an intrusive list of pendings (pending.prev, next, list).
type plist struct{ head, tail *pending }

func (l *plist) push(p *pending) {
	p.prev, p.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = p
	} else {
		l.head = p
	}
	l.tail = p
}

func (l *plist) remove(p *pending) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		l.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		l.tail = p.prev
	}
	p.prev, p.next = nil, nil
}

// Where a pending is, for pacing.
const (
	inNoList uint8 = iota
	inWait
	inOut
	// inDue: in flight, its BEP 15 wait over; its caller is about to send
	// it again (in no list: loss detection leaves it alone).
	inDue
)

func (pc *pacer) window() int { return max(int(pc.cwnd), 1) }

// aliveAt reports whether the tracker answered lately enough for early
// resends (probeLiveness).
func (pc *pacer) aliveAt(now time.Time) bool {
	return now.Sub(pc.replied) < max(probeLiveness, 4*pc.lossDelay())
}

// lossDelay is how long a request may go unanswered while later ones are
// answered before it counts as lost.
func (pc *pacer) lossDelay() time.Duration {
	if !pc.sampled {
		return 4 * minLossDelay
	}
	return max(pc.srtt+4*pc.rttvar, minLossDelay)
}

// dueLocked takes p, whose BEP 15 wait is over, out of the send order: its
// caller sends it again (transmit), and loss detection must not meanwhile.
func (s *socket) dueLocked(p *pending) {
	if p.list != inOut {
		return
	}
	s.pacers[p.dst].out.remove(p)
	p.list = inDue
}

// pacerLocked returns dst's pacer, making it.
func (s *socket) pacerLocked(dst netip.AddrPort) *pacer {
	pc := s.pacers[dst]
	if pc == nil {
		s.sweepPacersLocked(time.Now())
		m := float64(s.t.cfg.MaxInFlight)
		pc = &pacer{cwnd: min(initialWindow, m), ssthresh: m, max: m}
		if s.pacers == nil {
			s.pacers = make(map[netip.AddrPort]*pacer)
		}
		s.pacers[dst] = pc
	}
	return pc
}

// transmit sends p's packet b (built by its caller, who keeps b until p is
// unregistered) and arms its retransmission deadline after wait, or queues
// p behind its tracker's window: it is then sent, and armed, when there is
// room (see admitLocked). retransmit says p is in flight already (its BEP
// 15 wait ran out): it is sent at once. It returns errClosed when the
// socket has closed, or the send error.
func (s *socket) transmit(p *pending, b []byte, wait time.Duration, retransmit bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	if s.pending[p.txid] != p { // answered meanwhile (a late reply to an earlier send)
		s.mu.Unlock()
		return nil
	}
	now := time.Now()
	p.pkt, p.wait = b, wait
	pc := s.pacerLocked(p.dst)
	switch {
	case retransmit && (p.list == inOut || p.list == inDue):
		s.lostLocked(pc, p, now) // the wait ran out: certainly lost
		if p.list == inOut {
			pc.out.remove(p)
		}
		p.probes, p.probeDelay = 0, 0 // early resends again, for this BEP 15 wait
	case p.event || pc.inflight < pc.window() && pc.wait.head == nil:
		pc.inflight++
	default:
		p.list = inWait
		pc.wait.push(p)
		s.mu.Unlock()
		return nil
	}
	s.sentLocked(pc, p, now)
	s.mu.Unlock()
	return s.send(b, p.dst)
}

// sentLocked records p as sent now: last in the window's send order, with
// its deadline armed: the BEP 15 one, or the probe before it (see probe).
func (s *socket) sentLocked(pc *pacer, p *pending, now time.Time) {
	pc.seq++
	p.seq, p.sentAt, p.list = pc.seq, now, inOut
	pc.out.push(p)
	p.bepAt = now.Add(p.wait)
	s.armProbeLocked(pc, p, now)
}

// armProbeLocked arms p's deadline: its probe, when the tracker's round
// trip is known, the request has had fewer than maxProbes and the probe
// comes before the BEP 15 deadline; else that deadline. Each probe of a
// request waits twice as long as the one before.
func (s *socket) armProbeLocked(pc *pacer, p *pending, now time.Time) {
	d := max(2*pc.lossDelay(), minProbeDelay, 2*p.probeDelay)
	at := p.bepAt
	p.probing = false
	if probe := now.Add(d); pc.sampled && pc.aliveAt(now) && p.probes < maxProbes && probe.Before(at) {
		at, p.probing = probe, true
		p.probeDelay = d
		p.probes++
	}
	s.armLocked(p, at)
}

// probeLocked runs when p's probe delay has passed unanswered (expire): p
// counts as lost and is sent again now; its BEP 15 deadline stays.
func (s *socket) probeLocked(p *pending, now time.Time) {
	p.probing = false
	pc := s.pacers[p.dst]
	if pc == nil || p.list != inOut || !pc.aliveAt(now) {
		s.armLocked(p, p.bepAt)
		return
	}
	s.lostLocked(pc, p, now)
	pc.out.remove(p)
	pc.seq++
	p.seq, p.sentAt = pc.seq, now
	pc.out.push(p)
	s.armProbeLocked(pc, p, now) // its BEP 15 deadline stays
	s.send(p.pkt, p.dst)         // under s.mu: p's caller cannot release p.pkt meanwhile
}

// lostLocked halves the window for a lost request p, unless a loss of the
// same window (sent before the last halving) did so already.
func (s *socket) lostLocked(pc *pacer, p *pending, now time.Time) {
	p.resent = true // its next round trip says nothing of the path (Karn)
	if !p.sentAt.After(pc.lastCut) {
		return
	}
	pc.ssthresh = max(pc.cwnd/2, minWindow)
	pc.cwnd = pc.ssthresh
	pc.lastCut = now
}

// answeredLocked updates p's pacer for a reply to p (answered) or for p
// leaving (its caller gave up): the window grows with replies, requests
// sent before p and overdue are declared lost and sent again, and queued
// requests are sent while there is room.
func (s *socket) answeredLocked(p *pending, answered bool) {
	if p.list == inNoList {
		return
	}
	pc := s.pacers[p.dst]
	if p.list == inWait {
		pc.wait.remove(p)
		p.list = inNoList
		s.idleLocked(pc, p.dst)
		return
	}
	if p.list == inOut {
		pc.out.remove(p)
	}
	p.list = inNoList
	pc.inflight--
	now := time.Now()
	if answered {
		pc.replied = now
		if !p.resent {
			sample := now.Sub(p.sentAt)
			if !pc.sampled {
				pc.sampled, pc.srtt, pc.rttvar = true, sample, sample/2
			} else {
				pc.rttvar += (absDuration(pc.srtt-sample) - pc.rttvar) / 4
				pc.srtt += (sample - pc.srtt) / 8
			}
		}
		if pc.cwnd < pc.ssthresh {
			pc.cwnd++
		} else {
			pc.cwnd += 1 / pc.cwnd
		}
		pc.cwnd = min(pc.cwnd, pc.max)
		delay := pc.lossDelay()
		for range maxFastResends {
			h := pc.out.head
			if h == nil || h.seq > p.seq || now.Sub(h.sentAt) <= delay || h.probes >= maxProbes {
				break
			}
			s.lostLocked(pc, h, now)
			pc.out.remove(h)
			s.disarmLocked(h)
			pc.seq++
			h.seq, h.sentAt = pc.seq, now
			pc.out.push(h)
			s.armProbeLocked(pc, h, now) // its BEP 15 deadline stays
			s.send(h.pkt, h.dst)         // under s.mu: h's caller cannot release h.pkt meanwhile
		}
	}
	s.admitLocked(pc, now)
	s.idleLocked(pc, p.dst)
}

// admitLocked sends queued requests while the window has room. It sends
// under s.mu, so that no caller releases a queued packet meanwhile.
func (s *socket) admitLocked(pc *pacer, now time.Time) {
	for pc.wait.head != nil && pc.inflight < pc.window() {
		p := pc.wait.head
		pc.wait.remove(p)
		pc.inflight++
		s.sentLocked(pc, p, now)
		if err := s.send(p.pkt, p.dst); err != nil {
			s.t.log.Debug("udp: send failed", "tracker", p.dst, "err", err) // the BEP 15 wait resends it
		}
	}
}

// idleLocked notes when dst's pacer went idle; pacers idle for longer than
// pacerIdleTTL are forgotten (swept when new ones are made).
func (s *socket) idleLocked(pc *pacer, dst netip.AddrPort) {
	if pc.inflight == 0 && pc.wait.head == nil {
		pc.idleSince = time.Now()
	}
}

// pacerIdleTTL is how long an idle tracker address keeps its window and
// round-trip estimate.
const pacerIdleTTL = 2 * time.Minute

// sweepPacersLocked forgets the pacers idle for longer than pacerIdleTTL,
// at most once per pacerIdleTTL.
func (s *socket) sweepPacersLocked(now time.Time) {
	if now.Sub(s.pacersSwept) < pacerIdleTTL {
		return
	}
	s.pacersSwept = now
	for dst, pc := range s.pacers {
		if pc.inflight == 0 && pc.wait.head == nil && now.Sub(pc.idleSince) > pacerIdleTTL {
			delete(s.pacers, dst)
		}
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
