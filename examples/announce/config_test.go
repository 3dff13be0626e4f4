package main

import (
	"bytes"
	"errors"
	"flag"
	"github.com/trackerkit/trackerkit/transport"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    string // split on spaces
		check   func(*Config) bool
		wantErr string // "" for success
	}{
		{"defaults", "x.torrent", func(c *Config) bool {
			return c.Target == "x.torrent" && c.Port == 6881 && !c.PeerIDSet && !c.LeftSet && !c.NumWantSet &&
				c.MinInterval == 0 && c.Duration == 0 && !c.JSON && !c.Once && !c.Scrape && !c.Demo && len(c.Trackers) == 0
		}, ""},
		{"all flags", "-tracker udp://a.test:1 -tracker http://b.test/announce -port 51413 -peer-id -XX0001-abcdefghijkl -left 0 -numwant 10 -json -duration 90s -min-interval 10s x",
			func(c *Config) bool {
				return c.Target == "x" && len(c.Trackers) == 2 && c.Trackers[1] == "http://b.test/announce" && c.Port == 51413 &&
					c.PeerIDSet && string(c.PeerID[:]) == "-XX0001-abcdefghijkl" && c.LeftSet && c.Left == 0 &&
					c.NumWantSet && c.NumWant == 10 && c.JSON && c.Duration == 90*time.Second && c.MinInterval == 10*time.Second
			}, ""},
		{"flags after TARGET", "x -json -once", func(c *Config) bool { return c.Target == "x" && c.JSON && c.Once }, ""},
		{"double dash", "-json -- -weird-name.torrent", func(c *Config) bool { return c.Target == "-weird-name.torrent" && c.JSON }, ""},
		{"peer-id prefix", "-peer-id -AB1234- x", func(c *Config) bool { return c.PeerIDSet && string(c.PeerID[:8]) == "-AB1234-" }, ""},
		{"demo", "-demo -json", func(c *Config) bool { return c.Demo && c.JSON && c.Target == "" }, ""},
		{"scrape", "-scrape x", func(c *Config) bool { return c.Scrape }, ""},
		{"double-dash flag names", "--json --once x", func(c *Config) bool { return c.JSON && c.Once }, ""},

		{"no target", "-json", nil, "missing TARGET"},
		{"two targets", "a b", nil, "one TARGET expected, got 2"},
		{"unknown flag", "-nope x", nil, "flag provided but not defined: -nope"},
		{"bad port", "-port 0 x", nil, "-port 0: want 1 to 65535"},
		{"port too big", "-port 70000 x", nil, "want 1 to 65535"},
		{"port not a number", "-port abc x", nil, `invalid value "abc" for flag -port`},
		{"negative left", "-left -1 x", nil, "-left -1"},
		{"negative numwant", "-numwant -1 x", nil, "-numwant -1: want 0 (no peers) or more"},
		{"zero numwant", "-numwant 0 x", func(c *Config) bool { return c.NumWantSet && c.NumWant == 0 }, ""},
		{"params", "-param a=1 -param b= -param a=x=y x", func(c *Config) bool {
			return len(c.Params) == 2 && c.Params["a"][0] == "1" && c.Params["a"][1] == "x=y" && c.Params.Has("b") && c.Params.Get("b") == ""
		}, ""},
		{"param without =", "-param abc x", nil, `"abc": want key=value`},
		{"param without key", "-param =v x", nil, "want key=value"},
		{"zero duration", "-duration 0s x", nil, "-duration 0s"},
		{"bad duration", "-duration 5 x", nil, "invalid value"},
		{"zero min-interval", "-min-interval 0s x", nil, "-min-interval 0s"},
		{"sub-second min-interval", "-min-interval 1ms x", nil, "-min-interval 1ms: want at least 1s"},
		{"negative min-interval", "-min-interval -5s x", nil, "-min-interval -5s: want at least 1s"},
		{"one-second min-interval", "-min-interval 1s x", func(c *Config) bool { return c.MinInterval == time.Second }, ""},
		{"long peer id", "-peer-id 123456789012345678901 x", nil, "21 bytes, want at most 20"},
		{"empty peer id", "-peer-id= x", nil, "-peer-id: empty"},
		{"demo with target", "-demo x", nil, "-demo takes no TARGET"},
		{"demo with tracker", "-demo -tracker udp://a.test:1", nil, "-demo cannot be combined with -tracker"},
		{"scrape and once", "-scrape -once x", nil, "cannot be combined"},
		{"bad tracker scheme", "-tracker ftp://a.test x", nil, `-tracker ftp://a.test: unsupported scheme "ftp"`},
		{"tracker secret redacted", "-tracker gopher://a.test/s3cret/announce x", nil, "gopher://a.test/REDACTED~"},
		{"user agent", "-user-agent qBittorrent/5.0 x", func(c *Config) bool { return c.UserAgent == "qBittorrent/5.0" }, ""},
		{"socks5 proxy", "-proxy socks5://u:pw@127.0.0.1:1080 x", func(c *Config) bool { return c.Proxy != nil && c.Proxy.Host == "127.0.0.1:1080" }, ""},
		{"http proxy", "-proxy http://127.0.0.1:3128 x", func(c *Config) bool { return c.Proxy != nil && c.Proxy.Scheme == "http" }, ""},
		{"bad proxy scheme", "-proxy ftp://u:s3cret@127.0.0.1:1 x", nil, "proxy must be http:// or socks5://"},
		{"proxy without port", "-proxy socks5://u:s3cret@127.0.0.1 x", nil, "need scheme://host:port"},
		{"proxy not a URL", "-proxy s3cret x", nil, "is not a proxy URL"},
		{"bind", "-bind 127.0.0.2 x", func(c *Config) bool { return c.Bind.String() == "127.0.0.2" }, ""},
		{"bad bind", "-bind eth0 x", nil, "want an IP address"},
		{"announced ip", "-ip 192.0.2.1 x", func(c *Config) bool { return c.AnnounceIP.String() == "192.0.2.1" }, ""},
		{"ipv4 only", "-4 x", func(c *Config) bool { return c.Family == transport.FamilyIPv4 }, ""},
		{"ipv6 only", "-6 x", func(c *Config) bool { return c.Family == transport.FamilyIPv6 }, ""},
		{"both families", "-4 -6 x", nil, "-4 and -6 cannot be combined"},
		{"bind of the other family", "-6 -bind 127.0.0.2 x", nil, "other family than -6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseArgs(strings.Fields(tt.args))
			if tt.wantErr != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q leaks a secret or spans lines", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, a := range []string{"-h", "-help", "--help"} {
		if _, err := parseArgs([]string{a}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: %v", a, err)
		}
	}
	var buf bytes.Buffer
	printUsage(&buf)
	for _, f := range []string{"-tracker URL", "-port port", "-peer-id", "-left bytes", "-numwant", "-json", "-duration D", "-once", "-scrape", "-min-interval D", "-demo", "-param key=value", "Exit status"} {
		if !strings.Contains(buf.String(), f) {
			t.Errorf("usage lacks %q", f)
		}
	}
}

func TestMakePeerID(t *testing.T) {
	full := "-TK0001-abcdefghijkl"
	id, err := makePeerID(full, nil)
	if err != nil || string(id[:]) != full {
		t.Fatalf("%q %v", id, err)
	}
	// A fixed random stream: bytes >= 248 are rejected (248 = 4*62).
	rnd := bytes.NewReader(append([]byte{255, 248, 0, 61, 62}, make([]byte, 64)...))
	id, err = makePeerID("-XY", rnd)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(id[:]); got != "-XY0z0"+strings.Repeat("0", 14) {
		t.Errorf("completed id %q", got)
	}
	if _, err := makePeerID("-XY", bytes.NewReader(nil)); err == nil {
		t.Error("short random source not reported")
	}
	for _, c := range string(id[3:]) {
		if !strings.ContainsRune(peerIDAlphabet, c) {
			t.Errorf("char %q outside the alphabet", c)
		}
	}
}
