package webrtc

import (
	"sync"
	"time"

	"github.com/pion/datachannel"
)

// writeChunk is the largest message Write sends: WebTorrent and browsers
// expect data channel messages of 16 KiB (larger ones are not portable).
const writeChunk = 16 << 10

// dataConn is an open, detached data channel seen as a byte stream, the way
// the BitTorrent wire protocol uses it: messages are an implementation
// detail, so Read returns bytes from successive messages in any buffer size,
// and Write splits into portable message sizes and blocks while earlier data
// is still unsent. Close closes the data channel and its PeerConnection.
// Deadlines work as on a net.Conn.
type dataConn struct {
	p  *peerConn
	rw datachannel.ReadWriteCloserDeadliner

	rmu  sync.Mutex
	buf  []byte // one message; allocated on first Read
	rest []byte // unread part of buf

	wmu sync.Mutex
}

func newDataConn(p *peerConn, rw datachannel.ReadWriteCloserDeadliner) *dataConn {
	return &dataConn{p: p, rw: rw}
}

// Read reads bytes from the data channel; io.EOF when the remote closed it.
func (c *dataConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.rest) == 0 {
		if c.buf == nil {
			c.buf = make([]byte, maxDataChannelMessage)
		}
		n, err := c.rw.Read(c.buf)
		c.rest = c.buf[:n]
		if n == 0 && err != nil {
			return 0, err
		}
	}
	n := copy(b, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

// Write sends b, in messages of at most 16 KiB.
func (c *dataConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), writeChunk)]
		n, err := c.rw.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		b = b[len(chunk):]
	}
	return written, nil
}

// Close closes the data channel and its PeerConnection. It is idempotent.
func (c *dataConn) Close() error {
	err := c.rw.Close()
	c.p.close()
	return err
}

// SetReadDeadline makes Read fail with a timeout error after t (zero: never).
func (c *dataConn) SetReadDeadline(t time.Time) error { return c.rw.SetReadDeadline(t) }

// SetWriteDeadline makes a blocked Write fail with a timeout error after t
// (zero: never).
func (c *dataConn) SetWriteDeadline(t time.Time) error { return c.rw.SetWriteDeadline(t) }

// SetDeadline sets both deadlines.
func (c *dataConn) SetDeadline(t time.Time) error {
	if err := c.rw.SetReadDeadline(t); err != nil {
		return err
	}
	return c.rw.SetWriteDeadline(t)
}
