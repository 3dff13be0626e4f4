package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/netdial"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Config is the parsed command line. Flags left unset keep the zero value
// and their ...Set field false, so that the library's defaults apply.
type Config struct {
	Target   string   // TARGET; "" with -demo
	Trackers []string // -tracker, in order, raw (may hold passkeys)
	Port     uint16   // -port, default 6881

	PeerID    peer.ID // -peer-id, completed at random when a prefix
	PeerIDSet bool    // false: the library's peer ID

	Left    int64 // -left
	LeftSet bool  // false: the torrent's size if known, else 1

	NumWant    int // -numwant; 0 asks for no peers
	NumWantSet bool

	Params url.Values // -param key=value, repeatable; nil when none

	MinInterval time.Duration // -min-interval, 0: the library's floor
	Timeout     time.Duration // -timeout: bound of one request, default 20 s

	// Network settings, passed to announcer.Config (zero: the library's
	// defaults).
	UserAgent  string           // -user-agent
	Proxy      *url.URL         // -proxy, http:// or socks5:// (may hold user:password)
	Bind       netip.Addr       // -bind, the source address of every tracker socket
	AnnounceIP netip.Addr       // -ip, sent as ip= / the UDP ip field
	Family     transport.Family // -4 or -6
	proxyRaw   string           // -proxy as given, checked into Proxy
	Duration   time.Duration    // -duration, 0: no limit

	JSON, Once, Scrape, Demo bool

	// Version (-version) prints the version and exits; every other flag
	// and TARGET are then ignored, as Go tools do.
	Version bool

	// webRTCWait, set by the demo, makes -once wait up to this long for a
	// WebRTC peer once every tracker has answered.
	webRTCWait time.Duration
}

const defaultPort = 6881

// UsageError is a bad command line; the CLI prints it on one line and
// exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// newFlagSet declares the flags into c. The FlagSet prints nothing: errors
// are reported by parseArgs on one line, usage by printUsage.
func newFlagSet(c *Config, peerID *string, port *int) *flag.FlagSet {
	fs := flag.NewFlagSet("announce", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var((*stringList)(&c.Trackers), "tracker", "add a tracker `URL` (repeatable; each its own tier, after the target's own)")
	fs.IntVar(port, "port", defaultPort, "`port` to announce")
	fs.StringVar(peerID, "peer-id", "", "peer ID: 20 bytes, or a prefix completed at random (default: the library's)")
	fs.Int64Var(&c.Left, "left", 0, "`bytes` left to download; 0 means seeding (default: the torrent's size if known, else unknown: a leecher)")
	fs.IntVar(&c.NumWant, "numwant", 0, "number of peers wanted; 0 asks for none (default: the library's)")
	fs.Func("param", "extra announce parameter `key=value` for HTTP and WebSocket trackers (repeatable; not sent over UDP)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q: want key=value", truncate(s, 100))
		}
		if c.Params == nil {
			c.Params = url.Values{}
		}
		c.Params.Add(k, v)
		return nil
	})
	fs.BoolVar(&c.JSON, "json", false, "print one JSON object per line per event on stdout, nothing else")
	fs.DurationVar(&c.Duration, "duration", 0, "run for `D`, then stop gracefully (stopped sent) and exit")
	fs.BoolVar(&c.Once, "once", false, "announce once to every tracker, then stop gracefully and exit (within -timeout + 1s + min(-timeout, 5s))")
	fs.DurationVar(&c.Timeout, "timeout", defaultTimeout, "give up a tracker request (announce or scrape) after `D`; -once ends within D + 1s + min(D, 5s)")
	fs.BoolVar(&c.Scrape, "scrape", false, "scrape the target's trackers and exit")
	fs.DurationVar(&c.MinInterval, "min-interval", 0, "floor for tracker intervals, `D`, at least 1s (default: the library's)")
	fs.StringVar(&c.UserAgent, "user-agent", "", "User-Agent `S` of HTTP(S) requests and WebSocket handshakes (default: the library's)")
	// -proxy is checked after parsing: the flag package would quote a bad
	// value, user:password included, in its error.
	fs.StringVar(&c.proxyRaw, "proxy", "", "send all tracker traffic through the proxy `URL`: http://host:port (CONNECT; UDP trackers are then skipped) or socks5://[user:password@]host:port (TCP and UDP)")
	fs.Func("bind", "use local address `ADDR` as the source of every tracker connection (UDP, HTTP, WebSocket); trackers of the other family are skipped",
		addrFlag(&c.Bind, "want an IP address such as 10.8.0.2 or fd00::2"))
	fs.Func("ip", "ask trackers to list this peer at `ADDR` (HTTP ip=, UDP's IPv4 field); default: not sent, trackers use the source address",
		addrFlag(&c.AnnounceIP, "want an IP address"))
	fs.BoolFunc("4", "announce over IPv4 only (default: every family this host can route)", func(string) error {
		c.Family = transport.FamilyIPv4
		return nil
	})
	fs.BoolFunc("6", "announce over IPv6 only (default: every family this host can route)", func(string) error {
		c.Family = transport.FamilyIPv6
		return nil
	})
	fs.BoolVar(&c.Version, "version", false, "print the module version and VCS revision, then exit")
	fs.BoolVar(&c.Demo, "demo", false, "announce to an embedded mock tracker on loopback (HTTP, UDP, WebSocket) with simulated peers; no TARGET, no network")
	return fs
}

