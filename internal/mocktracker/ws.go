package mocktracker

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// The WebSocket front end speaks the WebTorrent tracker protocol the way the
// JavaScript bittorrent-tracker server does: JSON text frames, binary fields
// as 20-character latin-1 strings, announce replies with interval and
// counts, offers relayed to other WebSocket members of the swarm (one offer
// to each, up to the number of offers), answers relayed to to_peer_id, and
// scrape. WebRTC members join the shared swarm with a zero address, so
// counts and scrapes reflect every protocol; HTTP and UDP front ends never
// hand out a zero address. Closing a socket counts as "stopped" for all its
// torrents.

// wsMaxMessage bounds a client message (an announce with ten offers of
// complete SDPs is a few tens of KiB).
const wsMaxMessage = 1 << 20

// wsWriteTimeout bounds one frame write to a slow client.
const wsWriteTimeout = 5 * time.Second

// WSFaults makes the WebSocket front end misbehave. The zero value is a
// well-behaved tracker.
type WSFaults struct {
	// DropAfter closes each socket once the tracker has handled this many
	// messages on it (counting from when the socket opened). 0: never.
	DropAfter int
	// Refuse answers new WebSocket handshakes with RefuseStatus (existing
	// sockets stay open; use DropWSSockets to close them).
	Refuse bool
	// RefuseStatus is the HTTP status of refused handshakes. Default 503
	// Service Unavailable.
	RefuseStatus int
	// Garbage sends a frame that is not JSON before every reply.
	Garbage bool
	// FailureReason, when set, answers every announce and scrape with this
	// "failure reason" (and relays nothing).
	FailureReason string
	// FailureNoAction sends failures as a bare {"failure reason": ...},
	// without "action" and "info_hash", as some trackers do.
	FailureNoAction bool
	// Warning is sent as "warning message" in every announce reply.
	Warning string
	// Interval and MinInterval, when not 0, replace the tracker's own in
	// announce replies.
	Interval, MinInterval time.Duration
	// Delay holds each message back this long before handling it (a
	// timer: testing/synctest virtualizes it); the socket's messages stay
	// in order.
	Delay time.Duration
	// Silent reads messages and answers none of them (nor relays them), as
	// a hung tracker; the announce is not recorded either.
	Silent bool
	// NoRelay answers announces but relays no offer and no answer between
	// peers: WebRTC peers never meet.
	NoRelay bool
}

// wsFront is the WebSocket front end of one Tracker.
type wsFront struct {
	t *Tracker

	mu      sync.Mutex
	faults  WSFaults
	closed  bool
	conns   map[*wsConn]bool
	members map[transport.InfoHash]map[peer.ID]*wsConn
	epoch   int            // DropWSSockets calls so far
	wg      sync.WaitGroup // ServeHTTP calls holding a socket
}

type wsConn struct {
	c        *websocket.Conn
	cancel   context.CancelFunc
	received int
	ids      map[transport.InfoHash]peer.ID // what this socket announced as; under wsFront.mu
}

// ws returns the Tracker's WebSocket front end (Tracker.wsSt), created on
// first use.
func (t *Tracker) ws() *wsFront {
	t.wsOnce.Do(func() {
		t.wsSt = &wsFront{
			t:       t,
			conns:   make(map[*wsConn]bool),
			members: make(map[transport.InfoHash]map[peer.ID]*wsConn),
		}
		if t.onClose(t.wsSt.close) != nil {
			t.wsSt.close() // already closed: refuse sockets
		}
	})
	return t.wsSt
}

// close drops every socket, refuses new ones and waits for their handlers.
func (f *wsFront) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.drop()
	f.wg.Wait()
}

