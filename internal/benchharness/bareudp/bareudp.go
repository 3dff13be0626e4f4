package bareudp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Peer is who announces: the peer ID, the port and what is left.
type Peer struct {
	ID   peer.ID
	Port uint16
	Left int64
}

// NumWant is the numwant of every announce: what a Session asks for by
// default (announcer.DefaultNumWant), so that the ceiling asks the tracker
// for as much as the measured client.
const NumWant = 50

// ResendAfter is how long the reader waits in silence before it sends
// again every announce sent and not yet answered.
const ResendAfter = 250 * time.Millisecond

// Result is what one Announce measured.
type Result struct {
	// Elapsed runs from the first announce sent to the last reply read.
	Elapsed time.Duration
	// Peers is the mean number of peers per reply.
	Peers float64
}

// Connect gets a connection ID over conn, trying up to attempts times,
// each waiting a second for the reply.
func Connect(conn *net.UDPConn, tracker netip.AddrPort, attempts int) (uint64, error) {
	buf := make([]byte, 64)
	for range attempts {
		pkt := binary.BigEndian.AppendUint64(nil, 0x41727101980)
		pkt = binary.BigEndian.AppendUint32(pkt, 0)
		pkt = binary.BigEndian.AppendUint32(pkt, 0xc0ffee)
		if _, err := conn.WriteToUDPAddrPort(pkt, tracker); err != nil {
			return 0, err
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		m, _, err := conn.ReadFromUDPAddrPort(buf)
		if err == nil && m >= 16 && binary.BigEndian.Uint32(buf) == 0 && binary.BigEndian.Uint32(buf[4:]) == 0xc0ffee {
			conn.SetReadDeadline(time.Time{})
			return binary.BigEndian.Uint64(buf[8:]), nil
		}
	}
	return 0, errors.New("no connect reply")
}

// AppendAnnounce appends one raw 98-byte BEP 15 announce ("started",
// numwant NumWant), transaction ID txid.
func AppendAnnounce(p []byte, connID uint64, txid uint32, h transport.InfoHash, who Peer) []byte {
	p = binary.BigEndian.AppendUint64(p, connID)
	p = binary.BigEndian.AppendUint32(p, 1)
	p = binary.BigEndian.AppendUint32(p, txid)
	p = append(p, h[:]...)
	p = append(p, who.ID[:]...)
	p = binary.BigEndian.AppendUint64(p, 0)                // downloaded
	p = binary.BigEndian.AppendUint64(p, uint64(who.Left)) // left
	p = binary.BigEndian.AppendUint64(p, 0)                // uploaded
	p = binary.BigEndian.AppendUint32(p, 2)                // started
	p = binary.BigEndian.AppendUint32(p, 0)                // ip
	p = binary.BigEndian.AppendUint32(p, 1)                // key
	p = binary.BigEndian.AppendUint32(p, NumWant)          // num_want
	return binary.BigEndian.AppendUint16(p, who.Port)
}

// Announce announces every hash once over one socket on 127.0.0.1, one
// connect, at most inflight unanswered; what stays unanswered for
// ResendAfter is sent again. It returns when every hash has its reply, or
// with ctx's error once ctx ends.
func Announce(ctx context.Context, tracker netip.AddrPort, hashes []transport.InfoHash, who Peer, inflight int) (Result, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	connID, err := Connect(conn, tracker, 10)
	if err != nil {
		return Result{}, err
	}
	pkts := make([][]byte, len(hashes)) // built before the clock starts
	for i, h := range hashes {
		pkts[i] = AppendAnnounce(make([]byte, 0, 98), connID, uint32(i), h, who)
	}

	var mu sync.Mutex
	sent := 0 // guarded by mu
	answered := make([]bool, len(hashes))
	var peers atomic.Int64
	slots := make(chan struct{}, inflight)
	done := make(chan error, 1)
	start := time.Now()
	go func() { // the reader
		buf := make([]byte, 64<<10)
		left := len(hashes)
		for left > 0 {
			if ctx.Err() != nil {
				done <- ctx.Err()
				return
			}
			conn.SetReadDeadline(time.Now().Add(ResendAfter))
			m, _, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					mu.Lock() // resend what is unanswered among those sent
					for i := range sent {
						if !answered[i] {
							conn.WriteToUDPAddrPort(pkts[i], tracker)
						}
					}
					mu.Unlock()
					continue
				}
				done <- err
				return
			}
			if m < 20 || binary.BigEndian.Uint32(buf) != 1 {
				continue
			}
			i := int(binary.BigEndian.Uint32(buf[4:]))
			mu.Lock()
			if i < len(answered) && !answered[i] {
				answered[i] = true
				left--
				peers.Add(int64((m - 20) / 6))
				<-slots
			}
			mu.Unlock()
		}
		done <- nil
	}()
	for i := range hashes {
		select {
		case slots <- struct{}{}:
		case err := <-done: // the reader failed
			return Result{}, err
		}
		mu.Lock()
		sent = i + 1
		mu.Unlock()
		if _, err := conn.WriteToUDPAddrPort(pkts[i], tracker); err != nil {
			conn.Close()
			<-done
			return Result{}, fmt.Errorf("bare UDP: %w", err)
		}
	}
	if err := <-done; err != nil {
		return Result{}, err
	}
	return Result{Elapsed: time.Since(start), Peers: float64(peers.Load()) / float64(len(hashes))}, nil
}
