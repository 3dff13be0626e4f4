package memnet

import (
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestListenPacketAddresses(t *testing.T) {
	tests := []struct {
		network, addr string
		wantPrefix    string
		wantErr       error
	}{
		{"udp4", "127.0.0.1:0", "127.0.0.1:", nil},
		{"udp4", "0.0.0.0:0", "127.0.0.1:", nil},
		{"udp4", ":0", "127.0.0.1:", nil},
		{"udp", ":0", "127.0.0.1:", nil},
		{"udp6", "[::1]:0", "[::1]:", nil},
		{"udp6", "[::]:0", "[::1]:", nil},
		{"udp", "[::1]:0", "[::1]:", nil},
		{"udp4", "127.0.0.1:7000", "127.0.0.1:7000", nil},
		{"udp4", "[::1]:0", "", syscall.EAFNOSUPPORT},
		{"udp4", "10.0.0.1:0", "", syscall.EADDRNOTAVAIL},
		{"tcp", "127.0.0.1:0", "", nil},
		{"udp4", "127.0.0.1", "", nil},
	}
	n := New()
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.addr, func(t *testing.T) {
			pc, err := n.ListenPacket(tt.network, tt.addr)
			if tt.wantPrefix == "" {
				if err == nil {
					pc.Close()
					t.Fatal("no error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			if got := pc.LocalAddr().String(); !strings.HasPrefix(got, tt.wantPrefix) || strings.HasSuffix(got, ":0") {
				t.Fatalf("addr %s", got)
			}
		})
	}
	a, _ := n.ListenPacket("udp4", "127.0.0.1:7001")
	defer a.Close()
	if _, err := n.ListenPacket("udp4", "127.0.0.1:7001"); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("port reuse: %v", err)
	}
}

func TestExchange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New()
		a, _ := n.ListenPacket("udp4", "127.0.0.1:0")
		b, _ := n.ListenPacket("udp4", "127.0.0.1:0")
		defer a.Close()
		defer b.Close()
		msg := []byte("hello")
		if _, err := a.WriteTo(msg, b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		msg[0] = 'j' // the sender's buffer is copied
		buf := make([]byte, 3)
		nr, from, err := b.ReadFrom(buf)
		if err != nil || nr != 3 || string(buf) != "hel" || from.String() != a.LocalAddr().String() {
			t.Fatalf("%d %q %v %v (a datagram is truncated to the buffer)", nr, buf, from, err)
		}
		// Nobody listening: dropped, no error.
		if _, err := a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}); err != nil {
			t.Fatal(err)
		}
		// Wrong family, too large.
		if _, err := a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv6loopback, Port: 1}); !errors.Is(err, syscall.EAFNOSUPPORT) {
			t.Fatalf("v6 from udp4: %v", err)
		}
		if _, err := a.WriteTo(make([]byte, 70000), b.LocalAddr()); !errors.Is(err, syscall.EMSGSIZE) {
			t.Fatalf("huge: %v", err)
		}
		big := make([]byte, 65507)
		if _, err := a.WriteTo(big, b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if nr, _, err := b.ReadFrom(make([]byte, 1<<16)); nr != len(big) || err != nil {
			t.Fatalf("%d %v", nr, err)
		}
	})
}

func TestQueueFullDrops(t *testing.T) {
	n := New()
	a, _ := n.ListenPacket("udp4", "127.0.0.1:0")
	b, _ := n.ListenPacket("udp4", "127.0.0.1:0")
	defer a.Close()
	defer b.Close()
	for range QueueLen + 10 {
		if _, err := a.WriteTo([]byte{1}, b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	b.SetReadDeadline(time.Now().Add(-time.Second))
	got := 0
	b.SetReadDeadline(time.Time{})
	for got < QueueLen {
		b.ReadFrom(make([]byte, 1))
		got++
	}
	b.SetReadDeadline(time.Now())
	if _, _, err := b.ReadFrom(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("queue held more than QueueLen: %v", err)
	}
}

func TestDeadlinesVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New()
		a, _ := n.ListenPacket("udp6", "[::1]:0")
		defer a.Close()
		start := time.Now()
		a.SetReadDeadline(start.Add(30 * time.Second))
		_, _, err := a.ReadFrom(make([]byte, 10))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Fatalf("deadline after %v", d)
		}
		// Moving the deadline while a reader is blocked takes effect.
		a.SetReadDeadline(time.Time{})
		errc := make(chan error)
		go func() {
			_, _, err := a.ReadFrom(make([]byte, 10))
			errc <- err
		}()
		synctest.Wait()
		a.SetReadDeadline(time.Now().Add(time.Second))
		if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != 31*time.Second {
			t.Fatalf("err %v at %v", err, time.Since(start))
		}
		// A past deadline fails at once.
		a.SetDeadline(time.Now().Add(-time.Second))
		if _, _, err := a.ReadFrom(nil); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
		if a.SetWriteDeadline(time.Now()) != nil {
			t.Fatal("SetWriteDeadline")
		}
	})
}

func TestCloseUnblocksReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New()
		a, _ := n.ListenPacket("udp4", "127.0.0.1:0")
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, _, err := a.ReadFrom(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
					t.Errorf("err = %v", err)
				}
			})
		}
		synctest.Wait()
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := a.Close(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("second close: %v", err)
		}
		if _, err := a.WriteTo([]byte{1}, a.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write after close: %v", err)
		}
		// The port is free again.
		b, err := n.ListenPacket("udp4", a.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
	})
}

func TestDisableIPv6(t *testing.T) {
	n := New()
	a, _ := n.ListenPacket("udp", "[::1]:0")
	defer a.Close()
	n.DisableIPv6()
	if _, err := n.ListenPacket("udp6", "[::]:0"); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Fatalf("err = %v", err)
	}
	if _, err := a.WriteTo([]byte{1}, a.LocalAddr()); !errors.Is(err, syscall.ENETUNREACH) {
		t.Fatalf("send to v6: %v", err)
	}
}
