package udp

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// socket is the one socket of an address family: every request to every
// tracker of that family goes out through it, and its reader goroutine hands
// each reply to the request whose transaction ID it carries.
type socket struct {
	t   *Transport
	pc  net.PacketConn
	udp *net.UDPConn // pc, when it is a real UDP socket: allocation-free I/O
	v6  bool

	// randTxID draws transaction IDs; tests replace it.
	randTxID func() uint32

	mu          sync.Mutex
	pending     map[uint32]*pending       // outstanding requests by transaction ID
	deadlines   deadlineHeap              // requests waiting for a reply, by retransmission deadline
	pacers      map[netip.AddrPort]*pacer // in-flight windows, by tracker address (pacing.go)
	pacersSwept time.Time                 // the last sweep of idle pacers
	timer       *time.Timer               // AfterFunc(expire), nil until first armed
	armedAt     time.Time                 // when timer fires; zero: not armed
	closed      bool

	strays atomic.Int64 // datagrams ignored: shorter than a header, unknown txid or action, wrong source
}

// pending is one outstanding request: an announce or scrape (its caller
// waits on ch) or a shared connect (flight is set, no one reads ch).
// Pending values are pooled by the Transport and reused.
type pending struct {
	txid    uint32
	kind    uint32 // actionConnect, actionAnnounce or actionScrape
	v6      bool   // peers are 18 bytes
	nhashes int    // scrape: how many hashes were asked for
	dst     netip.AddrPort
	flight  *connectFlight
	// ch has capacity 2 and receives, per registration, at most one
	// result (from the reader or failAll, which remove p from the map
	// under s.mu) and at most one retransmit token (from expire, which
	// takes p out of the heap; only the caller puts it back, after taking
	// the token), so a sender never blocks.
	ch chan result

	// Guarded by socket.mu.
	deadline time.Time // when to retransmit, while in the heap
	heapIdx  int       // 1 + index in socket.deadlines; 0: not in it

	// Pacing (pacing.go), guarded by socket.mu.
	event      bool          // completed or stopped: never waits for the window
	pkt        []byte        // the packet, the caller's until it unregisters
	wait       time.Duration // this send's BEP 15 wait
	seq        uint64        // send order in its pacer
	sentAt     time.Time
	resent     bool          // sent more than once: no round-trip sample
	probing    bool          // the armed deadline is the probe (pacing.go)
	bepAt      time.Time     // the BEP 15 deadline of the latest send
	probeDelay time.Duration // the last probe delay; 0: none yet
	probes     int           // early resends so far (pacing.go maxProbes)
	list       uint8         // inNoList, inWait or inOut
	prev, next *pending
}

// result is the outcome of one request. Exactly one of the fields is set.
type result struct {
	connID     uint64
	announce   *transport.AnnounceResponse
	scrape     []transport.ScrapeStats
	failure    *transport.FailureError // error reply (action 3)
	err        error                   // malformed reply, closed transport
	retransmit bool                    // no reply before the deadline: send again
}

// newPending returns a pending with its channel.
func newPending() *pending { return &pending{ch: make(chan result, 2)} }

func newSocket(t *Transport, pc net.PacketConn, v6 bool) *socket {
	s := &socket{t: t, pc: pc, v6: v6, randTxID: rand.Uint32, pending: make(map[uint32]*pending)}
	s.udp, _ = pc.(*net.UDPConn)
	return s
}

// register gives p a fresh transaction ID: random, never zero, and not used
// by any request outstanding on this socket.
func (s *socket) register(p *pending) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	for {
		id := s.randTxID()
		if id != 0 && s.pending[id] == nil {
			p.txid = id
			s.pending[id] = p
			return nil
		}
	}
}

// unregister removes p from the map and the heap. What was delivered to
// p.ch meanwhile (a result, a retransmit token) is drained, so that p can
// be reused: senders send only under s.mu, so after this nothing more comes.
func (s *socket) unregister(p *pending) {
	s.mu.Lock()
	if s.pending[p.txid] == p {
		delete(s.pending, p.txid)
	}
	s.disarmLocked(p)
	s.answeredLocked(p, false)
	s.mu.Unlock()
	if p.flight == nil { // flights have no channel reader: nothing to drain
		for {
			select {
			case <-p.ch:
				continue
			default:
			}
			break
		}
	}
}

