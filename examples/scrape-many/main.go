// Command scrape-many scrapes many torrents on one tracker at once with
// package scrape: the info hashes are read one per line (40 hex characters)
// from standard input, sent in batches the tracker's protocol allows (74 a
// UDP packet; 74 an HTTP request, halved on 414 URI Too Long), four requests
// at a time, and printed one line per torrent.
//
//	cut -d' ' -f1 hashes.txt | go run ./examples/scrape-many -tracker udp://tracker.example:6969/announce
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/scrape"
	"github.com/trackerkit/trackerkit/transport"
)

func main() {
	tracker := flag.String("tracker", "", "the tracker's announce URL")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if *tracker == "" {
		fmt.Fprintln(os.Stderr, "usage: scrape-many -tracker URL < hashes.txt")
		os.Exit(2)
	}
	hashes, err := readHashes(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scrape-many:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := scrapeMany(ctx, *tracker, hashes, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scrape-many:", err)
		os.Exit(1)
	}
}

// scrapeMany scrapes hashes on tracker through an announcer Client's
// transports (a program that also announces shares its sockets and caches
// this way; scrape.New(scrape.Config{}) works standalone too).
func scrapeMany(ctx context.Context, tracker string, hashes []transport.InfoHash, w io.Writer) error {
	client, err := announcer.NewClient(announcer.Config{})
	if err != nil {
		return err
	}
	defer client.Close()
	s := scrape.New(scrape.Config{Transport: client.TransportFor})
	defer s.Close()

	results, err := s.Scrape(ctx, tracker, hashes)
	if err != nil && results.Len() == 0 {
		return err
	}
	for h, r := range results.All() {
		switch r.Status {
		case scrape.Known:
			fmt.Fprintf(w, "%s seeders %d leechers %d downloaded %d\n", h, r.Stats.Complete, r.Stats.Incomplete, r.Stats.Downloaded)
		case scrape.Unknown:
			fmt.Fprintf(w, "%s unknown to the tracker\n", h)
		default:
			fmt.Fprintf(w, "%s failed: %v\n", h, r.Err)
		}
	}
	return err
}

// readHashes reads one info hash per line; blank lines and text after the
// first field are ignored.
func readHashes(r io.Reader) ([]transport.InfoHash, error) {
	var out []transport.InfoHash
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		h, err := transport.ParseInfoHash(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, h)
	}
	return out, sc.Err()
}
