package mocktracker

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
)

func esc(b []byte) string { return url.QueryEscape(string(b)) }

// announceQuery is a well-formed announce query for hash h and peer id.
func announceQuery(h transport.InfoHash, id peer.ID, extra string) string {
	return "info_hash=" + esc(h[:]) + "&peer_id=" + esc(id[:]) + "&port=7000&left=10" + extra
}

// serve calls the handler in process, from remote.
func serve(t *Tracker, target, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	t.HTTPHandler().ServeHTTP(rec, req)
	return rec
}

func TestHTTPAnnounceForms(t *testing.T) {
	h := transport.InfoHash{7}
	v4 := netip.MustParseAddrPort("192.0.2.1:1001")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:1002")
	tests := []struct {
		name      string
		path      string
		extra     string
		wantIDs   bool
		wantPeers []netip.AddrPort
	}{
		{"compact: peers and peers6", "/announce", "&compact=1", false, []netip.AddrPort{v4, v6}},
		{"dict form with peer id", "/announce", "&compact=0", true, []netip.AddrPort{v4, v6}},
		{"dict form, no_peer_id", "/announce", "&compact=0&no_peer_id=1", false, []netip.AddrPort{v4, v6}},
		{"no compact parameter: dict form", "/announce", "", true, []netip.AddrPort{v4, v6}},
		{"passkey path and php suffix", "/PK123/announce.php", "&compact=1", false, []netip.AddrPort{v4, v6}},
		{"numwant 1", "/announce", "&compact=1&numwant=1", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(Config{})
			defer tr.Close()
			tr.AddPeer(h, peer.ID{1}, v4, 0)
			tr.AddPeer(h, peer.ID{2}, v6, 5)
			rec := serve(tr, tt.path+"?"+announceQuery(h, peer.ID{3}, tt.extra), "198.51.100.9:5555")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.String()
			resp, err := trackerhttp.ParseAnnounce([]byte(body))
			if err != nil {
				t.Fatalf("%v in %q", err, body)
			}
			if resp.Complete != 1 || resp.Incomplete != 2 || resp.Interval != 30*time.Minute {
				t.Errorf("reply %+v", resp)
			}
			if tt.wantPeers == nil {
				if len(resp.Peers) != 1 {
					t.Errorf("numwant 1: %d peers", len(resp.Peers))
				}
				return
			}
			got := map[netip.AddrPort]bool{}
			for _, p := range resp.Peers {
				got[p.Addr] = true
				if p.ID.IsZero() == tt.wantIDs {
					t.Errorf("peer %v id %v, want ids: %v", p.Addr, p.ID, tt.wantIDs)
				}
			}
			for _, w := range tt.wantPeers {
				if !got[w] {
					t.Errorf("peer %v missing from %q", w, body)
				}
			}
			if strings.Contains(tt.extra, "compact=1") != strings.Contains(body, "6:peers6") {
				t.Errorf("peers6 presence wrong in %q", body)
			}
			// The announcing peer was recorded at the source address.
			found := false
			for _, p := range tr.Peers(h) {
				found = found || p.Addr == netip.MustParseAddrPort("198.51.100.9:7000")
			}
			if !found {
				t.Errorf("source address not recorded: %v", tr.Peers(h))
			}
		})
	}
}

func TestHTTPEventsAndScrape(t *testing.T) {
	tr := New(Config{})
	defer tr.Close()
	a, b := transport.InfoHash{1}, transport.InfoHash{2}
	me := peer.ID{9}
	serve(tr, "/announce?"+announceQuery(a, me, "&event=started"), "192.0.2.1:1")
	serve(tr, "/announce?"+strings.Replace(announceQuery(a, me, "&event=completed"), "left=10", "left=0", 1), "192.0.2.1:1")
	serve(tr, "/announce?"+announceQuery(b, me, "&event=started"), "192.0.2.1:1")
	serve(tr, "/announce?"+announceQuery(b, me, "&event=stopped"), "192.0.2.1:1")

	tests := []struct {
		name  string
		query string
		want  map[transport.InfoHash]transport.ScrapeStats
	}{
		{"one hash", "info_hash=" + esc(a[:]), map[transport.InfoHash]transport.ScrapeStats{a: {Complete: 1, Downloaded: 1}}},
		{"repeated hashes, unknown left out", "info_hash=" + esc(a[:]) + "&info_hash=" + esc(b[:]) + "&info_hash=" + strings.Repeat("x", 20),
			map[transport.InfoHash]transport.ScrapeStats{a: {Complete: 1, Downloaded: 1}, b: {}}},
		{"no hash: every swarm", "", map[transport.InfoHash]transport.ScrapeStats{a: {Complete: 1, Downloaded: 1}, b: {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(tr, "/pk/scrape?"+tt.query, "192.0.2.1:1")
			resp, err := trackerhttp.ParseScrape(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Files) != len(tt.want) {
				t.Fatalf("files %+v", resp.Files)
			}
			for h, w := range tt.want {
				if resp.Files[h] != w {
					t.Errorf("%v: got %+v, want %+v", h, resp.Files[h], w)
				}
			}
		})
	}
}

func TestHTTPBadRequests(t *testing.T) {
	tr := New(Config{})
	defer tr.Close()
	tests := []struct {
		name, target string
		code         int
		failure      bool
	}{
		{"unknown path", "/stats", http.StatusNotFound, false},
		{"short info_hash", "/announce?info_hash=abc&peer_id=" + strings.Repeat("x", 20) + "&port=1", 200, true},
		{"bad port", "/announce?info_hash=" + strings.Repeat("x", 20) + "&peer_id=" + strings.Repeat("x", 20) + "&port=99999", 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(tr, tt.target, "192.0.2.1:1")
			if rec.Code != tt.code {
				t.Errorf("status %d, want %d", rec.Code, tt.code)
			}
			_, err := trackerhttp.ParseAnnounce(rec.Body.Bytes())
			if errors.Is(err, transport.ErrTrackerFailure) != tt.failure {
				t.Errorf("failure: %v", err)
			}
		})
	}
}

