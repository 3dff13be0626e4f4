package memnet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// QueueLen is the number of datagrams a conn buffers before it drops new ones.
const QueueLen = 1024

// Largest datagram payloads, as on real IPv4 and IPv6 UDP.
const (
	maxPayload4 = 65507
	maxPayload6 = 65527
)

var (
	loopback4 = netip.MustParseAddr("127.0.0.1")
	loopback6 = netip.MustParseAddr("::1")
)

// Network is one in-memory packet network. The zero value is not usable: use
// New. It is safe for concurrent use.
type Network struct {
	mu       sync.Mutex
	conns    map[netip.AddrPort]*conn
	nextPort uint16
	noIPv6   bool

	listeners     map[netip.AddrPort]*listener // stream.go
	nextEphemeral uint16                       // client ports of dialed stream conns
}

// New returns an empty network.
func New() *Network {
	return &Network{conns: make(map[netip.AddrPort]*conn), nextPort: 20000}
}

// DisableIPv6 makes the network behave like a host without IPv6: listening
// on "udp6" (or an IPv6 address) fails with EAFNOSUPPORT, as does sending to
// an IPv6 address. Conns already open keep working.
func (n *Network) DisableIPv6() {
	n.mu.Lock()
	n.noIPv6 = true
	n.mu.Unlock()
}

// ListenPacket has the signature of net.ListenPacket. network is "udp",
// "udp4" or "udp6". The host part of address must be empty, unspecified or
// the loopback address of the family; it is always reported as loopback
// (127.0.0.1 or ::1; "udp" with an empty host means IPv4). Port 0 allocates
// a free port.
func (n *Network) ListenPacket(network, address string) (net.PacketConn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ap, err := bindLocked(n, "udp", network, address, n.conns)
	if err != nil {
		return nil, err
	}
	c := &conn{
		net:       n,
		network:   network,
		v6:        ap.Addr().Is6(),
		ap:        ap,
		local:     net.UDPAddrFromAddrPort(ap),
		queue:     make(chan datagram, QueueLen),
		closed:    make(chan struct{}),
		dlChanged: make(chan struct{}),
	}
	n.conns[ap] = c
	return c, nil
}

func (n *Network) lookup(ap netip.AddrPort) *conn {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conns[ap]
}

func (n *Network) remove(c *conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns[c.ap] == c {
		delete(n.conns, c.ap)
	}
}

type datagram struct {
	data []byte
	from *net.UDPAddr
}

// conn is one bound in-memory socket.
type conn struct {
	net     *Network
	network string
	v6      bool
	ap      netip.AddrPort
	local   *net.UDPAddr // shared with receivers: never modified

	queue     chan datagram
	closeOnce sync.Once
	closed    chan struct{}

	mu        sync.Mutex
	deadline  chan struct{} // closed when the read deadline passes; nil: none
	dlTimer   *time.Timer
	dlChanged chan struct{} // closed (and replaced) on every SetReadDeadline
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *conn) opErr(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: c.network, Source: c.local, Addr: addr, Err: err}
}

// ReadFrom waits for one datagram. A datagram longer than p is truncated, as
// UDP does. The returned address is shared: do not modify it.
func (c *conn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		c.mu.Lock()
		deadline, changed := c.deadline, c.dlChanged
		c.mu.Unlock()
		select {
		case <-c.closed:
			return 0, nil, c.opErr("read", nil, net.ErrClosed)
		default:
		}
		select {
		case d := <-c.queue:
			return copy(p, d.data), d.from, nil
		case <-c.closed:
			return 0, nil, c.opErr("read", nil, net.ErrClosed)
		case <-deadline:
			return 0, nil, c.opErr("read", nil, os.ErrDeadlineExceeded)
		case <-changed:
			// The deadline moved: wait again with the new one.
		}
	}
}

// WriteTo sends one datagram to addr. It never blocks: when nobody listens
// on addr, or its queue is full, the datagram is dropped and WriteTo still
// reports success, as UDP does.
func (c *conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, c.opErr("write", addr, net.ErrClosed)
	default:
	}
	dst, err := addrPort(addr)
	if err != nil {
		return 0, c.opErr("write", addr, err)
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	to6 := dst.Addr().Is6()
	if (c.network == "udp4" && to6) || (c.network == "udp6" && !to6) {
		return 0, c.opErr("write", addr, syscall.EAFNOSUPPORT)
	}
	c.net.mu.Lock()
	noIPv6 := c.net.noIPv6
	c.net.mu.Unlock()
	if to6 && noIPv6 {
		return 0, c.opErr("write", addr, syscall.ENETUNREACH)
	}
	if max := maxPayload4; len(p) > max && !(to6 && len(p) <= maxPayload6) {
		return 0, c.opErr("write", addr, syscall.EMSGSIZE)
	}
	to := c.net.lookup(dst)
	if to == nil {
		return len(p), nil
	}
	d := datagram{data: append([]byte(nil), p...), from: c.local}
	select {
	case to.queue <- d:
	default: // full: dropped
	}
	return len(p), nil
}

