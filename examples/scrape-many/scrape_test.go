package main

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer/announcertest"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func TestScrapeMany(t *testing.T) {
	tr := announcertest.NewTracker(t)
	known := transport.InfoHash{0xaa}
	tr.AddPeer(known, peer.ID{1}, netip.MustParseAddrPort("127.0.0.2:1"), 0)
	u := tr.HTTPURL()
	input := known.String() + "\n\n" + transport.InfoHash{0xbb}.String() + " a comment\n"
	hashes, err := readHashes(strings.NewReader(input))
	if err != nil || len(hashes) != 2 {
		t.Fatalf("readHashes: %v %v", hashes, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous
	defer cancel()
	var out bytes.Buffer
	if err := scrapeMany(ctx, u, hashes, &out); err != nil {
		t.Fatal(err)
	}
	want := known.String() + " seeders 1 leechers 0 downloaded 0\n" + transport.InfoHash{0xbb}.String() + " unknown to the tracker\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestReadHashesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"xyz\n", "line 1"},
		{"\n0123\n", "line 2"},
	}
	for _, tt := range tests {
		if _, err := readHashes(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %s", tt.in, err, tt.want)
		}
	}
}
