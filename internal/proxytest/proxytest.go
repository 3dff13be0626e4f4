// Package proxytest runs an HTTP CONNECT proxy and a SOCKS5 proxy (CONNECT
// and UDP ASSOCIATE, with optional user:password) on loopback, for tests
// that prove tracker traffic goes through the proxy: each proxy makes its
// outgoing connections and datagrams from a source address of its own
// (Config.Egress, e.g. 127.0.0.3), so the tracker can tell them from
// direct traffic, and it records what it relayed.
package proxytest

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"testing"
)

// Config configures a proxy.
type Config struct {
	// Egress is the source address of the proxy's outgoing traffic.
	// Default 127.0.0.1.
	Egress netip.Addr
	// User and Password, when User is set, are required from clients
	// (Proxy-Authorization Basic for HTTP, RFC 1929 for SOCKS5).
	User, Password string
}

// Proxy is a running proxy. Close stops it and waits for its goroutines.
type Proxy struct {
	cfg  Config
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	log  []string // targets, "tcp host:port" or "udp ip:port"
	errs []string // refused requests (bad auth...)
	open map[io.Closer]struct{}
	done bool
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Targets returns what the proxy relayed to, in order: "tcp host:port"
// for each tunnel and "udp ip:port" for each datagram.
func (p *Proxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// Refused returns why requests were refused (wrong credentials...).
func (p *Proxy) Refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

func (p *Proxy) record(s string) {
	p.mu.Lock()
	p.log = append(p.log, s)
	p.mu.Unlock()
}

func (p *Proxy) refuse(s string) {
	p.mu.Lock()
	p.errs = append(p.errs, s)
	p.mu.Unlock()
}

// track registers c to be closed by Close; false if closing already.
func (p *Proxy) track(c io.Closer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		c.Close()
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c io.Closer) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	c.Close()
}

// Close stops the proxy, closes every connection and waits.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.done = true
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func start(t testing.TB, cfg Config, serve func(p *Proxy, c net.Conn)) *Proxy {
	t.Helper()
	if !cfg.Egress.IsValid() {
		cfg.Egress = netip.MustParseAddr("127.0.0.1")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{cfg: cfg, ln: ln, open: make(map[io.Closer]struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.track(c) {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer p.untrack(c)
				serve(p, c)
			}()
		}
	}()
	t.Cleanup(p.Close)
	return p
}

// dial opens the proxy's outgoing connection from its egress address.
func (p *Proxy) dial(address string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: p.cfg.Egress.AsSlice()}}
	return d.Dial("tcp", address)
}

// pipe copies both ways between the client (read through r, written and
// closed through c) and the target b, until either side ends: the tunnel
// then closes whole.
func (p *Proxy) pipe(r io.Reader, c net.Conn, b net.Conn) {
	if !p.track(b) {
		return
	}
	defer p.untrack(b)
	done := make(chan struct{})
	go func() {
		io.Copy(b, r)
		b.Close()
		close(done)
	}()
	io.Copy(c, b)
	c.Close()
	b.Close()
	<-done
}

// NewHTTP starts an HTTP proxy that serves CONNECT only.
func NewHTTP(t testing.TB, cfg Config) *Proxy {
	return start(t, cfg, serveHTTP)
}

func serveHTTP(p *Proxy, c net.Conn) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		p.refuse("method " + req.Method)
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if p.cfg.User != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.cfg.User+":"+p.cfg.Password))
		if req.Header.Get("Proxy-Authorization") != want {
			p.refuse("auth")
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
			return
		}
	}
	out, err := p.dial(req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.record("tcp " + req.Host)
	io.WriteString(c, "HTTP/1.1 200 Connection Established\r\n\r\n")
	p.pipe(br, c, out)
}

// NewSOCKS5 starts a SOCKS5 proxy serving CONNECT and UDP ASSOCIATE.
func NewSOCKS5(t testing.TB, cfg Config) *Proxy {
	return start(t, cfg, serveSOCKS5)
}

var errSOCKS = errors.New("socks5: bad request")

func serveSOCKS5(p *Proxy, c net.Conn) {
	br := bufio.NewReader(c)
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil || h[0] != 5 {
		return
	}
	methods := make([]byte, h[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return
	}
	want := byte(0)
	if p.cfg.User != "" {
		want = 2
	}
	if !contains(methods, want) {
		p.refuse("methods")
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, want})
	if want == 2 {
		user, pass, err := readUserPass(br)
		if err != nil {
			return
		}
		if user != p.cfg.User || pass != p.cfg.Password {
			p.refuse("auth")
			c.Write([]byte{1, 1})
			return
		}
		c.Write([]byte{1, 0})
	}
	var req [4]byte
	if _, err := io.ReadFull(br, req[:]); err != nil || req[0] != 5 {
		return
	}
	target, err := readAddr(br, req[3])
	if err != nil {
		return
	}
	switch req[1] {
	case 1: // CONNECT
		out, err := p.dial(target)
		if err != nil {
			c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		p.record("tcp " + target)
		c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
		p.pipe(br, c, out)
	case 3: // UDP ASSOCIATE
		p.associate(c)
	default:
		c.Write([]byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0})
	}
}

