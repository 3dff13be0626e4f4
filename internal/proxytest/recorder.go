package proxytest

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"
)

// Request is what a Recorder saw of one HTTP request: where it came from
// and what it carried.
type Request struct {
	Source    netip.Addr // unmapped
	UserAgent string
	Query     url.Values
}

// Recorder serves handler (a tracker's) on listeners and records every
// request, so that a test can tell which address, agent and query reached
// the tracker. Its servers stop at the test's cleanup.
type Recorder struct {
	mu   sync.Mutex
	seen []Request
}

// NewRecorder starts serving handler on each listener.
func NewRecorder(t testing.TB, handler http.Handler, listeners ...net.Listener) *Recorder {
	r := &Recorder{}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ap, _ := netip.ParseAddrPort(req.RemoteAddr)
		r.mu.Lock()
		r.seen = append(r.seen, Request{Source: ap.Addr().Unmap(), UserAgent: req.UserAgent(), Query: req.URL.Query()})
		r.mu.Unlock()
		handler.ServeHTTP(w, req)
	})
	for _, l := range listeners {
		srv := &http.Server{Handler: h}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	return r
}

// Requests returns the requests seen so far, in order.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.seen...)
}

// Listen opens a TCP listener on addr ("127.0.0.1:0"), failing the test
// if it cannot.
func Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
