package scrape

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"

	"github.com/trackerkit/trackerkit/internal/defaults"
	"github.com/trackerkit/trackerkit/transport"
)

// Defaults for the zero Config.
const (
	// DefaultBatchSize is the most info hashes one HTTP scrape carries by
	// default: torrust caps a scrape at 74, like the UDP packet limit.
	DefaultBatchSize = 74
	// DefaultConcurrency is the default number of scrape requests in flight.
	DefaultConcurrency = 4
)

// ErrClosed is returned by calls on a Scraper after Close.
var ErrClosed = errors.New("scrape: scraper closed")

// Config configures a Scraper. The zero Config is usable: each field's
// default is given in its documentation.
type Config struct {
	// Transport returns the transport for a tracker URL. Pass the
	// announcer's (*announcer.Client).TransportFor to share its sockets and
	// caches; the Scraper then owns no transport. Default nil: the Scraper
	// builds one transport per protocol on first use and closes them in
	// Close.
	Transport func(u *url.URL) (transport.Transport, error)
	// BatchSize is the most info hashes one request carries. A transport
	// with a smaller MaxScrapeBatch (UDP: 74) lowers it further, and a batch
	// the tracker refuses as too large (transport.ErrBatchTooLarge, HTTP's
	// 414 URI Too Long) halves it for the rest of the call. Default
	// DefaultBatchSize (74); values below 1 mean the default.
	BatchSize int
	// Concurrency is the most scrape requests one call (Scrape or ScrapeAll)
	// has in flight at once. Default DefaultConcurrency (4); values below 1
	// mean the default.
	Concurrency int
	// Logger receives debug records about failed batches and shrunk batch
	// sizes, tracker URLs redacted. Default nil: no logs.
	Logger *slog.Logger
	// Options are the network settings (User-Agent, proxy, bound local
	// address, DNS cache) of the transports the Scraper builds itself when
	// Transport is nil; their Logger defaults to Logger. With Transport set
	// the transports' owner decides (an announcer.Client applies its
	// Config). Default: the zero Options, each transport's defaults.
	Options transport.Options
}

// Scraper scrapes trackers for many info hashes at once. It is safe for
// concurrent use. Make it with New and release it with Close.
type Scraper struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	closed bool
	owned  map[string]transport.Transport // default transports by protocol name
}

// New returns a Scraper for cfg.
func New(cfg Config) *Scraper {
	defaults.Positive(&cfg.BatchSize, DefaultBatchSize)
	defaults.Positive(&cfg.Concurrency, DefaultConcurrency)
	log := cfg.Logger
	defaults.Unset(&log, defaults.Discard)
	return &Scraper{cfg: cfg, log: log, owned: make(map[string]transport.Transport)}
}

// Scrape asks the tracker at trackerURL (an announce URL: http, https, udp,
// ws or wss) about hashes and returns one Result per distinct hash.
//
// The error is non-nil only when nothing could be asked, with an empty
// Results: the URL does not parse (ErrInvalidURL), its scheme is not a
// tracker protocol or an HTTP URL has no scrape URL (ErrUnsupported), no
// transport serves it, or the Scraper is closed (ErrClosed). Failed batches
// are reported per hash, not here. When ctx ends first, Scrape stops sending,
// waits for the requests in flight and returns ctx's error along with the
// Results: hashes already answered keep their Status, the others are Failed
// with an error matching ctx's.
func (s *Scraper) Scrape(ctx context.Context, trackerURL string, hashes []transport.InfoHash) (Results, error) {
	u, t, err := s.open(trackerURL)
	if err != nil {
		return Results{}, err
	}
	res, unique := newResults(hashes)
	sem := make(chan struct{}, s.cfg.Concurrency)
	return res, s.scrapeTracker(ctx, u, t, res, unique, sem)
}

