package main

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer/announcertest"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func TestAnnounce(t *testing.T) {
	tr := announcertest.NewTracker(t)
	hash := transport.InfoHash{1, 2, 3}
	tr.AddPeer(hash, peer.ID{9}, netip.MustParseAddrPort("127.0.0.9:6881"), 0)
	tests := []struct{ name, url string }{{"http", tr.HTTPURL()}, {"udp", tr.UDPURL()}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The run ends once the output says what we wait for (or after
			// a generous bound, then failing below): no wall-clock deadline
			// decides the outcome.
			wants := []string{"peer 127.0.0.9:6881", "seeders 1 leechers 1"} // we are the leecher
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out := &watchWriter{wants: wants, done: cancel}
			if err := announce(ctx, hash, tt.url, NewProgress(1000), out); err != nil {
				t.Fatal(err)
			}
			for _, want := range wants {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// watchWriter collects the output and calls done once it holds every want.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wants []string
	done  func()
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, want := range w.wants {
		if !strings.Contains(w.buf.String(), want) {
			return len(p), nil
		}
	}
	w.done()
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