func TestHTTPRedirectHops(t *testing.T) {
	tr := New(Config{})
	defer tr.Close()
	tr.SetHTTPFaults(HTTPFaults{RedirectHops: 2})
	target := "/PK/announce?pk=1&" + announceQuery(transport.InfoHash{1}, peer.ID{1}, "")
	for hop := 1; hop <= 2; hop++ {
		rec := serve(tr, target, "192.0.2.1:1")
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusFound || !strings.HasPrefix(loc, "/PK/announce?pk=1&info_hash=") || !strings.HasSuffix(loc, "_hop="+string(rune('0'+hop))) {
			t.Fatalf("hop %d: %d %q", hop, rec.Code, loc)
		}
		target = loc
	}
	if rec := serve(tr, target, "192.0.2.1:1"); rec.Code != http.StatusOK {
		t.Errorf("after the hops: %d", rec.Code)
	}
	if n := tr.HTTPRequests(); n != 3 {
		t.Errorf("HTTPRequests() = %d", n)
	}
	if q := tr.LastHTTPRequest().URL.RawQuery; !strings.HasPrefix(q, "pk=1&") {
		t.Errorf("last query %q", q)
	}
}

// TestHTTPDelay runs in virtual time: an hour's delay passes at once, and a
// request whose context ends gets no reply.
func TestHTTPDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := New(Config{})
		defer tr.Close()
		tr.SetHTTPFaults(HTTPFaults{Delay: time.Hour})
		target := "/announce?" + announceQuery(transport.InfoHash{1}, peer.ID{1}, "&compact=1")

		start := time.Now()
		rec := serve(tr, target, "192.0.2.1:1")
		if rec.Code != http.StatusOK || time.Since(start) != time.Hour {
			t.Errorf("status %d after %v", rec.Code, time.Since(start))
		}

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		req := httptest.NewRequest(http.MethodGet, target, nil).WithContext(ctx)
		req.RemoteAddr = "192.0.2.1:1"
		rec = httptest.NewRecorder()
		start = time.Now()
		tr.HTTPHandler().ServeHTTP(rec, req)
		if rec.Body.Len() != 0 || time.Since(start) != time.Minute {
			t.Errorf("canceled request: %d bytes after %v", rec.Body.Len(), time.Since(start))
		}
	})
}

func TestHTTPListenAndClose(t *testing.T) {
	tr := New(Config{})
	u, err := tr.ListenHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, "/announce") {
		t.Errorf("announce URL %q", u)
	}
	tr.SetHTTPFaults(HTTPFaults{Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(u + "?" + announceQuery(transport.InfoHash{1}, peer.ID{1}, ""))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	for held := false; !held; {
		select {
		case err := <-done:
			t.Fatalf("request ended before Close: %v", err)
		case <-time.After(time.Millisecond):
			held = tr.HTTPRequests() > 0
		}
	}
	tr.Close() // stops the server and waits for the delayed handler
	tr.Close()
	if err := <-done; err == nil {
		t.Error("a request held at Close got a reply")
	}
	http.DefaultClient.CloseIdleConnections()
	if _, err := tr.ListenHTTP("127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("ListenHTTP after Close: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.ServeHTTP(l); !errors.Is(err, ErrClosed) {
		t.Errorf("ServeHTTP after Close: %v", err)
	}
	if _, err := l.Accept(); err == nil {
		t.Error("ServeHTTP after Close left the listener open")
	}
}
