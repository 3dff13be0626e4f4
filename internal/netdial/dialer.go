package netdial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/proxy"

	"github.com/trackerkit/trackerkit/transport"
)

// DefaultFallbackDelay is how long a connection attempt to one address runs
// alone before the next address is tried alongside it: RFC 8305's
// recommended 250 ms, rounded as Go's own dialer does.
const DefaultFallbackDelay = 300 * time.Millisecond

// DefaultDialTimeout bounds one TCP connection attempt.
const DefaultDialTimeout = 30 * time.Second

// Config configures a Dialer. Every zero value is a default.
type Config struct {
	// Resolver resolves tracker hostnames. Default: a Resolver of the
	// Dialer's own (closed by Close).
	Resolver *transport.Resolver
	// LocalAddr, when valid, is the source address of every connection.
	LocalAddr netip.Addr
	// Proxy, when set, carries every connection: "http://[user:pass@]host:port"
	// (CONNECT) or "socks5://[user:pass@]host:port".
	Proxy *url.URL
	// FallbackDelay: see DefaultFallbackDelay (300 ms).
	FallbackDelay time.Duration
	// DialTimeout bounds one attempt. Default DefaultDialTimeout (30 s).
	DialTimeout time.Duration
	// Dial opens one TCP connection to an IP address (or, through a
	// proxy, to the proxy). Tests replace it. Default: a net.Dialer bound
	// to LocalAddr.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// ErrProxyScheme: the proxy URL's scheme is neither http nor socks5.
var ErrProxyScheme = errors.New("proxy must be http:// or socks5://")

// Dialer opens TCP connections with a Config's settings. It is safe for
// concurrent use.
type Dialer struct {
	cfg      Config
	ownsDNS  bool
	socks    proxy.ContextDialer // set for a socks5 proxy
	proxyURL string              // the proxy, redacted, for errors
}

// New returns a Dialer, or an error for a proxy it cannot use.
func New(cfg Config) (*Dialer, error) {
	d := &Dialer{cfg: cfg}
	if d.cfg.FallbackDelay <= 0 {
		d.cfg.FallbackDelay = DefaultFallbackDelay
	}
	if d.cfg.DialTimeout <= 0 {
		d.cfg.DialTimeout = DefaultDialTimeout
	}
	if d.cfg.Dial == nil {
		nd := &net.Dialer{Timeout: d.cfg.DialTimeout, KeepAlive: 30 * time.Second}
		if cfg.LocalAddr.IsValid() {
			nd.LocalAddr = &net.TCPAddr{IP: cfg.LocalAddr.AsSlice(), Zone: cfg.LocalAddr.Zone()}
		}
		d.cfg.Dial = nd.DialContext
	}
	if p := cfg.Proxy; p != nil {
		if err := CheckProxy(p); err != nil {
			return nil, err
		}
		d.proxyURL = ProxyString(p)
		if strings.EqualFold(p.Scheme, "socks5") || strings.EqualFold(p.Scheme, "socks5h") {
			var auth *proxy.Auth
			if p.User != nil {
				pw, _ := p.User.Password()
				auth = &proxy.Auth{User: p.User.Username(), Password: pw}
			}
			sd, err := proxy.SOCKS5("tcp", p.Host, auth, dialFunc(d.cfg.Dial))
			if err != nil {
				return nil, fmt.Errorf("proxy %s: %w", d.proxyURL, ErrProxyScheme)
			}
			d.socks = sd.(proxy.ContextDialer)
		}
	}
	if d.cfg.Resolver == nil {
		d.cfg.Resolver, d.ownsDNS = transport.NewResolver(transport.ResolverConfig{}), true
	}
	return d, nil
}

// CheckProxy reports whether p is a proxy URL this package can use.
func CheckProxy(p *url.URL) error {
	switch strings.ToLower(p.Scheme) {
	case "http", "socks5", "socks5h":
	default:
		return fmt.Errorf("proxy %s: %w", ProxyString(p), ErrProxyScheme)
	}
	if p.Hostname() == "" || p.Port() == "" {
		return fmt.Errorf("proxy %s: need scheme://host:port", ProxyString(p))
	}
	return nil
}

// ProxyString is p without its user information, fit for errors and logs.
func ProxyString(p *url.URL) string {
	if p == nil {
		return ""
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host}).String()
}

// IsHTTPProxy reports whether the Dialer goes through an http:// proxy,
// which cannot carry UDP.
func (d *Dialer) IsHTTPProxy() bool { return d.cfg.Proxy != nil && d.socks == nil }

// Proxied reports whether the Dialer goes through a proxy.
func (d *Dialer) Proxied() bool { return d.cfg.Proxy != nil }

// Close closes the Dialer's own Resolver, if it made one.
func (d *Dialer) Close() error {
	if d.ownsDNS {
		return d.cfg.Resolver.Close()
	}
	return nil
}

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

func (f dialFunc) Dial(network, address string) (net.Conn, error) {
	return f(context.Background(), network, address)
}
func (f dialFunc) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return f(ctx, network, address)
}

// DialContext connects to address (host:port) over network "tcp", with any
// family. It fits net/http.Transport.DialContext.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.DialFamily(ctx, transport.FamilyAny, address)
}

