package netdial

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ProxyError is a failure to connect through the proxy. It names the proxy
// without its user information and the tracker's host:port only, never a
// path or query (where passkeys live).
type ProxyError struct {
	Proxy  string // scheme://host:port
	Target string // host:port
	Err    error
}

func (e *ProxyError) Error() string {
	return "proxy " + e.Proxy + " to " + e.Target + ": " + e.Err.Error()
}
func (e *ProxyError) Unwrap() error { return e.Err }

// dialProxy connects to address through the configured proxy.
func (d *Dialer) dialProxy(ctx context.Context, address string) (net.Conn, error) {
	var c net.Conn
	var err error
	if d.socks != nil {
		c, err = d.socks.DialContext(ctx, "tcp", address)
	} else {
		c, err = d.connect(ctx, address)
	}
	if err != nil {
		return nil, &ProxyError{Proxy: d.proxyURL, Target: address, Err: err}
	}
	return c, nil
}

// connect opens a tunnel to address with an HTTP CONNECT request.
func (d *Dialer) connect(ctx context.Context, address string) (net.Conn, error) {
	c, err := d.cfg.Dial(ctx, "tcp", d.cfg.Proxy.Host)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req := "CONNECT " + address + " HTTP/1.1\r\nHost: " + address + "\r\n"
	if u := d.cfg.Proxy.User; u != nil {
		pw, _ := u.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)) + "\r\n"
	}
	req += "\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		return nil, ctxErr(ctx, err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, ctxErr(ctx, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.Close()
		return nil, fmt.Errorf("CONNECT refused: %s", resp.Status)
	}
	if !stop() {
		c.Close()
		return nil, ctx.Err()
	}
	c.SetDeadline(time.Time{})
	if br.Buffered() > 0 { // the tracker spoke first: keep its bytes
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(ctx.Err(), err)
	}
	return err
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
