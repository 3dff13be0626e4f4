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
	benchScrape(b, fakeUDP{&fake{tracker: tr}}, hs, Known, 5000)
}

// benchScrape scrapes hs through a Scraper on t once an iteration, and
// fails unless want of them have status st.
func benchScrape(b *testing.B, t transport.Transport, hs []transport.InfoHash, st Status, want int) {
	s := New(with(t, Config{}))
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Scrape(b.Context(), "udp://t.test:1", hs)
		if err != nil || res.Count(st) != want {
			b.Fatal(err, res.Count(st))
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
	benchScrape(b, nullTransport{}, hashes(10000), Unknown, 10000)
}
