package http

import (
	"context"
	"net"
	nethttp "net/http"
	"net/url"

	"github.com/trackerkit/trackerkit/internal/netdial"
	"github.com/trackerkit/trackerkit/transport"
)

// network is what the default client dials with: the shared DNS cache, the
// bound local address, the proxy, and one connection pool per forced
// address family (a keep-alive connection to a tracker's IPv6 address must
// not serve an announce forced to IPv4).
type network struct {
	dialer   *netdial.Dialer
	byFamily [2]*nethttp.Client // FamilyIPv4, FamilyIPv6; nil with a Config.Client
	err      error              // a proxy that cannot be used: every request fails with it
}

// newNetwork builds the dialer and the per-family clients of the default
// client. base is the FamilyAny client, whose transport gets the dialer too.
func newNetwork(cfg *Config, base *nethttp.Client) *network {
	n := &network{}
	d, err := netdial.New(netdial.Config{Resolver: cfg.DNS, LocalAddr: cfg.LocalAddr, Proxy: cfg.Proxy})
	if err != nil {
		n.err = err
		return n
	}
	n.dialer = d
	tr := base.Transport.(*nethttp.Transport)
	if cfg.Proxy != nil {
		tr.Proxy = nil // the dialer tunnels every connection through Config.Proxy
	}
	tr.DialContext = d.DialContext
	for i, f := range []transport.Family{transport.FamilyIPv4, transport.FamilyIPv6} {
		ft := tr.Clone()
		ft.DialContext = func(ctx context.Context, _, addr string) (net.Conn, error) {
			return d.DialFamily(ctx, f, addr)
		}
		c := *base
		c.Transport = ft
		n.byFamily[i] = &c
	}
	return n
}

// families implements transport.Families for the default client.
func (n *network) families(ctx context.Context, u *url.URL) ([]transport.Family, error) {
	if n == nil || n.dialer == nil || n.dialer.Proxied() {
		return []transport.Family{transport.FamilyAny}, nil
	}
	return n.dialer.Families(ctx, u.Hostname())
}

func (n *network) close() {
	if n != nil && n.dialer != nil {
		n.dialer.Close()
	}
}

type familyKey struct{}

// withFamily records the family an announce is forced to, for clientFor.
func withFamily(ctx context.Context, f transport.Family) context.Context {
	if f == transport.FamilyAny {
		return ctx
	}
	return context.WithValue(ctx, familyKey{}, f)
}

// clientFor returns the client serving the request's family.
func (t *Transport) clientFor(ctx context.Context) *nethttp.Client {
	if t.net != nil {
		switch f, _ := ctx.Value(familyKey{}).(transport.Family); f {
		case transport.FamilyIPv4:
			return t.net.byFamily[0]
		case transport.FamilyIPv6:
			return t.net.byFamily[1]
		}
	}
	return &t.client
}

// Families implements transport.Families: the families the tracker's host
// resolves to and this host can route (from Config.LocalAddr when set). A
// Config.Client or a Config.Proxy leaves the family to them: FamilyAny.
func (t *Transport) Families(ctx context.Context, u *url.URL) ([]transport.Family, error) {
	fams, err := t.net.families(ctx, u)
	if err != nil {
		return nil, transport.Wrap("announce", transport.Redact(u), err)
	}
	return fams, nil
}
