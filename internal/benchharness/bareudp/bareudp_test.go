package bareudp

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/trackerkit/trackerkit/internal/testenv"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// forgetful is a tracker on loopback that ignores the first copy of every
// announce, so that each is answered only once the client sends it again,
// and answers with peers peers of 6 zero bytes each.
func forgetful(t *testing.T, peers int) netip.AddrPort {
	seen := map[uint32]bool{}
	return testenv.ServeUDP(t, func(req []byte, _ netip.AddrPort) []byte {
		reply := binary.BigEndian.AppendUint32(nil, binary.BigEndian.Uint32(req[8:])) // action
		reply = append(reply, req[12:16]...)                                          // transaction ID
		switch {
		case len(req) == 16: // connect
			reply = binary.BigEndian.AppendUint64(reply, 42)
		case len(req) == 98 && !seen[binary.BigEndian.Uint32(req[12:])]:
			seen[binary.BigEndian.Uint32(req[12:])] = true
			return nil
		default: // announce, the second time: interval, leechers, seeders, peers
			reply = append(reply, make([]byte, 12+6*peers)...)
		}
		return reply
	})
}

// TestAnnounce checks that every hash is answered, the unanswered ones
// sent again, and the peers per reply counted; an ended context ends it.
func TestAnnounce(t *testing.T) {
	hashes := []transport.InfoHash{{1}, {2}, {3}}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		peers    int
		inflight int
		wantErr  error
	}{
		{"one in flight", context.Background(), 2, 1, nil},
		{"all in flight", context.Background(), 0, 3, nil},
		{"ended context", ended, 1, 3, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Announce(tt.ctx, forgetful(t, tt.peers), hashes, Peer{ID: peer.ID{'A'}, Port: 1}, tt.inflight)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Announce: %v, want %v", err, tt.wantErr)
			}
			if err == nil && r.Peers != float64(tt.peers) {
				t.Errorf("peers per reply = %v, want %d", r.Peers, tt.peers)
			}
		})
	}
}

// TestAppendAnnounce checks the packet's length and the fields the tracker
// reads back.
func TestAppendAnnounce(t *testing.T) {
	who := Peer{ID: peer.ID{'-', 'X'}, Port: 0x1234, Left: 7}
	p := AppendAnnounce(nil, 0x0102030405060708, 9, transport.InfoHash{0xaa}, who)
	if len(p) != 98 {
		t.Fatalf("len = %d, want 98", len(p))
	}
	checks := []struct {
		name string
		off  int
		want []byte
	}{
		{"connection ID", 0, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"action announce", 8, []byte{0, 0, 0, 1}},
		{"transaction ID", 12, []byte{0, 0, 0, 9}},
		{"info hash", 16, []byte{0xaa}},
		{"peer ID", 36, []byte{'-', 'X'}},
		{"left", 64, []byte{0, 0, 0, 0, 0, 0, 0, 7}},
		{"event started", 80, []byte{0, 0, 0, 2}},
		{"numwant", 92, []byte{0, 0, 0, NumWant}},
		{"port", 96, []byte{0x12, 0x34}},
	}
	for _, c := range checks {
		if got := p[c.off : c.off+len(c.want)]; string(got) != string(c.want) {
			t.Errorf("%s = %x, want %x", c.name, got, c.want)
		}
	}
}
