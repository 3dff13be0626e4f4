package announcer

import (
	"context"
	"net"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// BenchmarkShutdownStopped measures item 3 of issue 11 over real loopback
// sockets and the default transports: 1,000 Sessions on one tracker, each
// "started" acknowledged, then the tracker dies (UDP: drops every datagram;
// HTTP: accepts and never answers) and Client.Shutdown runs with the
// default 5 s StopTimeout. It reports how many of the 1,000 owed stoppeds
// reached the tracker before the deadline and, for UDP, how many stopped
// datagrams left our socket (first sends and resends: a burst of 1,000 on
// loopback overflows the tracker's socket buffer, which the resends make
// up for). It asserts nothing: the figures go to
// docs/performance.md.
func BenchmarkShutdownStopped(b *testing.B) {
	for _, proto := range []string{"udp", "http"} {
		b.Run(proto, func(b *testing.B) {
			var got, sent float64
			for range b.N {
				g, s := shutdownStopped(b, proto, 1000)
				got, sent = got+float64(g), sent+float64(s)
			}
			b.ReportMetric(got/float64(b.N), "stoppeds-received/1000")
			if proto == "udp" {
				b.ReportMetric(sent/float64(b.N), "datagrams-sent")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

func shutdownStopped(b *testing.B, proto string, n int) (received, sent int) {
	mt := mocktracker.New(mocktracker.Config{})
	defer mt.Close()
	var (
		dead    atomic.Bool
		mu      sync.Mutex
		stopped = map[string]bool{} // info hashes of stoppeds received while dead
		died    time.Time
		release = make(chan struct{})
	)
	var announce string
	switch proto {
	case "udp":
		u, err := mt.ListenUDP("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		announce = u
	case "http":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		h := mt.HTTPHandler()
		srv := &nethttp.Server{Handler: nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			if !dead.Load() {
				h.ServeHTTP(w, r)
				return
			}
			q := r.URL.Query()
			mu.Lock()
			if q.Get("event") == "stopped" && time.Since(died) < DefaultStopTimeout {
				stopped[q.Get("info_hash")] = true
			}
			mu.Unlock()
			select { // dead: never answers
			case <-release:
			case <-r.Context().Done():
			}
		})}
		go srv.Serve(l)
		defer srv.Close()
		defer close(release)
		announce = "http://" + l.Addr().String() + "/announce"
	}
	var sends atomic.Int64 // announce datagrams written while dead
	cfg := Config{}
	if proto == "udp" {
		tr := udp.New(udp.Config{ListenPacket: func(network, address string) (net.PacketConn, error) {
			pc, err := net.ListenPacket(network, address)
			return &sendCounter{PacketConn: pc, dead: &dead, sends: &sends}, err
		}})
		defer tr.Close()
		cfg.Transports = map[string]transport.Transport{"udp": tr}
	}
	c, err := NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range n {
		s, err := c.NewSession(Torrent{InfoHash: hashN(i), Tiers: [][]string{{announce}}}, SessionOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			first := true
			for ev := range s.Events() {
				if u, ok := ev.(UpdateEvent); ok && u.Event == transport.EventStarted && first {
					first = false
					wg.Done()
				}
			}
		}()
		s.Start(context.Background())
	}
	wg.Wait()
	died = time.Now()
	dead.Store(true)
	if proto == "udp" {
		mt.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
	}
	c.Shutdown(context.Background())
	if proto == "udp" {
		sent := 0
		for _, p := range mt.UDPPackets() {
			if p.Action == 1 && !p.Time.Before(died) && p.Time.Sub(died) < DefaultStopTimeout {
				sent++
			}
		}
		return min(sent, n), int(sends.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	return len(stopped), 0
}

// sendCounter counts the announce datagrams written while dead is set.
type sendCounter struct {
	net.PacketConn
	dead  *atomic.Bool
	sends *atomic.Int64
}

func (c *sendCounter) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.dead.Load() && len(b) >= 12 && b[11] == 1 && b[8]|b[9]|b[10] == 0 {
		c.sends.Add(1)
	}
	return c.PacketConn.WriteTo(b, addr)
}
