package udp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// Transport is a UDP tracker client (BEP 15, BEP 41) for any number of
// torrents and trackers. It is safe for concurrent use. Create it with New,
// stop it with Close.
type Transport struct {
	cfg Config
	log *slog.Logger

	closing   chan struct{} // closed by Close
	closeCtx  context.Context
	cancelCtx context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup // reader and lookup goroutines

	mu         sync.Mutex
	closed     bool
	socks      [2]*socket   // by family: 0 IPv4, 1 IPv6
	familyErr  [2]error     // why a family's socket could not be opened
	familyWhen [2]time.Time // when, to try again after familyRetry

	conns   connCache
	dns     *transport.Resolver
	ownsDNS bool  // dns was built here: Close closes it
	netErr  error // why no request can be sent (a proxy that cannot carry UDP)

	pendings sync.Pool // *pending, with their channel
	buffers  sync.Pool // *[]byte for requests
}

// familyRetry is how long a family whose socket could not be opened is
// reported as skipped before opening is tried again.
const familyRetry = time.Minute

var (
	_ transport.Transport      = (*Transport)(nil)
	_ transport.MaxScrapeBatch = (*Transport)(nil)
)

// New returns a Transport. No socket is opened until the first request to a
// tracker of each address family.
func New(cfg Config) *Transport {
	cfg = cfg.populated()
	t := &Transport{
		cfg:     cfg,
		log:     cfg.Logger,
		closing: make(chan struct{}),
		conns:   connCache{entries: make(map[netip.AddrPort]*connEntry)},
		dns:     cfg.DNS,
	}
	if t.dns == nil {
		t.dns, t.ownsDNS = newResolver(&cfg), true
	}
	t.closeCtx, t.cancelCtx = context.WithCancel(context.Background())
	t.setupNetwork()
	t.pendings.New = func() any { return newPending() }
	t.buffers.New = func() any {
		b := make([]byte, 0, 512)
		return &b
	}
	return t
}

// MaxScrapeBatch returns 74, the number of info hashes one UDP scrape packet
// carries.
func (t *Transport) MaxScrapeBatch() int { return maxScrapeHashes }

// Close fails every request in flight with an error wrapping net.ErrClosed,
// closes the sockets and waits for the Transport's goroutines. Later calls
// return nil at once.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closed = true
		socks := t.socks
		t.mu.Unlock()
		close(t.closing)
		t.cancelCtx()
		for _, s := range socks {
			if s != nil {
				s.pc.Close()
			}
		}
		t.wg.Wait()
		if t.ownsDNS {
			t.dns.Close()
		}
	})
	return nil
}

func (t *Transport) isClosed() bool {
	select {
	case <-t.closing:
		return true
	default:
		return false
	}
}

// Announce sends one announce to the tracker at u (udp://host:port/path),
// connecting first when no valid connection ID is cached. The path and query
// of u travel as BEP 41 URLData. It returns when the tracker answers, when
// ctx ends, or when the BEP 15 retransmission schedule runs out.
func (t *Transport) Announce(ctx context.Context, u *url.URL, req *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	eps, err := t.endpoints(ctx, u, req.Family)
	if err != nil {
		return nil, wrap("announce", u, err)
	}
	r := request{kind: actionAnnounce, announce: req, path: u.EscapedPath(), query: u.RawQuery}
	var res result
	if len(eps) == 1 { // r stays on the stack
		res, err = t.roundTripTo(ctx, eps[0], &r)
	} else {
		shared := r // the fallback race shares it between goroutines
		res, _, err = t.exchange(ctx, eps, &shared)
	}
	if err != nil {
		return nil, wrap("announce", u, err)
	}
	return res.announce, nil
}

// Scrape asks the tracker at u for the statistics of req.InfoHashes. More
// than 74 hashes are split into several scrape packets, sent one after the
// other; any failure fails the whole call. UDP trackers answer zeros for
// torrents they do not know, so every hash asked for is in the response
// unless the tracker sent fewer entries than asked.
func (t *Transport) Scrape(ctx context.Context, u *url.URL, req *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	resp := &transport.ScrapeResponse{Files: make(map[transport.InfoHash]transport.ScrapeStats, len(req.InfoHashes))}
	if len(req.InfoHashes) == 0 {
		return resp, nil
	}
	eps, err := t.endpoints(ctx, u, transport.FamilyAny)
	if err != nil {
		return nil, wrap("scrape", u, err)
	}
	for hashes := req.InfoHashes; len(hashes) > 0; {
		batch := hashes[:min(len(hashes), maxScrapeHashes)]
		hashes = hashes[len(batch):]
		r := request{kind: actionScrape, hashes: batch}
		res, ep, err := t.exchange(ctx, eps, &r)
		eps = []netip.AddrPort{ep} // the address that answered serves the other batches
		if err != nil {
			return nil, wrap("scrape", u, err)
		}
		for i, st := range res.scrape {
			resp.Files[batch[i]] = st
		}
	}
	return resp, nil
}

func wrap(op string, u *url.URL, err error) error {
	return transport.Wrap(op, transport.Redact(u), err)
}

// request is what roundTrip sends.
type request struct {
	kind        uint32
	announce    *transport.AnnounceRequest
	path, query string // BEP 41 URLData of an announce
	hashes      []transport.InfoHash
}

