package announcer

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// The default UDP transport over real loopback sockets, IPv4 and IPv6.
func TestLoopbackUDP(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			mt := loopbackTracker(t)
			announce, err := mt.ListenUDP(addr)
			if err != nil {
				t.Skipf("no loopback for %s: %v", addr, err)
			}
			other := netip.MustParseAddrPort("127.0.0.1:7002")
			if addr[0] == '[' {
				other = netip.MustParseAddrPort("[::1]:7002")
			}
			mt.AddPeer(testHash, peer.ID{7}, other, 0)
			c, _ := NewClient(Config{StopTimeout: patience})
			defer c.Close()
			s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{announce}}},
				SessionOptions{Stats: func() Stats { return Stats{Left: 1} }})
			s.Start(context.Background())
			up := waitFor(t, s, isUpdate(transport.EventStarted)).(UpdateEvent)
			if up.Complete != 1 || up.Incomplete != 1 || up.Peers != 1 {
				t.Fatalf("update %+v", up)
			}
			pe := waitFor(t, s, func(ev Event) bool { _, ok := ev.(PeerEvent); return ok }).(PeerEvent)
			if len(pe.Peers) != 1 || pe.Peers[0].Addr != other || pe.Protocol != ProtocolUDP {
				t.Fatalf("peer %+v", pe)
			}
			if err := s.Scrape(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, s, isUpdate(transport.EventStopped))
			if n := len(mt.Peers(testHash)); n != 1 {
				t.Fatalf("%d peers after stopped", n)
			}
		})
	}
}

// memnetEnv runs the real UDP transport and the mock tracker's UDP front
// end over an in-memory network, in a synctest bubble: BEP 15 retransmits
// take no real time.
func memnetEnv(t *testing.T, n *memnet.Network) (*mocktracker.Tracker, string, *Client) {
	mt := mocktracker.New(mocktracker.Config{})
	pc, err := n.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := mt.ServeUDP(pc); err != nil {
		t.Fatal(err)
	}
	tr := udp.New(udp.Config{ListenPacket: n.ListenPacket})
	c, err := NewClient(Config{Transports: map[string]transport.Transport{"udp": tr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		tr.Close()
		mt.Close()
	})
	return mt, "udp://" + pc.LocalAddr().String() + "/announce", c
}

// A lost announce is retransmitted after BEP 15's 15 s; the pending started
// goes through.
func TestMemnetUDPRetransmit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt, announce, c := memnetEnv(t, memnet.New())
		mt.SetUDPFaults(mocktracker.UDPFaults{DropFirst: 1, DropActions: []uint32{1}})
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{announce}}}, SessionOptions{})
		col := collect(s)
		t0 := time.Now()
		s.Start(context.Background())
		time.Sleep(time.Minute)
		st := s.Trackers()[0]
		if st.State != StateOK || st.LastAnnounce.Sub(t0) != 15*time.Second || !st.Started {
			t.Fatalf("status %+v after %v", st, st.LastAnnounce.Sub(t0))
		}
		s.Stop(context.Background())
		<-col.done
		if n := len(ofType[ErrorEvent](col.all())); n != 0 {
			t.Fatalf("%d error events for a retransmitted announce", n)
		}
	})
}

// Stop with a UDP tracker that went silent returns by the stop timeout.
func TestMemnetUDPStopDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt, announce, c := memnetEnv(t, memnet.New())
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{announce}}}, SessionOptions{})
		s.Start(context.Background())
		synctest.Wait()
		mt.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
		t0 := time.Now()
		err := s.Stop(context.Background())
		if d := time.Since(t0); d != DefaultStopTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop: %v after %v", err, d)
		}
	})
}

// On a host without IPv6, an IPv6 tracker is skipped, not failing, and the
// IPv4 one of the tier is used.
func TestMemnetUDPSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		n.DisableIPv6()
		_, announce, c := memnetEnv(t, n)
		s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{"udp://[::1]:6969/announce", announce}}},
			SessionOptions{KeepOrder: true})
		col := collect(s)
		s.Start(context.Background())
		synctest.Wait()
		st := s.Trackers()
		if st[0].State != StateSkipped || st[0].Failures != 0 || st[1].State != StateOK {
			t.Fatalf("states %v %v, failures %d", st[0].State, st[1].State, st[0].Failures)
		}
		s.Close()
		<-col.done
		errs := ofType[ErrorEvent](col.all())
		if len(errs) != 1 || errs[0].Failures != 0 || !errors.Is(errs[0].Err, transport.ErrSkipped) {
			t.Fatalf("error events %+v", errs)
		}
	})
}
