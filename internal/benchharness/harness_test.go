package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" { // re-executed as the mock tracker
		os.Exit(serveMockChild())
	}
	goleak.VerifyTestMain(m)
}

func TestMinMedMax(t *testing.T) {
	tests := []struct {
		in          []float64
		lo, med, hi float64
	}{
		{nil, 0, 0, 0},
		{[]float64{3}, 3, 3, 3},
		{[]float64{3, 1, 2}, 1, 2, 3},
		{[]float64{4, 1, 2, 3}, 1, 2.5, 4},
	}
	for _, tt := range tests {
		lo, med, hi := minMedMax(tt.in)
		if lo != tt.lo || med != tt.med || hi != tt.hi {
			t.Errorf("minMedMax(%v) = %v %v %v", tt.in, lo, med, hi)
		}
	}
}

func TestCompactPeers(t *testing.T) {
	tests := []struct {
		reply string
		n     int
		ok    bool
	}{
		{"HTTP/1.1 200 OK\r\n\r\nd8:intervali1800e5:peers12:abcdefghijkle", 2, true},
		{"HTTP/1.1 200 OK\r\n\r\nd8:intervali1800e5:peers0:e", 0, true},
		{"HTTP/1.1 200 OK\r\n\r\nd14:failure reason3:note", 0, false},
		{"HTTP/1.1 404 Not Found\r\n\r\n", 0, false},
		{"HTTP/1.1 200 OK\r\n\r\nd8:intervali1800ee", 0, false},
		{"garbage", 0, false},
	}
	for _, tt := range tests {
		n, err := compactPeers([]byte(tt.reply))
		if (err == nil) != tt.ok || n != tt.n {
			t.Errorf("compactPeers(%q) = %d, %v", tt.reply, n, err)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-pacing", ""}, true},
		{[]string{"-pacing", "256, 1024", "-protocols", "udp"}, true},
		{[]string{"-pacing", "x"}, false},
		{[]string{"-tracker", "libtorrent"}, false},
		{[]string{"-protocols", "ws"}, false},
		{[]string{"-torrents", "0"}, false},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		c, err := parseFlags(tt.args, &stderr)
		if (err == nil) != tt.ok {
			t.Errorf("parseFlags(%q): %v", tt.args, err)
		}
		if err == nil && (c.torrents != 10_000 || c.inflight != 64 || c.rounds != 5) {
			t.Errorf("defaults %+v", c)
		}
	}
}

// A small run against the mock tracker in a child process: every phase
// completes with peers in its replies, and the ratios are printed.
func TestRunMock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a tracker process")
	}
	cfg, err := parseFlags([]string{"-tracker", "mock", "-torrents", "200", "-rounds", "1", "-pacing", "128", "-seeds", "5"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"mock tracker", "UDP: trackerkit / bare socket", "HTTP: trackerkit / bare HTTP client",
		"UDP: trackerkit at 128 in flight / at 64", "heap per idle"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	if len(res) != 5 {
		t.Errorf("%d steps measured, want 5", len(res))
	}
	for name, ps := range res {
		for _, p := range ps {
			if p.peers < 5 || p.n != 200 {
				t.Errorf("%s: %d announces, %.1f peers per reply", name, p.n, p.peers)
			}
		}
	}
}
