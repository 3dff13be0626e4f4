package webrtc

import (
	"sync"

	"github.com/pion/datachannel"
)

// writeChunk is the largest message Write sends: WebTorrent and browsers
// expect data channel messages of 16 KiB (larger ones are not portable).
const writeChunk = 16 << 10

// dataConn is an open, detached data channel seen as a byte stream, the way
// the BitTorrent wire protocol uses it: messages are an implementation
// detail, so Read returns bytes from successive messages in any buffer size,
// and Write splits into portable message sizes. Close closes the data
// channel and its PeerConnection.
type dataConn struct {
	p  *peerConn
	rw datachannel.ReadWriteCloser

	rmu  sync.Mutex
	buf  []byte // one message; allocated on first Read
	rest []byte // unread part of buf

	wmu sync.Mutex
}

func newDataConn(p *peerConn, rw datachannel.ReadWriteCloser) *dataConn {
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
