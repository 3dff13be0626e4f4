package http

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

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
