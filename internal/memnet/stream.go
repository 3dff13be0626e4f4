package memnet

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// Stream connections: Listen and DialContext give TCP-like listeners and
// connections on the same in-memory network, for HTTP and WebSocket
// servers and clients in a testing/synctest bubble. Each connection is a
// net.Pipe (synchronous, with deadlines on time timers) whose ends report
// loopback TCP addresses, so that servers see a parsable RemoteAddr. A dial
// to a port nobody listens on is refused (ECONNREFUSED), as on loopback.
// Give DialContext to an http.Transport:
//
//	client := &http.Client{Transport: &http.Transport{DialContext: n.DialContext}}
//	l, _ := n.Listen("tcp4", "127.0.0.1:0")
//	go http.Serve(l, handler) // http://127.0.0.1:PORT/ now reaches handler

// Listen has the signature of net.Listen. network is "tcp", "tcp4" or
// "tcp6"; address is as for ListenPacket (loopback or unspecified host, port
// 0 for a free one). Stream and packet ports are separate, as TCP's and
// UDP's are.
func (n *Network) Listen(network, address string) (net.Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ap, err := bindLocked(n, "tcp", network, address, n.listeners)
	if err != nil {
		return nil, err
	}
	if n.listeners == nil {
		n.listeners = make(map[netip.AddrPort]*listener)
	}
	l := &listener{net: n, ap: ap, addr: net.TCPAddrFromAddrPort(ap), conns: make(chan net.Conn), closed: make(chan struct{})}
	n.listeners[ap] = l
	return l, nil
}

// DialContext has the signature of net.Dialer.DialContext (for
// http.Transport.DialContext and the like). network is "tcp", "tcp4" or
// "tcp6"; address is a literal loopback IP and port. It waits for the
// listener's Accept, ctx, or the listener's Close.
func (n *Network) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	opErr := func(err error) error { return &net.OpError{Op: "dial", Net: network, Err: err} }
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, opErr(net.UnknownNetworkError(network))
	}
	dst, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, opErr(err)
	}
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	if to6 := dst.Addr().Is6(); (network == "tcp4" && to6) || (network == "tcp6" && !to6) {
		return nil, opErr(syscall.EAFNOSUPPORT)
	}
	n.mu.Lock()
	noIPv6 := n.noIPv6
	l := n.listeners[dst]
	n.nextEphemeral++
	ephemeral := 40000 + n.nextEphemeral%20000
	n.mu.Unlock()
	if dst.Addr().Is6() && noIPv6 {
		return nil, opErr(syscall.ENETUNREACH)
	}
	if l == nil {
		return nil, opErr(syscall.ECONNREFUSED)
	}
	local := net.TCPAddrFromAddrPort(netip.AddrPortFrom(dst.Addr(), ephemeral))
	c, s := net.Pipe()
	client := &streamConn{Conn: c, local: local, remote: l.addr}
	server := &streamConn{Conn: s, local: l.addr, remote: local}
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		c.Close()
		s.Close()
		return nil, opErr(syscall.ECONNREFUSED)
	case <-ctx.Done():
		c.Close()
		s.Close()
		return nil, opErr(ctx.Err())
	}
}

// streamConn is one end of a net.Pipe with TCP addresses.
type streamConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *streamConn) LocalAddr() net.Addr  { return c.local }
func (c *streamConn) RemoteAddr() net.Addr { return c.remote }

// listener is a stream listener; its Accept waits on channels only.
type listener struct {
	net       *Network
	ap        netip.AddrPort
	addr      *net.TCPAddr
	conns     chan net.Conn
	closeOnce sync.Once
	closed    chan struct{}
}

// Accept waits for the next DialContext to this listener's address.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
	}
}

// Close frees the port; later dials are refused. It may be called more
// than once. Connections already accepted stay open.
func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.net.mu.Lock()
		if l.net.listeners[l.ap] == l {
			delete(l.net.listeners, l.ap)
		}
		l.net.mu.Unlock()
	})
	return nil
}

// Addr returns the listener's *net.TCPAddr (127.0.0.1:port or [::1]:port).
func (l *listener) Addr() net.Addr { return l.addr }
