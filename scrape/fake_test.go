package scrape

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// fake is an in-process transport answering scrapes from a mock tracker's
// state, recording what it was asked, and misbehaving on demand.
type fake struct {
	tracker *mocktracker.Tracker

	// maxURI: a request with more hashes than this gets
	// transport.ErrBatchTooLarge, as HTTP's 414 becomes (0: no limit).
	maxURI int
	// fail returns the error for a batch, or nil to answer it.
	fail func(batch []transport.InfoHash) error
	// delay is how long each request takes (use in a synctest bubble).
	delay time.Duration

	mu          sync.Mutex
	sizes       []int // hashes per request, in the order received
	inflight    int
	maxInflight int
	urls        []string
}

func (f *fake) Announce(context.Context, *url.URL, *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	return nil, errors.New("fake: no announce")
}

func (f *fake) Scrape(ctx context.Context, u *url.URL, req *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	f.mu.Lock()
	f.sizes = append(f.sizes, len(req.InfoHashes))
	f.urls = append(f.urls, u.String())
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	wrap := func(err error) error { return &transport.Error{Op: "scrape", URL: transport.Redact(u), Err: err} }
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, wrap(ctx.Err())
		}
	}
	if f.maxURI > 0 && len(req.InfoHashes) > f.maxURI {
		return nil, wrap(transport.ErrBatchTooLarge)
	}
	if f.fail != nil {
		if err := f.fail(req.InfoHashes); err != nil {
			return nil, wrap(err)
		}
	}
	resp := &transport.ScrapeResponse{Files: make(map[transport.InfoHash]transport.ScrapeStats)}
	for _, h := range req.InfoHashes {
		if st, ok := f.tracker.Scrape(h); ok {
			resp.Files[h] = st
		}
	}
	return resp, nil
}

func (f *fake) Close() error { return nil }

func (f *fake) requestSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sizes)
}

func (f *fake) peak() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInflight
}

// fakeUDP is a fake with UDP's one-packet batch limit.
type fakeUDP struct{ *fake }

func (fakeUDP) MaxScrapeBatch() int { return 74 }

// hashN returns the i-th test info hash.
func hashN(i int) transport.InfoHash {
	var h transport.InfoHash
	h[0], h[1], h[19] = byte(i>>8), byte(i), 0xAA
	return h
}

func hashes(n int) []transport.InfoHash {
	out := make([]transport.InfoHash, n)
	for i := range out {
		out[i] = hashN(i)
	}
	return out
}

// seed makes a mock tracker that knows hashes[i] for every i with known(i):
// Complete = i%3+1 seeders and Incomplete = 1 leecher.
func seed(hs []transport.InfoHash, known func(i int) bool) *mocktracker.Tracker {
	tr := mocktracker.New(mocktracker.Config{})
	addr := netip.MustParseAddrPort("127.0.0.1:6881")
	for i, h := range hs {
		if !known(i) {
			continue
		}
		for p := range i%3 + 1 {
			tr.AddPeer(h, peerID(byte(1+p)), addr, 0)
		}
		tr.AddPeer(h, peerID(100), addr, 5)
	}
	return tr
}

func peerID(b byte) peer.ID {
	var id peer.ID
	id[0] = b
	return id
}

func all(int) bool { return true }

// with returns a Config using t for every URL.
func with(t transport.Transport, cfg Config) Config {
	cfg.Transport = func(*url.URL) (transport.Transport, error) { return t, nil }
	return cfg
}
