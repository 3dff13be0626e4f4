package netdial

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// SOCKS5 (RFC 1928, RFC 1929) constants used by UDP ASSOCIATE.
const (
	socksVersion      = 5
	socksNoAuth       = 0x00
	socksUserPass     = 0x02
	socksNoAcceptable = 0xff
	socksCmdAssociate = 0x03
	socksAtypIPv4     = 0x01
	socksAtypDomain   = 0x03
	socksAtypIPv6     = 0x04
	socksUDPHeaderMax = 3 + 1 + 16 + 2 // RSV FRAG ATYP ADDR PORT
)

// ErrUDPOverHTTPProxy: an http:// proxy carries TCP only.
var ErrUDPOverHTTPProxy = errors.New("an http:// proxy cannot carry UDP; set a socks5:// proxy to use UDP trackers")

// ListenUDP opens the UDP socket of one family ("udp4" or "udp6") that the
// UDP transport sends through: through the SOCKS5 proxy (UDP ASSOCIATE)
// when one is set, else a plain socket bound to LocalAddr (or to any
// address). With an http:// proxy it fails with ErrUDPOverHTTPProxy: a
// datagram must never go around the proxy the user set.
func (d *Dialer) ListenUDP(ctx context.Context, network string) (net.PacketConn, error) {
	if d.IsHTTPProxy() {
		return nil, ErrUDPOverHTTPProxy
	}
	if d.socks != nil {
		pc, err := d.associate(ctx)
		if err != nil {
			return nil, &ProxyError{Proxy: d.proxyURL, Target: "UDP ASSOCIATE", Err: err}
		}
		return pc, nil
	}
	return ListenUDP(network, d.cfg.LocalAddr)
}

// ListenUDP opens a UDP socket of network ("udp4", "udp6") bound to local
// (any address when invalid). A local address of the other family fails
// with a *transport.SkippedError.
func ListenUDP(network string, local netip.Addr) (net.PacketConn, error) {
	addr := "0.0.0.0:0"
	if network == "udp6" {
		addr = "[::]:0"
	}
	if local.IsValid() {
		if local.Is4() != (network == "udp4") {
			return nil, familyMismatch(local)
		}
		addr = netip.AddrPortFrom(local, 0).String()
	}
	return net.ListenPacket(network, addr)
}

// associate asks the SOCKS5 proxy for a UDP relay (RFC 1928 section 7).
func (d *Dialer) associate(ctx context.Context) (net.PacketConn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.DialTimeout)
	defer cancel()
	ctrl, err := d.cfg.Dial(ctx, "tcp", d.cfg.Proxy.Host)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { ctrl.SetDeadline(time.Unix(1, 0)) })
	relay, err := d.handshake(ctrl)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		ctrl.Close()
		return nil, ctxErr(ctx, err)
	}
	ctrl.SetDeadline(time.Time{})
	if relay.Addr().IsUnspecified() { // "send to the address you reached me at"
		if ra, ok := ctrl.RemoteAddr().(*net.TCPAddr); ok {
			relay = netip.AddrPortFrom(ra.AddrPort().Addr().Unmap(), relay.Port())
		}
	}
	network := "udp4"
	if !relay.Addr().Is4() {
		network = "udp6"
	}
	local := d.cfg.LocalAddr
	if local.IsValid() && local.Is4() != relay.Addr().Is4() {
		local = netip.Addr{}
	}
	pc, err := ListenUDP(network, local)
	if err != nil {
		ctrl.Close()
		return nil, err
	}
	a := &associated{ctrl: ctrl, pc: pc.(*net.UDPConn), relay: relay, done: make(chan struct{})}
	go a.watch()
	return a, nil
}

// handshake greets the proxy, authenticates and sends UDP ASSOCIATE; it
// returns the relay's address.
func (d *Dialer) handshake(c net.Conn) (netip.AddrPort, error) {
	user, pass := "", ""
	methods := []byte{socksNoAuth}
	if u := d.cfg.Proxy.User; u != nil {
		user = u.Username()
		pass, _ = u.Password()
		methods = []byte{socksUserPass}
	}
	if _, err := c.Write(append([]byte{socksVersion, byte(len(methods))}, methods...)); err != nil {
		return netip.AddrPort{}, err
	}
	var b [2]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return netip.AddrPort{}, err
	}
	if b[0] != socksVersion || b[1] == socksNoAcceptable || b[1] != methods[0] {
		return netip.AddrPort{}, errors.New("proxy refused the authentication methods offered")
	}
	if b[1] == socksUserPass {
		if len(user) > 255 || len(pass) > 255 {
			return netip.AddrPort{}, errors.New("proxy user or password longer than 255 bytes")
		}
		m := append([]byte{1, byte(len(user))}, user...)
		m = append(append(m, byte(len(pass))), pass...)
		if _, err := c.Write(m); err != nil {
			return netip.AddrPort{}, err
		}
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return netip.AddrPort{}, err
		}
		if b[1] != 0 {
			return netip.AddrPort{}, errors.New("proxy refused the user and password")
		}
	}
	// DST.ADDR 0.0.0.0:0: we do not know the address we will send from
	// (NAT), so the relay accepts our datagrams from anywhere.
	if _, err := c.Write([]byte{socksVersion, socksCmdAssociate, 0, socksAtypIPv4, 0, 0, 0, 0, 0, 0}); err != nil {
		return netip.AddrPort{}, err
	}
	return readReply(c)
}

