package announcer

import (
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/trackerkit/trackerkit/peer"
)

// distinctPeers keeps the first of each peer, returns the reply itself when
// nothing repeats, and closes a repeated WebRTC peer's connection.
func TestDistinctPeers(t *testing.T) {
	many := func(n int) []peer.Peer {
		out := make([]peer.Peer, n)
		for i := range out {
			out[i] = peer.Peer{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 6881)}
		}
		return out
	}
	host := func(h string, port uint16) peer.Peer {
		return peer.Peer{Host: h, Addr: netip.AddrPortFrom(netip.Addr{}, port)}
	}
	var closed atomic.Int32
	rtc := func(b byte) peer.Peer { return peer.Peer{ID: peer.ID{b}, Conn: countingConn{&closed}} }
	v6 := peer.Peer{Addr: netip.MustParseAddrPort("[2001:db8::1]:6881")}
	tests := []struct {
		name   string
		in     []peer.Peer
		want   int
		same   bool // the input slice is returned
		closes int32
	}{
		{"none", nil, 0, true, 0},
		{"one", many(1), 1, true, 0},
		{"distinct", many(50), 50, true, 0},
		{"distinct at table size", many(dedupTableMax), dedupTableMax, true, 0},
		{"distinct, large", many(300), 300, true, 0},
		{"repeat", append(many(5), many(2)...), 5, false, 0},
		{"repeat, large", append(many(300), many(300)...), 300, false, 0},
		{"hosts", []peer.Peer{host("a.test", 1), host("a.test", 2), host("a.test", 1), host("b.test", 1)}, 3, false, 0},
		{"same port, other families", []peer.Peer{many(1)[0], v6, v6}, 2, false, 0},
		{"webrtc by id", []peer.Peer{rtc(1), rtc(2), rtc(1)}, 2, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closed.Store(0)
			got := distinctPeers(tt.in)
			if len(got) != tt.want {
				t.Fatalf("%d peers, want %d", len(got), tt.want)
			}
			if same := len(got) > 0 && &got[0] == &tt.in[0]; same != (tt.same && len(got) > 0) {
				t.Errorf("returned the input slice: %v", same)
			}
			seen := map[peerKey]bool{}
			for i := range got {
				k := keyOf(&got[i])
				if seen[k] {
					t.Errorf("%v twice", got[i])
				}
				seen[k] = true
			}
			if n := closed.Load(); n != tt.closes {
				t.Errorf("%d connections closed, want %d", n, tt.closes)
			}
		})
	}
}

func TestDistinctPeersAllocs(t *testing.T) {
	in := make([]peer.Peer, 50)
	for i := range in {
		in[i] = peer.Peer{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 6881)}
	}
	if n := testing.AllocsPerRun(100, func() { distinctPeers(in) }); n != 0 {
		t.Fatalf("%v allocations for a reply without repeats", n)
	}
}

func BenchmarkDistinctPeers50(b *testing.B) {
	in := make([]peer.Peer, 50)
	for i := range in {
		in[i] = peer.Peer{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 6881)}
	}
	b.ReportAllocs()
	for b.Loop() {
		distinctPeers(in)
	}
}
