package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/trackerkit/trackerkit/internal/defaults"
	"golang.org/x/sync/singleflight"
)

// Defaults of ResolverConfig's zero values.
const (
	// DefaultDNSTTL is how long a successful lookup is reused. Go's
	// resolver does not report the record's TTL; five minutes is what
	// libtorrent's resolver cache keeps a name (resolver_cache_timeout).
	DefaultDNSTTL = 5 * time.Minute
	// DefaultDNSNegativeTTL is how long a failed lookup is remembered, so
	// a dead name costs one lookup, not one per torrent.
	DefaultDNSNegativeTTL = 30 * time.Second
	// DefaultDNSTimeout bounds one lookup.
	DefaultDNSTimeout = 10 * time.Second
	// DefaultDNSMaxEntries bounds the cache.
	DefaultDNSMaxEntries = 4096
)

// ErrNoAddress: a hostname resolved to no IP address at all.
var ErrNoAddress = errors.New("hostname has no IP address")

// LookupFunc returns the IP addresses of host, as
// (*net.Resolver).LookupNetIP(ctx, "ip", host) does.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// ResolverConfig configures a Resolver. Every zero value is a default.
type ResolverConfig struct {
	// Lookup resolves one hostname. Tests pass a function that makes a
	// test name resolve to 127.0.0.1 and ::1. Default: net.DefaultResolver.
	Lookup LookupFunc
	// TTL is how long a successful lookup is reused. Default 5 minutes
	// (DefaultDNSTTL).
	TTL time.Duration
	// NegativeTTL is how long a failed lookup is remembered. Default 30 s
	// (DefaultDNSNegativeTTL).
	NegativeTTL time.Duration
	// Timeout bounds one lookup. Default 10 s (DefaultDNSTimeout).
	Timeout time.Duration
	// MaxEntries bounds the cache: when it is full, expired entries are
	// swept, and if none expired the cache is emptied. Default 4096
	// (DefaultDNSMaxEntries).
	MaxEntries int
}

// LookupWith returns the LookupFunc of a *net.Resolver (nil:
// net.DefaultResolver).
func LookupWith(r *net.Resolver) LookupFunc {
	if r == nil {
		r = net.DefaultResolver
	}
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		return r.LookupNetIP(ctx, "ip", host)
	}
}

// Resolver is the DNS cache every transport of a Client shares: a hostname
// is looked up once per TTL however many torrents and protocols use it
// (10,000 torrents on one tracker cost one lookup), failures are remembered
// for NegativeTTL, and concurrent callers share one lookup in flight
// (singleflight). It is safe for concurrent use; Close it when done.
type Resolver struct {
	cfg    ResolverConfig
	group  singleflight.Group
	ctx    context.Context // ends at Close: cancels lookups in flight
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	wg      sync.WaitGroup // lookups in flight
	entries map[string]dnsEntry
	lookups int // lookups started, for tests and metrics
}

type dnsEntry struct {
	addrs   []netip.Addr
	err     error
	expires time.Time
}

// NewResolver returns a Resolver configured by cfg.
func NewResolver(cfg ResolverConfig) *Resolver {
	if cfg.Lookup == nil {
		cfg.Lookup = LookupWith(nil)
	}
	defaults.Positive(&cfg.TTL, DefaultDNSTTL)
	defaults.Positive(&cfg.NegativeTTL, DefaultDNSNegativeTTL)
	defaults.Positive(&cfg.Timeout, DefaultDNSTimeout)
	defaults.Positive(&cfg.MaxEntries, DefaultDNSMaxEntries)
	r := &Resolver{cfg: cfg, entries: make(map[string]dnsEntry)}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// Lookup returns the addresses of host (IPv4-mapped addresses unmapped), in
// the order the lookup gave them; an IP literal is returned as is. The
// slice is shared: do not modify it. The lookup itself is not bound to ctx
// (other callers may share it) but to the Resolver's Timeout and Close;
// ctx ends only this caller's wait.
func (r *Resolver) Lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	host = strings.ToLower(host)
	r.mu.Lock()
	e, ok := r.answerLocked(host)
	r.mu.Unlock()
	if ok {
		return e.addrs, e.err
	}
	ch := r.group.DoChan(host, func() (any, error) { return r.lookup(host) })
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.([]netip.Addr), nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	case <-r.ctx.Done():
		return nil, ErrClosed
	}
}

// lookup runs one lookup (on singleflight's goroutine, counted in wg) and
// caches its outcome.
func (r *Resolver) lookup(host string) ([]netip.Addr, error) {
	r.mu.Lock()
	// A caller that missed the cache just before another flight for host
	// filled it, and came here after that flight ended, finds the answer
	// now: one lookup per TTL, however the callers interleave (a loaded
	// machine widens that window).
	if e, ok := r.answerLocked(host); ok {
		r.mu.Unlock()
		return e.addrs, e.err
	}
	r.wg.Add(1)
	r.lookups++
	r.mu.Unlock()
	defer r.wg.Done()

	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	addrs, err := r.cfg.Lookup(ctx, host)
	cancel()
	if r.ctx.Err() != nil {
		return nil, ErrClosed // not an answer about host: do not cache it
	}
	if err == nil && len(addrs) == 0 {
		err = ErrNoAddress
	}
	ttl := r.cfg.TTL
	if err != nil {
		addrs, ttl = nil, r.cfg.NegativeTTL
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	now := time.Now()
	r.mu.Lock()
	if len(r.entries) >= r.cfg.MaxEntries {
		r.sweepLocked(now)
	}
	r.entries[host] = dnsEntry{addrs: addrs, err: err, expires: now.Add(ttl)}
	r.mu.Unlock()
	return addrs, err
}

// answerLocked returns what the Resolver answers for host without a
// lookup: ErrClosed once it is closed, else the cache entry if it has not
// expired. ok is false when a lookup is needed.
func (r *Resolver) answerLocked(host string) (e dnsEntry, ok bool) {
	if r.closed {
		return dnsEntry{err: ErrClosed}, true
	}
	e, ok = r.entries[host]
	return e, ok && time.Now().Before(e.expires)
}

// sweepLocked drops expired entries, and every entry if none had expired.
func (r *Resolver) sweepLocked(now time.Time) {
	for h, e := range r.entries {
		if !now.Before(e.expires) {
			delete(r.entries, h)
		}
	}
	if len(r.entries) >= r.cfg.MaxEntries {
		clear(r.entries)
	}
}

// Lookups returns how many lookups the Resolver has started.
func (r *Resolver) Lookups() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups
}

// Close cancels the lookups in flight, waits for them, and makes later
// calls fail with ErrClosed. It is idempotent and returns nil.
func (r *Resolver) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
	return nil
}
