package mocktracker

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// patience bounds the waits of these real-socket tests for what must
// happen; only a failing test reaches it, so it is generous enough for a
// loaded machine.
const patience = 2 * time.Minute

type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func dialWS(t *testing.T, u string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsClient{t, c}
}

func (w *wsClient) send(m map[string]any) {
	w.t.Helper()
	if err := w.c.Write(context.Background(), websocket.MessageText, wsJSON(m)); err != nil {
		w.t.Fatal(err)
	}
}

// recv returns the next message as raw text.
func (w *wsClient) recvRaw() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	_, data, err := w.c.Read(ctx)
	return string(data), err
}

func (w *wsClient) recv() map[string]any {
	w.t.Helper()
	data, err := w.recvRaw()
	if err != nil {
		w.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		w.t.Fatalf("%v: %q", err, data)
	}
	return m
}

func bin(b byte) [20]byte {
	var x [20]byte
	for i := range x {
		x[i] = b + byte(i)*11
	}
	return x
}

func startWS(t *testing.T, cfg Config) (*Tracker, string) {
	t.Helper()
	tr := New(cfg)
	t.Cleanup(func() { tr.Close() })
	u, err := tr.ListenWS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "ws://127.0.0.1:") {
		t.Fatalf("announce URL %q", u)
	}
	return tr, u
}

var wsHash = transport.InfoHash(bin(0xf0))

func announceMsg(id [20]byte, offers ...string) map[string]any {
	m := map[string]any{"action": "announce", "info_hash": wsBinary(wsHash), "peer_id": wsBinary(id),
		"numwant": len(offers), "uploaded": 0, "downloaded": 0, "left": 10, "event": "started"}
	var os []any
	for i, sdp := range offers {
		os = append(os, map[string]any{"offer": map[string]string{"type": "offer", "sdp": sdp}, "offer_id": wsBinary(bin(byte(i)))})
	}
	if os != nil {
		m["offers"] = os
	}
	return m
}

