package webrtc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/transport"
)

// scripted runs fn in a bubble against a tracker whose replies script
// decides: it gets each decoded client message and returns the frames to
// send back (raw text), after an optional wait.
func scripted(t *testing.T, script func(msg map[string]any) (wait time.Duration, frames [][]byte),
	fn func(t *testing.T, c *Transport, u *url.URL)) {
	synctest.Test(t, func(t *testing.T) {
		pn := newPipeNet()
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer ws.CloseNow()
			ctx := context.Background()
			for {
				_, data, err := ws.Read(ctx)
				if err != nil {
					return
				}
				var msg map[string]any
				if err := jsonUnmarshal(data, &msg); err != nil {
					t.Errorf("client sent %q", data)
					return
				}
				wait, frames := script(msg)
				send := func() {
					for _, f := range frames {
						if ws.Write(ctx, websocket.MessageText, f) != nil {
							return
						}
					}
				}
				if wait == 0 {
					send()
					continue
				}
				go func() { // keep reading meanwhile: net.Pipe has no buffer
					time.Sleep(wait)
					send()
				}()
			}
		})}
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = srv.Serve(pn)
		}()
		c := New(Config{DialOptions: &websocket.DialOptions{HTTPClient: pn.client()}, randFloat: func() float64 { return 0.5 }})
		t.Cleanup(func() {
			c.Close()
			_ = srv.Close()
			<-served
		})
		u, _ := url.Parse("ws://127.0.0.1:9/announce")
		fn(t, c, u)
	})
}

var (
	dh1 = transport.InfoHash{1, 0xff}
	dh2 = transport.InfoHash{2, 0x80}
)

func reply(h transport.InfoHash, kv ...any) []byte {
	return j(append([]any{"action", "announce", "info_hash", binaryString(h)}, kv...)...)
}

func hashOf(msg map[string]any) transport.InfoHash {
	s, _ := msg["info_hash"].(string)
	h, _ := parseBinary("info_hash", s)
	return h
}

func TestDispatchReplyFields(t *testing.T) {
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		h := hashOf(msg)
		if h == dh2 {
			return 0, [][]byte{reply(h, "complete", 1)} // no interval
		}
		return 0, [][]byte{reply(h, "interval", 120, "min interval", 60, "complete", 3, "incomplete", 4,
			"tracker id", "tid-1", "warning message", "slow down")}
	}, func(t *testing.T, c *Transport, u *url.URL) {
		res, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1})
		if err != nil {
			t.Fatal(err)
		}
		want := transport.AnnounceResponse{Interval: 2 * time.Minute, MinInterval: time.Minute, Complete: 3, Incomplete: 4, TrackerID: "tid-1", Warning: "slow down"}
		if res.Interval != want.Interval || res.MinInterval != want.MinInterval || res.Complete != want.Complete ||
			res.Incomplete != want.Incomplete || res.TrackerID != want.TrackerID || res.Warning != want.Warning {
			t.Fatalf("got %+v", res)
		}
		_, err = c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh2})
		var me *transport.MalformedError
		if !errors.As(err, &me) {
			t.Fatalf("reply without interval: %v", err)
		}
	})
}

func TestDispatchTrackerIDEchoed(t *testing.T) {
	got := make(chan any, 1)
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		got <- msg["trackerid"]
		return 0, [][]byte{reply(hashOf(msg), "interval", 60)}
	}, func(t *testing.T, c *Transport, u *url.URL) {
		if _, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1, TrackerID: "tid-1"}); err != nil {
			t.Fatal(err)
		}
		if v := <-got; v != "tid-1" {
			t.Fatalf("trackerid sent: %v", v)
		}
	})
}

func TestDispatchBareFailureGoesToOldest(t *testing.T) {
	var first = true
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		if first { // hold the first request's reply until the second is in
			first = false
			return 0, nil
		}
		return 0, [][]byte{j("failure reason", "slow down"), j("action", "scrape", "files", map[string]any{})}
	}, func(t *testing.T, c *Transport, u *url.URL) {
		errc := make(chan error, 1)
		go func() {
			_, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1})
			errc <- err
		}()
		synctest.Wait()
		if _, err := c.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{dh1}}); err != nil {
			t.Fatalf("scrape: %v", err)
		}
		var fe *transport.FailureError
		if err := <-errc; !errors.As(err, &fe) || fe.Reason != "slow down" {
			t.Fatalf("announce: %v", err)
		}
	})
}

