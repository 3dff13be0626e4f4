package mocktracker

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// rawClient speaks BEP 15 by hand to a UDP front end.
type rawClient struct {
	t   *testing.T
	pc  net.PacketConn
	srv net.Addr
}

func newRawClient(t *testing.T, n *memnet.Network, family string, srv net.Addr) *rawClient {
	pc := listenMem(t, n, family)
	t.Cleanup(func() { pc.Close() })
	return &rawClient{t: t, pc: pc, srv: srv}
}

// listenMem opens a socket of family ("udp4" or "udp6") on a free loopback
// port of n.
func listenMem(t *testing.T, n *memnet.Network, family string) net.PacketConn {
	t.Helper()
	addr := "127.0.0.1:0"
	if family == "udp6" {
		addr = "[::1]:0"
	}
	pc, err := n.ListenPacket(family, addr)
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// roundTrip sends b and returns the reply, or nil if none came within 1 s.
func (c *rawClient) roundTrip(b []byte) []byte {
	c.t.Helper()
	if _, err := c.pc.WriteTo(b, c.srv); err != nil {
		c.t.Fatal(err)
	}
	return c.read()
}

func (c *rawClient) read() []byte {
	c.pc.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 1<<16)
	n, _, err := c.pc.ReadFrom(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

func (c *rawClient) connect(txid uint32) uint64 {
	c.t.Helper()
	b := binary.BigEndian.AppendUint64(nil, udpProtocolID)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, txid)
	r := c.roundTrip(b)
	if len(r) != 16 || binary.BigEndian.Uint32(r) != 0 || binary.BigEndian.Uint32(r[4:]) != txid {
		c.t.Fatalf("connect reply %x", r)
	}
	return binary.BigEndian.Uint64(r[8:])
}

func announcePkt(connID uint64, txid uint32, h transport.InfoHash, id peer.ID, left int64, event uint32, port uint16, opts []byte) []byte {
	b := binary.BigEndian.AppendUint64(nil, connID)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, txid)
	b = append(b, h[:]...)
	b = append(b, id[:]...)
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(left))
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint32(b, event)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 0xffffffff)
	b = binary.BigEndian.AppendUint16(b, port)
	return append(b, opts...)
}

func serveMem(t *testing.T, tr *Tracker, n *memnet.Network, family string) net.Addr {
	pc := listenMem(t, n, family)
	if err := tr.ServeUDP(pc); err != nil {
		t.Fatal(err)
	}
	return pc.LocalAddr()
}

func TestUDPAnnouncePeersFollowFamily(t *testing.T) {
	tests := []struct {
		family   string
		peerSize int
		want     string
	}{
		{"udp4", 6, "10.0.0.1:1000"},
		{"udp6", 18, "[2001:db8::1]:2000"},
	}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := memnet.New()
				tr := New(Config{Interval: time.Minute})
				defer tr.Close()
				var h transport.InfoHash
				tr.AddPeer(h, id(1), netip.MustParseAddrPort("10.0.0.1:1000"), 0)
				tr.AddPeer(h, id(2), netip.MustParseAddrPort("[2001:db8::1]:2000"), 5)
				c := newRawClient(t, n, tt.family, serveMem(t, tr, n, tt.family))
				cid := c.connect(42)
				r := c.roundTrip(announcePkt(cid, 43, h, id(3), 7, 2, 6881, []byte{2, 3, '/', 'a', 'b', 1, 2, 2, '?', 'x', 0}))
				if len(r) != 20+tt.peerSize {
					t.Fatalf("reply %d bytes, want one %d-byte peer", len(r), tt.peerSize)
				}
				be := binary.BigEndian
				if be.Uint32(r) != 1 || be.Uint32(r[4:]) != 43 || be.Uint32(r[8:]) != 60 || be.Uint32(r[12:]) != 2 || be.Uint32(r[16:]) != 1 {
					t.Fatalf("header %x", r[:20])
				}
				decode := peer.DecodeCompactIPv4
				if tt.peerSize == 18 {
					decode = peer.DecodeCompactIPv6
				}
				ps, err := decode(nil, r[20:])
				if err != nil || len(ps) != 1 || ps[0].String() != tt.want {
					t.Fatalf("peers %v %v", ps, err)
				}
				if got := tr.LastURLData(); got != "/ab?x" {
					t.Fatalf("URLData %q", got)
				}
				// The announcer joined the swarm with its source address.
				found := false
				for _, p := range tr.Peers(h) {
					found = found || (p.ID == id(3) && p.Addr.Port() == 6881 && p.Addr.Addr().IsLoopback())
				}
				if !found {
					t.Fatal("announcer not in swarm")
				}
				// Scrape: seeders, completed, leechers.
				s := binary.BigEndian.AppendUint64(nil, cid)
				s = binary.BigEndian.AppendUint32(s, 2)
				s = binary.BigEndian.AppendUint32(s, 44)
				s = append(s, h[:]...)
				s = append(s, make([]byte, 20)...)
				s = append(s, 0xff) // a partial hash is ignored
				r = c.roundTrip(s)
				if len(r) != 8+24 || be.Uint32(r[8:]) != 1 || be.Uint32(r[12:]) != 0 || be.Uint32(r[16:]) != 2 {
					t.Fatalf("scrape reply %x", r)
				}
				if st := tr.UDPStats(); st != (UDPStats{Connect: 1, Announce: 1, Scrape: 1}) {
					t.Fatalf("stats %+v", st)
				}
			})
		})
	}
}

