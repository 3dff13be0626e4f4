package udp

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"
)

// dnsCache remembers hostname lookups, successful ones for DNSCacheTTL and
// failed ones for DNSNegativeTTL, and shares one lookup among concurrent
// callers.
type dnsCache struct {
	mu      sync.Mutex
	entries map[string]*dnsEntry
}

type dnsEntry struct {
	done    chan struct{} // closed when the lookup ended
	addrs   []netip.Addr
	err     error
	expires time.Time
}

// dnsMaxEntries bounds the cache; when it is full, expired entries are
// swept, and if none expired the cache is emptied.
const dnsMaxEntries = 4096

var errNoAddress = errors.New("udp: hostname has no IP address")

// resolve returns the addresses of host. The lookup runs on a goroutine of
// the Transport (so that one caller's context does not cancel the lookup
// others share), bounded by DNSTimeout and stopped by Close.
func (t *Transport) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	c := &t.dns
	now := time.Now()
	c.mu.Lock()
	e := c.entries[host]
	if e != nil {
		select {
		case <-e.done:
			if !now.Before(e.expires) {
				e = nil
			}
		default: // a lookup in flight: share it
		}
	}
	if e == nil {
		if len(c.entries) >= dnsMaxEntries {
			c.sweepLocked(now)
		}
		e = &dnsEntry{done: make(chan struct{})}
		if !t.startLookup(host, e) {
			c.mu.Unlock()
			return nil, errClosed
		}
		c.entries[host] = e
	}
	c.mu.Unlock()

	select {
	case <-e.done:
		return e.addrs, e.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	case <-t.closing:
		return nil, errClosed
	}
}

// startLookup starts the lookup goroutine; false if the Transport is closed.
func (t *Transport) startLookup(host string, e *dnsEntry) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return false
	}
	t.wg.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		ctx, cancel := context.WithTimeout(t.closeCtx, t.cfg.DNSTimeout)
		addrs, err := t.cfg.Resolver.LookupNetIP(ctx, "ip", host)
		cancel()
		ttl := t.cfg.DNSCacheTTL
		if err == nil && len(addrs) == 0 {
			err = errNoAddress
		}
		if err != nil {
			addrs, ttl = nil, t.cfg.DNSNegativeTTL
		}
		for i, a := range addrs {
			addrs[i] = a.Unmap()
		}
		t.dns.mu.Lock()
		e.addrs, e.err, e.expires = addrs, err, time.Now().Add(ttl)
		close(e.done)
		t.dns.mu.Unlock()
	}()
	return true
}

func (c *dnsCache) sweepLocked(now time.Time) {
	for h, e := range c.entries {
		select {
		case <-e.done:
			if !now.Before(e.expires) {
				delete(c.entries, h)
			}
		default:
		}
	}
	if len(c.entries) >= dnsMaxEntries {
		for h, e := range c.entries {
			select {
			case <-e.done:
				delete(c.entries, h)
			default:
			}
		}
	}
}
