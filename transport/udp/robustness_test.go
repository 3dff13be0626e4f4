package udp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

const forever = -1 << 40

// flakyReadConn fails its first reads with a non-fatal error.
type flakyReadConn struct {
	net.PacketConn
	failures *atomic.Int64 // reads left to fail; negative: fail forever
}

func (c flakyReadConn) ReadFrom(b []byte) (int, net.Addr, error) {
	if c.failures.Load() == forever || c.failures.Add(-1) >= 0 {
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: syscall.ECONNREFUSED}
	}
	return c.PacketConn.ReadFrom(b)
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name      string
		failures  int64
		wantErr   bool
		wantOpens int
	}{
		{"transient errors are ignored", 5, false, 1},
		{"a socket that only fails is retired and reopened", forever, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{}, "udp4")
				var failures atomic.Int64
				failures.Store(tt.failures)
				opens := 0
				e.tr.Close()
				e.tr = New(Config{ListenPacket: func(network, addr string) (net.PacketConn, error) {
					opens++
					pc, err := e.net.ListenPacket(network, addr)
					if opens > 1 {
						return pc, err
					}
					return flakyReadConn{pc, &failures}, err
				}})
				defer e.tr.Close()
				_, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
				if (err != nil) != tt.wantErr {
					t.Fatalf("err = %v", err)
				}
				synctest.Wait()
				e.mustAnnounce(t, testRequest(1))
				if opens != tt.wantOpens {
					t.Fatalf("%d sockets opened, want %d", opens, tt.wantOpens)
				}
			})
		})
	}
}

func TestCloseDuringLookup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		r := &fakeResolver{delay: time.Hour, addrs: map[string][]string{"slow.test": {"127.0.0.1"}}}
		e.tr.Close()
		e.tr = New(Config{ListenPacket: e.net.ListenPacket, Resolver: r})
		errc := make(chan error)
		go func() {
			_, err := e.tr.Announce(context.Background(), mustURL(t, "udp://slow.test:1/announce"), testRequest(1))
			errc <- err
		}()
		synctest.Wait()
		e.tr.Close() // cancels the lookup and waits for its goroutine
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCachePruning(t *testing.T) {
	now := time.Now()
	c := connCache{entries: make(map[netip.AddrPort]*connEntry)}
	for i := range pruneAbove + 10 {
		c.entries[netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(i+1))] = &connEntry{expires: now.Add(time.Duration(i%2) * time.Hour)}
	}
	c.pruneLocked(now, time.Minute)
	if len(c.entries) != (pruneAbove+10)/2 {
		t.Fatalf("%d entries left, want the unexpired half", len(c.entries))
	}

}
