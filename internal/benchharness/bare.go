package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackerkit/trackerkit/internal/benchharness/bareudp"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// The bare clients are the ceiling: what a client that does nothing but the
// protocol reaches against the same tracker. They keep no state beyond what
// the protocol needs and allocate next to nothing. The UDP one is package
// bareudp, shared with announcer's BenchmarkSessions10k.

// peerSpec is who announces: the peer ID, the port and what is left.
type peerSpec struct {
	id   peer.ID
	port uint16
	left int64
}

var probePeerID = peer.ID{'-', 'P', 'R', 'O', 'B', 'E', '-'}

// phase is what one timed run measured.
type phase struct {
	elapsed  time.Duration
	n        int     // announces answered
	peers    float64 // mean peers per reply
	mallocs  float64 // heap allocations per announce, whole process (trackerkit only)
	errors   int     // failed attempts (retried)
	idlePair float64 // heap bytes per idle (Session, tracker) pair (trackerkit only)
}

func (p phase) rate() float64 { return float64(p.n) / p.elapsed.Seconds() }

// bareUDP is the UDP ceiling (package bareudp) as a phase of the run.
func bareUDP(ctx context.Context, tracker netip.AddrPort, hashes []transport.InfoHash, who peerSpec, inflight int) (phase, error) {
	r, err := bareudp.Announce(ctx, tracker, hashes, bareudp.Peer{ID: who.id, Port: who.port, Left: who.left}, inflight)
	if err != nil {
		return phase{}, err
	}
	return phase{elapsed: r.Elapsed, n: len(hashes), peers: r.Peers}, nil
}

// announceQuery is the query of an HTTP announce ("started", compact,
// numwant 50).
func announceQuery(h transport.InfoHash, id peer.ID, port uint16, left int64) string {
	b := make([]byte, 0, 256)
	b = append(b, "info_hash="...)
	b = appendEscaped(b, h[:])
	b = append(b, "&peer_id="...)
	b = appendEscaped(b, id[:])
	b = append(b, "&port="...)
	b = strconv.AppendUint(b, uint64(port), 10)
	b = append(b, "&uploaded=0&downloaded=0&left="...)
	b = strconv.AppendInt(b, left, 10)
	b = append(b, "&event=started&compact=1&numwant=50&key=1"...)
	return string(b)
}

func appendEscaped(b, raw []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range raw {
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

// bareHTTP announces every hash once with at most inflight requests at a
// time, each on a connection of its own: dial, GET (Connection: close),
// read to the end. A failed request is retried (counted in errors).
func bareHTTP(ctx context.Context, announceURL string, hashes []transport.InfoHash, who peerSpec, inflight int) (phase, error) {
	u, err := url.Parse(announceURL)
	if err != nil {
		return phase{}, err
	}
	reqs := make([][]byte, len(hashes)) // built before the clock starts
	for i, h := range hashes {
		reqs[i] = []byte("GET " + u.Path + "?" + announceQuery(h, who.id, who.port, who.left) +
			" HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n\r\n")
	}
	var next, peers, fails atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			var d net.Dialer
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				for attempt := 0; ; attempt++ {
					n, err := bareGet(ctx, &d, u.Host, reqs[i], &buf)
					if err == nil {
						peers.Add(int64(n))
						break
					}
					fails.Add(1)
					if attempt == 5 || ctx.Err() != nil {
						errOnce.Do(func() { firstErr = err })
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return phase{}, fmt.Errorf("bare HTTP: %w", firstErr)
	}
	return phase{elapsed: time.Since(start), n: len(hashes), peers: float64(peers.Load()) / float64(len(hashes)), errors: int(fails.Load())}, nil
}

// bareGet sends one request on a new connection and returns the number of
// compact peers in the reply.
func bareGet(ctx context.Context, d *net.Dialer, host string, req []byte, buf *bytes.Buffer) (int, error) {
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(req); err != nil {
		return 0, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(c); err != nil {
		return 0, err
	}
	return compactPeers(buf.Bytes())
}

// compactPeers checks an HTTP reply (status 200, a bencoded body with a
// compact "peers" string) and returns its number of peers.
func compactPeers(reply []byte) (int, error) {
	if !bytes.HasPrefix(reply, []byte("HTTP/1.")) || len(reply) < 12 || string(reply[9:12]) != "200" {
		return 0, fmt.Errorf("reply %.40q", reply)
	}
	_, body, ok := bytes.Cut(reply, []byte("\r\n\r\n"))
	if !ok {
		return 0, io.ErrUnexpectedEOF
	}
	if bytes.Contains(body, []byte("failure reason")) {
		return 0, fmt.Errorf("tracker refused: %q", body)
	}
	_, rest, ok := bytes.Cut(body, []byte("5:peers"))
	if !ok {
		return 0, fmt.Errorf("no peers in %q", body)
	}
	n, _, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return 0, fmt.Errorf("bad peers in %q", body)
	}
	l, err := strconv.Atoi(string(n))
	if err != nil {
		return 0, fmt.Errorf("bad peers in %q", body)
	}
	return l / 6, nil
}

// httpGet is one plain GET (the probe).
func httpGet(ctx context.Context, announceURL, query string) ([]byte, error) {
	u, err := url.Parse(announceURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	var buf bytes.Buffer
	req := []byte("GET " + u.Path + "?" + query + " HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n\r\n")
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	if _, err := buf.ReadFrom(c); err != nil {
		return nil, err
	}
	_, body, _ := bytes.Cut(buf.Bytes(), []byte("\r\n\r\n"))
	return body, nil
}

// seed puts seeds peers into every swarm (seeders, distinct IDs and ports),
// with the bare UDP client, so that every reply the measured clients get
// carries peers.
func seed(ctx context.Context, tracker netip.AddrPort, hashes []transport.InfoHash, seeds int) error {
	for k := range seeds {
		id := peer.ID{'-', 'S', 'E', 'E', 'D', '0' + byte(k/10), '0' + byte(k%10), '-'}
		if _, err := bareUDP(ctx, tracker, hashes, peerSpec{id: id, port: uint16(30001 + k)}, 64); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
	}
	return nil
}
