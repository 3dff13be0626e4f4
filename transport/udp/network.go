package udp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/internal/netdial"
	"github.com/trackerkit/trackerkit/transport"
)

// DefaultFamilyFallback is how long a request waits for a reply from the
// tracker's first address before it is also sent to the next one (of the
// other family first): well before BEP 15's first retransmission (15 s),
// so a host with a dead AAAA record and a live A record is answered within
// seconds. libtorrent moves to the next endpoint after its 10 s
// tracker_receive_timeout; we keep the first attempt running alongside, so
// a slow first address still wins if it answers first.
const DefaultFamilyFallback = 5 * time.Second

// ErrHTTPProxy is matched by the error of every UDP request when
// Config.Proxy is an http:// proxy, which cannot carry datagrams: the
// tracker is skipped (the error also matches transport.ErrSkipped), never
// announced to around the proxy.
var ErrHTTPProxy = netdial.ErrUDPOverHTTPProxy

// proxySkipError is the error of a UDP request under an http:// proxy.
type proxySkipError struct{}

func (proxySkipError) Error() string { return "udp tracker skipped: " + ErrHTTPProxy.Error() }
func (proxySkipError) Is(target error) bool {
	return target == transport.ErrSkipped || target == ErrHTTPProxy
}

// setupNetwork applies Config.Proxy and Config.LocalAddr: with either set
// and no Config.ListenPacket, sockets come from a netdial.Dialer (bound to
// LocalAddr, or SOCKS5 UDP ASSOCIATE through the proxy).
func (t *Transport) setupNetwork() {
	if t.cfg.Proxy == nil {
		return
	}
	d, err := netdial.New(netdial.Config{Resolver: t.dns, LocalAddr: t.cfg.LocalAddr, Proxy: t.cfg.Proxy})
	if err != nil {
		t.netErr = err
		return
	}
	if d.IsHTTPProxy() {
		t.netErr = proxySkipError{}
		return
	}
	t.cfg.ListenPacket = func(network, _ string) (net.PacketConn, error) {
		return d.ListenUDP(t.closeCtx, network)
	}
}

// endpoints resolves u's host and returns the tracker's addresses this
// Transport can send to: of family f (any for FamilyAny) and of
// Config.LocalAddr's family, interleaved by family, each with a socket
// that could be opened.
func (t *Transport) endpoints(ctx context.Context, u *url.URL, f transport.Family) ([]netip.AddrPort, error) {
	host, port, err := hostPort(u)
	if err != nil {
		return nil, err
	}
	if t.netErr != nil {
		return nil, t.netErr
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if l := t.cfg.LocalAddr; f.Match(a) && (!l.IsValid() || l.Is4() == a.Is4()) {
			// An address literal usable as it is (the common case): one
			// endpoint, without the general path's slices.
			if _, err := t.socket(a.Is6()); err != nil {
				return nil, err
			}
			return []netip.AddrPort{netip.AddrPortFrom(a, port)}, nil
		}
		addrs = []netip.Addr{a}
	} else if addrs, err = t.resolve(ctx, host); err != nil {
		return nil, err
	}
	addrs, err = netdial.Usable(addrs, f, t.cfg.LocalAddr)
	if err != nil {
		return nil, err
	}
	eps := make([]netip.AddrPort, 0, len(addrs))
	var firstErr error
	for _, a := range addrs {
		if _, err := t.socket(a.Is6()); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		eps = append(eps, netip.AddrPortFrom(a, port))
	}
	if len(eps) == 0 {
		return nil, firstErr
	}
	return eps, nil
}

// exchange sends r to the first endpoint, and to the next one each
// FamilyFallback while no reply came, and returns the first reply (a
// tracker's error reply included: it is an answer) and the endpoint that
// gave it.
func (t *Transport) exchange(ctx context.Context, eps []netip.AddrPort, r *request) (result, netip.AddrPort, error) {
	type answer struct {
		res result
		ep  netip.AddrPort
	}
	if len(eps) == 1 {
		res, err := t.roundTripTo(ctx, eps[0], r)
		return res, eps[0], err
	}
	a, err := netdial.Race(ctx, t.cfg.FamilyFallback, eps, func(ctx context.Context, ep netip.AddrPort) (answer, error) {
		res, err := t.roundTripTo(ctx, ep, r)
		return answer{res, ep}, err
	}, nil, answered)
	return a.res, a.ep, err
}

// answered reports whether err is the tracker's answer rather than silence
// or a local failure.
func answered(err error) bool {
	return errors.As(err, new(*transport.FailureError)) || errors.Is(err, transport.ErrMalformed)
}

// roundTripTo is roundTrip on the socket of ep's family.
func (t *Transport) roundTripTo(ctx context.Context, ep netip.AddrPort, r *request) (result, error) {
	s, err := t.socket(ep.Addr().Is6())
	if err != nil {
		return result{}, err
	}
	return t.roundTrip(ctx, s, ep, r)
}

// Families implements transport.Families: the families u's host resolves
// to whose socket this Transport can open (from Config.LocalAddr when
// set). Through a proxy the family is not ours to choose: FamilyAny.
func (t *Transport) Families(ctx context.Context, u *url.URL) ([]transport.Family, error) {
	if t.cfg.Proxy != nil {
		return []transport.Family{transport.FamilyAny}, nil
	}
	eps, err := t.endpoints(ctx, u, transport.FamilyAny)
	if err != nil {
		return nil, wrap("announce", u, err)
	}
	addrs := make([]netip.Addr, len(eps))
	for i, ep := range eps {
		addrs[i] = ep.Addr()
	}
	return netdial.RoutableFamilies(addrs, func(netip.Addr) bool { return true })
}
