package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/announcer/announcertest"
	"github.com/trackerkit/trackerkit/transport"
)

// Config is the parsed command line.
type Config struct {
	HTTP, UDP, WS string // listen addresses, loopback only
	Interval      time.Duration
	MinInterval   time.Duration
	Faults        announcertest.Faults
	Peers         []seedPeer
	JSON          bool
	Duration      time.Duration // 0: until a signal
}

// seedPeer is one simulated peer put in a swarm at start.
type seedPeer struct {
	InfoHash transport.InfoHash
	Addr     netip.AddrPort
	Left     int64
}

var errHelp = errors.New("help")

func newFlagSet(c *Config, peers *[]string, peerFile *string) *flag.FlagSet {
	fs := flag.NewFlagSet("mocktracker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.HTTP, "http", "127.0.0.1:0", "HTTP tracker listen `address` (loopback; port 0: a free one; a bare port means 127.0.0.1)")
	fs.StringVar(&c.UDP, "udp", "127.0.0.1:0", "UDP tracker listen `address` (\"[::1]:0\" for IPv6)")
	fs.StringVar(&c.WS, "ws", "127.0.0.1:0", "WebSocket (WebTorrent) tracker listen `address`")
	fs.DurationVar(&c.Interval, "interval", 30*time.Minute, "announce interval sent to clients")
	fs.DurationVar(&c.MinInterval, "min-interval", 0, "min interval sent to clients (HTTP, WebSocket); 0: not sent")
	fs.StringVar(&c.Faults.FailureReason, "failure", "", "refuse every announce and scrape with this failure `reason` (UDP: error reply)")
	fs.StringVar(&c.Faults.RetryIn, "retry-in", "", "BEP 31 retry in sent with -failure: \"never\" or `minutes` (HTTP)")
	fs.StringVar(&c.Faults.Warning, "warning", "", "warning `message` in every good reply (HTTP, WebSocket)")
	fs.IntVar(&c.Faults.Status, "status", 0, "HTTP `status` of every HTTP reply (e.g. 410, 503); refuses WebSocket handshakes")
	fs.BoolVar(&c.Faults.Drop, "drop", false, "answer nothing (UDP drops, HTTP hangs, WebSocket ignores messages)")
	fs.IntVar(&c.Faults.DropFirst, "drop-first", 0, "drop the first `N` UDP requests, then answer")
	fs.DurationVar(&c.Faults.Delay, "delay", 0, "send every reply this late")
	fs.BoolVar(&c.Faults.NoWebRTCRelay, "no-relay", false, "relay no WebRTC offers or answers between WebSocket peers")
	fs.Func("peer", "put a simulated peer in a swarm: `HASH,ADDR[,LEFT]` (40 hex characters, IP:PORT, bytes left: 0 or absent = seeder); repeatable", func(s string) error {
		*peers = append(*peers, s)
		return nil
	})
	fs.StringVar(peerFile, "peers", "", "read -peer values from `file`, one a line (# starts a comment)")
	fs.BoolVar(&c.JSON, "json", false, "write one JSON line per announce and scrape received (and the URLs first) on stdout")
	fs.DurationVar(&c.Duration, "duration", 0, "stop after `D` (default: at SIGINT or SIGTERM)")
	return fs
}

func parseArgs(args []string) (*Config, error) {
	c := &Config{}
	var peers []string
	var peerFile string
	fs := newFlagSet(c, &peers, &peerFile)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: mocktracker takes flags only", fs.Arg(0))
	}
	for _, a := range []*string{&c.HTTP, &c.UDP, &c.WS} {
		if _, err := strconv.ParseUint(*a, 10, 16); err == nil {
			*a = "127.0.0.1:" + *a // a bare port
		}
		ap, err := netip.ParseAddrPort(*a)
		if err != nil {
			return nil, fmt.Errorf("listen address %q: want IP:PORT or PORT", *a)
		}
		if !ap.Addr().Unmap().IsLoopback() {
			return nil, fmt.Errorf("listen address %s is not loopback: mocktracker only listens on 127.0.0.0/8 and ::1", *a)
		}
	}
	switch {
	case c.Interval < time.Second:
		return nil, fmt.Errorf("-interval %v: want 1s or more", c.Interval)
	case c.MinInterval < 0 || c.Faults.Delay < 0 || c.Faults.DropFirst < 0 || c.Duration < 0:
		return nil, errors.New("durations and counts must not be negative")
	case c.Faults.Status != 0 && (c.Faults.Status < 100 || c.Faults.Status > 999):
		return nil, fmt.Errorf("-status %d: want an HTTP status code", c.Faults.Status)
	case c.Faults.RetryIn != "" && c.Faults.FailureReason == "":
		return nil, errors.New("-retry-in is sent with a failure: give -failure too")
	}
	if peerFile != "" {
		lines, err := readPeerFile(peerFile)
		if err != nil {
			return nil, err
		}
		peers = append(peers, lines...)
	}
	for _, p := range peers {
		sp, err := parsePeer(p)
		if err != nil {
			return nil, fmt.Errorf("-peer %q: %v", p, err)
		}
		c.Peers = append(c.Peers, sp)
	}
	return c, nil
}

// parsePeer parses HASH,ADDR[,LEFT].
func parsePeer(s string) (seedPeer, error) {
	f := strings.Split(s, ",")
	if len(f) < 2 || len(f) > 3 {
		return seedPeer{}, errors.New("want HASH,IP:PORT[,LEFT]")
	}
	h, err := transport.ParseInfoHash(strings.TrimSpace(f[0]))
	if err != nil {
		return seedPeer{}, err
	}
	addr, err := netip.ParseAddrPort(strings.TrimSpace(f[1]))
	if err != nil {
		return seedPeer{}, fmt.Errorf("address: %v", err)
	}
	p := seedPeer{InfoHash: h, Addr: netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())}
	if len(f) == 3 {
		if p.Left, err = strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64); err != nil || p.Left < 0 {
			return seedPeer{}, errors.New("LEFT: want 0 or more bytes")
		}
	}
	return p, nil
}

// readPeerFile returns the non-empty, non-comment lines of a -peers file.
func readPeerFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

func printUsage(w io.Writer) {
	var c Config
	var peers []string
	var file string
	fs := newFlagSet(&c, &peers, &file)
	fs.SetOutput(w)
	fmt.Fprint(w, `Usage: mocktracker [flags]

Run HTTP, UDP and WebSocket (WebTorrent) BitTorrent trackers on loopback,
serving one set of swarms, for integration tests. The announce URLs are
printed first; SIGINT or SIGTERM stops it (exit status 0). See docs/mocktracker.md.

Flags:
`)
	fs.PrintDefaults()
}
