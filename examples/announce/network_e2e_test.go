package main

import (
	"net"
	nethttp "net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

// TestCLINetworkFlags: with -bind 127.0.0.2 the HTTP and UDP trackers see
// that source; -user-agent and -ip reach the HTTP tracker.
func TestCLINetworkFlags(t *testing.T) {
	tr := mocktracker.New(mocktracker.Config{})
	defer tr.Close()
	var mu sync.Mutex
	type seen struct {
		src netip.Addr
		ua  string
		ip  string
	}
	var reqs []seen
	h := tr.HTTPHandler()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &nethttp.Server{Handler: nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		ap, _ := netip.ParseAddrPort(r.RemoteAddr)
		mu.Lock()
		reqs = append(reqs, seen{ap.Addr().Unmap(), r.UserAgent(), r.URL.Query().Get("ip")})
		mu.Unlock()
		h.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	defer srv.Close()
	udpURL, err := tr.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpURL := (&url.URL{Scheme: "http", Host: l.Addr().String(), Path: "/announce"}).String()
	const hash = "0123456789abcdef0123456789abcdef01234567"
	code, _, stderr := runCLI(t, "-json", "-once", "-bind", "127.0.0.2", "-user-agent", "test-agent/1", "-ip", "192.0.2.9",
		"-tracker", httpURL, "-tracker", udpURL, hash)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	bound := netip.MustParseAddr("127.0.0.2")
	pkts := tr.UDPPackets()
	if len(pkts) == 0 {
		t.Fatal("no UDP packet")
	}
	for _, p := range pkts {
		if p.From.Addr() != bound {
			t.Fatalf("UDP tracker saw %v, want %v", p.From, bound)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 { // started, stopped
		t.Fatalf("HTTP tracker saw %d requests: %+v", len(reqs), reqs)
	}
	for _, r := range reqs {
		if r.src != bound || r.ua != "test-agent/1" || r.ip != "192.0.2.9" {
			t.Fatalf("HTTP tracker saw %+v, want source %v, User-Agent test-agent/1, ip=192.0.2.9", r, bound)
		}
	}
}
