package webrtc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// TestNoReannounceAfterStopped: a torrent stopped while the socket waits to
// redial, with the socket's own re-announce of it still pending (sent on a
// connection that dropped before the reply), is never announced again: the
// tracker sees nothing of it once the socket is back (the ghost-reannounce
// invariant of internal/sim). The same holds for a torrent whose tracker
// answered with a failure (the caller may give the URL up).
func TestNoReannounceAfterStopped(t *testing.T) {
	for _, tc := range []struct {
		name string
		// end ends the torrent while the socket waits to redial.
		end func(t *testing.T, w *webrtc.Transport, u *url.URL, tr *mocktracker.Tracker)
	}{
		{"stopped while reconnecting", func(t *testing.T, w *webrtc.Transport, u *url.URL, tr *mocktracker.Tracker) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second) // before the redial
			defer cancel()
			if _, err := w.Announce(ctx, u, &transport.AnnounceRequest{InfoHash: hash, Event: transport.EventStopped, NumWant: 0}); err != nil {
				t.Fatalf("stopped: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var arrivals []transport.Event
				w, tr, u := pipeTracker(t, func(a mocktracker.Announce) {
					mu.Lock()
					arrivals = append(arrivals, a.Event)
					mu.Unlock()
				})
				if _, err := w.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: hash, Event: transport.EventStarted, Left: 1, NumWant: 0}); err != nil {
					t.Fatal(err)
				}
				// The socket drops; the next connection carries the
				// socket's re-announce, which a hung tracker never answers.
				tr.SetWSFaults(mocktracker.WSFaults{Silent: true})
				tr.DropWSSockets()
				time.Sleep(time.Hour)
				synctest.Wait()
				// That connection drops too, and handshakes are refused: the
				// re-announce waits in the queue for the redial.
				tr.SetWSFaults(mocktracker.WSFaults{Silent: true, Refuse: true})
				tr.DropWSSockets()
				time.Sleep(time.Second)
				synctest.Wait()
				mu.Lock()
				before := len(arrivals)
				mu.Unlock()

				tc.end(t, w, u, tr)
				tr.SetWSFaults(mocktracker.WSFaults{})
				time.Sleep(3 * time.Hour)
				synctest.Wait()
				mu.Lock()
				after := arrivals[before:]
				mu.Unlock()
				if len(after) != 0 {
					t.Fatalf("the tracker got %v after the torrent ended", after)
				}
				if n := w.Sockets(); n != 0 {
					t.Fatalf("%d sockets held for an ended torrent", n)
				}
			})
		})
	}
}

// TestNoReannounceOfUnregistered: after a reconnect the socket re-announces
// only torrents the tracker listed, whose caller knows it (and so owes a
// stopped): not one the tracker refused with a failure (its caller may give
// the URL up), nor one whose every announce failed while the socket was down
// (its caller may end without a stopped). Another torrent, announced, is
// re-announced as before.
func TestNoReannounceOfUnregistered(t *testing.T) {
	other := transport.InfoHash{0x0e, 0x1d}
	for _, tc := range []struct {
		name string
		// announce announces hash, which must fail, with the socket up.
		announce func(t *testing.T, w *webrtc.Transport, u *url.URL, tr *mocktracker.Tracker)
	}{
		{"refused with a failure", func(t *testing.T, w *webrtc.Transport, u *url.URL, tr *mocktracker.Tracker) {
			tr.SetWSFaults(mocktracker.WSFaults{FailureReason: "retry in never"})
			_, err := w.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: hash, Event: transport.EventStarted, Left: 1, NumWant: 0})
			var fe *transport.FailureError
			if !errors.As(err, &fe) {
				t.Fatalf("want a failure, got %v", err)
			}
			tr.SetWSFaults(mocktracker.WSFaults{})
			tr.DropWSSockets()
		}},
		{"announced while reconnecting", func(t *testing.T, w *webrtc.Transport, u *url.URL, tr *mocktracker.Tracker) {
			tr.SetWSFaults(mocktracker.WSFaults{Refuse: true})
			tr.DropWSSockets()
			time.Sleep(time.Second)
			synctest.Wait()
			if _, err := w.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: hash, Event: transport.EventStarted, Left: 1, NumWant: 0}); err == nil {
				t.Fatal("announced while the tracker refuses handshakes")
			}
			tr.SetWSFaults(mocktracker.WSFaults{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				arrivals := map[transport.InfoHash][]transport.Event{}
				w, tr, u := pipeTracker(t, func(a mocktracker.Announce) {
					mu.Lock()
					arrivals[a.InfoHash] = append(arrivals[a.InfoHash], a.Event)
					mu.Unlock()
				})
				if _, err := w.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: other, Event: transport.EventStarted, Left: 1, NumWant: 0}); err != nil {
					t.Fatal(err)
				}
				tc.announce(t, w, u, tr)
				mu.Lock()
				before, otherBefore := len(arrivals[hash]), len(arrivals[other])
				mu.Unlock()
				time.Sleep(3 * time.Hour)
				synctest.Wait()
				mu.Lock()
				after, otherAfter := arrivals[hash][before:], arrivals[other][otherBefore:]
				mu.Unlock()
				if len(after) != 0 {
					t.Fatalf("the tracker got %v for a torrent it never listed", after)
				}
				if len(otherAfter) != 1 || otherAfter[0] != transport.EventStarted {
					t.Fatalf("the announced torrent was re-announced as %v, want [started]", otherAfter)
				}
			})
		})
	}
}

