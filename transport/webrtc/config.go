package webrtc

import (
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"time"

	"github.com/coder/websocket"

	pion "github.com/pion/webrtc/v4"
	"github.com/trackerkit/trackerkit/internal/defaults"
	"github.com/trackerkit/trackerkit/transport"
)

// Defaults of Config, used where a field is zero.
const (
	DefaultNumOffers       = 5
	MaxNumOffers           = 10
	DefaultOfferTimeout    = 50 * time.Second
	DefaultReconnectMin    = 10 * time.Second
	DefaultReconnectMax    = time.Hour
	DefaultReconnectJitter = 5 * time.Minute
	DefaultAnnounceTimeout = 30 * time.Second
	DefaultDialTimeout     = 15 * time.Second
	DefaultMaxMessageBytes = 1 << 20
	DefaultMaxPendingConns = 200
)

// Config configures a Transport. The zero value is ready to use: every zero
// field means the default written in its documentation.
type Config struct {
	// ICEServers are the STUN and TURN servers offered to ICE. Default: none,
	// so only host candidates are gathered: enough on loopback and on a LAN,
	// offline. To reach browsers behind NAT, add a STUN server, and a TURN
	// server for symmetric NATs (see the package documentation).
	ICEServers []pion.ICEServer

	// LoopbackOnly restricts ICE to loopback addresses, so that no packet
	// leaves the host: mDNS is off, remote candidates other than loopback
	// (127.0.0.0/8, ::1) are ignored, and the only local candidate gathered
	// is 127.0.0.1 (host, UDP). ::1 is not gathered: pion/ice (v4.4.2)
	// drops every IPv6 address whose first 12 bytes are zero as a deprecated
	// IPv4-compatible address (RFC 8445 section 5.1.1.1), ::1 included,
	// before any filter or rewrite sees it; its UDP mux would carry ::1, but
	// it tells connections apart by remote address, so two peers on one
	// host, each with a mux, could not hold more than one connection. A
	// remote ::1 candidate is accepted but cannot be reached from
	// 127.0.0.1; IPv4 loopback is what two peers on one host use. For tests
	// and single-host demos. Default false: host candidates on every
	// interface (loopback included) and mDNS in query-only mode, which
	// resolves the ".local" candidates browsers send without announcing
	// ours.
	LoopbackOnly bool

	// NumOffers is how many WebRTC offers an announce carries (never more
	// than the request's NumWant). Default 5 (DefaultNumOffers); values above
	// MaxNumOffers (10) are capped.
	NumOffers int

	// OfferTimeout is how long an offer waits for its answer, and then its
	// connection for the data channel to open, before its PeerConnection is
	// closed. The same limit applies to connections answering relayed offers.
	// Default 50 s (DefaultOfferTimeout).
	OfferTimeout time.Duration

	// MaxPendingConns caps the PeerConnections waiting for their data
	// channel (our offers and our answers to relayed offers), across all
	// torrents: each holds a UDP socket until it opens or times out. Open
	// data channels do not count: they belong to the subscriber. Answering
	// a relayed offer comes first: when the cap is reached, our oldest
	// unanswered offer is closed to make room. Our offers are shared
	// fairly: each announce gets the cap divided by the torrents that want
	// peers (at least one, at most NumOffers), torrents holding more than
	// that give way (and, for an announce's first offer, any torrent
	// holding two or more, offers still gathering included), and a torrent
	// whose announce got none is served first next time. An announce that carried fewer offers than NumOffers says
	// so in AnnounceResponse.Offers and OffersWanted.
	// Default 200 (DefaultMaxPendingConns).
	MaxPendingConns int

	// ReconnectMin is the first wait before reconnecting a dropped or failed
	// socket; the wait doubles on each failed attempt up to ReconnectMax.
	// Default 10 s (DefaultReconnectMin).
	ReconnectMin time.Duration
	// ReconnectMax caps the doubling wait. Default 1 h (DefaultReconnectMax).
	ReconnectMax time.Duration
	// ReconnectJitter is the upper bound of a uniformly random wait added to
	// each reconnect delay, so that many clients do not come back at once.
	// Default 5 min (DefaultReconnectJitter); negative means no jitter.
	ReconnectJitter time.Duration

	// KeepAlive is the interval of WebSocket pings on a connected socket; a
	// ping that is not answered within KeepAlive drops the socket (which then
	// reconnects).
	// Default 0: off, because some trackers drop clients that ping, and
	// announces keep the socket busy anyway.
	KeepAlive time.Duration

	// AnnounceTimeout is how long Announce and Scrape wait for the tracker's
	// reply (including time queued while the socket reconnects) when the
	// caller's context has no earlier deadline. Default 30 s
	// (DefaultAnnounceTimeout).
	AnnounceTimeout time.Duration

	// DialTimeout bounds one WebSocket handshake. Default 15 s
	// (DefaultDialTimeout).
	DialTimeout time.Duration

	// MaxMessageBytes is the largest message accepted from a tracker; a
	// larger one drops the socket (it then reconnects). Default 1 MiB
	// (DefaultMaxMessageBytes).
	MaxMessageBytes int64

	// DialOptions are passed to websocket.Dial (HTTP client, headers,
	// subprotocols). Default nil: http.DefaultClient, which verifies TLS
	// certificates for wss:// against the system roots. Set
	// DialOptions.HTTPClient to use other roots or a proxy; never turn
	// verification off.
	DialOptions *websocket.DialOptions

	// UserAgent is sent in the WebSocket handshake's User-Agent header
	// (unless DialOptions.HTTPHeader sets one). Default
	// transport.DefaultUserAgent.
	UserAgent string

	// Proxy, when set, carries every WebSocket connection: "http://" (a
	// CONNECT tunnel) or "socks5://" (user:password accepted). Ignored when
	// DialOptions.HTTPClient is set. Default nil: direct.
	Proxy *url.URL

	// LocalAddr, when valid, is the source address of every WebSocket
	// connection. Ignored when DialOptions.HTTPClient is set.
	LocalAddr netip.Addr

	// DNS is the DNS cache shared with the Client's other transports.
	// Default nil: one of the Transport's own.
	DNS *transport.Resolver

	// Logger receives debug and warning logs; URLs in them are redacted.
	// Default nil: discard.
	Logger *slog.Logger

	// randFloat returns a number in [0, 1) for jitter; tests replace it.
	randFloat func() float64
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	defaults.Positive(&c.NumOffers, DefaultNumOffers)
	c.NumOffers = min(c.NumOffers, MaxNumOffers)
	defaults.Positive(&c.MaxPendingConns, DefaultMaxPendingConns)
	defaults.Positive(&c.OfferTimeout, DefaultOfferTimeout)
	defaults.Positive(&c.ReconnectMin, DefaultReconnectMin)
	defaults.Positive(&c.ReconnectMax, DefaultReconnectMax)
	c.ReconnectMax = max(c.ReconnectMax, c.ReconnectMin)
	defaults.OffBelowZero(&c.ReconnectJitter, DefaultReconnectJitter)
	if c.KeepAlive < 0 {
		c.KeepAlive = 0
	}
	defaults.Positive(&c.AnnounceTimeout, DefaultAnnounceTimeout)
	defaults.Positive(&c.DialTimeout, DefaultDialTimeout)
	defaults.Positive(&c.MaxMessageBytes, DefaultMaxMessageBytes)
	defaults.Unset(&c.Logger, defaults.Discard)
	defaults.Unset(&c.UserAgent, transport.DefaultUserAgent)
	if c.randFloat == nil {
		c.randFloat = rand.Float64
	}
	return c
}

// reconnectDelay is the wait before reconnect attempt n (0 for the first
// attempt after a drop): min(ReconnectMin * 2^n, ReconnectMax) plus a random
// part of up to ReconnectJitter, as the JavaScript client does.
func (c *Config) reconnectDelay(n int) time.Duration {
	d := c.ReconnectMax
	if n < 62 {
		if base := c.ReconnectMin << n; base > 0 && base>>n == c.ReconnectMin && base < d {
			d = base
		}
	}
	return d + time.Duration(c.randFloat()*float64(c.ReconnectJitter))
}
