package udp

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

func TestAnnounceMemnet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		req := testRequest(1)
		addPeers(e.tracker, req.InfoHash, 3, false)
		u := mustURL(t, e.url.String()+"?passkey=secret")
		resp, err := e.tr.Announce(context.Background(), u, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Interval != 30*time.Minute || len(resp.Peers) != 3 || resp.Complete != 0 || resp.Incomplete != 4 {
			t.Fatalf("resp %+v", resp)
		}
		if got := e.tracker.LastURLData(); got != "/announce?passkey=secret" {
			t.Fatalf("URLData %q", got)
		}
		st := e.tracker.UDPStats()
		if st.Connect != 1 || st.Announce != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestAnnounceLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			tr := mocktracker.New(mocktracker.Config{})
			defer tr.Close()
			u := loopback(t, tr, addr)
			c := New(Config{})
			defer c.Close()
			req := testRequest(1)
			resp, err := c.Announce(ctxTimeout(t, patience), u, req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Incomplete != 1 {
				t.Fatalf("resp %+v", resp)
			}
			if _, err := c.Scrape(ctxTimeout(t, patience), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{req.InfoHash}}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReplyFromAnotherPortLoopback(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{"accepted by default", Config{}, nil},
		{"rejected in strict mode", Config{Strict: true, RetransmitBase: 20 * time.Millisecond, MaxRetransmits: -1}, transport.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := mocktracker.New(mocktracker.Config{})
			defer tr.Close()
			u := loopback(t, tr, "127.0.0.1:0")
			other, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			tr.SetUDPFaults(mocktracker.UDPFaults{ReplyFrom: other})
			c := New(tt.cfg)
			defer c.Close()
			_, err = c.Announce(ctxTimeout(t, patience), u, testRequest(1))
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