// drop closes every open socket, and every socket whose handshake has begun,
// and returns how many were open.
func (f *wsFront) drop() int {
	f.mu.Lock()
	f.epoch++
	conns := make([]*wsConn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	for _, c := range conns {
		c.cancel()
		_ = c.c.CloseNow()
	}
	return len(conns)
}

// SetWSFaults sets the faults of the WebSocket front end, for sockets open
// now and later.
func (t *Tracker) SetWSFaults(faults WSFaults) {
	f := t.ws()
	f.mu.Lock()
	f.faults = faults
	f.mu.Unlock()
}

// DropWSSockets closes every open WebSocket now, as a crashing tracker
// would, and returns how many it closed. Their torrents leave the swarms
// before it returns.
func (t *Tracker) DropWSSockets() int {
	f := t.ws()
	n := f.drop()
	for {
		f.mu.Lock()
		left := len(f.conns)
		f.mu.Unlock()
		if left == 0 {
			return n
		}
		time.Sleep(time.Millisecond)
	}
}

// WSHandler returns the WebSocket front end as an http.Handler, to serve on
// a listener of the caller's (any path). Tracker.Close closes its sockets and
// waits for them.
func (t *Tracker) WSHandler() http.Handler { return t.ws() }

// ListenWS serves the WebSocket front end on addr (for example
// "127.0.0.1:0") and returns the announce URL, "ws://127.0.0.1:PORT".
func (t *Tracker) ListenWS(addr string) (announceURL string, err error) {
	f := t.ws()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	if err := t.onClose(func() { _ = srv.Close() }); err != nil {
		_ = ln.Close()
		return "", err
	}
	if !t.goroutine(func() { _ = srv.Serve(ln) }) {
		_ = ln.Close() // closed meanwhile
		return "", ErrClosed
	}
	return "ws://" + ln.Addr().String(), nil
}

func (f *wsFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.closed || f.faults.Refuse {
		code := f.faults.RefuseStatus
		if f.closed || code == 0 {
			code = http.StatusServiceUnavailable
		}
		f.mu.Unlock()
		http.Error(w, "tracker unavailable", code)
		return
	}
	f.wg.Add(1)
	epoch := f.epoch
	f.mu.Unlock()
	defer f.wg.Done()

	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{"*"}})
	if err != nil {
		return
	}
	c.SetReadLimit(wsMaxMessage)
	ctx, cancel := context.WithCancel(context.Background())
	wc := &wsConn{c: c, cancel: cancel, ids: make(map[transport.InfoHash]peer.ID)}
	f.mu.Lock()
	if f.closed || f.epoch != epoch { // closed or dropped during the handshake
		f.mu.Unlock()
		cancel()
		_ = c.CloseNow()
		return
	}
	f.conns[wc] = true
	f.mu.Unlock()
	defer f.leave(wc)

	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		f.mu.Lock()
		wc.received++
		drop := f.faults.DropAfter > 0 && wc.received >= f.faults.DropAfter
		delay := f.faults.Delay
		f.mu.Unlock()
		if delay > 0 {
			tm := time.NewTimer(delay)
			select {
			case <-tm.C:
			case <-ctx.Done():
				tm.Stop()
				return
			}
		}
		f.handle(ctx, wc, data)
		if drop {
			return
		}
	}
}

// leave closes a socket and takes its torrents out of their swarms.
func (f *wsFront) leave(wc *wsConn) {
	wc.cancel()
	_ = wc.c.CloseNow()
	f.mu.Lock()
	ids := wc.ids
	wc.ids = map[transport.InfoHash]peer.ID{}
	for h, id := range ids {
		if f.members[h][id] == wc {
			delete(f.members[h], id)
		}
	}
	f.mu.Unlock()
	for h, id := range ids {
		a := Announce{InfoHash: h, PeerID: id, Event: transport.EventStopped}
		f.t.Announce(a)
		if f.t.cfg.OnSocketClosed != nil {
			a.Protocol, a.Time = "ws", f.t.cfg.Now()
			f.t.cfg.OnSocketClosed(a)
		}
	}
	f.mu.Lock()
	delete(f.conns, wc)
	f.mu.Unlock()
}

// wsRequest is a client message.
type wsRequest struct {
	Action     string          `json:"action"`
	InfoHash   json.RawMessage `json:"info_hash"`
	PeerID     string          `json:"peer_id"`
	ToPeerID   string          `json:"to_peer_id"`
	OfferID    string          `json:"offer_id"`
	NumWant    *float64        `json:"numwant"`
	Left       *float64        `json:"left"`
	Event      string          `json:"event"`
	Offers     []wsOffer       `json:"offers"`
	Answer     json.RawMessage `json:"answer"`
	Uploaded   *float64        `json:"uploaded"`
	Downloaded *float64        `json:"downloaded"`
}

type wsOffer struct {
	Offer   json.RawMessage `json:"offer"`
	OfferID string          `json:"offer_id"`
}

// errBadRequest is what the mock says about a request it cannot parse.
var errBadRequest = errors.New("invalid request")

