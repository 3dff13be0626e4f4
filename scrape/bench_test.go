package scrape

import (
	"context"
	"net/url"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// BenchmarkScrape10k measures the Scraper's own cost (batching, results)
// for 10,000 hashes against an in-process tracker that knows half of them.
func BenchmarkScrape10k(b *testing.B) {
	hs := hashes(10000)
	tr := seed(hs, func(i int) bool { return i%2 == 0 })
	defer tr.Close()
	s := New(with(fakeUDP{&fake{tracker: tr}}, Config{}))
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Scrape(b.Context(), "udp://t.test:1", hs)
		if err != nil || res.Count(Known) != 5000 {
			b.Fatal(err, res.Count(Known))
		}
	}
}

// nullTransport answers every scrape at once with no files: what remains is
// the Scraper's own cost.
type nullTransport struct{ fakeUDP }

func (nullTransport) Scrape(context.Context, *url.URL, *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	return &transport.ScrapeResponse{}, nil
}

func BenchmarkScrape10kOverhead(b *testing.B) {
	hs := hashes(10000)
	s := New(with(nullTransport{}, Config{}))
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Scrape(b.Context(), "udp://t.test:1", hs)
		if err != nil || res.Count(Unknown) != 10000 {
			b.Fatal(err, res.Count(Unknown))
		}
	}
}
