package scrape

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

const trackerURL = "http://t.test/s3cret/announce?passkey=s3cret"

func TestBatching(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		udp       bool // transport says MaxScrapeBatch 74
		batch     int
		wantSizes []int // sorted
	}{
		{"udp 200", 200, true, 0, []int{52, 74, 74}},
		{"udp batch 100 capped to 74", 200, true, 100, []int{52, 74, 74}},
		{"udp batch 50", 200, true, 50, []int{50, 50, 50, 50}},
		{"http default 200", 200, false, 0, []int{52, 74, 74}},
		{"http batch 100", 200, false, 100, []int{100, 100}},
		{"http batch 1", 3, false, 1, []int{1, 1, 1}},
		{"exactly 74", 74, true, 0, []int{74}},
		{"75", 75, true, 0, []int{1, 74}},
		{"one", 1, false, 0, []int{1}},
		{"none", 0, false, 0, nil},
	}
	for _, tt := range tests {
		for _, conc := range []int{1, 4} {
			hs := hashes(tt.n)
			tr := seed(hs, all)
			f := &fake{tracker: tr}
			var tp transport.Transport = f
			if tt.udp {
				tp = fakeUDP{f}
			}
			s := New(with(tp, Config{BatchSize: tt.batch, Concurrency: conc}))
			res, err := s.Scrape(t.Context(), trackerURL, hs)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			got := f.requestSizes()
			if conc == 1 {
				// One at a time, batches go out in order: full ones first.
				want := slices.Clone(tt.wantSizes)
				slices.Reverse(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s: sizes in order %v, want %v", tt.name, got, want)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.wantSizes) {
				t.Errorf("%s conc %d: sizes %v, want %v", tt.name, conc, got, tt.wantSizes)
			}
			if res.Len() != tt.n || res.Count(Known) != tt.n || res.Err() != nil {
				t.Errorf("%s: %d results, %d known, err %v", tt.name, res.Len(), res.Count(Known), res.Err())
			}
			for i, h := range hs {
				r := res.Get(h)
				if r.Status != Known || r.Stats.Complete != i%3+1 || r.Stats.Incomplete != 1 || r.Err != nil {
					t.Fatalf("%s: hash %d: %+v", tt.name, i, r)
				}
			}
			s.Close()
			tr.Close()
		}
	}
}

func TestBatchOrder(t *testing.T) {
	hs := hashes(200)
	f := &fake{tracker: seed(hs, all)}
	s := New(with(fakeUDP{f}, Config{Concurrency: 1}))
	if _, err := s.Scrape(t.Context(), "udp://t.test:1337", hs); err != nil {
		t.Fatal(err)
	}
	if got := f.requestSizes(); !slices.Equal(got, []int{74, 74, 52}) {
		t.Fatalf("sizes %v, want [74 74 52]", got)
	}
}

func TestDuplicates(t *testing.T) {
	hs := hashes(100)
	in := append(slices.Clone(hs), hs...)
	in = append(in, hs[:10]...)
	f := &fake{tracker: seed(hs, all)}
	s := New(with(f, Config{}))
	res, err := s.Scrape(t.Context(), trackerURL, in)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range f.requestSizes() {
		total += n
	}
	if total != 100 || res.Len() != 100 {
		t.Fatalf("asked %d hashes, %d results; want 100", total, res.Len())
	}
	i := 0
	for h, r := range res.All() {
		if h != hs[i] || r.InfoHash != h || r.Status != Known {
			t.Fatalf("result %d: %x %+v", i, h, r)
		}
		i++
	}
}

func Test414Shrink(t *testing.T) {
	tests := []struct {
		name      string
		maxURI    int
		conc      int
		wantSizes []int // exact, in order (concurrency 1)
	}{
		// 74 -> 414, 37 -> 414, then 18 for the rest of the call.
		{"shrink to 18", 20, 1, []int{74, 37, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 2}},
		{"shrink once", 40, 1, []int{74, 37, 37, 37, 37, 37, 15}},
		{"no 414", 100, 1, []int{74, 74, 52}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := hashes(200)
			f := &fake{tracker: seed(hs, all), maxURI: tt.maxURI}
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			s := New(with(f, Config{Concurrency: tt.conc, Logger: logger}))
			res, err := s.Scrape(t.Context(), trackerURL, hs)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.requestSizes(); !slices.Equal(got, tt.wantSizes) {
				t.Errorf("sizes %v, want %v", got, tt.wantSizes)
			}
			if res.Count(Known) != 200 {
				t.Errorf("known %d, want 200: %v", res.Count(Known), res.Err())
			}
			if strings.Contains(logs.String(), "s3cret") {
				t.Errorf("log leaks the passkey:\n%s", logs.String())
			}
		})
	}
}

