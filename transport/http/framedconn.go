package http

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"sync"

	"github.com/trackerkit/trackerkit/internal/httpsafe"
)

// A tracker that sends more bytes than its Content-Length leaves them on
// the connection once the reply is read. net/http then finds data on an
// idle connection and prints "Unsolicited response received on idle HTTP
// channel" through the standard logger, on stderr: a library must print
// nothing on its own, and must not change the process's logger. So the
// default client's plain-HTTP connections are framedConns: they follow the
// framing of each reply (status line, headers, Content-Length) and never
// hand net/http a byte past the end of a reply. Extra bytes are dropped
// and the connection ends there (net/http sees a clean EOF on an idle
// connection and closes it quietly). Replies whose length is not in a
// Content-Length (chunked, read to the end, 1xx) pass through unchanged.
// TLS connections and proxy tunnels are left alone (the first bytes
// written are not a plain GET): their bytes are encrypted below net/http's
// TLS layer.

// dialFramed wraps a dial function's connections in framedConns.
func dialFramed(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &framedConn{Conn: c}, nil
	}
}

type frameState uint8

const (
	frameHeaders frameState = iota // reading a reply's status line and headers
	frameBody                      // reading a body of known length
	framePass                      // framing unknown: bytes pass until the next request
	frameDone                      // reply complete: bytes now are unsolicited
)

type framedConn struct {
	net.Conn
	mu    sync.Mutex
	state frameState
	hdr   []byte // header bytes read so far (frameHeaders)
	left  int64  // body bytes still expected (frameBody)
	ended bool   // extra bytes were dropped: every later Read is io.EOF
	// started is set by the first Write; off when it was not a plain GET
	// (a TLS handshake, a proxy's CONNECT): the bytes are then not ours to
	// read, and pass unchanged for the connection's life.
	started, off bool
}

// Write sends a request: a reply is expected next (net/http does not
// pipeline: it writes a request only once the previous reply was read).
func (c *framedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.started {
		c.started, c.off = true, !bytes.HasPrefix(p, []byte("GET "))
	}
	c.state, c.hdr, c.left = frameHeaders, c.hdr[:0], 0
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *framedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	ended := c.ended
	c.mu.Unlock()
	if ended {
		return 0, io.EOF
	}
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off || !c.started {
		return n, err
	}
	keep := c.frame(p[:n])
	if keep < n {
		c.ended = true
		if keep == 0 {
			return 0, io.EOF
		}
		return keep, nil
	}
	return n, err
}

// frame follows the framing over b and returns how many of its bytes
// belong to the reply.
func (c *framedConn) frame(b []byte) int {
	used := 0
	for used < len(b) {
		switch c.state {
		case framePass:
			return len(b)
		case frameDone:
			return used
		case frameBody:
			take := int64(len(b) - used)
			if take >= c.left {
				take, c.state = c.left, frameDone
			}
			c.left -= take
			used += int(take)
		case frameHeaders:
			start := len(c.hdr)
			c.hdr = append(c.hdr, b[used:]...)
			end := bytes.Index(c.hdr, []byte("\r\n\r\n"))
			if end < 0 {
				if len(c.hdr) > httpsafe.MaxHeaderBytes+4 {
					c.state = framePass // net/http refuses it anyway
				}
				return len(b)
			}
			used += end + 4 - start
			c.state, c.left = c.bodyFraming(c.hdr[:end])
			c.hdr = c.hdr[:0]
			if c.state == frameBody && c.left == 0 {
				c.state = frameDone
			}
		}
	}
	return used
}

// bodyFraming reads a reply's status line and headers.
func (c *framedConn) bodyFraming(h []byte) (frameState, int64) {
	lines := bytes.Split(h, []byte("\r\n"))
	status := bytes.Fields(lines[0])
	if len(status) < 2 || !bytes.HasPrefix(status[0], []byte("HTTP/1.")) {
		return framePass, 0
	}
	code, err := strconv.Atoi(string(status[1]))
	switch {
	case err != nil || code < 200:
		return framePass, 0 // 1xx: another header block follows
	case code == 204 || code == 304:
		return frameBody, 0
	}
	length := int64(-1)
	for _, l := range lines[1:] {
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			continue
		}
		switch string(bytes.ToLower(bytes.TrimSpace(name))) {
		case "transfer-encoding":
			return framePass, 0
		case "content-length":
			n, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
			if err != nil || n < 0 || (length >= 0 && n != length) {
				return framePass, 0
			}
			length = n
		}
	}
	if length < 0 {
		return framePass, 0 // read to the end of the connection
	}
	return frameBody, length
}