// DialFamily connects to address (host:port) over TCP, only to addresses of
// family f (FamilyAny: every family, with fallback). Through a proxy the
// family is the proxy's business and f is ignored.
func (d *Dialer) DialFamily(ctx context.Context, f transport.Family, address string) (net.Conn, error) {
	if d.cfg.Proxy != nil {
		return d.dialProxy(ctx, address)
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("bad port %q", portStr)
	}
	addrs, err := d.Addrs(ctx, host, f)
	if err != nil {
		return nil, err
	}
	eps := make([]netip.AddrPort, len(addrs))
	for i, a := range addrs {
		eps[i] = netip.AddrPortFrom(a, uint16(port))
	}
	return Race(ctx, d.cfg.FallbackDelay, eps, func(ctx context.Context, ep netip.AddrPort) (net.Conn, error) {
		c, err := d.cfg.Dial(ctx, "tcp", ep.String())
		return c, transport.Skipped(err)
	}, closeConn, nil)
}

func closeConn(c net.Conn) { c.Close() }

// Addrs resolves host through the shared cache and returns the addresses
// to try, of family f and of LocalAddr's family when one is bound,
// interleaved by family (RFC 8305) starting with the family the resolver
// listed first. No usable address is a *transport.SkippedError.
func (d *Dialer) Addrs(ctx context.Context, host string, f transport.Family) ([]netip.Addr, error) {
	all, err := d.cfg.Resolver.Lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	return Usable(all, f, d.cfg.LocalAddr)
}

// Usable filters addrs to family f and to the family of local (when
// valid), interleaved by family. None left is a *transport.SkippedError.
func Usable(addrs []netip.Addr, f transport.Family, local netip.Addr) ([]netip.Addr, error) {
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		if !f.Match(a) || local.IsValid() && local.Is4() != a.Is4() {
			continue
		}
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	if len(v4)+len(v6) == 0 {
		why := "no address"
		if f != transport.FamilyAny {
			why += " of family " + f.String()
		}
		if local.IsValid() {
			why += " reachable from the bound address " + local.String()
		}
		return nil, &transport.SkippedError{Err: errors.New(why)}
	}
	first, second := v4, v6
	if len(addrs) > 0 && addrs[0].Is6() && len(v6) > 0 {
		first, second = v6, v4
	}
	out := make([]netip.Addr, 0, len(v4)+len(v6))
	for i := 0; i < len(first) || i < len(second); i++ {
		if i < len(first) {
			out = append(out, first[i])
		}
		if i < len(second) {
			out = append(out, second[i])
		}
	}
	return out, nil
}

// Race tries each endpoint with try, starting the next one when the
// previous has not succeeded within delay (or failed), and returns the
// first success, or the first error final reports as an answer (a
// tracker's refusal is not a reason to ask its other address); the other
// attempts are cancelled and their results released with discard. It
// returns when every attempt has ended. With every attempt failed the error
// is the first one.
func Race[T any](ctx context.Context, delay time.Duration, eps []netip.AddrPort, try func(context.Context, netip.AddrPort) (T, error), discard func(T), final func(error) bool) (T, error) {
	var zero T
	if len(eps) == 0 {
		return zero, &transport.SkippedError{Err: errors.New("no address")}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	results := make(chan result, len(eps))
	next, running := 0, 0
	start := func() {
		ep := eps[next]
		next++
		running++
		go func() {
			v, err := try(ctx, ep)
			results <- result{v, err}
		}()
	}
	start()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	var firstErr error
	for running > 0 {
		select {
		case r := <-results:
			running--
			if r.err == nil || final != nil && final(r.err) {
				cancel()
				for ; running > 0; running-- {
					if o := <-results; o.err == nil && discard != nil {
						discard(o.v)
					}
				}
				return r.v, r.err
			}
			if firstErr == nil {
				firstErr = r.err
			}
			if next < len(eps) {
				start()
				timer.Reset(delay)
			}
		case <-timer.C:
			if next < len(eps) {
				start()
				timer.Reset(delay)
			}
		}
	}
	return zero, firstErr
}

// Families returns the families host resolves to that this host can route
// (from LocalAddr when bound), in the resolver's order; none is a
// *transport.SkippedError.
func (d *Dialer) Families(ctx context.Context, host string) ([]transport.Family, error) {
	addrs, err := d.Addrs(ctx, host, transport.FamilyAny)
	if err != nil {
		return nil, err
	}
	return RoutableFamilies(addrs, func(a netip.Addr) bool { return Routable(d.cfg.LocalAddr, a) })
}

// RoutableFamilies returns the families of addrs for which routable holds
// for at least one address, in the order of addrs.
func RoutableFamilies(addrs []netip.Addr, routable func(netip.Addr) bool) ([]transport.Family, error) {
	var out []transport.Family
	var seen [3]bool
	for _, a := range addrs {
		f := transport.FamilyOf(a)
		if !seen[f] && routable(a) {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, &transport.SkippedError{Err: errors.New("no route to any address of the tracker")}
	}
	return out, nil
}

// Routable reports whether this host has a route to dst (from local when
// valid): a UDP socket is connected to it, which asks the kernel for a route
// and sends nothing. The answer is cached for routeCacheTTL (see
// routecache.go): ten thousand torrents on one tracker ask once.
func Routable(local, dst netip.Addr) bool {
	return routes.routable(local, dst)
}

// probeRoute is Routable without the cache.
func probeRoute(local, dst netip.Addr) bool {
	network := "udp4"
	if !dst.Unmap().Is4() {
		network = "udp6"
	}
	var laddr *net.UDPAddr
	if local.IsValid() {
		laddr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0))
	}
	c, err := net.DialUDP(network, laddr, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst.Unmap(), 9)))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// familyMismatch is the error for a socket of the other family than the
// bound local address.
func familyMismatch(local netip.Addr) error {
	return &transport.SkippedError{Err: fmt.Errorf("the bound local address %s is of the other family", local)}
}
