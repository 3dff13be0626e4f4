package udp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func TestAppendConnect(t *testing.T) {
	got := appendConnect(nil, 0x01020304)
	want := []byte{0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 1, 2, 3, 4}
	if !bytes.Equal(got, want) {
		t.Fatalf("%x, want %x", got, want)
	}
}

func TestAppendAnnounce(t *testing.T) {
	req := &transport.AnnounceRequest{
		Downloaded: 1, Left: 2, Uploaded: 3, Event: transport.EventStopped,
		Key: 0xcafebabe, NumWant: -1, Port: 6881,
	}
	req.InfoHash[0], req.PeerID[19] = 0x11, 0x22
	b := appendAnnounce(nil, announcePacket{ConnID: 0x0102030405060708, TxID: 9, Req: req})
	if len(b) != 98 {
		t.Fatalf("len %d", len(b))
	}
	be := binary.BigEndian
	checks := []struct {
		name string
		got  uint64
		want uint64
	}{
		{"conn id", be.Uint64(b[0:]), 0x0102030405060708},
		{"action", uint64(be.Uint32(b[8:])), 1},
		{"txid", uint64(be.Uint32(b[12:])), 9},
		{"info hash", uint64(b[16]), 0x11},
		{"peer id", uint64(b[55]), 0x22},
		{"downloaded", be.Uint64(b[56:]), 1},
		{"left", be.Uint64(b[64:]), 2},
		{"uploaded", be.Uint64(b[72:]), 3},
		{"event", uint64(be.Uint32(b[80:])), 3},
		{"ip", uint64(be.Uint32(b[84:])), 0},
		{"key", uint64(be.Uint32(b[88:])), 0xcafebabe},
		{"numwant", uint64(be.Uint32(b[92:])), 0xffffffff},
		{"port", uint64(be.Uint16(b[96:])), 6881},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

// An unknown size goes out as 2^64-1 (the JavaScript client's value), for
// any negative Left; custom parameters have no place in a BEP 15 packet.
func TestAppendAnnounceLeftUnknown(t *testing.T) {
	for _, left := range []int64{transport.LeftUnknown, -7} {
		req := &transport.AnnounceRequest{Left: left, NumWant: 0, Params: url.Values{"x": {"1"}}}
		b := appendAnnounce(nil, announcePacket{Req: req})
		if len(b) != 98 {
			t.Fatalf("len %d: params must not reach the packet", len(b))
		}
		if got := binary.BigEndian.Uint64(b[64:]); got != math.MaxUint64 {
			t.Errorf("left %d: wire %#x, want 2^64-1", left, got)
		}
		if got := binary.BigEndian.Uint32(b[92:]); got != 0 {
			t.Errorf("numwant %d, want 0", got)
		}
	}
}

func TestURLDataOptions(t *testing.T) {
	long := "/" + strings.Repeat("p", 300) + "/announce"
	tests := []struct {
		name, path, query string
		wantData          string
		wantChunks        []int
	}{
		{"none", "", "", "", nil},
		{"root", "/", "", "", nil},
		{"path", "/announce", "", "/announce", []int{9}},
		{"query", "/announce", "pk=1&x=%20", "/announce?pk=1&x=%20", []int{20}},
		{"query only", "", "pk=1", "?pk=1", []int{5}},
		{"exactly 255", "/" + strings.Repeat("a", 254), "", "/" + strings.Repeat("a", 254), []int{255}},
		{"split", long, "passkey=" + strings.Repeat("k", 200), long + "?passkey=" + strings.Repeat("k", 200), []int{255, 255, 9 + 1 + 301 + 208 - 510}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendURLDataParts(nil, tt.path, tt.query)
			if tt.wantChunks == nil {
				if len(b) != 0 {
					t.Fatalf("options %q, want none", b)
				}
				return
			}
			var chunks []int
			for i := 0; b[i] != optionEnd; i += 2 + int(b[i+1]) {
				if b[i] != optionURLData {
					t.Fatalf("option type %d", b[i])
				}
				chunks = append(chunks, int(b[i+1]))
			}
			if !equalInts(chunks, tt.wantChunks) {
				t.Fatalf("chunks %v, want %v", chunks, tt.wantChunks)
			}
			if b[len(b)-1] != optionEnd {
				t.Fatal("no end option")
			}
			got, err := mocktracker.ParseUDPOptions(b)
			if err != nil || got != tt.wantData {
				t.Fatalf("parsed %q, %v; want %q", got, err, tt.wantData)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// reply builds a reply datagram: action, txid, then the 32-bit words, then tail.
func reply(action uint32, words []uint32, tail []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, action)
	b = binary.BigEndian.AppendUint32(b, 77)
	for _, w := range words {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return append(b, tail...)
}

func TestParseAnnounceReply(t *testing.T) {
	v4peer := []byte{10, 0, 0, 1, 0x1a, 0xe1}
	v6peer := append(bytes.Repeat([]byte{0x20}, 16), 0, 80)
	tests := []struct {
		name      string
		b         []byte
		v6        bool
		wantPeers []string
		wantErr   error
	}{
		{"no peers", reply(1, []uint32{1800, 2, 3}, nil), false, nil, nil},
		{"one v4", reply(1, []uint32{1800, 2, 3}, v4peer), false, []string{"10.0.0.1:6881"}, nil},
		{"one v6", reply(1, []uint32{1800, 2, 3}, v6peer), true, []string{"[2020:2020:2020:2020:2020:2020:2020:2020]:80"}, nil},
		{"v6 bytes on a v4 tracker", reply(1, []uint32{1800, 2, 3}, v6peer), false, []string{"32.32.32.32:8224", "32.32.32.32:8224", "32.32.32.32:80"}, nil},
		{"partial peer", reply(1, []uint32{1800, 2, 3}, v4peer[:5]), false, nil, transport.ErrMalformed},
		{"negative interval", reply(1, []uint32{0xffffffff, 2, 3}, nil), false, nil, transport.ErrMalformed},
		{"short", reply(1, []uint32{1800, 2}, nil), false, nil, transport.ErrMalformed},
		{"opentracker refusal", reply(1, nil, nil), false, nil, transport.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := parseAnnounceReply(tt.b, tt.v6)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if resp.Interval != 30*time.Minute || resp.Incomplete != 2 || resp.Complete != 3 {
				t.Fatalf("%+v", resp)
			}
			if len(resp.Peers) != len(tt.wantPeers) {
				t.Fatalf("peers %v, want %v", resp.Peers, tt.wantPeers)
			}
			for i, p := range resp.Peers {
				if p.String() != tt.wantPeers[i] {
					t.Fatalf("peer %d = %v, want %s", i, p, tt.wantPeers[i])
				}
			}
		})
	}
}

func TestParseScrapeReply(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		n       int
		want    []transport.ScrapeStats
		wantErr error
	}{
		{"two", reply(2, []uint32{5, 6, 7, 1, 2, 3}, nil), 2, []transport.ScrapeStats{{Complete: 5, Downloaded: 6, Incomplete: 7}, {Complete: 1, Downloaded: 2, Incomplete: 3}}, nil},
		{"fewer than asked", reply(2, []uint32{5, 6, 7}, nil), 2, []transport.ScrapeStats{{Complete: 5, Downloaded: 6, Incomplete: 7}}, nil},
		{"more than asked", reply(2, []uint32{5, 6, 7, 1, 2, 3}, nil), 1, []transport.ScrapeStats{{Complete: 5, Downloaded: 6, Incomplete: 7}}, nil},
		{"ragged", reply(2, []uint32{5, 6}, nil), 1, nil, transport.ErrMalformed},
		{"negative", reply(2, []uint32{5, 0x80000000, 7}, nil), 1, nil, transport.ErrMalformed},
		{"short", []byte{0, 0, 0, 2, 0}, 1, nil, transport.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseScrapeReply(tt.b, tt.n)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("entry %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseErrorAndConnectReply(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"Connection ID missmatch.", "Connection ID missmatch."},
		{"nul\x00", "nul"},
		{"two nuls\x00\x00", "two nuls\x00"},
		{"\xff\xfebinary", "\xff\xfebinary"},
	}
	for _, tt := range tests {
		if got := parseErrorReply(reply(3, nil, []byte(tt.in))); got != tt.want {
			t.Errorf("parseErrorReply(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if id, err := parseConnectReply(reply(0, []uint32{1, 2}, nil)); err != nil || id != 1<<32|2 {
		t.Fatalf("connect id %x %v", id, err)
	}
	var te *TruncatedError
	if _, err := parseConnectReply(reply(0, []uint32{1}, nil)); !errors.As(err, &te) || te.Len != 12 || !errors.Is(err, transport.ErrMalformed) {
		t.Fatalf("short connect reply: %v", err)
	}
}

func TestIsStaleConnectionID(t *testing.T) {
	for msg, want := range map[string]bool{
		"Connection ID missmatch.":      true,
		"bad connection id":             true,
		"Connection invalid or expired": true,
		"invalid connection_id":         true,
		"torrent not registered":        false,
		"invalid info hash":             false,
		"":                              false,
	} {
		if got := isStaleConnectionID(msg); got != want {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
}

var _ = peer.CompactIPv4Size

// The announced IP (opt-in) fills BEP 15's IPv4 ip field; an IPv6 one, or
// none, leaves it 0 (the tracker uses the source address).
func TestAppendAnnounceIP(t *testing.T) {
	tests := []struct {
		ip   string
		want [4]byte
	}{
		{"", [4]byte{}},
		{"192.0.2.7", [4]byte{192, 0, 2, 7}},
		{"::ffff:192.0.2.8", [4]byte{192, 0, 2, 8}},
		{"2001:db8::1", [4]byte{}},
	}
	for _, tt := range tests {
		req := &transport.AnnounceRequest{NumWant: -1}
		if tt.ip != "" {
			req.IP = netip.MustParseAddr(tt.ip)
		}
		b := appendAnnounce(nil, announcePacket{Req: req})
		if got := [4]byte(b[84:88]); got != tt.want {
			t.Errorf("ip %q: field %v, want %v", tt.ip, got, tt.want)
		}
	}
}
