package transport

import (
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// DefaultUserAgent is the User-Agent every transport sends when its
// configuration names none.
const DefaultUserAgent = "trackerkit/0.1"

// Options are the settings a Client (or a Scraper) hands to every transport
// it builds from the registry, so that one setting reaches every protocol.
// The zero value is valid: each transport applies its own defaults.
type Options struct {
	// UserAgent is sent on every HTTP request and WebSocket handshake.
	// Empty: DefaultUserAgent.
	UserAgent string
	// Logger receives the transport's logs (URLs redacted). Nil: discard.
	Logger *slog.Logger
	// Proxy, when set, carries all tracker traffic: "http://host:port"
	// (CONNECT; UDP trackers are then skipped, an HTTP proxy cannot carry
	// datagrams) or "socks5://[user:password@]host:port" (TCP, and UDP
	// through UDP ASSOCIATE). A transport that cannot honour it must fail
	// its requests rather than go around it.
	Proxy *url.URL
	// LocalAddr, when valid, is the source address of every tracker
	// socket.
	LocalAddr netip.Addr
	// Resolver is the DNS cache shared by every transport of a Client,
	// owned (and closed) by whoever built the options. Nil: each
	// transport resolves on its own.
	Resolver *Resolver
	// MaxInFlight is the most requests the caller keeps in flight to one
	// tracker endpoint (announcer.Config.MaxAnnouncesPerTracker); HTTP
	// sizes its connection pool per host to it. 0: the transport's
	// default; negative: no limit.
	MaxInFlight int
}

// Protocol is one tracker protocol as the registry knows it: its name, the
// URL schemes it serves and how to build its transport.
type Protocol struct {
	// Name is the protocol's name in events and snapshots ("http", "udp",
	// "webrtc").
	Name string
	// Schemes are the lowercase URL schemes one transport of this protocol
	// serves ("http" and "https").
	Schemes []string
	// New builds a transport from the shared options. The caller owns it
	// and closes it.
	New func(Options) Transport
	// CheckURL, when set, says why u (of one of Schemes) cannot be
	// announced to, before any transport is built (a udp:// URL without a
	// port). Nil: every URL with a host is fine.
	CheckURL func(u *url.URL) error
	// CheckScrape, when set, says why u cannot be scraped (an HTTP URL
	// without an "announce" segment, BEP 48), as an error matching
	// ErrUnsupported. Nil: every URL of the scheme can be scraped.
	CheckScrape func(u *url.URL) error
}

// registry is the one table from URL scheme to protocol.
var registry struct {
	mu        sync.RWMutex
	protocols []Protocol          // in registration order
	byScheme  map[string]Protocol // lowercase scheme
}

// Register adds p to the table every Client and Scraper consults to build
// its default transports and to tell a supported scheme from another. The
// built-in protocols (HTTP, UDP, WebTorrent) are registered by
// internal/builtin, which the announcer and scrape packages import. Register
// panics when p has no name, schemes or constructor, or when one of its
// schemes is already registered: two transports for one scheme is a
// programming error found at start-up.
func Register(p Protocol) {
	if p.Name == "" || len(p.Schemes) == 0 || p.New == nil {
		panic("transport: Register of an incomplete Protocol")
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.byScheme == nil {
		registry.byScheme = make(map[string]Protocol)
	}
	p.Schemes = slices.Clone(p.Schemes)
	for i, s := range p.Schemes {
		s = strings.ToLower(s)
		p.Schemes[i] = s
		if _, dup := registry.byScheme[s]; dup {
			panic("transport: scheme " + s + " registered twice")
		}
	}
	for _, s := range p.Schemes {
		registry.byScheme[s] = p
	}
	registry.protocols = append(registry.protocols, p)
}

// Lookup returns the protocol registered for scheme (in any case).
func Lookup(scheme string) (Protocol, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	p, ok := registry.byScheme[strings.ToLower(scheme)]
	return p, ok
}

// Protocols returns the registered protocols in registration order.
func Protocols() []Protocol {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	return slices.Clone(registry.protocols)
}

// Schemes returns every registered scheme, sorted: for messages such as
// "unsupported scheme (want http, https, udp, ws or wss)".
func Schemes() []string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	out := make([]string, 0, len(registry.byScheme))
	for s := range registry.byScheme {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
