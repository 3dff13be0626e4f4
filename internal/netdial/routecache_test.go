package netdial

import (
	"net/netip"
	"testing"
	"time"
)

// Routable's answers are cached per (local, destination) and expire.
func TestRouteCache(t *testing.T) {
	var c routeCache
	lo := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name string
		dst  netip.Addr
		want bool
	}{
		{"loopback", lo, true},
		{"loopback again (cached)", lo, true},
		{"another loopback address", netip.MustParseAddr("127.0.0.2"), true},
	}
	for _, tt := range tests {
		if got := c.routable(netip.Addr{}, tt.dst); got != tt.want {
			t.Errorf("%s: routable %v, want %v", tt.name, got, tt.want)
		}
	}
	if n := len(c.entries); n != 2 {
		t.Fatalf("%d entries, want 2", n)
	}
	k := routeKey{dst: lo}
	c.entries[k] = routeEntry{ok: false, expires: time.Now().Add(time.Minute)}
	if c.routable(netip.Addr{}, lo) {
		t.Error("a cached answer was not used")
	}
	c.entries[k] = routeEntry{ok: false, expires: time.Now().Add(-time.Second)}
	if !c.routable(netip.Addr{}, lo) {
		t.Error("an expired answer was used")
	}
}