// Test414Concurrent: with batches in flight when the 414 arrives, every hash
// is still asked and, once shrunk, no request is larger than the new size.
func Test414Concurrent(t *testing.T) {
	hs := hashes(1000)
	f := &fake{tracker: seed(hs, all), maxURI: 20}
	s := New(with(f, Config{Concurrency: 4}))
	res, err := s.Scrape(t.Context(), trackerURL, hs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(Known) != 1000 {
		t.Fatalf("known %d: %v", res.Count(Known), res.Err())
	}
	ok := 0
	for _, n := range f.requestSizes() {
		if n <= 20 {
			ok += n
		}
	}
	if ok != 1000 {
		t.Fatalf("answered hashes %d, want 1000", ok)
	}
	// At most the first 4 batches (in flight together) went out at 74.
	if big := len(slices.DeleteFunc(f.requestSizes(), func(n int) bool { return n != 74 })); big > 4 {
		t.Fatalf("%d requests of 74 after the first 414", big)
	}
}

// Test414Floor: a tracker that refuses even one hash: every hash Failed with
// transport.ErrBatchTooLarge, after halving down to single-hash requests.
func Test414Floor(t *testing.T) {
	hs := hashes(8)
	f := &fake{tracker: seed(hs, all)}
	f.fail = func([]transport.InfoHash) error { return transport.ErrBatchTooLarge }
	s := New(with(f, Config{Concurrency: 1}))
	res, err := s.Scrape(t.Context(), trackerURL, hs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.requestSizes(), []int{8, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("sizes %v, want %v", got, want)
	}
	for h, r := range res.All() {
		if r.Status != Failed || !errors.Is(r.Err, transport.ErrBatchTooLarge) {
			t.Fatalf("%x: %+v", h, r)
		}
	}
}

func TestStatuses(t *testing.T) {
	hs := hashes(200)
	// The tracker knows the even hashes; the batch holding hash 100 fails.
	tr := seed(hs, func(i int) bool { return i%2 == 0 })
	failing := &transport.FailureError{Reason: "overloaded"}
	f := &fake{tracker: tr, fail: func(b []transport.InfoHash) error {
		if slices.Contains(b, hs[100]) {
			return failing
		}
		return nil
	}}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := New(with(f, Config{Logger: logger}))
	res, err := s.Scrape(t.Context(), trackerURL, hs)
	if err != nil {
		t.Fatalf("a failed batch failed the call: %v", err)
	}
	if !strings.Contains(logs.String(), "overloaded") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("batch failure not logged, or passkey leaked:\n%s", logs.String())
	}
	for i, h := range hs {
		r := res.Get(h)
		switch {
		case i >= 74 && i < 148: // the second batch
			var fe *transport.FailureError
			if r.Status != Failed || !errors.As(r.Err, &fe) || fe.Reason != "overloaded" ||
				!errors.Is(r.Err, transport.ErrTrackerFailure) || (r.Stats != transport.ScrapeStats{}) {
				t.Fatalf("hash %d: %+v", i, r)
			}
			var te *transport.Error
			if !errors.As(r.Err, &te) || strings.Contains(r.Err.Error(), "s3cret") {
				t.Fatalf("hash %d: error %v", i, r.Err)
			}
		case i%2 == 0:
			if r.Status != Known || r.Stats.Complete != i%3+1 || r.Err != nil {
				t.Fatalf("hash %d: %+v", i, r)
			}
		default:
			if r.Status != Unknown || r.Err != nil || (r.Stats != transport.ScrapeStats{}) {
				t.Fatalf("hash %d: %+v", i, r)
			}
		}
	}
	if got := [3]int{res.Count(Known), res.Count(Unknown), res.Count(Failed)}; got != [3]int{63, 63, 74} {
		t.Errorf("counts known/unknown/failed = %v", got)
	}
	if err := res.Err(); !errors.Is(err, transport.ErrTrackerFailure) || strings.Count(err.Error(), "overloaded") != 1 {
		t.Errorf("Results.Err() = %v", err)
	}
	var other transport.InfoHash
	if r := res.Get(other); r.Status != NotAsked || r.InfoHash != other {
		t.Errorf("Get of a hash not asked: %+v", r)
	}
}

func TestCallErrors(t *testing.T) {
	f := &fake{tracker: seed(nil, all)}
	broken := errors.New("no socket")
	tests := []struct {
		name    string
		url     string
		tp      func(*url.URL) (transport.Transport, error)
		want    error
		wantURL bool // the error is a *transport.Error
	}{
		{"no announce segment", "http://t.test/s3cret", nil, ErrUnsupported, true},
		{"unsupported scheme", "gopher://t.test/announce", nil, ErrUnsupported, true},
		{"unparsable", "http://[s3cret", nil, ErrInvalidURL, true},
		{"no host", "udp:///announce", nil, ErrInvalidURL, true},
		{"transport func fails", "udp://t.test:1/s3cret", func(*url.URL) (transport.Transport, error) { return nil, broken }, broken, true},
		{"transport func returns nil", "udp://t.test:1", func(*url.URL) (transport.Transport, error) { return nil, nil }, ErrNoTransport, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := with(f, Config{})
			if tt.tp != nil {
				cfg.Transport = tt.tp
			}
			s := New(cfg)
			defer s.Close()
			res, err := s.Scrape(t.Context(), tt.url, hashes(3))
			if !errors.Is(err, tt.want) || res.Len() != 0 {
				t.Fatalf("err = %v (%d results), want %v", err, res.Len(), tt.want)
			}
			var te *transport.Error
			if errors.As(err, &te) != tt.wantURL || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if n := len(f.requestSizes()); n != 0 {
		t.Fatalf("%d requests sent for refused URLs", n)
	}
}

func TestConcurrencyBound(t *testing.T) {
	tests := []struct {
		conc, batches, want int
	}{
		{0, 20, DefaultConcurrency},
		{1, 20, 1},
		{2, 20, 2},
		{8, 20, 8},
		{8, 3, 3},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			hs := hashes(tt.batches * 10)
			f := &fake{tracker: seed(hs, all), delay: time.Second}
			s := New(with(f, Config{BatchSize: 10, Concurrency: tt.conc}))
			start := time.Now()
			res, err := s.Scrape(t.Context(), trackerURL, hs)
			if err != nil || res.Count(Known) != len(hs) {
				t.Fatalf("conc %d: %v, %d known", tt.conc, err, res.Count(Known))
			}
			if f.peak() != tt.want {
				t.Errorf("conc %d: peak in flight %d, want %d", tt.conc, f.peak(), tt.want)
			}
			// Waves of tt.want requests, one virtual second each.
			if el, want := time.Since(start), time.Duration((tt.batches+tt.want-1)/tt.want)*time.Second; el != want {
				t.Errorf("conc %d: took %v, want %v", tt.conc, el, want)
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := hashes(50)
		f := &fake{tracker: seed(hs, all), delay: 10 * time.Second}
		s := New(with(f, Config{BatchSize: 10, Concurrency: 1}))
		ctx, cancel := context.WithTimeout(t.Context(), 25*time.Second)
		defer cancel()
		res, err := s.Scrape(ctx, trackerURL, hs)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if got := f.requestSizes(); !slices.Equal(got, []int{10, 10, 10}) {
			t.Errorf("sizes %v: a batch was sent after the deadline", got)
		}
		// Two batches answered; the third was cut short; two never sent.
		if res.Len() != 50 || res.Count(Known) != 20 || res.Count(Failed) != 30 {
			t.Fatalf("known %d failed %d", res.Count(Known), res.Count(Failed))
		}
		for _, h := range hs[20:] {
			r := res.Get(h)
			var te *transport.Error
			if !errors.Is(r.Err, context.DeadlineExceeded) || !errors.As(r.Err, &te) || strings.Contains(r.Err.Error(), "s3cret") {
				t.Fatalf("%+v", r)
			}
		}
	})
}

func TestContextDoneBefore(t *testing.T) {
	hs := hashes(5)
	f := &fake{tracker: seed(hs, all)}
	s := New(with(f, Config{}))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := s.Scrape(ctx, trackerURL, hs)
	if !errors.Is(err, context.Canceled) || res.Count(Failed) != 5 || len(f.requestSizes()) != 0 {
		t.Fatalf("err %v, failed %d, requests %v", err, res.Count(Failed), f.requestSizes())
	}
	if !errors.Is(res.Get(hs[0]).Err, context.Canceled) {
		t.Fatal(res.Get(hs[0]))
	}
}

func TestScrapeAll(t *testing.T) {
	hs := hashes(100)
	a := &fake{tracker: seed(hs, func(i int) bool { return i < 50 })}
	b := &fake{tracker: seed(hs, all), delay: 0, fail: func([]transport.InfoHash) error { return transport.ErrTimeout }}
	byHost := map[string]transport.Transport{"a.test": a, "b.test": fakeUDP{b}}
	s := New(Config{Transport: func(u *url.URL) (transport.Transport, error) { return byHost[u.Hostname()], nil }})
	defer s.Close()
	trackers := []string{"http://a.test/announce", "udp://b.test:1", "http://a.test/announce", "http://c.test/nope", "udp://unknown.test:1"}
	got, err := s.ScrapeAll(t.Context(), trackers, hs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d trackers in results", len(got))
	}
	if r := got["http://a.test/announce"]; r.Count(Known) != 50 || r.Count(Unknown) != 50 || r.Err() != nil {
		t.Errorf("a: %d known %d unknown %v", r.Count(Known), r.Count(Unknown), r.Err())
	}
	if r := got["udp://b.test:1"]; r.Count(Failed) != 100 || !errors.Is(r.Err(), transport.ErrTimeout) {
		t.Errorf("b: %d failed, %v", r.Count(Failed), r.Err())
	}
	if r := got["http://c.test/nope"]; r.Count(Failed) != 100 || !errors.Is(r.Err(), ErrUnsupported) {
		t.Errorf("c: %d failed, %v", r.Count(Failed), r.Err())
	}
	if r := got["udp://unknown.test:1"]; r.Count(Failed) != 100 || !errors.Is(r.Err(), ErrNoTransport) {
		t.Errorf("unknown: %d failed, %v", r.Count(Failed), r.Err())
	}
	if n := len(a.requestSizes()); n != 2 {
		t.Errorf("tracker a asked %d times, want 2 (duplicate URL scraped once)", n)
	}
}

func TestScrapeAllSharesBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hs := hashes(100)
		f := &fake{tracker: seed(hs, all), delay: time.Second}
		s := New(with(f, Config{BatchSize: 10, Concurrency: 3}))
		trackers := []string{"udp://a.test:1", "udp://b.test:1", "udp://c.test:1"}
		got, err := s.ScrapeAll(t.Context(), trackers, hs)
		if err != nil || len(got) != 3 {
			t.Fatal(err, len(got))
		}
		if f.peak() != 3 {
			t.Errorf("peak in flight %d over three trackers, want 3", f.peak())
		}
	})
}

func TestClose(t *testing.T) {
	s := New(Config{})
	// The HTTP transport is built on first use (port 1: refused, a failed batch).
	res, err := s.Scrape(t.Context(), "http://127.0.0.1:1/announce", hashes(1))
	if err != nil || res.Count(Failed) != 1 {
		t.Fatalf("http: %v, %d failed", err, res.Count(Failed))
	}
	owned := s.owned["http"]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	u, _ := url.Parse("http://127.0.0.1:1/announce")
	if _, err := owned.Scrape(t.Context(), u, &transport.ScrapeRequest{InfoHashes: hashes(1)}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("owned HTTP transport not closed: %v", err)
	}
	if _, err := s.Scrape(t.Context(), "udp://127.0.0.1:1", hashes(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := s.ScrapeAll(t.Context(), []string{"udp://127.0.0.1:1"}, hashes(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("ScrapeAll after Close: %v", err)
	}
}

func TestStatusString(t *testing.T) {
	for st, want := range map[Status]string{NotAsked: "not asked", Known: "known", Unknown: "unknown", Failed: "failed"} {
		if st.String() != want {
			t.Errorf("%d: %q", st, st.String())
		}
	}
}