func addrPort(addr net.Addr) (netip.AddrPort, error) {
	switch a := addr.(type) {
	case *net.UDPAddr:
		if a == nil {
			return netip.AddrPort{}, errors.New("memnet: nil address")
		}
		return a.AddrPort(), nil
	case nil:
		return netip.AddrPort{}, errors.New("memnet: nil address")
	default:
		return netip.ParseAddrPort(addr.String())
	}
}

// Close unblocks every reader with net.ErrClosed and frees the port. It may
// be called more than once.
func (c *conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed)
		c.net.remove(c)
		c.mu.Lock()
		if c.dlTimer != nil {
			c.dlTimer.Stop()
		}
		c.mu.Unlock()
	})
	if !first {
		return c.opErr("close", nil, net.ErrClosed)
	}
	return nil
}

// LocalAddr returns the conn's *net.UDPAddr (127.0.0.1:port or [::1]:port).
func (c *conn) LocalAddr() net.Addr { return c.local }

// SetDeadline sets the read deadline; writes never block.
func (c *conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetWriteDeadline is accepted and ignored: writes never block.
func (c *conn) SetWriteDeadline(time.Time) error { return nil }

// SetReadDeadline makes pending and future reads fail with
// os.ErrDeadlineExceeded once t has passed. The zero time means no deadline.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dlTimer != nil {
		c.dlTimer.Stop()
		c.dlTimer = nil
	}
	switch d := time.Until(t); {
	case t.IsZero():
		c.deadline = nil
	case d <= 0:
		c.deadline = closedChan
	default:
		ch := make(chan struct{})
		c.deadline = ch
		c.dlTimer = time.AfterFunc(d, func() { close(ch) })
	}
	close(c.dlChanged)
	c.dlChanged = make(chan struct{})
	return nil
}

// listenAddr checks a listen address for network ("udp", "udp4", "udp6" or
// the "tcp" ones, already checked by the caller) and returns the loopback
// address it binds and its port (0: allocate one). The host must be empty,
// unspecified or loopback; a family-less network takes the host's family,
// IPv4 when it is empty. The error is unwrapped: the caller makes it a
// *net.OpError.
func listenAddr(network, address string) (netip.Addr, uint16, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return netip.Addr{}, 0, errors.New("memnet: bad port " + strconv.Quote(portText))
	}
	v6 := strings.HasSuffix(network, "6")
	if host != "" {
		a, err := netip.ParseAddr(host)
		if err != nil || !(a.IsLoopback() || a.IsUnspecified()) {
			return netip.Addr{}, 0, syscall.EADDRNOTAVAIL
		}
		a = a.Unmap()
		if network == "udp" || network == "tcp" {
			v6 = a.Is6()
		} else if a.Is6() != v6 {
			return netip.Addr{}, 0, syscall.EAFNOSUPPORT
		}
	}
	if v6 {
		return loopback6, uint16(port), nil
	}
	return loopback4, uint16(port), nil
}

// bindLocked returns the address a new socket of network (proto, proto+"4"
// or proto+"6") on address gets among bound, the sockets of its kind
// (packet and stream ports are separate tables, as UDP's and TCP's are):
// port 0 is the next free one from n.nextPort. IPv6 is refused when
// disabled. Errors are *net.OpError, as net.Listen's. n.mu is held.
func bindLocked[S any](n *Network, proto, network, address string, bound map[netip.AddrPort]S) (netip.AddrPort, error) {
	fail := func(err error) (netip.AddrPort, error) {
		return netip.AddrPort{}, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	if network != proto && network != proto+"4" && network != proto+"6" {
		return fail(net.UnknownNetworkError(network))
	}
	ip, port, err := listenAddr(network, address)
	if err != nil {
		return fail(err)
	}
	if ip.Is6() && n.noIPv6 {
		return fail(syscall.EAFNOSUPPORT)
	}
	if port != 0 {
		ap := netip.AddrPortFrom(ip, port)
		if _, used := bound[ap]; used {
			return fail(syscall.EADDRINUSE)
		}
		return ap, nil
	}
	for range 1 << 16 {
		n.nextPort++
		if n.nextPort < 1024 {
			n.nextPort = 20000
		}
		ap := netip.AddrPortFrom(ip, n.nextPort)
		if _, used := bound[ap]; !used {
			return ap, nil
		}
	}
	return fail(syscall.EADDRINUSE)
}