// ScrapeAll scrapes every tracker for hashes at once, sharing the bound of
// Config.Concurrency requests in flight, and maps each distinct tracker URL
// (as given) to its Results. A tracker Scrape would refuse (bad URL, no
// scrape, no transport) has every hash Failed with that error: see
// Results.Err. The error is non-nil only when ctx ended first (the Results
// are then partial, as with Scrape) or the Scraper is closed.
func (s *Scraper) ScrapeAll(ctx context.Context, trackers []string, hashes []transport.InfoHash) (map[string]Results, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	out := make(map[string]Results, len(trackers))
	sem := make(chan struct{}, s.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, tr := range trackers {
		if _, dup := out[tr]; dup {
			continue
		}
		res, unique := newResults(hashes)
		out[tr] = res
		u, t, err := s.open(tr)
		if err != nil {
			failAll(res, unique, err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.scrapeTracker(ctx, u, t, res, unique, sem) // ctx's error: returned below
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

// Close closes the transports the Scraper built for itself (none when
// Config.Transport is set) and makes later calls return ErrClosed. Requests
// still in flight on those transports fail. Close is idempotent.
func (s *Scraper) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	owned := s.owned
	s.owned = nil
	s.mu.Unlock()
	var errs []error
	for _, t := range owned {
		errs = append(errs, t.Close())
	}
	return errors.Join(errs...)
}

func (s *Scraper) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// open parses and checks a tracker URL and finds its transport.
func (s *Scraper) open(trackerURL string) (*url.URL, transport.Transport, error) {
	if s.isClosed() {
		return nil, nil, ErrClosed
	}
	u, err := parseTracker(trackerURL)
	if err != nil {
		return nil, nil, err
	}
	var t transport.Transport
	if s.cfg.Transport != nil {
		t, err = s.cfg.Transport(u)
	} else {
		t, err = s.defaultTransport(u)
	}
	if err != nil {
		return nil, nil, asTransportError(u, err)
	}
	if t == nil {
		return nil, nil, &transport.Error{Op: "scrape", URL: transport.Redact(u), Err: ErrNoTransport}
	}
	return u, t, nil
}

// scrapeTracker sends hashes to one tracker in batches, at most cap(sem)
// requests in flight (sem is shared by every tracker of a ScrapeAll), and
// records each hash's outcome in res. It returns ctx's error if ctx ended.
func (s *Scraper) scrapeTracker(ctx context.Context, u *url.URL, t transport.Transport, res Results, hashes []transport.InfoHash, sem chan struct{}) error {
	size := s.cfg.BatchSize
	if m, ok := t.(transport.MaxScrapeBatch); ok && m.MaxScrapeBatch() > 0 {
		size = min(size, m.MaxScrapeBatch())
	}
	b := &batcher{s: s, u: u, redacted: transport.Redact(u), t: t, res: res, q: newQueue(hashes, size)}

	var wg sync.WaitGroup
	wake := make(chan struct{}, 1) // a batch finished: maybe hashes were put back
loop:
	for ctx.Err() == nil {
		// Take the slot before the batch: a 414 while we wait shrinks it.
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		batch, inflight := b.q.next()
		if batch == nil {
			<-sem
			if inflight == 0 {
				break
			}
			select {
			case <-wake:
			case <-ctx.Done():
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.send(ctx, batch)
			b.q.done()
			<-sem
			select {
			case wake <- struct{}{}:
			default:
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		failAll(res, b.q.drain(), asTransportError(u, err))
		return err
	}
	return nil
}

// batcher sends one tracker's batches.
type batcher struct {
	s        *Scraper
	u        *url.URL
	redacted string
	t        transport.Transport
	res      Results // each hash is written by the one goroutine holding its batch
	q        *queue
}

// send asks the tracker about one batch and records the outcome, or puts the
// batch back smaller when the tracker found it too large
// (transport.ErrBatchTooLarge: an HTTP 414).
func (b *batcher) send(ctx context.Context, batch []transport.InfoHash) {
	resp, err := b.t.Scrape(ctx, b.u, &transport.ScrapeRequest{InfoHashes: batch})
	if err == nil && resp == nil {
		err = &transport.MalformedError{What: "transport returned no scrape response"}
	}
	if err != nil {
		if errors.Is(err, transport.ErrBatchTooLarge) && ctx.Err() == nil {
			if size, ok := b.q.shrink(batch); ok {
				b.s.log.DebugContext(ctx, "scrape: batch too large, smaller batches",
					"tracker", b.redacted, "batch", len(batch), "size", size)
				return
			}
		}
		err = asTransportError(b.u, err)
		b.s.log.DebugContext(ctx, "scrape: batch failed", "tracker", b.redacted, "hashes", len(batch), "err", err)
		failAll(b.res, batch, err)
		return
	}
	for _, h := range batch {
		if st, ok := resp.Files[h]; ok {
			b.res.set(Result{InfoHash: h, Status: Known, Stats: st})
		} else {
			b.res.set(Result{InfoHash: h, Status: Unknown})
		}
	}
}

// failAll marks hashes Failed with err.
func failAll(res Results, hashes []transport.InfoHash, err error) {
	for _, h := range hashes {
		res.set(Result{InfoHash: h, Status: Failed, Err: err})
	}
}

// asTransportError returns err as a *transport.Error for u: transports
// already return one; anything else (a context error, a custom transport's
// error) is wrapped with the redacted URL.
func asTransportError(u *url.URL, err error) error {
	return transport.Wrap("scrape", transport.Redact(u), err)
}