// TestDispatchAbandonedReplyIsAbsorbed: the late reply to an announce its
// caller gave up on is taken for that announce, not for the next one of the
// same torrent on the same connection. dh2, announced first, keeps the
// socket in use: without it the socket may retire once the first announce
// is withdrawn, and the second would go out on a new connection.
func TestDispatchAbandonedReplyIsAbsorbed(t *testing.T) {
	n := 0
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		if h := hashOf(msg); h == dh2 {
			return 0, [][]byte{reply(h, "interval", 60)}
		}
		n++
		if n == 1 {
			return 0, nil // slow: answered, in order, with the next one
		}
		return 0, [][]byte{reply(hashOf(msg), "interval", 1), reply(hashOf(msg), "interval", 2)}
	}, func(t *testing.T, c *Transport, u *url.URL) {
		if _, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh2}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.Announce(ctx, u, &transport.AnnounceRequest{InfoHash: dh1}); !errors.Is(err, transport.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("first: %v", err)
		}
		res, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1})
		if err != nil || res.Interval != 2*time.Second {
			t.Fatalf("second got %+v, %v: the late reply was taken for it", res, err)
		}
	})
}

func TestDispatchIgnoresNoise(t *testing.T) {
	peerID, offer := binaryString([20]byte{9}), binaryString([20]byte{8})
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		h := hashOf(msg)
		return 0, [][]byte{
			[]byte("garbage {"),
			j("action", "dance"),
			reply(dh2, "interval", 5), // a reply for a torrent not asked about
			reply(h, "peer_id", peerID, "offer_id", offer, "answer", map[string]string{"type": "answer", "sdp": "v=0"}),
			reply(h, "peer_id", peerID, "offer_id", offer, "offer", map[string]string{"type": "offer", "sdp": "v=0"}),
			reply(h, "peer_id", peerID), // relayed, but neither offer nor answer
			j("action", "scrape", "files", map[string]any{}),
			reply(h, "interval", 7),
		}
	}, func(t *testing.T, c *Transport, u *url.URL) {
		res, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1})
		if err != nil || res.Interval != 7*time.Second {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
}

// TestDispatchNonRepliesKeepThePendingAnnounce sends frames that answer
// nothing before the real reply: none of them may be taken for it.
func TestDispatchNonRepliesKeepThePendingAnnounce(t *testing.T) {
	frames := [][]byte{
		[]byte("null"), []byte("{}"), []byte("[]"), []byte(`"announce"`), []byte("7"),
		j("action", "announce"),
		j("info_hash", binaryString(dh1)),
		reply(dh1), // action and info hash, no reply field
		j("action", "announce", "offers", []any{}),
	}
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		return 0, append(frames, reply(hashOf(msg), "interval", 9))
	}, func(t *testing.T, c *Transport, u *url.URL) {
		res, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1})
		if err != nil || res.Interval != 9*time.Second {
			t.Fatalf("got %+v, %v: a frame that is no reply was taken for it", res, err)
		}
	})
}

func TestDispatchCanceledCall(t *testing.T) {
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		return 0, nil // never answers
	}, func(t *testing.T, c *Transport, u *url.URL) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		_, err := c.Scrape(ctx, u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{dh1}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		// The default AnnounceTimeout (30 s) bounds a call without deadline.
		start := time.Now()
		_, err = c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1})
		if !errors.Is(err, transport.ErrTimeout) || time.Since(start) != DefaultAnnounceTimeout {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
}

func TestDispatchMalformedReplyFailsItsRequest(t *testing.T) {
	scripted(t, func(msg map[string]any) (time.Duration, [][]byte) {
		if msg["action"] == "scrape" {
			return 0, [][]byte{j("action", "scrape", "files", map[string]any{"short": map[string]int{}})}
		}
		h := hashOf(msg)
		return 0, [][]byte{
			// A broken relayed offer answers nothing: it is ignored.
			reply(h, "peer_id", "x", "offer", map[string]string{"type": "offer", "sdp": "v=0"}),
			reply(h, "interval", 60, "complete", -3),
		}
	}, func(t *testing.T, c *Transport, u *url.URL) {
		start := time.Now()
		_, err := c.Announce(context.Background(), u, &transport.AnnounceRequest{InfoHash: dh1})
		var me *transport.MalformedError
		if !errors.As(err, &me) || time.Since(start) != 0 {
			t.Fatalf("announce: %v after %v", err, time.Since(start))
		}
		_, err = c.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{dh1}})
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, transport.ErrMalformed) || time.Since(start) != 0 {
			t.Fatalf("scrape: %v", err)
		}
	})
}
