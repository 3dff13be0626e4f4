package netdial

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/proxytest"
	"github.com/trackerkit/trackerkit/internal/testenv"
	"github.com/trackerkit/trackerkit/transport"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestUsable(t *testing.T) {
	tests := []struct {
		name  string
		in    []netip.Addr
		f     transport.Family
		local string
		want  []netip.Addr // nil: skipped
	}{
		{"interleaved, v6 first", addrs("::1", "::2", "10.0.0.1", "10.0.0.2"), transport.FamilyAny, "", addrs("::1", "10.0.0.1", "::2", "10.0.0.2")},
		{"interleaved, v4 first", addrs("10.0.0.1", "::1"), transport.FamilyAny, "", addrs("10.0.0.1", "::1")},
		{"forced v4", addrs("::1", "10.0.0.1"), transport.FamilyIPv4, "", addrs("10.0.0.1")},
		{"forced v6", addrs("::1", "10.0.0.1"), transport.FamilyIPv6, "", addrs("::1")},
		{"bound v4", addrs("::1", "10.0.0.1"), transport.FamilyAny, "127.0.0.2", addrs("10.0.0.1")},
		{"bound v4, v6 only", addrs("::1"), transport.FamilyAny, "127.0.0.2", nil},
		{"forced v6, v4 only", addrs("10.0.0.1"), transport.FamilyIPv6, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var local netip.Addr
			if tt.local != "" {
				local = netip.MustParseAddr(tt.local)
			}
			got, err := Usable(tt.in, tt.f, local)
			if tt.want == nil {
				if !errors.Is(err, transport.ErrSkipped) {
					t.Fatalf("got %v, %v; want skipped", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRace(t *testing.T) {
	eps := []netip.AddrPort{netip.MustParseAddrPort("[::1]:1"), netip.MustParseAddrPort("127.0.0.1:1")}
	errDead := errors.New("dead")
	errRefused := errors.New("tracker refused")
	tests := []struct {
		name    string
		behave  map[netip.AddrPort]func(context.Context) (string, error)
		want    string
		wantErr error
		taken   time.Duration
	}{
		{"first answers", map[netip.AddrPort]func(context.Context) (string, error){
			eps[0]: func(context.Context) (string, error) { return "v6", nil },
			eps[1]: func(context.Context) (string, error) { return "v4", nil },
		}, "v6", nil, 0},
		{"first silent: second after the delay", map[netip.AddrPort]func(context.Context) (string, error){
			eps[0]: func(ctx context.Context) (string, error) { <-ctx.Done(); return "", ctx.Err() },
			eps[1]: func(context.Context) (string, error) { return "v4", nil },
		}, "v4", nil, time.Second},
		{"first fails: second at once", map[netip.AddrPort]func(context.Context) (string, error){
			eps[0]: func(context.Context) (string, error) { return "", errDead },
			eps[1]: func(context.Context) (string, error) { return "v4", nil },
		}, "v4", nil, 0},
		{"first slow wins", map[netip.AddrPort]func(context.Context) (string, error){
			eps[0]: func(context.Context) (string, error) { time.Sleep(1500 * time.Millisecond); return "v6", nil },
			eps[1]: func(ctx context.Context) (string, error) { <-ctx.Done(); return "", ctx.Err() },
		}, "v6", nil, 1500 * time.Millisecond},
		{"an answer is final", map[netip.AddrPort]func(context.Context) (string, error){
			eps[0]: func(context.Context) (string, error) { return "", errRefused },
			eps[1]: func(context.Context) (string, error) { return "v4", nil },
		}, "", errRefused, 0},
		{"all fail: the first error", map[netip.AddrPort]func(context.Context) (string, error){
			eps[0]: func(context.Context) (string, error) { return "", errDead },
			eps[1]: func(context.Context) (string, error) { return "", errors.New("also dead") },
		}, "", errDead, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var discarded []string
				start := time.Now()
				got, err := Race(context.Background(), time.Second, eps,
					func(ctx context.Context, ep netip.AddrPort) (string, error) { return tt.behave[ep](ctx) },
					func(s string) { discarded = append(discarded, s) },
					func(err error) bool { return errors.Is(err, errRefused) })
				if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
				}
				if d := time.Since(start); d != tt.taken {
					t.Fatalf("took %v, want %v", d, tt.taken)
				}
			})
		})
	}
}

func TestCheckProxy(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"http://127.0.0.1:3128", true},
		{"socks5://u:p@127.0.0.1:1080", true},
		{"socks5h://127.0.0.1:1080", true},
		{"https://127.0.0.1:443", false},
		{"ftp://u:SECRET@127.0.0.1:21", false},
		{"socks5://127.0.0.1", false},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		err := CheckProxy(u)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.in, err)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: error leaks the password: %v", tt.in, err)
		}
	}
}

// echoTCP answers each connection with what it reads, prefixed by the
// source address it saw.
func echoTCP(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 64)
			n, _ := c.Read(buf)
			c.Write([]byte(c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().String() + " " + string(buf[:n])))
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return l.Addr().String()
}

