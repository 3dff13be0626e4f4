package http

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/proxytest"
	"github.com/trackerkit/trackerkit/transport"
)

// serveSeen starts a mock tracker on each listener, recording requests.
func serveSeen(t *testing.T, ls ...net.Listener) *proxytest.Recorder {
	t.Helper()
	mt := mocktracker.New(mocktracker.Config{Interval: 30 * time.Minute})
	t.Cleanup(func() { mt.Close() })
	return proxytest.NewRecorder(t, mt.HTTPHandler(), ls...)
}

// sources returns the source address of each request seen.
func sources(r *proxytest.Recorder) []netip.Addr {
	var out []netip.Addr
	for _, q := range r.Requests() {
		out = append(out, q.Source)
	}
	return out
}

func listen(t *testing.T, addr string) net.Listener { return proxytest.Listen(t, addr) }

func TestProxies(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	st := serveSeen(t, l)
	u := mustURL("http://" + l.Addr().String() + "/" + pathSecret + "/announce?passkey=" + querySecret)
	egress := netip.MustParseAddr("127.0.0.3")
	httpProxy := proxytest.NewHTTP(t, proxytest.Config{Egress: egress, User: "alice", Password: "pw"})
	socks := proxytest.NewSOCKS5(t, proxytest.Config{Egress: egress, User: "alice", Password: "pw"})
	tests := []struct {
		name  string
		proxy string
		px    *proxytest.Proxy
		ok    bool
	}{
		{"http CONNECT", "http://alice:pw@" + httpProxy.Addr(), httpProxy, true},
		{"http CONNECT, bad password", "http://alice:WRONGPW@" + httpProxy.Addr(), httpProxy, false},
		{"socks5", "socks5://alice:pw@" + socks.Addr(), socks, true},
		{"socks5, bad password", "socks5://alice:WRONGPW@" + socks.Addr(), socks, false},
		{"unsupported scheme", "ftp://" + socks.Addr(), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sources(st)
			var relayed int
			if tt.px != nil {
				relayed = len(tt.px.Targets())
			}
			tp := newTransport(t, Config{Proxy: mustURL(tt.proxy)})
			_, err := tp.Announce(t.Context(), u, announceReq(1, "-TK0001-aaaaaaaaaaaa"))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if err == nil { // event announces have a pool of their own: through the proxy too
				stopped := announceReq(1, "-TK0001-aaaaaaaaaaaa")
				stopped.Event = transport.EventStopped
				if _, err := tp.Announce(t.Context(), u, stopped); err != nil {
					t.Fatal(err)
				}
			}
			if err != nil {
				checkTransportError(t, err, "announce")
				for _, secret := range []string{"WRONGPW", "alice"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error leaks %q: %v", secret, err)
					}
				}
				return
			}
			after := sources(st)
			for _, src := range after[len(before):] {
				if src != egress {
					t.Fatalf("tracker saw %v, want the proxy's %v", src, egress)
				}
			}
			if len(after) == len(before) {
				t.Fatal("the tracker saw no request")
			}
			got := tt.px.Targets()[relayed:]
			if len(got) != 2 || got[0] != "tcp "+u.Host || got[1] != got[0] {
				t.Fatalf("proxy relayed %v, want two tunnels (announces, events) to %s", got, u.Host)
			}
			if len(after)-len(before) != 2 {
				t.Fatalf("tracker saw %d requests, want 2", len(after)-len(before))
			}
		})
	}
}

func TestLocalAddr(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	st := serveSeen(t, l)
	local := netip.MustParseAddr("127.0.0.2")
	tp := newTransport(t, Config{LocalAddr: local})
	u := mustURL("http://" + l.Addr().String() + "/announce")
	if _, err := tp.Announce(t.Context(), u, announceReq(1, "-TK0001-aaaaaaaaaaaa")); err != nil {
		t.Fatal(err)
	}
	if src := sources(st); len(src) != 1 || src[0] != local {
		t.Fatalf("tracker saw %v, want %v", src, local)
	}
	// An IPv6 tracker cannot be reached from an IPv4 source: skipped.
	_, err := tp.Announce(t.Context(), mustURL("http://[::1]:1/announce"), announceReq(1, "-TK0001-aaaaaaaaaaaa"))
	if !errors.Is(err, transport.ErrSkipped) {
		t.Fatalf("err = %v", err)
	}
}

