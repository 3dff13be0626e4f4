package scrape_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/scrape"
	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
)

func Example() {
	// A tracker on loopback, with one swarm of a seeder and a leecher.
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	announce, err := tracker.ListenHTTP("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	popular, _ := transport.ParseInfoHash("aaa67059ed6bd08362da625b3ae77f6f4a075aaa")
	unknown, _ := transport.ParseInfoHash("0123456789abcdef0123456789abcdef01234567")
	tracker.AddPeer(popular, peer.ID{1}, netip.MustParseAddrPort("127.0.0.1:6881"), 0)  // a seeder
	tracker.AddPeer(popular, peer.ID{2}, netip.MustParseAddrPort("127.0.0.1:6882"), 10) // a leecher

	s := scrape.New(scrape.Config{}) // standalone: it owns its transports
	defer s.Close()

	res, err := s.Scrape(context.Background(), announce, []transport.InfoHash{popular, unknown})
	if err != nil {
		panic(err) // bad URL, no scrape on this tracker, ...: nothing was asked
	}
	for h, r := range res.All() {
		switch r.Status {
		case scrape.Known:
			fmt.Printf("%s: %d seeders, %d leechers, %d downloads\n", h, r.Stats.Complete, r.Stats.Incomplete, r.Stats.Downloaded)
		case scrape.Unknown:
			fmt.Printf("%s: not on this tracker\n", h)
		case scrape.Failed:
			fmt.Printf("%s: %v\n", h, r.Err)
		}
	}
	// Output:
	// aaa67059ed6bd08362da625b3ae77f6f4a075aaa: 1 seeders, 1 leechers, 0 downloads
	// 0123456789abcdef0123456789abcdef01234567: not on this tracker
}

// A Scraper can use transports it does not own; with the announcer, pass
// client.TransportFor so scrapes share its sockets and caches.
func ExampleConfig_sharedTransport() {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	announce, err := tracker.ListenHTTP("127.0.0.1:0")
	if err != nil {
		panic(err)
	}

	shared := trackerhttp.New(trackerhttp.Config{}) // owned by the application
	defer shared.Close()
	s := scrape.New(scrape.Config{
		Transport:   func(*url.URL) (transport.Transport, error) { return shared, nil },
		BatchSize:   50,
		Concurrency: 2,
	})
	defer s.Close() // leaves shared open

	many := make([]transport.InfoHash, 120)
	for i := range many {
		many[i][0] = byte(i)
	}
	res, err := s.Scrape(context.Background(), announce, many)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Len(), "hashes,", tracker.HTTPRequests(), "requests,", res.Count(scrape.Unknown), "unknown")
	// Output: 120 hashes, 3 requests, 120 unknown
}

func ExampleURL() {
	announce, _ := url.Parse("https://tracker.example/3f2a9c/announce.php?passkey=xyz")
	u, err := scrape.URL(announce)
	fmt.Println(u, err)

	announce, _ = url.Parse("https://tracker.example/tracker")
	_, err = scrape.URL(announce)
	fmt.Println(errors.Is(err, scrape.ErrUnsupported))
	// Output:
	// https://tracker.example/3f2a9c/scrape.php?passkey=xyz <nil>
	// true
}

func ExampleScraper_Scrape_unsupported() {
	s := scrape.New(scrape.Config{})
	defer s.Close()
	// An HTTP announce URL whose last segment is not "announce...": no scrape.
	_, err := s.Scrape(context.Background(), "http://tracker.example/s3cret", nil)
	fmt.Println(errors.Is(err, scrape.ErrUnsupported))
	// The error shows the URL as "http://tracker.example/REDACTED~3fa1c2",
	// the tag telling apart different secrets, never showing them.
	fmt.Println(strings.Contains(err.Error(), "s3cret"), strings.Contains(err.Error(), "/REDACTED~"))
	// Output:
	// true
	// false true
}

func ExampleScraper_ScrapeAll() {
	tracker := mocktracker.New(mocktracker.Config{})
	defer tracker.Close()
	overHTTP, _ := tracker.ListenHTTP("127.0.0.1:0")
	overUDP, _ := tracker.ListenUDP("127.0.0.1:0")
	h, _ := transport.ParseInfoHash("aaa67059ed6bd08362da625b3ae77f6f4a075aaa")
	tracker.AddPeer(h, peer.ID{1}, netip.MustParseAddrPort("127.0.0.1:6881"), 0)

	s := scrape.New(scrape.Config{})
	defer s.Close()
	trackers := []string{overHTTP, overUDP, "https://tracker.example/no-scrape"}
	byTracker, err := s.ScrapeAll(context.Background(), trackers, []transport.InfoHash{h})
	if err != nil {
		panic(err) // only the context ending, or a closed Scraper
	}
	for i, tr := range trackers {
		r := byTracker[tr].Get(h)
		fmt.Printf("tracker %d: %s %d seeder(s), unsupported=%v\n", i, r.Status, r.Stats.Complete, errors.Is(r.Err, scrape.ErrUnsupported))
	}
	// Output:
	// tracker 0: known 1 seeder(s), unsupported=false
	// tracker 1: known 1 seeder(s), unsupported=false
	// tracker 2: failed 0 seeder(s), unsupported=true
}
