package peer

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// TestDecodeCompact covers both compact codecs: the same cases, the same
// checks, and a *LengthError naming the family's record size.
func TestDecodeCompact(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::1").As16()
	mapped := netip.MustParseAddr("::ffff:10.0.0.1").As16()
	tests := []struct {
		name    string
		decode  func([]Peer, []byte) ([]Peer, error)
		record  int // the record size a *LengthError names
		in      []byte
		want    []string
		wantErr bool
	}{
		{"v4/empty", DecodeCompactIPv4, 6, nil, []string{}, false},
		{"v4/one", DecodeCompactIPv4, 6, []byte{127, 0, 0, 1, 0x1a, 0xe1}, []string{"127.0.0.1:6881"}, false},
		{"v4/two", DecodeCompactIPv4, 6, []byte{1, 2, 3, 4, 0, 80, 5, 6, 7, 8, 0xff, 0xff}, []string{"1.2.3.4:80", "5.6.7.8:65535"}, false},
		{"v4/port zero dropped", DecodeCompactIPv4, 6, []byte{1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 1}, []string{"5.6.7.8:1"}, false},
		{"v4/short", DecodeCompactIPv4, 6, []byte{1, 2, 3, 4, 0}, nil, true},
		{"v4/seven", DecodeCompactIPv4, 6, make([]byte, 7), nil, true},
		{"v6/empty", DecodeCompactIPv6, 18, []byte{}, []string{}, false},
		{"v6/one", DecodeCompactIPv6, 18, append(v6[:], 0x1a, 0xe1), []string{"[2001:db8::1]:6881"}, false},
		{"v6/mapped is ipv4", DecodeCompactIPv6, 18, append(mapped[:], 0, 80), []string{"10.0.0.1:80"}, false},
		{"v6/port zero dropped", DecodeCompactIPv6, 18, append(v6[:], 0, 0), []string{}, false},
		{"v6/six bytes", DecodeCompactIPv6, 18, make([]byte, 6), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode(nil, tt.in)
			if tt.wantErr {
				var le *LengthError
				if !errors.As(err, &le) || !errors.Is(err, ErrMalformed) || le.RecordSize != tt.record {
					t.Fatalf("err = %v, want *LengthError of %d matching ErrMalformed", err, tt.record)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertAddrs(t, got, tt.want)
		})
	}
}

func TestAppendCompactRoundTrip(t *testing.T) {
	peers := []Peer{
		{Addr: netip.MustParseAddrPort("1.2.3.4:6881")},
		{Addr: netip.MustParseAddrPort("[2001:db8::2]:51413")},
		{Addr: netip.MustParseAddrPort("[::ffff:9.9.9.9]:1")},
		{Addr: netip.AddrPortFrom(netip.Addr{}, 80), Host: "example.test"}, // skipped
		{Addr: netip.MustParseAddrPort("1.1.1.1:0")},                       // skipped
	}
	v4, v6 := AppendCompact(nil, nil, peers)
	if len(v4) != 12 || len(v6) != 18 {
		t.Fatalf("len v4=%d v6=%d", len(v4), len(v6))
	}
	got4, err := DecodeCompactIPv4(nil, v4)
	if err != nil {
		t.Fatal(err)
	}
	got6, err := DecodeCompactIPv6(nil, v6)
	if err != nil {
		t.Fatal(err)
	}
	assertAddrs(t, append(got4, got6...), []string{"1.2.3.4:6881", "9.9.9.9:1", "[2001:db8::2]:51413"})
}

func TestFromDict(t *testing.T) {
	id := "-TK0001-abcdefghijkl"
	tests := []struct {
		name   string
		ip     string
		port   int64
		id     string
		want   string
		wantOK bool
		errFld string
	}{
		{"ipv4", "10.1.2.3", 6881, id, "10.1.2.3:6881", true, ""},
		{"ipv6", "2001:db8::5", 80, "", "[2001:db8::5]:80", true, ""},
		{"ipv6 brackets", "[2001:db8::5]", 80, "", "[2001:db8::5]:80", true, ""},
		{"ipv6 zone dropped", "fe80::1%eth0", 80, "", "[fe80::1]:80", true, ""},
		{"mapped", "::ffff:1.2.3.4", 80, "", "1.2.3.4:80", true, ""},
		{"hostname", "Peer.Example.test", 6881, "", "peer.example.test:6881", true, ""},
		{"port zero", "1.2.3.4", 0, "", "", false, ""},
		{"port negative", "1.2.3.4", -1, "", "", false, "port"},
		{"port large", "1.2.3.4", 70000, "", "", false, "port"},
		{"bad id", "1.2.3.4", 1, "short", "", false, "peer id"},
		{"garbage host", "not a host!", 1, "", "", false, "ip"},
		{"empty host", "", 1, "", "", false, "ip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok, err := FromDict(tt.ip, tt.port, tt.id)
			if tt.errFld != "" {
				var de *DictError
				if !errors.As(err, &de) || de.Field != tt.errFld || !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want DictError on %s", err, tt.errFld)
				}
				return
			}
			if err != nil || ok != tt.wantOK {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
			if ok && p.String() != tt.want {
				t.Fatalf("got %q want %q", p.String(), tt.want)
			}
			if tt.id != "" && !bytes.Equal(p.ID[:], []byte(tt.id)) {
				t.Fatalf("id %x", p.ID)
			}
		})
	}
}

func TestPeerString(t *testing.T) {
	var id ID
	copy(id[:], "-TK0001-abcdefghijkl")
	tests := []struct {
		p    Peer
		want string
	}{
		{Peer{}, ""},
		{Peer{ID: id}, "webrtc:" + id.String()},
		{Peer{Addr: netip.MustParseAddrPort("[::1]:5")}, "[::1]:5"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got %q want %q", got, tt.want)
		}
	}
	if (ID{}).String() != "" || !(ID{}).IsZero() {
		t.Error("zero ID")
	}
}

func assertAddrs(t *testing.T, got []Peer, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d peers %v, want %v", len(got), got, want)
	}
	for i := range got {
		if got[i].String() != want[i] {
			t.Errorf("peer %d = %s, want %s", i, got[i], want[i])
		}
	}
}
