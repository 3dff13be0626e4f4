package udp

import (
	"encoding/binary"
	"net/netip"
	"testing"
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
