package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestListenAddresses(t *testing.T) {
	tests := []struct {
		network, addr string
		wantPrefix    string
		wantErr       error
	}{
		{"tcp4", "127.0.0.1:0", "127.0.0.1:", nil},
		{"tcp", ":0", "127.0.0.1:", nil},
		{"tcp", "[::1]:0", "[::1]:", nil},
		{"tcp6", "[::]:0", "[::1]:", nil},
		{"tcp4", "[::1]:0", "", syscall.EAFNOSUPPORT},
		{"tcp4", "192.0.2.1:0", "", syscall.EADDRNOTAVAIL},
		{"udp4", "127.0.0.1:0", "", net.UnknownNetworkError("udp4")},
	}
	n := New()
	for _, tt := range tests {
		l, err := n.Listen(tt.network, tt.addr)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s %s: err %v, want %v", tt.network, tt.addr, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !strings.HasPrefix(l.Addr().String(), tt.wantPrefix) {
			t.Errorf("%s %s: %v %v", tt.network, tt.addr, l, err)
			continue
		}
		if _, err := n.Listen(tt.network, l.Addr().String()); !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("second listen on %v: %v", l.Addr(), err)
		}
		l.Close()
	}
}

// An HTTP server and client over the in-memory network, in virtual time:
// the server sees a loopback RemoteAddr, a slow handler takes no real time,
// and a closed listener refuses dials.
func TestStreamHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New()
		l, err := n.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Hour)
			io.WriteString(w, r.RemoteAddr)
		})}
		served := make(chan struct{})
		go func() { defer close(served); srv.Serve(l) }()
		tr := &http.Transport{DialContext: n.DialContext}
		client := &http.Client{Transport: tr}
		start := time.Now()
		resp, err := client.Get("http://" + l.Addr().String() + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(string(body), "127.0.0.1:") || time.Since(start) != time.Hour {
			t.Fatalf("body %q after %v", body, time.Since(start))
		}
		tr.CloseIdleConnections()
		srv.Close()
		<-served
		if _, err := n.DialContext(context.Background(), "tcp", l.Addr().String()); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial after close: %v", err)
		}
		if _, err := n.DialContext(context.Background(), "tcp6", l.Addr().String()); !errors.Is(err, syscall.EAFNOSUPPORT) {
			t.Fatalf("tcp6 dial to an IPv4 address: %v", err)
		}
	})
}

// A dial waits for Accept; its context ends the wait.
func TestStreamDialContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New()
		l, _ := n.Listen("tcp4", "127.0.0.1:0")
		defer l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		if _, err := n.DialContext(ctx, "tcp", l.Addr().String()); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Minute {
			t.Fatalf("dial nobody accepts: %v after %v", err, time.Since(start))
		}
		go func() {
			c, err := l.Accept()
			if err == nil {
				c.Write([]byte("hi"))
				c.Close()
			}
		}()
		c, err := n.DialContext(context.Background(), "tcp4", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got, _ := io.ReadAll(c)
		if string(got) != "hi" || c.RemoteAddr().String() != l.Addr().String() {
			t.Fatalf("got %q from %v", got, c.RemoteAddr())
		}
	})
}