// parseArgs parses the command line (without the program name). Flags may
// come before or after TARGET; "--" ends the flags. It returns flag.ErrHelp
// for -h/-help and a *UsageError for anything else wrong.
func parseArgs(args []string) (*Config, error) {
	c := &Config{}
	var peerID string
	var port int
	fs := newFlagSet(c, &peerID, &port)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &UsageError{Msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// flag stops at the first non-flag argument, or after "--".
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if c.Version {
		return c, nil
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	switch {
	case len(positional) > 1:
		return nil, &UsageError{Msg: fmt.Sprintf("one TARGET expected, got %d: %q", len(positional), truncate(strings.Join(positional, " "), 200))}
	case c.Demo && len(positional) == 1:
		return nil, &UsageError{Msg: "-demo takes no TARGET (it announces a demo torrent to its own tracker)"}
	case c.Demo && len(c.Trackers) > 0:
		return nil, &UsageError{Msg: "-demo cannot be combined with -tracker (the demo never touches the network)"}
	case !c.Demo && len(positional) == 0:
		return nil, &UsageError{Msg: "missing TARGET: a .torrent file, a magnet URI or an info hash (or use -demo)"}
	case port < 1 || port > 65535:
		return nil, &UsageError{Msg: fmt.Sprintf("-port %d: want 1 to 65535", port)}
	case set["left"] && c.Left < 0:
		return nil, &UsageError{Msg: fmt.Sprintf("-left %d: want 0 or more bytes", c.Left)}
	case set["numwant"] && (c.NumWant < 0 || c.NumWant > 1<<31-1):
		return nil, &UsageError{Msg: fmt.Sprintf("-numwant %d: want 0 (no peers) or more", c.NumWant)}
	case c.Timeout <= 0:
		return nil, &UsageError{Msg: fmt.Sprintf("-timeout %v: want a positive duration such as 10s or 1m", c.Timeout)}
	case set["duration"] && c.Duration <= 0:
		return nil, &UsageError{Msg: fmt.Sprintf("-duration %v: want a positive duration such as 30s or 5m", c.Duration)}
	case set["min-interval"] && c.MinInterval < announcer.MinIntervalFloor:
		return nil, &UsageError{Msg: fmt.Sprintf("-min-interval %v: want at least %v, such as 30s or 5m", c.MinInterval, announcer.MinIntervalFloor)}
	case set["proxy"] && proxyError(c) != "":
		return nil, &UsageError{Msg: "-proxy " + proxyError(c)}
	case set["4"] && set["6"]:
		return nil, &UsageError{Msg: "-4 and -6 cannot be combined (without either, every family is used)"}
	case c.Bind.IsValid() && (c.Family == transport.FamilyIPv4 && !c.Bind.Is4() || c.Family == transport.FamilyIPv6 && c.Bind.Is4()):
		return nil, &UsageError{Msg: fmt.Sprintf("-bind %s is of the other family than %s", c.Bind, map[transport.Family]string{transport.FamilyIPv4: "-4", transport.FamilyIPv6: "-6"}[c.Family])}
	case c.Scrape && c.Once:
		return nil, &UsageError{Msg: "-scrape and -once cannot be combined (-scrape already does one round and exits)"}
	}
	for _, u := range c.Trackers {
		if reason := checkTrackerURL(u); reason != "" {
			return nil, &UsageError{Msg: fmt.Sprintf("-tracker %s: %s", displayURL(u), reason)}
		}
	}
	if len(positional) == 1 {
		c.Target = positional[0]
	}
	c.Port = uint16(port)
	c.LeftSet, c.NumWantSet = set["left"], set["numwant"]
	if set["peer-id"] {
		id, err := makePeerID(peerID, rand.Reader)
		if err != nil {
			return nil, &UsageError{Msg: "-peer-id: " + err.Error()}
		}
		c.PeerID, c.PeerIDSet = id, true
	}
	return c, nil
}

// proxyError checks -proxy into c.Proxy and returns why it is refused, ""
// when fine. The message never holds the proxy's user information.
func proxyError(c *Config) string {
	u, err := url.Parse(c.proxyRaw)
	if err != nil || u.Host == "" {
		return "is not a proxy URL: want http://host:port or socks5://[user:password@]host:port"
	}
	if err := netdial.CheckProxy(u); err != nil {
		return err.Error()
	}
	c.Proxy = u
	return ""
}

// printUsage writes the help text.
func printUsage(w io.Writer) {
	var c Config
	var peerID string
	var port int
	fs := newFlagSet(&c, &peerID, &port)
	fs.SetOutput(w)
	fmt.Fprint(w, `Usage: announce [flags] TARGET
       announce -demo [flags]
       announce -version

Announce a torrent to its trackers and report peers, swarm sizes and errors.
TARGET is a .torrent file, a magnet URI, or an info hash (40 hex or 32 base32
characters). Without -once, -duration or -scrape it runs until interrupted:
Ctrl-C stops gracefully (sends "stopped"), a second Ctrl-C exits at once.

Exit status: 0 when at least one tracker answered (or the demo ran), 1 when
none did, 2 for bad usage or a bad TARGET.

Flags (also accepted after TARGET):
`)
	fs.PrintDefaults()
}

// addrFlag parses an IP address flag into dst, an IPv4-mapped IPv6 address
// as the IPv4 address it maps; a value that is not an address is refused
// with want, which never quotes it.
func addrFlag(dst *netip.Addr, want string) func(string) error {
	return func(s string) error {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return errors.New(want)
		}
		*dst = a.Unmap()
		return nil
	}
}
