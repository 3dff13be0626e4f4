package mocktracker

import (
	"bytes"
	"compress/gzip"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// ListenHTTP serves the HTTP front end on a new TCP listener at addr (for
// example "127.0.0.1:0" or "[::1]:0") and returns its announce URL, such as
// "http://127.0.0.1:PORT/announce". Close stops it.
func (t *Tracker) ListenHTTP(addr string) (announceURL string, err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	if err := t.ServeHTTP(l); err != nil {
		return "", err
	}
	return "http://" + l.Addr().String() + "/announce", nil
}

// ServeHTTP serves the HTTP front end on l, in a goroutine that Close stops
// and waits for (Close also closes l). It returns ErrClosed, and closes l,
// if the Tracker is closed already.
func (t *Tracker) ServeHTTP(l net.Listener) error {
	t.http() // its closer must run after the server's: register it first
	srv := &http.Server{
		Handler:           t.HTTPHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	if err := t.onClose(func() { srv.Close() }); err != nil {
		l.Close()
		return err
	}
	t.goroutine(func() { srv.Serve(l) })
	return nil
}

// HTTPHandler returns the HTTP front end as a handler, to mount on a server
// of the caller's. A request is an announce when the last segment of its
// path starts with "announce" and a scrape when it starts with "scrape", so
// passkey paths ("/PASSKEY/announce") and ".php" suffixes work.
func (t *Tracker) HTTPHandler() http.Handler { return http.HandlerFunc(t.serveHTTP) }

func (t *Tracker) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s := t.http()
	if !s.begin() {
		http.Error(w, "tracker closed", http.StatusServiceUnavailable)
		return
	}
	defer s.inflight.Done()
	f := s.record(r)

	if loc, ok := redirectHop(r.URL, f.RedirectHops); ok {
		http.Redirect(w, r, loc, http.StatusFound)
		return
	}
	if t.cfg.OnArrival != nil && strings.HasPrefix(path.Base(r.URL.Path), "announce") {
		q, _ := url.ParseQuery(r.URL.RawQuery)
		if a, failure := parseHTTPAnnounce(r, q); failure == "" {
			t.observeArrival(a)
		}
	}
	if f.Unresponsive {
		<-r.Context().Done()
		return
	}
	if f.Delay > 0 {
		timer := time.NewTimer(f.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}

	last := path.Base(r.URL.Path)
	isScrape := strings.HasPrefix(last, "scrape")
	if !isScrape && !strings.HasPrefix(last, "announce") {
		http.NotFound(w, r)
		return
	}
	query, _ := url.ParseQuery(r.URL.RawQuery) // keeps what parses

	status := f.Status
	if isScrape && f.ScrapeStatus != 0 {
		status = f.ScrapeStatus
	}
	var body []byte
	switch {
	case f.FailureReason != "":
		body = failureReply(f).encode()
	case status != 0 && status != http.StatusOK:
		body = []byte(http.StatusText(status) + "\n")
	case isScrape:
		body = t.scrapeReply(query).encode()
		t.observeScrape(Scrape{Protocol: "http", From: remoteAddr(r), InfoHashes: queryHashes(query)})
	default:
		body = t.announceReply(r, query, f).encode()
	}
	if status == 0 {
		status = http.StatusOK
	}

	switch {
	case f.GarbageBody:
		body = []byte("<html><body>502 Bad Gateway</body></html>\n")
	case f.OversizeBody > 0:
		body = append(body[:len(body)-1], bdict{"x-padding": strings.Repeat("x", f.OversizeBody)}.encode()[1:]...)
	case f.TruncateBody:
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", "text/plain")
	if f.Gzip {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(body)
		zw.Close()
		body = zb.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// redirectHop returns where to redirect a request that has made fewer than
// hops hops: the same path and query with the hop counter "_hop" raised.
func redirectHop(u *url.URL, hops int) (string, bool) {
	if hops <= 0 {
		return "", false
	}
	rest, done := u.RawQuery, 0
	if i := strings.LastIndex(rest, "_hop="); i >= 0 {
		done, _ = strconv.Atoi(rest[i+len("_hop="):])
		rest = strings.TrimSuffix(rest[:i], "&")
	}
	if done >= hops {
		return "", false
	}
	loc := u.EscapedPath() + "?"
	if rest != "" {
		loc += rest + "&"
	}
	return loc + "_hop=" + strconv.Itoa(done+1), true
}

func failureReply(f HTTPFaults) bdict {
	d := bdict{"failure reason": f.FailureReason}
	switch n, err := strconv.Atoi(f.RetryIn); {
	case f.RetryIn == "":
	case err == nil:
		d["retry in"] = n
	default:
		d["retry in"] = f.RetryIn
	}
	return d
}

// announceReply records the announce and encodes the swarm. The peer's
// address is the request's source IP with the announced port.
func (t *Tracker) announceReply(r *http.Request, q url.Values, f HTTPFaults) bdict {
	a, failure := parseHTTPAnnounce(r, q)
	if failure != "" {
		return bdict{"failure reason": failure}
	}
	res := t.Announce(a)
	return httpAnnounceDict(res, q, f)
}

// parseHTTPAnnounce reads an announce's parameters; failure says what is
// wrong with them ("" when nothing is).
func parseHTTPAnnounce(r *http.Request, q url.Values) (a Announce, failure string) {
	ih, id := q.Get("info_hash"), q.Get("peer_id")
	if len(ih) != len(transport.InfoHash{}) || len(id) != len(peer.ID{}) {
		return a, "info_hash and peer_id must be 20 bytes"
	}
	port, err := strconv.ParseUint(q.Get("port"), 10, 16)
	if err != nil {
		return a, "invalid port"
	}
	src, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return a, "unknown source address"
	}
	a = Announce{
		InfoHash: transport.InfoHash([]byte(ih)),
		PeerID:   peer.ID([]byte(id)),
		Addr:     netip.AddrPortFrom(src.Addr().Unmap(), uint16(port)),
		NumWant:  -1,
	}
	a.Left, _ = strconv.ParseInt(q.Get("left"), 10, 64)
	a.Uploaded, _ = strconv.ParseInt(q.Get("uploaded"), 10, 64)
	a.Downloaded, _ = strconv.ParseInt(q.Get("downloaded"), 10, 64)
	a.Protocol, a.Params = "http", q
	if n, err := strconv.Atoi(q.Get("numwant")); err == nil {
		a.NumWant = n
	}
	if k, err := strconv.ParseUint(q.Get("key"), 16, 32); err == nil {
		a.Key = uint32(k)
	}
	switch q.Get("event") {
	case "started":
		a.Event = transport.EventStarted
	case "completed":
		a.Event = transport.EventCompleted
	case "stopped":
		a.Event = transport.EventStopped
	}
	return a, ""
}

// replyFields returns the fields that HTTP and WebSocket announce replies
// share: "interval" and "min interval" (each a fault's where it sets one,
// else the tracker's; "min interval" only when not 0), "complete",
// "incomplete", and "warning message" when there is one. The front ends add
// their own fields; bencode and JSON write the numbers alike.
func (r AnnounceResult) replyFields(interval, minInterval time.Duration, warning string) bdict {
	if interval == 0 {
		interval = r.Interval
	}
	if minInterval == 0 {
		minInterval = r.MinInterval
	}
	d := bdict{
		"interval":   int64(interval / time.Second),
		"complete":   r.Complete,
		"incomplete": r.Incomplete,
	}
	if minInterval > 0 {
		d["min interval"] = int64(minInterval / time.Second)
	}
	if warning != "" {
		d["warning message"] = warning
	}
	return d
}

// httpAnnounceDict encodes an announce reply.
func httpAnnounceDict(res AnnounceResult, q url.Values, f HTTPFaults) bdict {
	d := res.replyFields(f.Interval, f.MinInterval, f.Warning)
	if f.TrackerID != "" {
		d["tracker id"] = f.TrackerID
	}
	if f.ExternalIP.IsValid() {
		d["external ip"] = f.ExternalIP.AsSlice()
	}
	if q.Get("compact") == "1" {
		v4, v6 := peer.AppendCompact(nil, nil, res.Peers)
		d["peers"] = v4
		if len(v6) > 0 {
			d["peers6"] = v6
		}
	} else {
		list := make([]bdict, 0, len(res.Peers))
		for _, p := range res.Peers {
			if !p.Addr.Addr().IsValid() {
				continue // a WebRTC member: it has no address to give
			}
			e := bdict{"ip": p.Addr.Addr().String(), "port": int(p.Addr.Port())}
			if q.Get("no_peer_id") != "1" {
				e["peer id"] = p.ID[:]
			}
			list = append(list, e)
		}
		d["peers"] = list
	}
	return d
}

// remoteAddr is r's source address, unmapped; zero when unknown.
func remoteAddr(r *http.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// queryHashes returns the well-formed info_hash values of a scrape query.
func queryHashes(q url.Values) []transport.InfoHash {
	var out []transport.InfoHash
	for _, h := range q["info_hash"] {
		if len(h) == len(transport.InfoHash{}) {
			out = append(out, transport.InfoHash([]byte(h)))
		}
	}
	return out
}

// scrapeReply answers for each info_hash asked (BEP 48); a hash the tracker
// does not know is left out. With no info_hash, every swarm is listed.
func (t *Tracker) scrapeReply(q url.Values) bdict {
	hashes := q["info_hash"]
	if len(hashes) == 0 {
		t.mu.Lock()
		for h := range t.swarms {
			hashes = append(hashes, string(h[:]))
		}
		t.mu.Unlock()
	}
	files := bdict{}
	for _, h := range hashes {
		if len(h) != len(transport.InfoHash{}) {
			continue
		}
		if st, ok := t.Scrape(transport.InfoHash([]byte(h))); ok {
			files[h] = bdict{"complete": st.Complete, "incomplete": st.Incomplete, "downloaded": st.Downloaded}
		}
	}
	return bdict{"files": files}
}