// associate relays datagrams between the client and the targets it names
// until the control connection c ends.
func (p *Proxy) associate(c net.Conn) {
	relay, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return
	}
	egress, err := net.ListenUDP("udp4", &net.UDPAddr{IP: p.cfg.Egress.AsSlice()})
	if err != nil {
		relay.Close()
		return
	}
	if !p.track(relay) || !p.track(egress) {
		return
	}
	defer p.untrack(relay)
	defer p.untrack(egress)
	ra := relay.LocalAddr().(*net.UDPAddr).AddrPort()
	rep := []byte{5, 0, 0, 1}
	ip := ra.Addr().As4()
	rep = binary.BigEndian.AppendUint16(append(rep, ip[:]...), ra.Port())
	if _, err := c.Write(rep); err != nil {
		return
	}
	var client netip.AddrPort
	var cmu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() { // client -> target
		readDatagrams(relay, func(b []byte, from netip.AddrPort) {
			cmu.Lock()
			client = from
			cmu.Unlock()
			if len(b) < 10 || b[2] != 0 {
				return
			}
			var dst netip.AddrPort
			switch b[3] {
			case 1:
				dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[8:10]))
				b = b[10:]
			case 4:
				if len(b) < 22 {
					return
				}
				dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[4:20])), binary.BigEndian.Uint16(b[20:22]))
				b = b[22:]
			default:
				return
			}
			p.record("udp " + dst.String())
			egress.WriteToUDPAddrPort(b, dst)
		})
	})
	wg.Go(func() { // target -> client
		readDatagrams(egress, func(b []byte, from netip.AddrPort) {
			cmu.Lock()
			to := client
			cmu.Unlock()
			a := from.Addr().Unmap()
			var h []byte
			if a.Is4() {
				v := a.As4()
				h = append([]byte{0, 0, 0, 1}, v[:]...)
			} else {
				v := a.As16()
				h = append([]byte{0, 0, 0, 4}, v[:]...)
			}
			h = binary.BigEndian.AppendUint16(h, from.Port())
			relay.WriteToUDPAddrPort(append(h, b...), to)
		})
	})
	io.Copy(io.Discard, c) // the association lives as long as the control connection
	relay.Close()
	egress.Close()
	wg.Wait()
}

// readDatagrams hands each datagram read from c to handle, until c is
// closed. b is valid only during the call.
func readDatagrams(c *net.UDPConn, handle func(b []byte, from netip.AddrPort)) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		handle(buf[:n], from)
	}
}

func contains(b []byte, x byte) bool {
	for _, v := range b {
		if v == x {
			return true
		}
	}
	return false
}

func readUserPass(r io.Reader) (string, string, error) {
	var v [2]byte
	if _, err := io.ReadFull(r, v[:]); err != nil || v[0] != 1 {
		return "", "", errSOCKS
	}
	user := make([]byte, v[1])
	if _, err := io.ReadFull(r, user); err != nil {
		return "", "", err
	}
	if _, err := io.ReadFull(r, v[:1]); err != nil {
		return "", "", err
	}
	pass := make([]byte, v[0])
	if _, err := io.ReadFull(r, pass); err != nil {
		return "", "", err
	}
	return string(user), string(pass), nil
}

func readAddr(r io.Reader, atyp byte) (string, error) {
	var host string
	switch atyp {
	case 1:
		var a [4]byte
		if _, err := io.ReadFull(r, a[:]); err != nil {
			return "", err
		}
		host = netip.AddrFrom4(a).String()
	case 4:
		var a [16]byte
		if _, err := io.ReadFull(r, a[:]); err != nil {
			return "", err
		}
		host = netip.AddrFrom16(a).String()
	case 3:
		var n [1]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return "", err
		}
		b := make([]byte, n[0])
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		host = string(b)
	default:
		return "", errSOCKS
	}
	var port [2]byte
	if _, err := io.ReadFull(r, port[:]); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, itoa(binary.BigEndian.Uint16(port[:]))), nil
}

func itoa(v uint16) string { return strconv.Itoa(int(v)) }
