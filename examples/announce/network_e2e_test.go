package main

import (
	"net/netip"
	"net/url"
	"slices"
	"testing"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/proxytest"
)

// TestCLINetworkFlags: with -bind 127.0.0.2 the HTTP and UDP trackers see
// that source; -user-agent and -ip reach the HTTP tracker.
func TestCLINetworkFlags(t *testing.T) {
	tr := mocktracker.New(mocktracker.Config{})
	defer tr.Close()
	l := proxytest.Listen(t, "127.0.0.1:0")
	rec := proxytest.NewRecorder(t, tr.HTTPHandler(), l)
	udpURL, err := tr.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpURL := (&url.URL{Scheme: "http", Host: l.Addr().String(), Path: "/announce"}).String()
	const hash = "0123456789abcdef0123456789abcdef01234567"
	code, _, stderr := runCLI(t, "-json", "-once", "-bind", "127.0.0.2", "-user-agent", "test-agent/1", "-ip", "192.0.2.9",
		"-tracker", httpURL, "-tracker", udpURL, hash)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	bound := netip.MustParseAddr("127.0.0.2")
	if got := tr.UDPSources(); !slices.Equal(got, []netip.Addr{bound}) {
		t.Fatalf("UDP tracker saw packets from %v, want only from %v", got, bound)
	}
	reqs := rec.Requests()
	if len(reqs) != 2 { // started, stopped
		t.Fatalf("HTTP tracker saw %d requests: %+v", len(reqs), reqs)
	}
	for _, r := range reqs {
		if r.Source != bound || r.UserAgent != "test-agent/1" || r.Query.Get("ip") != "192.0.2.9" {
			t.Fatalf("HTTP tracker saw %+v, want source %v, User-Agent test-agent/1, ip=192.0.2.9", r, bound)
		}
	}
}