func TestWSAnnounceRelaysOffersAndAnswers(t *testing.T) {
	tr, u := startWS(t, Config{Interval: 2 * time.Minute, MinInterval: time.Minute})
	tr.AddPeer(wsHash, peer.ID(bin(0x99)), netip.MustParseAddrPort("127.0.0.1:6881"), 0) // an HTTP seeder
	a, b := dialWS(t, u), dialWS(t, u)
	idA, idB := bin(0x80), bin(0x10)

	a.send(announceMsg(idA))
	r := a.recv()
	if r["action"] != "announce" || r["info_hash"] != wsBinary(wsHash) || r["interval"] != 120.0 || r["min interval"] != 60.0 ||
		r["complete"] != 1.0 || r["incomplete"] != 1.0 {
		t.Fatalf("reply %v", r)
	}

	b.send(announceMsg(idB, "sdp-1", "sdp-2")) // two offers, one other WebSocket peer
	if r := b.recv(); r["incomplete"] != 2.0 {
		t.Fatalf("reply %v", r)
	}
	o := a.recv()
	if o["peer_id"] != wsBinary(idB) || o["offer_id"] != wsBinary(bin(0)) || o["info_hash"] != wsBinary(wsHash) ||
		o["offer"].(map[string]any)["sdp"] != "sdp-1" {
		t.Fatalf("relayed offer %v", o)
	}

	a.send(map[string]any{"action": "announce", "info_hash": wsBinary(wsHash), "peer_id": wsBinary(idA),
		"to_peer_id": wsBinary(idB), "offer_id": wsBinary(bin(0)), "answer": map[string]string{"type": "answer", "sdp": "ans"}})
	ans := b.recv()
	if ans["peer_id"] != wsBinary(idA) || ans["offer_id"] != wsBinary(bin(0)) || ans["answer"].(map[string]any)["sdp"] != "ans" {
		t.Fatalf("relayed answer %v", ans)
	}
	if got := len(tr.Peers(wsHash)); got != 3 {
		t.Fatalf("%d members, want 3", got)
	}

	// Stopped leaves the swarm; closing a socket does too.
	a.send(map[string]any{"action": "announce", "info_hash": wsBinary(wsHash), "peer_id": wsBinary(idA), "event": "stopped"})
	if r := a.recv(); r["incomplete"] != 1.0 {
		t.Fatalf("stopped reply %v", r)
	}
	_ = b.c.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(patience)
	for len(tr.Peers(wsHash)) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("closed socket still in the swarm")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWSScrape(t *testing.T) {
	tr, u := startWS(t, Config{})
	tr.AddPeer(wsHash, peer.ID(bin(1)), netip.MustParseAddrPort("127.0.0.1:1"), 0)
	other := transport.InfoHash(bin(2))
	tr.AddPeer(other, peer.ID(bin(1)), netip.MustParseAddrPort("127.0.0.1:1"), 5)
	c := dialWS(t, u)
	for _, tt := range []struct {
		name string
		ih   any
		want int
	}{
		{"one", wsBinary(wsHash), 1},
		{"list", []string{wsBinary(wsHash), wsBinary(other), wsBinary(bin(3))}, 2},
		{"all", nil, 2},
	} {
		m := map[string]any{"action": "scrape"}
		if tt.ih != nil {
			m["info_hash"] = tt.ih
		}
		c.send(m)
		r := c.recv()
		files, _ := r["files"].(map[string]any)
		if r["action"] != "scrape" || len(files) != tt.want {
			t.Fatalf("%s: %v", tt.name, r)
		}
		if s := files[wsBinary(wsHash)].(map[string]any); s["complete"] != 1.0 || s["incomplete"] != 0.0 || s["downloaded"] != 0.0 {
			t.Fatalf("%s: stats %v", tt.name, s)
		}
	}
}

func TestWSBadRequests(t *testing.T) {
	_, u := startWS(t, Config{})
	c := dialWS(t, u)
	for _, raw := range []string{
		`not json`,
		`{"action":"dance"}`,
		`{"action":"announce","info_hash":"short","peer_id":"aaaaaaaaaaaaaaaaaaaa"}`,
		`{"action":"announce","info_hash":"` + strings.Repeat(`\u0100`, 20) + `","peer_id":"aaaaaaaaaaaaaaaaaaaa"}`,
		`{"action":"announce","info_hash":"aaaaaaaaaaaaaaaaaaaa","peer_id":"x"}`,
		`{"action":"announce","info_hash":"aaaaaaaaaaaaaaaaaaaa","peer_id":"aaaaaaaaaaaaaaaaaaaa","offers":[{"offer_id":"x","offer":{}}]}`,
	} {
		if err := c.c.Write(context.Background(), websocket.MessageText, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		r := c.recv()
		if _, ok := r["failure reason"]; !ok || len(r) != 1 {
			t.Fatalf("%s: %v", raw, r)
		}
	}
}

func TestWSFaults(t *testing.T) {
	t.Run("failure reason", func(t *testing.T) {
		tr, u := startWS(t, Config{})
		tr.SetWSFaults(WSFaults{FailureReason: "go away"})
		c := dialWS(t, u)
		c.send(announceMsg(bin(1)))
		if r := c.recv(); r["failure reason"] != "go away" || r["action"] != "announce" || r["info_hash"] != wsBinary(wsHash) {
			t.Fatal(r)
		}
		tr.SetWSFaults(WSFaults{FailureReason: "go away", FailureNoAction: true})
		c.send(announceMsg(bin(1)))
		if r := c.recv(); r["failure reason"] != "go away" || len(r) != 1 {
			t.Fatal(r)
		}
		if len(tr.Peers(wsHash)) != 0 {
			t.Fatal("a refused announce joined the swarm")
		}
	})
	t.Run("garbage", func(t *testing.T) {
		tr, u := startWS(t, Config{})
		tr.SetWSFaults(WSFaults{Garbage: true})
		c := dialWS(t, u)
		c.send(announceMsg(bin(1)))
		if raw, err := c.recvRaw(); err != nil || json.Valid([]byte(raw)) {
			t.Fatalf("first frame %q, %v", raw, err)
		}
		if r := c.recv(); r["interval"] == nil {
			t.Fatal(r)
		}
	})
	t.Run("drop after", func(t *testing.T) {
		tr, u := startWS(t, Config{})
		tr.SetWSFaults(WSFaults{DropAfter: 2})
		c := dialWS(t, u)
		c.send(announceMsg(bin(1)))
		c.recv()
		c.send(announceMsg(bin(1)))
		c.recv() // the second message is still answered, then the socket drops
		if _, err := c.recvRaw(); err == nil {
			t.Fatal("socket still open")
		}
	})
	t.Run("drop now and refuse", func(t *testing.T) {
		tr, u := startWS(t, Config{})
		c1, c2 := dialWS(t, u), dialWS(t, u)
		c1.send(announceMsg(bin(1)))
		c1.recv()
		c2.send(map[string]any{"action": "scrape"})
		c2.recv() // both sockets are registered
		tr.SetWSFaults(WSFaults{Refuse: true})
		if n := tr.DropWSSockets(); n != 2 {
			t.Fatalf("dropped %d", n)
		}
		if len(tr.Peers(wsHash)) != 0 {
			t.Fatal("dropped socket still in the swarm")
		}
		for _, c := range []*wsClient{c1, c2} {
			if _, err := c.recvRaw(); err == nil {
				t.Fatal("socket still open")
			}
		}
		_, resp, err := websocket.Dial(context.Background(), u, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("dial while refusing: %v", err)
		}
	})
}

func TestWSHandlerAndClose(t *testing.T) {
	tr := New(Config{})
	srv := httptest.NewServer(tr.WSHandler())
	defer srv.Close()
	c := dialWS(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	c.send(announceMsg(bin(1)))
	c.recv()
	tr.Close() // closes the socket and waits for its handler
	if _, err := c.recvRaw(); err == nil {
		t.Fatal("socket open after Close")
	}
	if _, err := tr.ListenWS("127.0.0.1:0"); err == nil {
		t.Fatal("ListenWS after Close")
	}
}

func FuzzParseWSRequest(f *testing.F) {
	f.Add(wsJSON(announceMsg(bin(1), "v=0")))
	f.Add(wsJSON(map[string]any{"action": "scrape", "info_hash": []string{wsBinary(wsHash)}}))
	f.Add([]byte(`{"action":"announce","info_hash":"aaaaaaaaaaaaaaaaaaaa","peer_id":"aaaaaaaaaaaaaaaaaaaa","answer":{},"to_peer_id":"x"}`))
	f.Add([]byte(`{"action":"scrape","info_hash":7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, hashes, err := parseWSRequest(data)
		if err != nil {
			return
		}
		if r.Action == "announce" && len(hashes) != 1 {
			t.Fatalf("announce with %d hashes", len(hashes))
		}
		for _, h := range hashes {
			if back, ok := wsParseBinary(wsBinary(h)); !ok || back != h {
				t.Fatal("round trip")
			}
		}
	})
}
