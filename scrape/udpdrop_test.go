package scrape

import (
	"errors"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// TestUDPDrops scrapes through a UDP tracker that drops packets, in virtual
// time: the real UDP transport and the mock's UDP front end over memnet.
func TestUDPDrops(t *testing.T) {
	scrapeOnly := []uint32{2}
	tests := []struct {
		name        string
		faults      mocktracker.UDPFaults
		udp         udp.Config
		conc        int
		wantFailed  int           // hashes whose batch failed
		wantElapsed time.Duration // virtual
		wantScrapes int           // scrape packets the tracker received
	}{
		{
			// Two of the three batches lose their first packet and are
			// resent after BEP 15's first wait; the call takes 15 s.
			name:        "two scrapes dropped, resent",
			faults:      mocktracker.UDPFaults{DropFirst: 2, DropActions: scrapeOnly},
			wantElapsed: 15 * time.Second,
			wantScrapes: 5,
		},
		{
			name:        "connect dropped",
			faults:      mocktracker.UDPFaults{DropFirst: 1, DropActions: []uint32{0}},
			wantElapsed: 15 * time.Second,
			wantScrapes: 3,
		},
		{
			// One send and one 15 s wait per packet: the first batch's
			// packet is lost and it fails; the others are answered.
			name:        "one batch fails, others succeed",
			faults:      mocktracker.UDPFaults{DropFirst: 1, DropActions: scrapeOnly},
			udp:         udp.Config{MaxRetransmits: -1},
			conc:        1,
			wantFailed:  74,
			wantElapsed: 15 * time.Second,
			wantScrapes: 3,
		},
		{
			// Half the packets lost (seeded): every batch still gets
			// through within BEP 15's schedule.
			name:        "half dropped",
			faults:      mocktracker.UDPFaults{DropRate: 0.5, Seed: 7},
			wantElapsed: -1, // depends on the draw
			wantScrapes: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				hs := hashes(200)
				known := func(i int) bool { return i%2 == 0 }
				tr := seed(hs, known)
				defer tr.Close()
				n := memnet.New()
				pc, err := n.ListenPacket("udp4", "127.0.0.1:6969")
				if err != nil {
					t.Fatal(err)
				}
				if err := tr.ServeUDP(pc); err != nil {
					t.Fatal(err)
				}
				tr.SetUDPFaults(tt.faults)
				cfg := tt.udp
				cfg.ListenPacket = n.ListenPacket
				ut := udp.New(cfg)
				defer ut.Close()
				s := New(Config{
					Transport:   func(*url.URL) (transport.Transport, error) { return ut, nil },
					Concurrency: tt.conc,
				})
				defer s.Close()

				start := time.Now()
				res, err := s.Scrape(t.Context(), "udp://127.0.0.1:6969/s3cret/announce", hs)
				if err != nil {
					t.Fatal(err)
				}
				if el := time.Since(start); tt.wantElapsed >= 0 && el != tt.wantElapsed {
					t.Errorf("took %v, want %v", el, tt.wantElapsed)
				}
				if got := tr.UDPStats().Scrape; tt.wantScrapes >= 0 && got != tt.wantScrapes {
					t.Errorf("tracker received %d scrapes, want %d", got, tt.wantScrapes)
				}
				if res.Count(Failed) != tt.wantFailed || res.Count(Known) != 200-tt.wantFailed {
					t.Fatalf("failed %d known %d: %v", res.Count(Failed), res.Count(Known), res.Err())
				}
				for i, h := range hs {
					r := res.Get(h)
					if r.Status == Failed {
						if !errors.Is(r.Err, transport.ErrTimeout) || i >= 74 {
							t.Fatalf("hash %d: %+v", i, r)
						}
						continue
					}
					want := transport.ScrapeStats{}
					if known(i) {
						want = transport.ScrapeStats{Complete: i%3 + 1, Incomplete: 1}
					}
					if r.Stats != want {
						t.Fatalf("hash %d: %+v, want %+v", i, r.Stats, want)
					}
				}
			})
		})
	}
}
