package webrtc_test

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// TestSessionReconnectsUnderDefaults runs a Session on a WebSocket tracker
// with the default Config of both the Transport and the Client, in virtual
// time. The tracker drops the socket and refuses handshakes for a while:
// the announces due meanwhile show the tracker as reconnecting (not
// failing, no ErrorEvent), and once the socket is back the announce is sent
// and its reply reaches the Session as an UpdateEvent.
func TestSessionReconnectsUnderDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln, client := webrtc.NewPipeNet()
		tr := mocktracker.New(mocktracker.Config{Interval: time.Minute})
		srv := &http.Server{Handler: tr.WSHandler()}
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = srv.Serve(ln)
		}()
		w := webrtc.New(webrtc.Config{DialOptions: &websocket.DialOptions{HTTPClient: client}})
		c, err := announcer.NewClient(announcer.Config{Transports: map[string]transport.Transport{"ws": w}})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			c.Close()
			w.Close()
			tr.Close()
			_ = srv.Close()
			<-served
		}()
		s, err := c.NewSession(announcer.Torrent{InfoHash: hash, Tiers: [][]string{{"ws://127.0.0.1:9/announce"}}},
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
