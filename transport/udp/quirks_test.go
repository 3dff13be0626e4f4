package udp

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// TestIPv4RecordsOverIPv6 covers bittorrent-tracker's UDP replies over IPv6,
// which carry 6-byte IPv4 records instead of BEP 15's 18-byte ones.
func TestIPv4RecordsOverIPv6(t *testing.T) {
	v4 := func(addrs ...string) []byte {
		var b []byte
		for _, a := range addrs {
			ap := netip.MustParseAddrPort(a)
			b = append(b, ap.Addr().AsSlice()...)
			b = binary.BigEndian.AppendUint16(b, ap.Port())
		}
		return b
	}
	v6 := func(addrs ...string) []byte {
		var b []byte
		for _, a := range addrs {
			ap := netip.MustParseAddrPort(a)
			s := ap.Addr().As16()
			b = append(b, s[:]...)
			b = binary.BigEndian.AppendUint16(b, ap.Port())
		}
		return b
	}
	tests := []struct {
		name  string
		peers []byte
		want  []string
	}{
		{"bep15 ipv6", v6("[2001:db8::1]:6881", "[::1]:1"), []string{"[2001:db8::1]:6881", "[::1]:1"}},
		{"bep15 ula and link-local", v6("[fd00::1]:1", "[fe80::1]:2"), []string{"[fd00::1]:1", "[fe80::1]:2"}},
		{"one ipv4 record", v4("127.0.0.1:50001"), []string{"127.0.0.1:50001"}},
		{"two ipv4 records", v4("127.0.0.1:1", "10.0.0.2:2"), []string{"127.0.0.1:1", "10.0.0.2:2"}},
		{"three ipv4 records (ambiguous length)", v4("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"),
			[]string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := make([]byte, announceReplyLen, announceReplyLen+len(tt.peers))
			binary.BigEndian.PutUint32(reply[0:], actionAnnounce)
			binary.BigEndian.PutUint32(reply[8:], 1800)
			resp, err := parseAnnounceReply(append(reply, tt.peers...), true)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Peers) != len(tt.want) {
				t.Fatalf("got %v, want %v", resp.Peers, tt.want)
			}
			for i, p := range resp.Peers {
				if p.String() != tt.want[i] {
					t.Errorf("peer %d = %v, want %s", i, p, tt.want[i])
				}
			}
		})
	}
	// A length that is a multiple of neither stays an error.
	reply := make([]byte, announceReplyLen+7)
	binary.BigEndian.PutUint32(reply[0:], actionAnnounce)
	if _, err := parseAnnounceReply(reply, true); err == nil {
		t.Fatal("7-byte peer list accepted")
	}
}

// TestTruncatedReply covers opentracker's refusal of a torrent it does not
// track (an 8-byte announce reply) and short connect replies: the request
// fails at once, in virtual time 0, with a *TruncatedError that says so.
func TestTruncatedReply(t *testing.T) {
	tests := []struct {
		name     string
		truncate int
		connect  bool // connect before the fault, so only the announce is cut
		action   string
		wantMsg  string
	}{
		{"opentracker refusal", 8, true, "announce", "tracker sent a truncated reply (8 bytes), which usually means it does not track this torrent"},
		{"announce reply without counts", 12, true, "announce", "tracker sent a truncated reply (12 bytes), which usually means it does not track this torrent"},
		{"short connect reply", 12, false, "connect", "tracker sent a truncated connect reply (12 bytes, want at least 16)"},
		{"connect reply of a header only", 8, false, "connect", "tracker sent a truncated connect reply (8 bytes, want at least 16)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{}, "udp4")
				if tt.connect {
					e.mustAnnounce(t, testRequest(1))
				}
				e.tracker.SetUDPFaults(mocktracker.UDPFaults{Truncate: tt.truncate})
				start := time.Now()
				_, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
				var te *TruncatedError
				var terr *transport.Error
				if !errors.As(err, &te) || !errors.As(err, &terr) || !errors.Is(err, transport.ErrMalformed) {
					t.Fatalf("err = %v, want a *TruncatedError in a *transport.Error", err)
				}
				if te.Action != tt.action || te.Len != tt.truncate || te.Error() != tt.wantMsg {
					t.Fatalf("err %+v %q, want %s of %d bytes, %q", te, te.Error(), tt.action, tt.truncate, tt.wantMsg)
				}
				if d := time.Since(start); d != 0 {
					t.Fatalf("failed after %v, want at once", d)
				}
				if n, _ := e.tr.socket(false); n.strays.Load() != 0 {
					t.Fatalf("%d strays: the reply was the tracker's answer", n.strays.Load())
				}
			})
		})
	}
}