// dualResolver makes "dual.test" resolve to ::1 and 127.0.0.1.
func dualResolver(t *testing.T) *transport.Resolver {
	r := transport.NewResolver(transport.ResolverConfig{Lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
		if host != "dual.test" {
			return nil, errors.New("no such host")
		}
		return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
	}})
	t.Cleanup(func() { r.Close() })
	return r
}

func TestFamilies(t *testing.T) {
	// Only 127.0.0.1 serves; [::1] on that port refuses connections.
	l := listen(t, "127.0.0.1:0")
	st := serveSeen(t, l)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	u := mustURL("http://dual.test:" + port + "/announce")
	tp := newTransport(t, Config{DNS: dualResolver(t)})

	fams, err := tp.Families(t.Context(), u)
	if err != nil || len(fams) == 0 || fams[len(fams)-1] != transport.FamilyIPv4 {
		t.Fatalf("Families = %v, %v", fams, err)
	}
	tests := []struct {
		family transport.Family
		ok     bool
	}{
		{transport.FamilyAny, true}, // [::1] refused: falls back to 127.0.0.1
		{transport.FamilyIPv4, true},
		{transport.FamilyIPv6, false},
	}
	for _, tt := range tests {
		req := announceReq(1, "-TK0001-aaaaaaaaaaaa")
		req.Family = tt.family
		_, err := tp.Announce(t.Context(), u, req)
		if (err == nil) != tt.ok {
			t.Errorf("family %q: err = %v", tt.family, err)
		}
	}
	src := sources(st)
	if len(src) != 2 {
		t.Fatalf("tracker saw %v", src)
	}
	if fams, _ := newTransport(t, Config{Proxy: mustURL("socks5://127.0.0.1:1")}).Families(t.Context(), u); len(fams) != 1 || fams[0] != transport.FamilyAny {
		t.Fatalf("through a proxy: %v", fams)
	}
}

func TestAnnouncedIP(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	st := serveSeen(t, l)
	tp := newTransport(t, Config{})
	u := mustURL("http://" + l.Addr().String() + "/announce")
	for _, ip := range []string{"", "192.0.2.7", "2001:db8::7"} {
		req := announceReq(1, "-TK0001-aaaaaaaaaaaa")
		if ip != "" {
			req.IP = netip.MustParseAddr(ip)
		}
		if _, err := tp.Announce(t.Context(), u, req); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"", "192.0.2.7", "2001:db8::7"}
	for i, q := range st.Requests() {
		v := q.Query
		if got := v.Get("ip"); got != want[i] || v.Has("ip") != (want[i] != "") {
			t.Errorf("announce %d: ip=%q, want %q", i, got, want[i])
		}
	}
}

// Config.DialContext runs the default clients (regular and event pools)
// over an in-memory network: a slow tracker and the request timeout take
// virtual time only.
func TestDialContextMemnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		mt := mocktracker.New(mocktracker.Config{})
		defer mt.Close()
		l, err := n.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := mt.ServeHTTP(l); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse("http://" + l.Addr().String() + "/announce")
		tp := New(Config{DialContext: n.DialContext})
		defer tp.Close()

		mt.SetHTTPFaults(mocktracker.HTTPFaults{Delay: 10 * time.Second})
		start := time.Now()
		for _, ev := range []transport.Event{transport.EventStarted, transport.EventStopped} { // both pools
			req := announceReq(1, "-TK0001-abcdefghijkl")
			req.Event = ev
			if _, err := tp.Announce(context.Background(), u, req); err != nil {
				t.Fatalf("%v: %v", ev, err)
			}
		}
		if d := time.Since(start); d != 20*time.Second {
			t.Fatalf("two replies 10 s late took %v", d)
		}
		mt.SetHTTPFaults(mocktracker.HTTPFaults{Delay: time.Hour})
		start = time.Now()
		if _, err := tp.Announce(context.Background(), u, announceReq(1, "-TK0001-abcdefghijkl")); !errors.Is(err, transport.ErrTimeout) || time.Since(start) != DefaultTimeout {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
	})
}
