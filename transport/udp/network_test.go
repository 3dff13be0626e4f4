package udp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/proxytest"
	"github.com/trackerkit/trackerkit/transport"
)

// dualEnv: "dual.test" resolves to ::1 (first) and 127.0.0.1, the same port
// on both; the tracker listens on the families in live, the others are
// sockets that never answer.
func dualEnv(t *testing.T, cfg Config, live ...string) (*Transport, *mocktracker.Tracker, *url.URL) {
	t.Helper()
	n := memnet.New()
	tracker := mocktracker.New(mocktracker.Config{Interval: 30 * time.Minute})
	t.Cleanup(func() { tracker.Close() })
	v6, err := n.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	port := v6.LocalAddr().(*net.UDPAddr).Port
	v4, err := n.ListenPacket("udp4", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)).String())
	if err != nil {
		t.Fatal(err)
	}
	for fam, pc := range map[string]net.PacketConn{"udp6": v6, "udp4": v4} {
		if strings.Contains(strings.Join(live, " "), fam) {
			if err := tracker.ServeUDP(pc); err != nil {
				t.Fatal(err)
			}
		} else {
			t.Cleanup(func() { pc.Close() }) // silent: reads nothing, answers nothing
		}
	}
	cfg.ListenPacket = n.ListenPacket
	cfg.Resolver = &fakeResolver{addrs: map[string][]string{"dual.test": {"::1", "127.0.0.1"}}}
	tr := New(cfg)
	t.Cleanup(func() { tr.Close() })
	return tr, tracker, mustURL(t, "udp://dual.test:"+itoa(port)+"/announce")
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestFamilyFallback(t *testing.T) {
	tests := []struct {
		name     string
		live     []string
		family   transport.Family
		wantErr  error
		maxTaken time.Duration // virtual time
	}{
		{"dead AAAA, live A", []string{"udp4"}, transport.FamilyAny, nil, 20 * time.Second},
		{"live AAAA", []string{"udp6", "udp4"}, transport.FamilyAny, nil, time.Second},
		{"forced to the dead family", []string{"udp4"}, transport.FamilyIPv6, transport.ErrTimeout, time.Hour},
		{"forced to the live family", []string{"udp4"}, transport.FamilyIPv4, nil, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr, tracker, u := dualEnv(t, Config{MaxRetransmits: 1}, tt.live...)
				start := time.Now()
				req := testRequest(1)
				req.Family = tt.family
				_, err := tr.Announce(context.Background(), u, req)
				taken := time.Since(start)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if taken > tt.maxTaken {
					t.Fatalf("took %v, want at most %v", taken, tt.maxTaken)
				}
				for _, p := range tracker.UDPPackets() {
					if tt.family == transport.FamilyIPv6 && p.From.Addr().Is4() {
						t.Fatalf("a request forced to IPv6 reached the IPv4 address: %+v", p)
					}
				}
			})
		})
	}
}

func TestFamilies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr, _, u := dualEnv(t, Config{}, "udp4", "udp6")
		fams, err := tr.Families(context.Background(), u)
		if err != nil || len(fams) != 2 || fams[0] != transport.FamilyIPv6 || fams[1] != transport.FamilyIPv4 {
			t.Fatalf("Families = %v, %v", fams, err)
		}
		tr4, _, u4 := dualEnv(t, Config{LocalAddr: netip.MustParseAddr("127.0.0.1")}, "udp4", "udp6")
		if fams, err := tr4.Families(context.Background(), u4); err != nil || len(fams) != 1 || fams[0] != transport.FamilyIPv4 {
			t.Fatalf("bound to IPv4: Families = %v, %v", fams, err)
		}
	})
}

// listenUDP serves tracker over UDP on real loopback.
func listenUDP(t *testing.T, tracker *mocktracker.Tracker) *url.URL {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := tracker.ServeUDP(pc); err != nil {
		t.Fatal(err)
	}
	return mustURL(t, "udp://"+pc.LocalAddr().String()+"/s3cretpasskey/announce")
}

func TestLocalAddr(t *testing.T) {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	u := listenUDP(t, tracker)
	local := netip.MustParseAddr("127.0.0.2")
	tr := New(Config{LocalAddr: local})
	defer tr.Close()
	if _, err := tr.Announce(t.Context(), u, testRequest(1)); err != nil {
		t.Fatal(err)
	}
	if got := tracker.UDPSources(); !slices.Equal(got, []netip.Addr{local}) {
		t.Fatalf("tracker saw packets from %v, want only from the bound %v", got, local)
	}
	// The other family is skipped.
	if _, err := tr.Announce(t.Context(), mustURL(t, "udp://[::1]:1/announce"), testRequest(1)); !errors.Is(err, transport.ErrSkipped) {
		t.Fatalf("IPv6 tracker with an IPv4 bound address: %v", err)
	}
}

func TestSOCKS5Proxy(t *testing.T) {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	u := listenUDP(t, tracker)
	egress := netip.MustParseAddr("127.0.0.3")
	px := proxytest.NewSOCKS5(t, proxytest.Config{Egress: egress, User: "alice", Password: "pw"})
	tests := []struct {
		name  string
		proxy string
		ok    bool
	}{
		{"good credentials", "socks5://alice:pw@" + px.Addr(), true},
		{"bad credentials", "socks5://alice:wrong@" + px.Addr(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tracker.UDPPackets())
			tr := New(Config{Proxy: mustURL(t, tt.proxy), MaxRetransmits: -1})
			defer tr.Close()
			_, err := tr.Announce(t.Context(), u, testRequest(1))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				for _, secret := range []string{"s3cretpasskey", "wrong", "pw@"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error leaks %q: %v", secret, err)
					}
				}
			}
			pkts := tracker.UDPPackets()[before:]
			if tt.ok && len(pkts) < 2 {
				t.Fatalf("%d packets reached the tracker", len(pkts))
			}
			for _, p := range pkts {
				if p.From.Addr() != egress {
					t.Fatalf("a datagram reached the tracker from %v, not through the proxy (%v)", p.From, egress)
				}
			}
		})
	}
	if got := px.Targets(); len(got) == 0 || got[0] != "udp "+u.Host {
		t.Fatalf("proxy relayed %v", got)
	}
}

func TestHTTPProxySkipsUDP(t *testing.T) {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	u := listenUDP(t, tracker)
	px := proxytest.NewHTTP(t, proxytest.Config{})
	tr := New(Config{Proxy: mustURL(t, "http://"+px.Addr())})
	defer tr.Close()
	_, err := tr.Announce(t.Context(), u, testRequest(1))
	if !errors.Is(err, transport.ErrSkipped) || !errors.Is(err, ErrHTTPProxy) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
	if n := len(tracker.UDPPackets()); n != 0 {
		t.Fatalf("%d datagrams reached the tracker around the proxy", n)
	}
}
