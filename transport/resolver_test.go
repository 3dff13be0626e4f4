package transport

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// countingLookup resolves "<name>.test" to 127.0.0.1 and ::1 after delay,
// and everything else to an error, counting its calls.
type countingLookup struct {
	delay time.Duration
	n     atomic.Int32
}

func (c *countingLookup) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	c.n.Add(1)
	select {
	case <-time.After(c.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if host == "dead.test" {
		return nil, errors.New("no such host")
	}
	if host == "empty.test" {
		return nil, nil
	}
	return []netip.Addr{netip.MustParseAddr("::ffff:127.0.0.1"), netip.MustParseAddr("::1")}, nil
}

func TestResolverCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &countingLookup{delay: time.Second}
		r := NewResolver(ResolverConfig{Lookup: c.lookup})
		defer r.Close()
		ctx := context.Background()

		// 10,000 concurrent callers of one name: one lookup.
		var wg sync.WaitGroup
		for range 10000 {
			wg.Go(func() {
				addrs, err := r.Lookup(ctx, "Tracker.test")
				if err != nil || len(addrs) != 2 || addrs[0] != netip.MustParseAddr("127.0.0.1") {
					t.Error(addrs, err)
				}
			})
		}
		wg.Wait()
		steps := []struct {
			name  string
			wait  time.Duration
			host  string
			fails bool
			want  int32 // lookups so far
		}{
			{"within the TTL", DefaultDNSTTL - 2*time.Second, "tracker.test", false, 1},
			{"after the TTL", 2 * time.Second, "tracker.test", false, 2},
			{"failure", 0, "dead.test", true, 3},
			{"failure cached", time.Second, "dead.test", true, 3},
			{"negative TTL over", DefaultDNSNegativeTTL, "dead.test", true, 4},
			{"no address", 0, "empty.test", true, 5},
			{"IP literal", 0, "[::1]", false, 5},
			{"IPv4 literal", 0, "127.0.0.2", false, 5},
		}
		for _, s := range steps {
			time.Sleep(s.wait)
			_, err := r.Lookup(ctx, s.host)
			if (err != nil) != s.fails || c.n.Load() != s.want {
				t.Fatalf("%s: err %v, %d lookups, want %d", s.name, err, c.n.Load(), s.want)
			}
		}
		if _, err := r.Lookup(ctx, "empty.test"); !errors.Is(err, ErrNoAddress) {
			t.Fatal(err)
		}
		if r.Lookups() != 5 {
			t.Fatal(r.Lookups())
		}
	})
}

func TestResolverCallerLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &countingLookup{delay: time.Second}
		r := NewResolver(ResolverConfig{Lookup: c.lookup})
		defer r.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := r.Lookup(ctx, "a.test"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		// The lookup went on for the others and was cached.
		time.Sleep(time.Second)
		if _, err := r.Lookup(context.Background(), "a.test"); err != nil || c.n.Load() != 1 {
			t.Fatal(err, c.n.Load())
		}
	})
}

func TestResolverClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &countingLookup{delay: time.Hour}
		r := NewResolver(ResolverConfig{Lookup: c.lookup})
		errc := make(chan error)
		go func() {
			_, err := r.Lookup(context.Background(), "slow.test")
			errc <- err
		}()
		synctest.Wait()
		r.Close() // cancels the lookup and waits for it
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Fatal(err)
		}
		if _, err := r.Lookup(context.Background(), "slow.test"); !errors.Is(err, ErrClosed) {
			t.Fatal(err)
		}
		r.Close()
	})
}

func TestResolverBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &countingLookup{}
		r := NewResolver(ResolverConfig{Lookup: c.lookup, MaxEntries: 8})
		defer r.Close()
		for i := range 100 {
			if _, err := r.Lookup(context.Background(), fmt.Sprintf("h%d.test", i)); err != nil {
				t.Fatal(err)
			}
			r.mu.Lock()
			n := len(r.entries)
			r.mu.Unlock()
			if n > 8 {
				t.Fatalf("%d entries, bound 8", n)
			}
		}
		// Expired entries go first when the cache is full.
		r.Close()
		r = NewResolver(ResolverConfig{Lookup: c.lookup, MaxEntries: 8})
		for i := range 8 {
			r.Lookup(context.Background(), fmt.Sprintf("x%d.test", i))
		}
		time.Sleep(DefaultDNSTTL)
		r.Lookup(context.Background(), "fresh.test")
		r.mu.Lock()
		n := len(r.entries)
		r.mu.Unlock()
		if n != 1 {
			t.Fatalf("%d entries after sweeping expired ones, want 1", n)
		}
	})
}