// readReply reads the proxy's reply to a request and returns its bound
// address (for UDP ASSOCIATE: the relay).
func readReply(c io.Reader) (netip.AddrPort, error) {
	var h [4]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return netip.AddrPort{}, err
	}
	if h[0] != socksVersion {
		return netip.AddrPort{}, errors.New("proxy reply is not SOCKS5")
	}
	if h[1] != 0 {
		return netip.AddrPort{}, fmt.Errorf("proxy refused UDP ASSOCIATE (reply %d)", h[1])
	}
	var ip netip.Addr
	switch h[3] {
	case socksAtypIPv4:
		var a [4]byte
		if _, err := io.ReadFull(c, a[:]); err != nil {
			return netip.AddrPort{}, err
		}
		ip = netip.AddrFrom4(a)
	case socksAtypIPv6:
		var a [16]byte
		if _, err := io.ReadFull(c, a[:]); err != nil {
			return netip.AddrPort{}, err
		}
		ip = netip.AddrFrom16(a).Unmap()
	default:
		return netip.AddrPort{}, errors.New("proxy relay address is not an IP address")
	}
	var p [2]byte
	if _, err := io.ReadFull(c, p[:]); err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(p[:])), nil
}

// associated is a UDP socket whose datagrams go through a SOCKS5 relay.
// The association lives as long as its TCP control connection: when the
// proxy closes it, the socket is closed too (reads fail, and the UDP
// transport opens a new one).
type associated struct {
	ctrl  net.Conn
	pc    *net.UDPConn
	relay netip.AddrPort
	done  chan struct{} // closed when watch returns

	closeOnce sync.Once
	wmu       sync.Mutex
	wbuf      []byte
	rmu       sync.Mutex
	rbuf      []byte
}

func (a *associated) watch() {
	defer close(a.done)
	io.Copy(io.Discard, a.ctrl) // returns when the proxy or Close ends the control connection
	a.pc.Close()
}

// WriteTo sends b to addr (a *net.UDPAddr) through the relay.
func (a *associated) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("socks5: not a UDP address: %v", addr)
	}
	dst := ua.AddrPort()
	a.wmu.Lock()
	defer a.wmu.Unlock()
	h := appendUDPHeader(a.wbuf[:0], dst)
	h = append(h, b...)
	a.wbuf = h
	if _, err := a.pc.WriteToUDPAddrPort(h, a.relay); err != nil {
		return 0, err
	}
	return len(b), nil
}

// ReadFrom reads the next datagram from the relay and returns its payload
// and the address it came from (the tracker's, from the relay's header).
// Datagrams that do not come from the relay, or are fragments, are dropped.
func (a *associated) ReadFrom(p []byte) (int, net.Addr, error) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	if cap(a.rbuf) < len(p)+socksUDPHeaderMax {
		a.rbuf = make([]byte, len(p)+socksUDPHeaderMax)
	}
	buf := a.rbuf[:len(p)+socksUDPHeaderMax]
	for {
		n, from, err := a.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return 0, nil, err
		}
		if from.Addr().Unmap() != a.relay.Addr() || from.Port() != a.relay.Port() {
			continue // not from the relay: nobody else may talk to us
		}
		src, payload, ok := parseUDPHeader(buf[:n])
		if !ok {
			continue
		}
		return copy(p, payload), net.UDPAddrFromAddrPort(src), nil
	}
}

// parseUDPHeader splits a datagram from the relay into the address it came
// from and its payload (RFC 1928 section 7). A fragment, a domain-name
// address or a short header is not ok: the datagram is dropped.
func parseUDPHeader(b []byte) (netip.AddrPort, []byte, bool) {
	if len(b) < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0 {
		return netip.AddrPort{}, nil, false
	}
	var src netip.Addr
	switch b[3] {
	case socksAtypIPv4:
		if len(b) < 4+4+2 {
			return netip.AddrPort{}, nil, false
		}
		src, b = netip.AddrFrom4([4]byte(b[4:8])), b[8:]
	case socksAtypIPv6:
		if len(b) < 4+16+2 {
			return netip.AddrPort{}, nil, false
		}
		src, b = netip.AddrFrom16([16]byte(b[4:20])).Unmap(), b[20:]
	default:
		return netip.AddrPort{}, nil, false
	}
	return netip.AddrPortFrom(src, binary.BigEndian.Uint16(b)), b[2:], true
}

// appendUDPHeader appends the relay header for dst.
func appendUDPHeader(h []byte, dst netip.AddrPort) []byte {
	h = append(h, 0, 0, 0)
	if ip := dst.Addr().Unmap(); ip.Is4() {
		v := ip.As4()
		h = append(append(h, socksAtypIPv4), v[:]...)
	} else {
		v := ip.As16()
		h = append(append(h, socksAtypIPv6), v[:]...)
	}
	return binary.BigEndian.AppendUint16(h, dst.Port())
}

// Close ends the association and waits for its watcher.
func (a *associated) Close() error {
	a.closeOnce.Do(func() {
		a.ctrl.Close()
		a.pc.Close()
	})
	<-a.done
	return nil
}

func (a *associated) LocalAddr() net.Addr                { return a.pc.LocalAddr() }
func (a *associated) SetDeadline(t time.Time) error      { return a.pc.SetDeadline(t) }
func (a *associated) SetReadDeadline(t time.Time) error  { return a.pc.SetReadDeadline(t) }
func (a *associated) SetWriteDeadline(t time.Time) error { return a.pc.SetWriteDeadline(t) }
