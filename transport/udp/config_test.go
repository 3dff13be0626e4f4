package udp

import (
	"math"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{}.populated()
	if c.ConnectionIDTTL != 60*time.Second || c.RetransmitBase != 15*time.Second || c.MaxRetransmits != 8 ||
		c.Strict || c.DNSCacheTTL != 5*time.Minute || c.DNSNegativeTTL != 30*time.Second ||
		c.ReadBufferSize != 64<<10 || c.ListenPacket == nil || c.Resolver == nil || c.Logger == nil || c.IsStaleConnectionID == nil {
		t.Fatalf("defaults %+v", c)
	}
	waits := []struct {
		n    int
		want time.Duration
	}{{0, 15 * time.Second}, {1, 30 * time.Second}, {2, time.Minute}, {8, 3840 * time.Second}, {40, math.MaxInt64}}
	for _, w := range waits {
		if got := c.wait(w.n); got != w.want {
			t.Errorf("wait(%d) = %v, want %v", w.n, got, w.want)
		}
	}
	for in, want := range map[int]int{-5: 0, 3: 3, 100: 30} {
		if got := (Config{MaxRetransmits: in}).populated().MaxRetransmits; got != want {
			t.Errorf("MaxRetransmits %d -> %d, want %d", in, got, want)
		}
	}
}