// send writes one datagram to dst.
func (s *socket) send(b []byte, dst netip.AddrPort) error {
	if s.udp != nil {
		_, err := s.udp.WriteToUDPAddrPort(b, dst)
		return err
	}
	_, err := s.pc.WriteTo(b, net.UDPAddrFromAddrPort(dst))
	return err
}

// readLoop reads datagrams until the socket is closed, then fails every
// outstanding request.
func (s *socket) readLoop() {
	defer s.t.wg.Done()
	buf := make([]byte, s.t.cfg.ReadBufferSize)
	errorsInARow := 0
	for {
		var (
			n    int
			from netip.AddrPort
			err  error
		)
		if s.udp != nil {
			n, from, err = s.udp.ReadFromUDPAddrPort(buf)
		} else {
			var addr net.Addr
			n, addr, err = s.pc.ReadFrom(buf)
			if ua, ok := addr.(*net.UDPAddr); ok && err == nil {
				from = ua.AddrPort()
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.t.isClosed() {
				s.failAll(errClosed)
				return
			}
			// Some systems report ICMP errors of earlier sends on reads
			// (Windows: WSAECONNRESET). They concern one tracker, not the
			// socket; but a socket that only fails is retired.
			errorsInARow++
			s.t.log.Debug("udp: read error", "err", err)
			if errorsInARow < 100 {
				continue
			}
			s.t.retire(s)
			s.failAll(err)
			return
		}
		errorsInARow = 0
		s.dispatch(buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
	}
}

// dispatch hands one datagram to the request it answers, or ignores it.
func (s *socket) dispatch(b []byte, from netip.AddrPort) {
	action, txid, ok := header(b)
	if !ok {
		s.stray("short datagram", from, len(b))
		return
	}
	s.mu.Lock()
	p := s.pending[txid]
	if p == nil {
		s.mu.Unlock()
		s.stray("unknown transaction id", from, len(b))
		return
	}
	if s.t.cfg.Strict && from != p.dst {
		s.mu.Unlock()
		s.stray("reply from another address (strict mode)", from, len(b))
		return
	}
	kind, v6, nhashes := p.kind, p.v6, p.nhashes
	s.mu.Unlock()

	res, ok := parseReply(kind, action, b, v6, nhashes)
	if !ok {
		s.stray("unexpected action", from, len(b))
		return
	}
	s.mu.Lock()
	if s.pending[txid] != p {
		s.mu.Unlock() // answered or abandoned meanwhile (a duplicate reply)
		return
	}
	delete(s.pending, txid)
	s.disarmLocked(p)
	s.answeredLocked(p, true)
	if p.flight == nil {
		p.ch <- res // never blocks: see pending.ch
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	p.flight.finish(res)
}

func (s *socket) stray(why string, from netip.AddrPort, n int) {
	s.strays.Add(1)
	s.t.log.Debug("udp: ignored datagram", "why", why, "from", from, "len", n)
}

// parseReply turns a reply to a request of the given kind into a result;
// ok is false when the reply is to be ignored (an action that is neither
// the expected one nor an error). A reply with the expected action that is
// too short is the tracker's answer: it fails the request with a
// *TruncatedError.
func parseReply(kind, action uint32, b []byte, v6 bool, nhashes int) (res result, ok bool) {
	if action == actionError {
		return result{failure: &transport.FailureError{Reason: parseErrorReply(b)}}, true
	}
	if action != kind {
		return result{}, false
	}
	var err error
	switch kind {
	case actionConnect:
		res.connID, err = parseConnectReply(b)
	case actionAnnounce:
		res.announce, err = parseAnnounceReply(b, v6)
	case actionScrape:
		res.scrape, err = parseScrapeReply(b, nhashes)
	}
	res.err = err
	return res, true
}

// failAll ends every outstanding request with err and refuses new ones.
func (s *socket) failAll(err error) {
	var flights []*connectFlight
	s.mu.Lock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	for _, p := range s.deadlines {
		p.heapIdx = 0
	}
	for _, pc := range s.pacers {
		for _, l := range []*plist{&pc.out, &pc.wait} {
			for p := l.head; p != nil; p = l.head {
				l.remove(p)
				p.list = inNoList
			}
		}
	}
	s.pacers = nil
	clear(s.deadlines)
	s.deadlines = nil
	for id, p := range s.pending {
		delete(s.pending, id)
		p.list = inNoList
		if p.flight != nil {
			flights = append(flights, p.flight)
		} else {
			p.ch <- result{err: err}
		}
	}
	s.mu.Unlock()
	for _, f := range flights {
		f.finish(result{err: err})
	}
}
