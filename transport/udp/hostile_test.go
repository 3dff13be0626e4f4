package udp

import (
	"context"
	"encoding/binary"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
)

// Issue 12, "keep what passes": a hostile UDP tracker, in virtual time over
// memnet. The fake tracker answers connect and announce itself so that each
// test can shape the datagrams: a flood of 10,000 wrong transaction IDs
// (paced at 500 a millisecond) before the real reply, the reply three times, from another port, and a reply
// holding 10,900 peers (65,420 bytes, nearly the largest datagram).
type hostileMode struct {
	flood     int  // datagrams with a wrong txid before each reply
	dupes     int  // extra copies of each reply
	otherPort bool // replies come from another port
	peers     int  // peers in the announce reply
}

func hostileTracker(t *testing.T, n *memnet.Network, m hostileMode) string {
	t.Helper()
	pc, err := n.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := pc
	if m.otherPort {
		if out, err = n.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { pc.Close(); out.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			nr, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if nr < 16 {
				continue
			}
			action, txid := binary.BigEndian.Uint32(buf[8:]), binary.BigEndian.Uint32(buf[12:])
			var reply []byte
			switch {
			case action == 0 && binary.BigEndian.Uint64(buf) == 0x41727101980:
				reply = binary.BigEndian.AppendUint32(nil, 0)
				reply = binary.BigEndian.AppendUint32(reply, txid)
				reply = binary.BigEndian.AppendUint64(reply, 0x1234)
			case action == 1 && nr >= 98:
				reply = binary.BigEndian.AppendUint32(nil, 1)
				reply = binary.BigEndian.AppendUint32(reply, binary.BigEndian.Uint32(buf[12:]))
				reply = binary.BigEndian.AppendUint32(reply, 1800)
				reply = binary.BigEndian.AppendUint32(reply, 1)
				reply = binary.BigEndian.AppendUint32(reply, 2)
				for i := range m.peers {
					reply = append(reply, 10, byte(i>>16), byte(i>>8), byte(i), 0x1a, 0xe1)
				}
			default:
				continue
			}
			for i := range m.flood {
				junk := append([]byte(nil), reply...)
				binary.BigEndian.PutUint32(junk[4:], txid^uint32(i+1))
				out.WriteTo(junk, from)
				if i%500 == 499 {
					// Paced (virtual time) so that the client's queue,
					// memnet.QueueLen like a kernel's buffer, drains.
					time.Sleep(time.Millisecond)
				}
			}
			for range 1 + m.dupes {
				out.WriteTo(reply, from)
			}
		}
	}()
	return "udp://" + pc.LocalAddr().String() + "/announce"
}

func TestHostileUDPTracker(t *testing.T) {
	tests := []struct {
		name  string
		mode  hostileMode
		peers int
	}{
		{"wrong-txid flood, real reply gets through", hostileMode{flood: 10000, peers: 3}, 3},
		{"duplicates", hostileMode{dupes: 3, peers: 3}, 3},
		{"reply from another port", hostileMode{otherPort: true, peers: 3}, 3},
		{"10,900 peers", hostileMode{peers: 10900}, 10900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := memnet.New()
				u := mustURL(t, hostileTracker(t, n, tt.mode))
				tr := New(Config{ListenPacket: n.ListenPacket})
				defer tr.Close()
				start := time.Now()
				for range 2 { // the second announce reuses the connection ID
					resp, err := tr.Announce(context.Background(), u, testRequest(1))
					if err != nil {
						t.Fatal(err)
					}
					if len(resp.Peers) != tt.peers || resp.Interval != 1800*time.Second {
						t.Fatalf("%d peers, interval %v", len(resp.Peers), resp.Interval)
					}
				}
				if d := time.Since(start); d >= 15*time.Second {
					t.Errorf("took %v of virtual time: a retransmit was needed", d)
				}
			})
		})
	}
}
