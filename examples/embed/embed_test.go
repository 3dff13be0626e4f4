package main

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func TestAnnounce(t *testing.T) {
	tr := mocktracker.New(mocktracker.Config{})
	defer tr.Close()
	hash := transport.InfoHash{1, 2, 3}
	tr.AddPeer(hash, peer.ID{9}, netip.MustParseAddrPort("127.0.0.9:6881"), 0)
	tests := []struct{ name, listen string }{{"http", "http"}, {"udp", "udp"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listen := tr.ListenHTTP
			if tt.listen == "udp" {
				listen = tr.ListenUDP
			}
			u, err := listen("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			var out bytes.Buffer
			if err := announce(ctx, hash, u, NewProgress(1000), &out); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"peer 127.0.0.9:6881", "seeders 1 leechers 1"} { // we are the leecher
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
