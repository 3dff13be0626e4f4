package announcer

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// BenchmarkSessionAnnounceUDP measures one announce through a Session over
// UDP, event delivery included: per op, one Session is started, announces
// "started" to a UDP tracker on loopback, and its consumer reads the
// UpdateEvent and the PeerEvent with the reply's 8 peers. The tracker is a
// responder that allocates nothing (canned replies), so that -benchmem
// counts trackerkit's allocations alone. Sessions are made, and closed, in
// batches of up to 10,000 with the timer stopped.
//
//	go test -run '^$' -bench SessionAnnounceUDP -benchmem ./announcer
func BenchmarkSessionAnnounceUDP(b *testing.B) {
	addr := startCannedUDPTracker(b, 8)
	announce := "udp://" + addr.String() + "/announce"
	c := newClient(b, Config{})
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(b.N-done, 10_000)
		b.StopTimer()
		sessions := make([]*Session, n)
		var answered, consumers sync.WaitGroup
		answered.Add(n)
		for i := range sessions {
			var h transport.InfoHash
			binary.BigEndian.PutUint64(h[:], uint64(done+i)+1)
			s, err := c.NewSession(Torrent{InfoHash: h, Tiers: [][]string{{announce}}}, SessionOptions{})
			if err != nil {
				b.Fatal(err)
			}
			sessions[i] = s
			consumers.Add(1)
			go func() {
				defer consumers.Done()
				got := false
				for ev := range s.Events() {
					if _, ok := ev.(PeerEvent); ok && !got {
						got = true
						answered.Done()
					}
				}
			}()
		}
		b.StartTimer()
		for _, s := range sessions {
			s.Start(context.Background())
		}
		answered.Wait()
		b.StopTimer()
		for _, s := range sessions {
			s.Close()
		}
		consumers.Wait()
		done += n
		b.StartTimer()
	}
}

// startCannedUDPTracker answers BEP 15 connects and announces on 127.0.0.1
// with prepared replies (interval 1800 s, peers IPv4 peers), allocating
// nothing per datagram. It stops when b's cleanup runs.
func startCannedUDPTracker(b *testing.B, peers int) netip.AddrPort {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	connect := make([]byte, 16)
	binary.BigEndian.PutUint64(connect[8:], 0x5eed)
	reply := make([]byte, 20+6*peers)
	binary.BigEndian.PutUint32(reply, 1)
	binary.BigEndian.PutUint32(reply[8:], 1800)
	binary.BigEndian.PutUint32(reply[12:], uint32(peers))
	for i := range peers {
		copy(reply[20+6*i:], []byte{10, 0, 0, byte(i + 1), 0x1a, 0xe1})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil || n < 16 {
				continue
			}
			switch binary.BigEndian.Uint32(buf[8:]) {
			case 0:
				copy(connect[4:8], buf[12:16])
				conn.WriteToUDPAddrPort(connect, from)
			case 1:
				copy(reply[4:8], buf[12:16])
				conn.WriteToUDPAddrPort(reply, from)
			}
		}
	}()
	b.Cleanup(func() { conn.Close(); <-done })
	return conn.LocalAddr().(*net.UDPAddr).AddrPort()
}
