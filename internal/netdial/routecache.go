package netdial

import (
	"net/netip"
	"sync"
	"time"
)

// routeCacheTTL is how long an answer of Routable is reused. Routes change
// rarely (a network coming up or going down); probing one costs a socket and
// three system calls, which every torrent's first announce would pay.
const routeCacheTTL = 30 * time.Second

// routeCacheMax bounds the cache; when full it starts again empty.
const routeCacheMax = 4096

type routeKey struct{ local, dst netip.Addr }

type routeEntry struct {
	ok      bool
	expires time.Time
}

// routeCache remembers Routable's answers per (local, destination) address.
type routeCache struct {
	mu      sync.Mutex
	entries map[routeKey]routeEntry
}

var routes routeCache

func (c *routeCache) routable(local, dst netip.Addr) bool {
	k := routeKey{local, dst}
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.entries[k]; ok && now.Before(e.expires) {
		c.mu.Unlock()
		return e.ok
	}
	c.mu.Unlock()
	ok := probeRoute(local, dst)
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= routeCacheMax {
		c.entries = make(map[routeKey]routeEntry)
	}
	c.entries[k] = routeEntry{ok: ok, expires: now.Add(routeCacheTTL)}
	c.mu.Unlock()
	return ok
}