func (r *request) append(b []byte, connID uint64, txid uint32) []byte {
	if r.kind == actionScrape {
		return appendScrape(b, connID, txid, r.hashes)
	}
	b = appendAnnounce(b, announcePacket{ConnID: connID, TxID: txid, Req: r.announce})
	return appendURLDataParts(b, r.path, r.query)
}

// roundTrip sends r to dst and waits for its reply, retransmitting on the
// BEP 15 schedule and renewing the connection ID when it expires or the
// tracker says it is stale (once).
//
// The caller waits on its request's channel alone (and ctx): the socket's
// reader parses the reply and hands over the result, the socket's deadline
// heap hands over a token when a retransmission is due (see deadlines.go).
// The request and its buffer are pooled.
func (t *Transport) roundTrip(ctx context.Context, s *socket, dst netip.AddrPort, r *request) (result, error) {
	p := t.pendings.Get().(*pending)
	p.kind, p.v6, p.nhashes, p.dst, p.flight = r.kind, s.v6, len(r.hashes), dst, nil
	p.event = r.kind == actionAnnounce && (r.announce.Event == transport.EventCompleted || r.announce.Event == transport.EventStopped)
	p.resent, p.probing, p.probeDelay, p.probes, p.list = false, false, 0, 0, inNoList
	if err := s.register(p); err != nil {
		t.pendings.Put(p)
		return result{}, err
	}
	bp := t.buffers.Get().(*[]byte)
	defer func() {
		s.unregister(p)
		t.pendings.Put(p)
		t.buffers.Put(bp)
	}()

	n := 0 // retransmission count: this wait is base * 2^n
	reconnected := false
	retransmit := false
	for {
		id, err := t.connID(ctx, s, dst, &n)
		if err != nil {
			return result{}, err
		}
		*bp = r.append((*bp)[:0], id, p.txid)
		// Sent now, or when its tracker's window has room (pacing.go);
		// its deadline is armed as it is sent.
		if err := s.transmit(p, *bp, t.cfg.wait(n), retransmit); err != nil {
			if err == errClosed {
				return result{}, err
			}
			return result{}, sendError(err)
		}
		retransmit = false
		var res result
		select {
		case res = <-p.ch:
		case <-ctx.Done():
			return result{}, context.Cause(ctx)
		}
		switch {
		case res.retransmit:
			if n >= t.cfg.MaxRetransmits {
				return result{}, timeoutError(n)
			}
			n++
			retransmit = true
			continue
		case res.err != nil:
			return result{}, res.err
		case res.failure != nil:
			if !reconnected && t.cfg.IsStaleConnectionID(res.failure.Reason) {
				// The tracker forgot our ID before we did: reconnect
				// and send again at once, under a new transaction ID.
				reconnected = true
				t.log.Debug("udp: stale connection id, reconnecting", "tracker", dst, "reason", res.failure.Reason)
				t.invalidate(dst, id)
				s.unregister(p)
				p.resent, p.probing, p.probeDelay, p.probes, p.list = false, false, 0, 0, inNoList
				if err := s.register(p); err != nil {
					return result{}, err
				}
				continue
			}
			return result{}, res.failure
		}
		return res, nil
	}
}

// hostPort returns the host and port of a udp:// tracker URL, or an error
// wrapping ErrInvalidURL.
func hostPort(u *url.URL) (string, uint16, error) {
	if u == nil || u.Scheme != "udp" {
		return "", 0, fmt.Errorf("%w: scheme is not udp", ErrInvalidURL)
	}
	host := u.Hostname()
	if host != "" && u.Port() == "" {
		return "", 0, fmt.Errorf("%w: udp tracker without a port", ErrInvalidURL)
	}
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	if host == "" || err != nil || port == 0 {
		return "", 0, fmt.Errorf("%w: need udp://host:port", ErrInvalidURL)
	}
	return host, uint16(port), nil
}

// socket returns the socket of one family, opening it on first use.
func (t *Transport) socket(v6 bool) (*socket, error) {
	i, network, address := 0, "udp4", "0.0.0.0:0"
	if v6 {
		i, network, address = 1, "udp6", "[::]:0"
	}
	if l := t.cfg.LocalAddr; l.IsValid() {
		if l.Is4() == v6 {
			return nil, &transport.SkippedError{Err: fmt.Errorf("the bound local address %s is of the other family", l)}
		}
		address = netip.AddrPortFrom(l, 0).String()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	if s := t.socks[i]; s != nil {
		return s, nil
	}
	if t.familyErr[i] != nil && time.Since(t.familyWhen[i]) < familyRetry {
		return nil, t.familyErr[i]
	}
	pc, err := t.cfg.ListenPacket(network, address)
	if err != nil {
		if !transport.Unroutable(err) {
			return nil, err
		}
		t.familyErr[i], t.familyWhen[i] = &transport.SkippedError{Err: err}, time.Now()
		return nil, t.familyErr[i]
	}
	t.familyErr[i] = nil
	s := newSocket(t, pc, v6)
	t.socks[i] = s
	t.wg.Add(1)
	go s.readLoop()
	return s, nil
}

// retire forgets a socket that stopped working, so the next request opens
// a new one.
func (t *Transport) retire(s *socket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.socks {
		if t.socks[i] == s {
			t.socks[i] = nil
		}
	}
	s.pc.Close()
}