// parseWSRequest parses and validates a client message.
func parseWSRequest(data []byte) (*wsRequest, []transport.InfoHash, error) {
	var r wsRequest
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, nil, errBadRequest
	}
	var hashes []transport.InfoHash
	if len(r.InfoHash) > 0 && string(r.InfoHash) != "null" {
		var one string
		var many []string
		if json.Unmarshal(r.InfoHash, &one) == nil {
			many = []string{one}
		} else if json.Unmarshal(r.InfoHash, &many) != nil {
			return nil, nil, errors.New("invalid info_hash")
		}
		for _, s := range many {
			h, ok := wsParseBinary(s)
			if !ok {
				return nil, nil, errors.New("invalid info_hash")
			}
			hashes = append(hashes, h)
		}
	}
	switch r.Action {
	case "announce":
		if len(hashes) != 1 {
			return nil, nil, errors.New("invalid info_hash")
		}
		if _, ok := wsParseBinary(r.PeerID); !ok {
			return nil, nil, errors.New("invalid peer_id")
		}
		if len(r.Answer) > 0 {
			if _, ok := wsParseBinary(r.ToPeerID); !ok {
				return nil, nil, errors.New("invalid to_peer_id")
			}
			if _, ok := wsParseBinary(r.OfferID); !ok {
				return nil, nil, errors.New("invalid offer_id")
			}
		}
		for _, o := range r.Offers {
			if _, ok := wsParseBinary(o.OfferID); !ok || len(o.Offer) == 0 {
				return nil, nil, errors.New("invalid offer")
			}
		}
	case "scrape":
	default:
		return nil, nil, errors.New("invalid action")
	}
	return &r, hashes, nil
}

func (f *wsFront) handle(ctx context.Context, wc *wsConn, data []byte) {
	f.mu.Lock()
	faults := f.faults
	f.mu.Unlock()
	r, hashes, err := parseWSRequest(data)
	if err == nil && f.t.cfg.OnArrival != nil && r.Action == "announce" && len(r.Answer) == 0 {
		id, _ := wsParseBinary(r.PeerID)
		f.t.observeArrival(wsAnnounceOf(hashes[0], id, r, data))
	}
	if faults.Silent {
		return
	}
	if faults.Garbage {
		_ = f.send(ctx, wc, []byte("this is not JSON {"))
	}
	if err != nil {
		_ = f.send(ctx, wc, wsJSON(map[string]any{"failure reason": err.Error()}))
		return
	}
	if faults.FailureReason != "" {
		m := map[string]any{"failure reason": faults.FailureReason}
		if !faults.FailureNoAction {
			m["action"] = r.Action
			if len(hashes) == 1 {
				m["info_hash"] = wsBinary(hashes[0])
			}
		}
		_ = f.send(ctx, wc, wsJSON(m))
		return
	}
	if r.Action == "scrape" {
		f.t.observeScrape(Scrape{Protocol: "ws", InfoHashes: hashes})
		f.scrape(ctx, wc, hashes)
		return
	}
	h := hashes[0]
	id, _ := wsParseBinary(r.PeerID)
	if len(r.Answer) > 0 {
		if !faults.NoRelay {
			f.relayAnswer(ctx, h, id, r)
		}
		return
	}
	f.announce(ctx, wc, h, id, r, data, faults)
}

// wsAnnounceOf is the announce r (whose message is data) makes for (h, id).
func wsAnnounceOf(h transport.InfoHash, id peer.ID, r *wsRequest, data []byte) Announce {
	ev := transport.EventNone
	switch r.Event {
	case "started":
		ev = transport.EventStarted
	case "completed":
		ev = transport.EventCompleted
	case "stopped":
		ev = transport.EventStopped
	}
	left := int64(1) // unknown: count as a leecher
	if r.Left != nil && *r.Left >= 0 {
		left = int64(*r.Left)
	}
	// A WebSocket member gets no addresses; NumWant is kept for OnAnnounce
	// (the reply's peer list, unused here, is capped by it).
	a := Announce{InfoHash: h, PeerID: id, Addr: netip.AddrPort{}, Left: left, Event: ev, NumWant: -1,
		Protocol: "ws", Params: wsParams(data)}
	if r.NumWant != nil {
		a.NumWant = int(*r.NumWant)
	}
	if r.Uploaded != nil {
		a.Uploaded = int64(*r.Uploaded)
	}
	if r.Downloaded != nil {
		a.Downloaded = int64(*r.Downloaded)
	}
	return a
}

