package scrape

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// TestLoopback scrapes 200 hashes in one call from each of the mock
// tracker's real front ends on loopback, with a standalone Scraper: HTTP and
// UDP in three requests or packets (74 + 74 + 52), WebSocket over IPv4 only
// (transport/webrtc). UDP cannot say "unknown": the tracker answers zeros.
func TestLoopback(t *testing.T) {
	known := func(i int) bool { return i%4 != 0 }
	tests := []struct {
		name   string
		listen func(tr *mocktracker.Tracker, addr string) (string, error)
		addrs  []string
		check  func(t *testing.T, res Results, hs []transport.InfoHash, known func(int) bool)
		seen   func(t *testing.T, tr *mocktracker.Tracker) // what the tracker was asked
	}{
		{
			name: "http", listen: (*mocktracker.Tracker).ListenHTTP, addrs: []string{"127.0.0.1:0", "[::1]:0"},
			check: checkSeeded,
			seen: func(t *testing.T, tr *mocktracker.Tracker) {
				if n := tr.HTTPRequests(); n != 3 {
					t.Errorf("%d HTTP requests, want 3 (74+74+52)", n)
				}
			},
		},
		{
			name: "udp", listen: (*mocktracker.Tracker).ListenUDP, addrs: []string{"127.0.0.1:0", "[::1]:0"},
			check: checkUDP,
			seen: func(t *testing.T, tr *mocktracker.Tracker) {
				if st := tr.UDPStats(); st.Scrape != 3 || st.Connect != 1 {
					t.Errorf("tracker saw %+v, want 3 scrapes on 1 connect", st)
				}
			},
		},
		{
			name: "ws", listen: (*mocktracker.Tracker).ListenWS, addrs: []string{"127.0.0.1:0"},
			check: checkSeeded,
			seen:  func(*testing.T, *mocktracker.Tracker) {},
		},
	}
	for _, tt := range tests {
		for _, addr := range tt.addrs {
			t.Run(tt.name+"/"+addr, func(t *testing.T) {
				hs := hashes(200)
				tr := seed(hs, known)
				defer tr.Close()
				announce, err := tt.listen(tr, addr)
				if err != nil {
					if len(tt.addrs) == 1 { // IPv4 only: loopback is always there
						t.Fatal(err)
					}
					t.Skip("no loopback:", err)
				}
				s := New(Config{})
				defer s.Close()
				res, err := s.Scrape(t.Context(), announce, hs)
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, res, hs, known)
				tt.seen(t, tr)
			})
		}
	}
}

// TestLoopbackHTTP414 puts the mock tracker behind a server that answers 414
// URI Too Long to requests over 1500 bytes of URI, as real front ends do, and
// keeps a passkey in the path and query.
func TestLoopbackHTTP414(t *testing.T) {
	hs := hashes(200)
	tr := seed(hs, all)
	defer tr.Close()
	var mu sync.Mutex
	var counts []int
	inner := tr.HTTPHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/s3cret/scrape") || r.URL.Query().Get("passkey") != "s3cret" {
			http.Error(w, "bad path", http.StatusNotFound)
			return
		}
		n := len(r.URL.Query()["info_hash"])
		mu.Lock()
		counts = append(counts, n)
		mu.Unlock()
		if len(r.RequestURI) > 1500 {
			w.WriteHeader(http.StatusRequestURITooLong)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()

	s := New(Config{Concurrency: 1})
	defer s.Close()
	res, err := s.Scrape(t.Context(), srv.URL+"/s3cret/announce?passkey=s3cret", hs)
	if err != nil {
		t.Fatal(err)
	}
	checkSeeded(t, res, hs, all)
	// Each info_hash is ~71 bytes percent-encoded: 74 and 37 are refused,
	// 18 fits, and stays for the rest of the call.
	want := []int{74, 37, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 2}
	if !slices.Equal(counts, want) {
		t.Errorf("requests %v, want %v", counts, want)
	}

	// A tracker refusing every scrape with 414: Failed, StatusError 414,
	// matching transport.ErrBatchTooLarge.
	tr.SetHTTPFaults(mocktracker.HTTPFaults{ScrapeStatus: http.StatusRequestURITooLong})
	announce, err := tr.ListenHTTP("127.0.0.1:0")
	before := tr.HTTPRequests()
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.Scrape(t.Context(), announce, hs[:4])
	if err != nil {
		t.Fatal(err)
	}
	for h, r := range res.All() {
		var se *transport.StatusError
		var te *transport.Error
		if r.Status != Failed || !errors.As(r.Err, &se) || se.Code != 414 || !errors.As(r.Err, &te) ||
			!errors.Is(r.Err, transport.ErrBatchTooLarge) {
			t.Fatalf("%s: %+v", h, r)
		}
	}
	if n := tr.HTTPRequests() - before; n != 6 {
		t.Errorf("%d requests for 4 hashes, want 6 (4, 2, then four of 1)", n)
	}
}

// checkSeeded checks results against seed(hs, known).
func checkSeeded(t *testing.T, res Results, hs []transport.InfoHash, known func(int) bool) {
	t.Helper()
	if res.Len() != len(hs) {
		t.Fatalf("%d results for %d hashes", res.Len(), len(hs))
	}
	for i, h := range hs {
		r := res.Get(h)
		switch {
		case r.Err != nil:
			t.Fatalf("hash %d: %v", i, r.Err)
		case known(i) && (r.Status != Known || r.Stats != transport.ScrapeStats{Complete: i%3 + 1, Incomplete: 1}):
			t.Fatalf("hash %d: %+v", i, r)
		case !known(i) && r.Status != Unknown:
			t.Fatalf("hash %d: %+v, want unknown", i, r)
		}
	}
}

// checkUDP checks results from a UDP tracker seeded with seed(hs, known).
func checkUDP(t *testing.T, res Results, hs []transport.InfoHash, known func(int) bool) {
	t.Helper()
	for i, h := range hs {
		r := res.Get(h)
		want := transport.ScrapeStats{}
		if known(i) {
			want = transport.ScrapeStats{Complete: i%3 + 1, Incomplete: 1}
		}
		if r.Status != Known || r.Stats != want || r.Err != nil {
			t.Fatalf("hash %d: %+v, want known %+v", i, r, want)
		}
	}
}

// TestOptionsReachOwnTransports: a standalone Scraper's own transports use
// Config.Options (here the bound source address).
func TestOptionsReachOwnTransports(t *testing.T) {
	tr := mocktracker.New(mocktracker.Config{})
	defer tr.Close()
	udpURL, err := tr.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bound := netip.MustParseAddr("127.0.0.2")
	s := New(Config{Options: transport.Options{LocalAddr: bound}})
	defer s.Close()
	if _, err := s.Scrape(t.Context(), udpURL, hashes(3)); err != nil {
		t.Fatal(err)
	}
	pkts := tr.UDPPackets()
	if len(pkts) == 0 {
		t.Fatal("no packet")
	}
	for _, p := range pkts {
		if p.From.Addr() != bound {
			t.Fatalf("tracker saw %v, want %v", p.From, bound)
		}
	}
}