// pipeTracker serves a mock tracker's WebSocket front end over an in-memory
// pipe net (for synctest) and returns a Transport dialing it, the tracker
// and its URL; all are closed when the test ends.
func pipeTracker(t *testing.T, onArrival func(mocktracker.Announce)) (*webrtc.Transport, *mocktracker.Tracker, *url.URL) {
	t.Helper()
	ln, client := webrtc.NewPipeNet()
	tr := mocktracker.New(mocktracker.Config{Interval: time.Minute, OnArrival: onArrival})
	srv := &http.Server{Handler: tr.WSHandler()}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	w := webrtc.New(webrtc.Config{DialOptions: &websocket.DialOptions{HTTPClient: client}})
	t.Cleanup(func() {
		w.Close()
		tr.Close()
		_ = srv.Close()
		<-served
	})
	u, _ := url.Parse("ws://127.0.0.1:9/announce")
	return w, tr, u
}

// TestSessionReconnectsUnderDefaults runs a Session on a WebSocket tracker
// with the default Config of both the Transport and the Client, in virtual
// time. The tracker drops the socket and refuses handshakes for a while:
// the announces due meanwhile show the tracker as reconnecting (not
// failing, no ErrorEvent), and once the socket is back the announce is sent
// and its reply reaches the Session as an UpdateEvent.
func TestSessionReconnectsUnderDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, tr, u := pipeTracker(t, nil)
		c, err := announcer.NewClient(announcer.Config{Transports: map[string]transport.Transport{"ws": w}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := c.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{u.String()}}},
			// No peers wanted: no offers, so no pion (real UDP) in the bubble.
			announcer.SessionOptions{NumWant: announcer.NumWantNone, Stats: func() announcer.Stats { return announcer.Stats{Left: 1} }})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		updates := 0
		var errs []announcer.ErrorEvent
		drain := func() {
			for {
				select {
				case ev := <-s.Events():
					switch ev := ev.(type) {
					case announcer.UpdateEvent:
						updates++
					case announcer.ErrorEvent:
						errs = append(errs, ev)
					}
				default:
					return
				}
			}
		}
		synctest.Wait()
		drain()
		if updates != 1 {
			t.Fatalf("%d updates after start", updates)
		}

		// The socket drops and the tracker refuses for ten minutes: every
		// announce due meanwhile finds the socket waiting to redial.
		tr.SetWSFaults(mocktracker.WSFaults{Refuse: true})
		tr.DropWSSockets()
		sawReconnecting := false
		for range 10 {
			time.Sleep(time.Minute)
			synctest.Wait()
			st := s.Trackers()[0]
			switch st.State {
			case announcer.StateReconnecting:
				sawReconnecting = true
				if st.Failures != 0 || st.NextAnnounce.IsZero() {
					t.Fatalf("reconnecting with %d failures, next %v", st.Failures, st.NextAnnounce)
				}
			case announcer.StateBackingOff:
				t.Fatalf("the tracker shows as failing: %+v", st)
			}
		}
		drain()
		if !sawReconnecting || len(errs) != 0 || updates != 1 {
			t.Fatalf("while down: reconnecting seen %v, errors %v, updates %d", sawReconnecting, errs, updates)
		}

		// The tracker is back: after the next redial the announce goes out
		// and its reply is an UpdateEvent.
		tr.SetWSFaults(mocktracker.WSFaults{})
		for i := 0; updates == 1; i++ {
			if i == 60 {
				t.Fatalf("no update an hour after the tracker came back: %+v", s.Trackers()[0])
			}
			time.Sleep(time.Minute)
			synctest.Wait()
			drain()
		}
		if st := s.Trackers()[0]; st.State != announcer.StateOK || len(errs) != 0 {
			t.Fatalf("after the reconnect: %+v, errors %v", st, errs)
		}
		if len(tr.Peers(hash)) != 1 {
			t.Fatal("not back in the swarm")
		}
		s.Close()
	})
}