func TestUDPFaults(t *testing.T) {
	var h transport.InfoHash
	tests := []struct {
		name   string
		faults UDPFaults
		check  func(t *testing.T, c *rawClient, tr *Tracker, cid uint64)
	}{
		{"drop first", UDPFaults{DropFirst: 2}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			p := announcePkt(cid, 1, h, id(1), 1, 0, 1, nil)
			if c.roundTrip(p) != nil || c.roundTrip(p) != nil || c.roundTrip(p) == nil {
				t.Fatal("want 2 drops then a reply")
			}
			if st := tr.UDPStats(); st.Dropped != 2 || st.Announce != 3 {
				t.Fatalf("%+v", st)
			}
		}},
		{"drop rate is seeded", UDPFaults{DropRate: 0.5, Seed: 7}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			var pattern []bool
			for range 20 {
				pattern = append(pattern, c.roundTrip(announcePkt(cid, 1, h, id(1), 1, 0, 1, nil)) == nil)
			}
			tr.SetUDPFaults(UDPFaults{DropRate: 0.5, Seed: 7})
			for i := range 20 {
				if (c.roundTrip(announcePkt(cid, 1, h, id(1), 1, 0, 1, nil)) == nil) != pattern[i] {
					t.Fatal("same seed, different drops")
				}
			}
			if d := tr.UDPStats().Dropped; d < 10 || d > 30 {
				t.Fatalf("%d of 40 dropped", d)
			}
		}},
		{"error text", UDPFaults{ErrorText: "nope"}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			r := c.roundTrip(announcePkt(cid, 9, h, id(1), 1, 0, 1, nil))
			if string(r) != "\x00\x00\x00\x03\x00\x00\x00\x09nope" {
				t.Fatalf("%q", r)
			}
		}},
		{"expired IDs", UDPFaults{ExpireConnIDs: true}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			r := c.roundTrip(announcePkt(cid, 9, h, id(1), 1, 0, 1, nil))
			if !strings.HasSuffix(string(r), StaleConnIDText) {
				t.Fatalf("%q", r)
			}
			cid = c.connect(5)
			if r := c.roundTrip(announcePkt(cid, 9, h, id(1), 1, 0, 1, nil)); binary.BigEndian.Uint32(r) != 1 {
				t.Fatalf("%q", r)
			}
		}},
		{"ID TTL", UDPFaults{ConnIDTTL: 10 * time.Second}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			time.Sleep(9 * time.Second)
			if r := c.roundTrip(announcePkt(cid, 9, h, id(1), 1, 0, 1, nil)); binary.BigEndian.Uint32(r) != 1 {
				t.Fatalf("%q", r)
			}
			time.Sleep(time.Second)
			if r := c.roundTrip(announcePkt(cid, 9, h, id(1), 1, 0, 1, nil)); binary.BigEndian.Uint32(r) != 3 {
				t.Fatalf("%q", r)
			}
		}},
		{"wrong txid, truncate, duplicate, delay", UDPFaults{WrongTxID: true, Truncate: 10, Duplicate: 2, Delay: 3 * time.Second}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			start := time.Now()
			c.pc.WriteTo(announcePkt(cid, 9, h, id(1), 1, 0, 1, nil), c.srv)
			for range 3 {
				c.pc.SetReadDeadline(time.Now().Add(time.Hour))
				buf := make([]byte, 100)
				n, _, err := c.pc.ReadFrom(buf)
				if err != nil || n != 10 || binary.BigEndian.Uint32(buf[4:]) == 9 || time.Since(start) != 3*time.Second {
					t.Fatalf("%x %v at %v", buf[:n], err, time.Since(start))
				}
			}
		}},
		{"bad options", UDPFaults{}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			r := c.roundTrip(announcePkt(cid, 9, h, id(1), 1, 0, 1, []byte{2, 200, 'x'}))
			if binary.BigEndian.Uint32(r) != 3 {
				t.Fatalf("%q", r)
			}
		}},
		{"junk ignored", UDPFaults{}, func(t *testing.T, c *rawClient, tr *Tracker, cid uint64) {
			for _, b := range [][]byte{{}, {1, 2}, make([]byte, 15), make([]byte, 97), append(make([]byte, 11), 9, 0, 0, 0, 0)} {
				if r := c.roundTrip(b); r != nil {
					t.Fatalf("reply %x to junk %x", r, b)
				}
			}
			if st := tr.UDPStats(); st.Other != 4 {
				t.Fatalf("%+v", st)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := memnet.New()
				tr := New(Config{})
				defer tr.Close()
				c := newRawClient(t, n, "udp4", serveMem(t, tr, n, "udp4"))
				cid := c.connect(1)
				tr.SetUDPFaults(tt.faults)
				tt.check(t, c, tr, cid)
			})
		})
	}
}

func TestUDPReplyFromAnotherPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		tr := New(Config{})
		defer tr.Close()
		c := newRawClient(t, n, "udp4", serveMem(t, tr, n, "udp4"))
		other, _ := n.ListenPacket("udp4", "127.0.0.1:0")
		defer other.Close()
		tr.SetUDPFaults(UDPFaults{ReplyFrom: other})
		c.pc.WriteTo(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, udpProtocolID), 0), 5), c.srv)
		buf := make([]byte, 100)
		_, from, err := c.pc.ReadFrom(buf)
		if err != nil || from.String() != other.LocalAddr().String() {
			t.Fatalf("reply from %v (%v), want %v", from, err, other.LocalAddr())
		}
	})
}

func TestListenUDP(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			tr := New(Config{})
			defer tr.Close()
			u, err := tr.ListenUDP(addr)
			if err != nil {
				if strings.Contains(addr, "::1") {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				t.Fatal(err)
			}
			prefix := "udp://" + strings.TrimSuffix(addr, "0")
			if !strings.HasPrefix(u, prefix) || !strings.HasSuffix(u, "/announce") || strings.Contains(u, ":0/") {
				t.Fatalf("URL %s", u)
			}
		})
	}
	tr := New(Config{})
	tr.Close()
	if _, err := tr.ListenUDP("127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := tr.ListenUDP("localhost:0"); err == nil {
		t.Fatal("hostname accepted")
	}
}

func TestParseUDPOptions(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr bool
	}{
		{"empty", nil, "", false},
		{"end only", []byte{0}, "", false},
		{"one", []byte{2, 3, 'a', 'b', 'c', 0}, "abc", false},
		{"nop and chunks", []byte{1, 2, 1, 'a', 1, 2, 2, 'b', 'c', 0, 2, 1, 'z'}, "abc", false},
		{"no end", []byte{2, 1, 'a'}, "a", false},
		{"unknown type skipped", []byte{9, 2, 'x', 'y', 2, 1, 'a'}, "a", false},
		{"length past end", []byte{2, 5, 'a'}, "", true},
		{"no length", []byte{2}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUDPOptions(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %q, %v", got, err)
			}
			if err != nil && !errors.Is(err, ErrBadOptions) {
				t.Fatalf("untyped %v", err)
			}
		})
	}
}

func FuzzParseUDPOptions(f *testing.F) {
	f.Add([]byte{2, 3, 'a', 'b', 'c', 0})
	f.Add([]byte{1, 1, 2, 0})
	f.Add([]byte{2, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseUDPOptions(b)
		if err != nil && !errors.Is(err, ErrBadOptions) {
			t.Fatalf("untyped %v", err)
		}
		if len(got) > len(b) {
			t.Fatalf("%d bytes of URLData from %d", len(got), len(b))
		}
	})
}
