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
	events   [2]*nethttp.Client // their event clients (see eventClient)
	err      error              // a proxy that cannot be used: every request fails with it
}

// newNetwork builds the dialer and the per-family clients of the default
// client. base is the FamilyAny client, whose transport gets the dialer too.
func newNetwork(cfg *Config, base *nethttp.Client) *network {
	n := &network{}
	d, err := netdial.New(netdial.Config{Resolver: cfg.DNS, LocalAddr: cfg.LocalAddr, Proxy: cfg.Proxy, Dial: cfg.DialContext})
	if err != nil {
		n.err = err
		return n
	}
	n.dialer = d
	tr := base.Transport.(*nethttp.Transport)
	if cfg.Proxy != nil {
		tr.Proxy = nil // the dialer tunnels every connection through Config.Proxy
	}
	tr.DialContext = dialFramed(d.DialContext)
	for i, f := range []transport.Family{transport.FamilyIPv4, transport.FamilyIPv6} {
		ft := tr.Clone()
		ft.DialContext = dialFramed(func(ctx context.Context, _, addr string) (net.Conn, error) {
			return d.DialFamily(ctx, f, addr)
		})
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
	if n == nil {
		return
	}
	for _, cs := range [][2]*nethttp.Client{n.byFamily, n.events} {
		for _, c := range cs {
			if c != nil {
				c.CloseIdleConnections()
			}
		}
	}
	if n.dialer != nil {
		n.dialer.Close()
	}
}

// addEventClients gives each family client its event client.
func (n *network) addEventClients() {
	for i, c := range n.byFamily {
		if c != nil {
			n.events[i] = eventClient(c)
		}
	}
}

// clientFor returns the client serving an announce forced to family f, an
// event announce (completed, stopped) on the event clients.
func (t *Transport) clientFor(f transport.Family, event bool) *nethttp.Client {
	if t.net != nil && f != transport.FamilyAny {
		i := 0
		if f == transport.FamilyIPv6 {
			i = 1
		}
		if c := t.net.byFamily[i]; c != nil {
			if event {
				return t.net.events[i]
			}
			return c
		}
	}
	if event {
		return t.events
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
