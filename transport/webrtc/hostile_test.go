package webrtc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// Issue 12, "keep what passes": a hostile WebSocket tracker. The server
// is written here (coder/websocket) so that it can send what no tracker
// should: binary frames, text that is not JSON, binary fields with runes
// above U+00FF, 10,000 bogus relayed offers, a 100 MiB frame.

// latin1 encodes b one rune per byte, as the protocol's binary fields.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// hostileWS starts a tracker that, for each announce, runs before(conn)
// and then sends a good announce reply.
func hostileWS(t *testing.T, before func(ctx context.Context, c *websocket.Conn, infoHash string)) *url.URL {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(msg, &m) != nil || m["action"] != "announce" {
				continue
			}
			ih, _ := m["info_hash"].(string)
			if before != nil {
				before(ctx, c, ih)
			}
			reply, _ := json.Marshal(map[string]any{"action": "announce", "info_hash": ih, "interval": 120, "complete": 1, "incomplete": 2})
			if c.Write(ctx, websocket.MessageText, reply) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse("ws" + strings.TrimPrefix(srv.URL, "http") + "/announce")
	return u
}

func TestHostileFramesIgnored(t *testing.T) {
	u := hostileWS(t, func(ctx context.Context, c *websocket.Conn, ih string) {
		c.Write(ctx, websocket.MessageBinary, []byte{0xff, 0x00, 0x7b})
		c.Write(ctx, websocket.MessageText, []byte("not json {"))
		c.Write(ctx, websocket.MessageText, []byte(`{"action":"announce","info_hash":"`+strings.Repeat("Ā", 20)+`","interval":1}`))
		c.Write(ctx, websocket.MessageText, []byte(`{"action":"announce","info_hash":"short","interval":1}`))
		bad, _ := json.Marshal(map[string]any{"action": "announce", "info_hash": ih, "peer_id": strings.Repeat("€", 20),
			"offer_id": strings.Repeat("x", 20), "offer": map[string]string{"type": "offer", "sdp": "v=0"}})
		c.Write(ctx, websocket.MessageText, bad)
	})
	a := webrtc.New(testConfig())
	defer a.Close()
	for range 2 {
		res := announce(t, a, u, id(1), transport.EventStarted)
		if res.Complete != 1 || res.Incomplete != 2 {
			t.Fatalf("reply %+v", res)
		}
	}
}

// TestThousandsOfBogusOffers: 10,000 relayed offers with nonsense SDP cost
// no more than the pending-connection cap, and the socket keeps working.
func TestThousandsOfBogusOffers(t *testing.T) {
	u := hostileWS(t, func(ctx context.Context, c *websocket.Conn, ih string) {
		for i := range 10000 {
			pid := make([]byte, 20)
			pid[0], pid[1], pid[19] = byte(i>>8), byte(i), 0xfe
			m, _ := json.Marshal(map[string]any{"action": "announce", "info_hash": ih, "peer_id": latin1(pid),
				"offer_id": latin1(pid), "offer": map[string]string{"type": "offer", "sdp": "v=0\r\nbogus"}})
			if c.Write(ctx, websocket.MessageText, m) != nil {
				return
			}
		}
	})
	a := webrtc.New(testConfig())
	defer a.Close()
	defer a.Subscribe(u, hash, func(p peer.Peer) { p.Conn.Close() })()
	for range 2 { // the second reply comes after every offer was read
		if res := announce(t, a, u, id(1), transport.EventStarted); res.Incomplete != 2 {
			t.Fatalf("reply %+v", res)
		}
	}
	if n := a.LivePeerConns(); n > webrtc.DefaultMaxPendingConns {
		t.Errorf("%d pending peer connections, cap %d", n, webrtc.DefaultMaxPendingConns)
	}
}

// TestHundredMiBFrame: a 100 MiB frame is refused at MaxMessageBytes (1 MiB)
// without being read whole; the announce fails with ErrTooLarge.
func TestHundredMiBFrame(t *testing.T) {
	huge := make([]byte, 100<<20)
	for i := range huge {
		huge[i] = ' '
	}
	u := hostileWS(t, func(ctx context.Context, c *websocket.Conn, ih string) {
		c.Write(ctx, websocket.MessageText, huge)
	})
	cfg := testConfig()
	dropped := untilLogged(t, &cfg, "webrtc: tracker socket dropped")
	a := webrtc.New(cfg)
	defer a.Close()
	_, err := a.Announce(dropped, u, &transport.AnnounceRequest{InfoHash: hash, PeerID: id(1)})
	if !errors.Is(err, transport.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}
