package http

import (
	"context"
	"net"
	nethttp "net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// patience bounds waits for signals that come at once on a healthy machine:
// only a broken build waits that long.
const patience = 2 * time.Minute

// Completed and stopped never wait behind regular announces for one of a
// host's DefaultConnsPerHost connections: with every connection held by a
// hung announce (and more queued), both still reach the tracker and are
// answered while the others hang.
func TestEventAnnouncesOwnPool(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	hung := 0
	hungAll := make(chan struct{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &nethttp.Server{Handler: nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if ev := r.URL.Query().Get("event"); ev != "stopped" && ev != "completed" {
			mu.Lock()
			if hung++; hung == DefaultConnsPerHost {
				close(hungAll)
			}
			mu.Unlock()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.Write([]byte("d8:intervali1800e5:peers0:e"))
	})}
	go srv.Serve(l)
	defer srv.Close()
	u, _ := url.Parse("http://" + l.Addr().String() + "/announce")
	tp := newTransport(t, Config{Timeout: -1})

	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(release)
	for i := range DefaultConnsPerHost + 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp.Announce(context.Background(), u, announceReq(byte(i), "-TK0001-abcdefghijkl"))
		}()
	}
	select {
	case <-hungAll:
	case <-time.After(patience):
		t.Fatal("the regular announces never reached the tracker")
	}
	for _, ev := range []transport.Event{transport.EventCompleted, transport.EventStopped} {
		done := make(chan error, 1)
		go func() {
			req := announceReq(0xee, "-TK0001-abcdefghijkl")
			req.Event = ev
			_, err := tp.Announce(context.Background(), u, req)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v: %v", ev, err)
			}
		case <-time.After(patience):
			t.Fatalf("%v waited behind the hung regular announces", ev)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if hung != DefaultConnsPerHost {
		t.Fatalf("%d regular announces on the wire, want the pool's %d", hung, DefaultConnsPerHost)
	}
}
