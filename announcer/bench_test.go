package announcer

import (
	"context"
	"encoding/binary"
	"net/netip"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/benchharness/bareudp"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/testenv"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// The 10,000-session benchmark: one Client, 10,000 Sessions with one UDP
// tracker each, against the mock tracker's UDP front end on loopback. It
// reports
//
//   - announces/s: Sessions started per second of wall time, from the first
//     Start until every Session has had its first UpdateEvent (one consumer
//     goroutine per Session, started beforehand, reads its events);
//   - baseline-announces/s: what a bare-socket client (package bareudp, the
//     benchmark harness's ceiling) reaches against the same tracker in the
//     same run (connect once, then raw 98-byte announces, 64 in flight);
//   - %-of-baseline: the ratio of the two;
//   - heap-B/pair and stack-B/pair: the heap (and goroutine stack) held per
//     idle (Session, tracker) pair: measured with every Session waiting for
//     its next interval, minus the same after Client.Close, each after GC.
//
// Run it with: go test -run '^$' -bench Sessions10k -benchtime 1x ./announcer
func BenchmarkSessions10k(b *testing.B) {
	const n = 10_000
	hashes := make([]transport.InfoHash, n)
	for i := range hashes {
		binary.BigEndian.PutUint64(hashes[i][:], uint64(i)+1)
		hashes[i][19] = 0xbe
	}
	id := peer.ID{'-', 'B', 'E', 'N', 'C', 'H', '-'}
	const port = 6881
	var sum tenKResult
	for range b.N {
		r := runSessions10k(b, hashes, id, port)
		sum.rate += r.rate
		sum.baseline += r.baseline
		sum.heapPerPair += r.heapPerPair
		sum.stackPerPair += r.stackPerPair
		sum.cpuPerAnnounce += r.cpuPerAnnounce
		sum.baselineCPU += r.baselineCPU
	}
	N := float64(b.N)
	b.ReportMetric(sum.rate/N, "announces/s")
	b.ReportMetric(sum.baseline/N, "baseline-announces/s")
	b.ReportMetric(100*sum.rate/sum.baseline, "%-of-baseline")
	b.ReportMetric(sum.heapPerPair/N, "heap-B/pair")
	b.ReportMetric(sum.stackPerPair/N, "stack-B/pair")
	b.ReportMetric(sum.cpuPerAnnounce/N, "cpu-µs/announce")
	b.ReportMetric(sum.baselineCPU/N, "baseline-cpu-µs/announce")
	b.ReportMetric(0, "ns/op")
}

// tenKResult is one run's figures. The CPU figures are the whole process's
// (tracker included) per announce, during each phase.
type tenKResult struct {
	rate, baseline, heapPerPair, stackPerPair float64
	cpuPerAnnounce, baselineCPU               float64
}

func runSessions10k(b *testing.B, hashes []transport.InfoHash, id peer.ID, port uint16) tenKResult {
	b.Helper()
	mt := mocktracker.New(mocktracker.Config{})
	defer mt.Close()
	announce, err := mt.ListenUDP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(announce)
	addr := netip.MustParseAddrPort(u.Host)

	// The baseline first: it also puts our peer into every swarm, so the
	// tracker's memory does not grow during the Sessions' run.
	cpu0 := testenv.ProcessCPU()
	bare, err := bareudp.Announce(context.Background(), addr, hashes, bareudp.Peer{ID: id, Port: port}, 64)
	if err != nil {
		b.Fatal(err)
	}
	res := tenKResult{baseline: float64(len(hashes)) / bare.Elapsed.Seconds()}
	res.baselineCPU = float64((testenv.ProcessCPU() - cpu0).Microseconds()) / float64(len(hashes))

	c, err := NewClient(Config{PeerID: id, Port: port})
	if err != nil {
		b.Fatal(err)
	}
	sessions := make([]*Session, len(hashes))
	for i, h := range hashes {
		s, err := c.NewSession(Torrent{InfoHash: h, Tiers: [][]string{{announce}}}, SessionOptions{})
		if err != nil {
			b.Fatal(err)
		}
		sessions[i] = s
	}
	var wg sync.WaitGroup
	wg.Add(len(sessions))
	errs := make(chan error, 1)
	for _, s := range sessions {
		go func() { // the consumer: until the first update, then gone
			defer wg.Done()
			for ev := range s.Events() {
				switch ev := ev.(type) {
				case UpdateEvent:
					return
				case ErrorEvent:
					select {
					case errs <- ev.Err:
					default:
					}
				}
			}
		}()
	}
	start, cpu0 := time.Now(), testenv.ProcessCPU()
	for _, s := range sessions {
		s.Start(context.Background())
	}
	wg.Wait()
	res.rate = float64(len(sessions)) / time.Since(start).Seconds()
	res.cpuPerAnnounce = float64((testenv.ProcessCPU() - cpu0).Microseconds()) / float64(len(sessions))
	select {
	case err := <-errs:
		b.Logf("an announce failed before succeeding (retried): %v", err)
	default:
	}

	var idle, closed runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&idle)
	c.Close()
	sessions = nil
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&closed)
	res.heapPerPair = float64(int64(idle.HeapAlloc)-int64(closed.HeapAlloc)) / float64(len(hashes))
	res.stackPerPair = float64(int64(idle.StackInuse)-int64(closed.StackInuse)) / float64(len(hashes))
	return res
}

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
	connect := make([]byte, 16)
	binary.BigEndian.PutUint64(connect[8:], 0x5eed)
	reply := make([]byte, 20+6*peers)
	binary.BigEndian.PutUint32(reply, 1)
	binary.BigEndian.PutUint32(reply[8:], 1800)
	binary.BigEndian.PutUint32(reply[12:], uint32(peers))
	for i := range peers {
		copy(reply[20+6*i:], []byte{10, 0, 0, byte(i + 1), 0x1a, 0xe1})
	}
	return testenv.ServeUDP(b, func(req []byte, _ netip.AddrPort) []byte {
		if len(req) < 16 {
			return nil
		}
		switch binary.BigEndian.Uint32(req[8:]) {
		case 0:
			copy(connect[4:8], req[12:16])
			return connect
		case 1:
			copy(reply[4:8], req[12:16])
			return reply
		}
		return nil
	})
}