// wsParams returns the top-level fields of an announce message except
// offers and answer, as Announce.Params describes.
func wsParams(data []byte) url.Values {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	out := make(url.Values, len(m))
	for k, raw := range m {
		if k == "offers" || k == "answer" {
			continue
		}
		var s string
		var list []string
		switch {
		case json.Unmarshal(raw, &s) == nil:
			out[k] = []string{s}
		case json.Unmarshal(raw, &list) == nil:
			out[k] = list
		default:
			out[k] = []string{string(raw)} // numbers, booleans, null, objects: as written
		}
	}
	return out
}

func (f *wsFront) announce(ctx context.Context, wc *wsConn, h transport.InfoHash, id peer.ID, r *wsRequest, data []byte, faults WSFaults) {
	a := wsAnnounceOf(h, id, r, data)
	ev := a.Event
	res := f.t.Announce(a)

	var targets []*wsConn
	f.mu.Lock()
	if ev == transport.EventStopped {
		if f.members[h][id] == wc {
			delete(f.members[h], id)
		}
		delete(wc.ids, h)
	} else {
		if f.members[h] == nil {
			f.members[h] = make(map[peer.ID]*wsConn)
		}
		f.members[h][id] = wc
		wc.ids[h] = id
		for other, oc := range f.members[h] {
			if other != id {
				targets = append(targets, oc)
			}
		}
	}
	f.mu.Unlock()

	reply := res.replyFields(faults.Interval, faults.MinInterval, faults.Warning)
	reply["action"] = "announce"
	reply["info_hash"] = wsBinary(h)
	_ = f.send(ctx, wc, wsJSON(reply))
	if faults.NoRelay {
		return
	}

	rand.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	for i, o := range r.Offers {
		if i >= len(targets) {
			break
		}
		_ = f.send(ctx, targets[i], wsJSON(map[string]any{
			"action":    "announce",
			"info_hash": wsBinary(h),
			"peer_id":   r.PeerID,
			"offer_id":  o.OfferID,
			"offer":     o.Offer,
		}))
	}
}

func (f *wsFront) relayAnswer(ctx context.Context, h transport.InfoHash, from peer.ID, r *wsRequest) {
	to, _ := wsParseBinary(r.ToPeerID)
	f.mu.Lock()
	target := f.members[h][to]
	f.mu.Unlock()
	if target == nil {
		return // the JS server only warns
	}
	_ = f.send(ctx, target, wsJSON(map[string]any{
		"action":    "announce",
		"info_hash": wsBinary(h),
		"peer_id":   wsBinary(from),
		"offer_id":  r.OfferID,
		"answer":    r.Answer,
	}))
}

func (f *wsFront) scrape(ctx context.Context, wc *wsConn, hashes []transport.InfoHash) {
	if len(hashes) == 0 { // a scrape without info_hash asks for every torrent
		f.t.mu.Lock()
		for h := range f.t.swarms {
			hashes = append(hashes, h)
		}
		f.t.mu.Unlock()
	}
	files := make(map[string]any, len(hashes))
	for _, h := range hashes {
		if st, ok := f.t.Scrape(h); ok {
			files[wsBinary(h)] = map[string]int{"complete": st.Complete, "incomplete": st.Incomplete, "downloaded": st.Downloaded}
		}
	}
	_ = f.send(ctx, wc, wsJSON(map[string]any{"action": "scrape", "files": files}))
}

func (f *wsFront) send(ctx context.Context, wc *wsConn, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, wsWriteTimeout)
	defer cancel()
	return wc.c.Write(ctx, websocket.MessageText, data)
}

func wsJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("mocktracker: " + err.Error()) // maps of strings, numbers and raw JSON
	}
	return b
}

// wsBinary returns b as a latin-1 string, one rune per byte.
func wsBinary(b [20]byte) string {
	var s strings.Builder
	for _, c := range b {
		s.WriteRune(rune(c))
	}
	return s.String()
}

// wsParseBinary decodes a latin-1 string of exactly 20 characters.
func wsParseBinary(s string) ([20]byte, bool) {
	var b [20]byte
	n := 0
	for _, r := range s {
		if r > 0xFF || n == len(b) {
			return b, false
		}
		b[n] = byte(r)
		n++
	}
	return b, n == len(b)
}
