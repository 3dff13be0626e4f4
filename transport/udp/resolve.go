package udp

import (
	"context"
	"net/netip"

	"github.com/trackerkit/trackerkit/transport"
)

// newResolver builds the Transport's own DNS cache when Config.DNS names no
// shared one, from Config.Resolver and the DNS durations.
func newResolver(cfg *Config) *transport.Resolver {
	r := cfg.Resolver
	return transport.NewResolver(transport.ResolverConfig{
		Lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return r.LookupNetIP(ctx, "ip", host)
		},
		TTL:         cfg.DNSCacheTTL,
		NegativeTTL: cfg.DNSNegativeTTL,
		Timeout:     cfg.DNSTimeout,
	})
}

// resolve returns the addresses of host through the DNS cache (shared by
// every transport of a Client when Config.DNS is set): one lookup per TTL
// per name, concurrent callers sharing the one in flight. Close ends the
// wait.
func (t *Transport) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(t.closeCtx, cancel)
	defer stop()
	addrs, err := t.dns.Lookup(ctx, host)
	if err != nil && t.isClosed() {
		return nil, errClosed
	}
	return addrs, err
}