func TestDialThroughProxies(t *testing.T) {
	target := echoTCP(t)
	egress := netip.MustParseAddr("127.0.0.3")
	hp := proxytest.NewHTTP(t, proxytest.Config{Egress: egress, User: "u", Password: "pw"})
	sp := proxytest.NewSOCKS5(t, proxytest.Config{Egress: egress, User: "u", Password: "pw"})
	tests := []struct {
		name   string
		proxy  string
		local  string
		wantIP string // "" : the dial fails
	}{
		{"direct", "", "", "127.0.0.1"},
		{"bound", "", "127.0.0.2", "127.0.0.2"},
		{"http CONNECT", "http://u:pw@" + hp.Addr(), "", "127.0.0.3"},
		{"http CONNECT, bad password", "http://u:BADPW@" + hp.Addr(), "", ""},
		{"socks5", "socks5://u:pw@" + sp.Addr(), "", "127.0.0.3"},
		{"socks5, bad password", "socks5://u:BADPW@" + sp.Addr(), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{}
			if tt.proxy != "" {
				cfg.Proxy, _ = url.Parse(tt.proxy)
			}
			if tt.local != "" {
				cfg.LocalAddr = netip.MustParseAddr(tt.local)
			}
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			c, err := d.DialContext(t.Context(), "tcp", target)
			if tt.wantIP == "" {
				var pe *ProxyError
				if !errors.As(err, &pe) || strings.Contains(err.Error(), "BADPW") || strings.Contains(err.Error(), "u:") {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("hello"))
			var buf bytes.Buffer
			buf.ReadFrom(c)
			if got := buf.String(); got != tt.wantIP+" hello" {
				t.Fatalf("echo %q, want the source %s", got, tt.wantIP)
			}
		})
	}
}

func TestAssociate(t *testing.T) {
	echo := testenv.ServeUDP(t, func(req []byte, from netip.AddrPort) []byte {
		return append([]byte(from.Addr().String()+" "), req...)
	})
	egress := netip.MustParseAddr("127.0.0.3")
	sp := proxytest.NewSOCKS5(t, proxytest.Config{Egress: egress, User: "u", Password: "pw"})
	p, _ := url.Parse("socks5://u:pw@" + sp.Addr())
	d, err := New(Config{Proxy: p})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pc, err := d.ListenUDP(t.Context(), "udp4")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	dst := net.UDPAddrFromAddrPort(echo)
	if _, err := pc.WriteTo([]byte("ping"), dst); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if from.(*net.UDPAddr).AddrPort() != dst.AddrPort() || string(buf[:n]) != "127.0.0.3 ping" {
		t.Fatalf("got %q from %v", buf[:n], from)
	}

	hp, _ := url.Parse("http://127.0.0.1:1")
	hd, _ := New(Config{Proxy: hp})
	defer hd.Close()
	if _, err := hd.ListenUDP(t.Context(), "udp4"); !errors.Is(err, ErrUDPOverHTTPProxy) {
		t.Fatalf("http proxy: %v", err)
	}
}

func TestUDPHeader(t *testing.T) {
	for _, ap := range []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:6969"), netip.MustParseAddrPort("[2001:db8::1]:1")} {
		b := append(appendUDPHeader(nil, ap), "payload"...)
		got, payload, ok := parseUDPHeader(b)
		if !ok || got != ap || string(payload) != "payload" {
			t.Fatalf("%v: %v %q %v", ap, got, payload, ok)
		}
	}
	for _, bad := range [][]byte{nil, {0, 0, 1, 1, 127, 0, 0, 1, 0, 1}, {0, 0, 0, 3, 1, 'a', 0, 1}, {0, 0, 0, 1, 127}, {0, 0, 0, 4, 1}} {
		if _, _, ok := parseUDPHeader(bad); ok {
			t.Errorf("%v accepted", bad)
		}
	}
}

func FuzzUDPHeader(f *testing.F) {
	f.Add(append(appendUDPHeader(nil, netip.MustParseAddrPort("127.0.0.1:1")), 1, 2, 3))
	f.Add(append(appendUDPHeader(nil, netip.MustParseAddrPort("[::1]:1")), 1))
	f.Add([]byte{0, 0, 1, 1})
	f.Add([]byte{0, 0, 0, 3, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		ap, payload, ok := parseUDPHeader(b)
		if !ok {
			return
		}
		if len(payload) > len(b) || !ap.IsValid() {
			t.Fatalf("%v %d", ap, len(payload))
		}
		// Re-encoding gives the same address and payload (an IPv4-mapped
		// IPv6 address comes back as IPv4: both name the same host).
		re := append(appendUDPHeader(nil, ap), payload...)
		ap2, payload2, ok := parseUDPHeader(re)
		if !ok || ap2 != ap || !bytes.Equal(payload2, payload) {
			t.Fatalf("round trip %x -> %v %x", b, ap2, payload2)
		}
	})
}

func FuzzReply(f *testing.F) {
	f.Add([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 80})
	f.Add([]byte{5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80})
	f.Add([]byte{5, 1, 0, 1})
	f.Add([]byte{5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 80})
	f.Fuzz(func(t *testing.T, b []byte) {
		ap, err := readReply(bytes.NewReader(b))
		if err == nil && !ap.IsValid() {
			t.Fatal("invalid address without an error")
		}
	})
}
