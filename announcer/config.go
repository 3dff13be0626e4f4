package announcer

import (
	"crypto/rand"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/internal/defaults"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// PeerIDPrefix is the Azureus-style client prefix of generated peer IDs.
const PeerIDPrefix = "-TK0001-"

// Defaults of Config and SessionOptions; each field's documentation repeats
// the one it uses.
const (
	DefaultPort          = 6881
	DefaultNumWant       = 50
	DefaultUserAgent     = transport.DefaultUserAgent // "trackerkit/0.1"
	DefaultIntervalFloor = time.Minute
	DefaultIntervalCap   = 2 * time.Hour
	DefaultRetryMin      = 15 * time.Second
	DefaultRetryMax      = time.Hour
	DefaultStopTimeout   = 5 * time.Second
	DefaultMaxPerTracker = 64
	DefaultEventBuffer   = 256
	DefaultEventLinger   = 5 * time.Second
	// DefaultUDPAttemptTimeout is about two BEP 15 sends: the first, and
	// its retransmit 15 s later, answered within 30 s.
	DefaultUDPAttemptTimeout = 45 * time.Second
	DefaultAttemptTimeout    = 30 * time.Second
	DefaultFailoverAfter     = 15 * time.Second
	// MinIntervalFloor is the least Config.IntervalFloor can be.
	MinIntervalFloor = time.Second
	// skippedRetry is how long a tracker skipped for an unreachable address
	// family waits before it is tried again (clamped to the interval floor
	// and cap): the host may gain a route meanwhile.
	skippedRetry = 30 * time.Minute
)

// Values of Config.NumWant and SessionOptions.NumWant with a meaning of
// their own (0 is the default there, so "none" needs a name).
const (
	// NumWantTracker leaves the number of peers to the tracker.
	NumWantTracker = -1
	// NumWantNone asks for no peers at all (numwant=0).
	NumWantNone = math.MinInt
)

// Config configures a Client. The zero value is a working configuration:
// every field's zero value means the default written in its documentation.
type Config struct {
	// PeerID is sent to every tracker by every Session of the Client.
	// Default: generated once per Client, PeerIDPrefix ("-TK0001-")
	// followed by 12 random bytes.
	PeerID peer.ID

	// Port is the port peers should connect to. Default 6881
	// (DefaultPort). A Session may override it.
	Port uint16

	// NumWant is how many peers each announce asks for. Default 50
	// (DefaultNumWant, as the JavaScript client). NumWantNone asks for no
	// peers (numwant 0 on the wire: a seeding-only client, a swarm
	// monitor); NumWantTracker, like any other negative value, leaves the
	// number to the tracker (transport.NumWantDefault on the wire).
	// Stopped announces always ask for 0. A Session may override it.
	NumWant int

	// UserAgent is sent on every HTTP(S) request and WebSocket handshake
	// of the default transports. Default "trackerkit/0.1"
	// (DefaultUserAgent).
	UserAgent string

	// Proxy carries all tracker traffic of the default transports, so
	// that no announce leaves around it:
	//   - "http://[user:password@]host:port": HTTP(S) and WS(S) trackers
	//     through CONNECT tunnels (the proxy sees host:port only, never a
	//     passkey). UDP trackers are skipped, each with an ErrorEvent
	//     saying an http:// proxy cannot carry UDP (matching
	//     transport.ErrSkipped and udp.ErrHTTPProxy).
	//   - "socks5://[user:password@]host:port": TCP through SOCKS5
	//     CONNECT, UDP through SOCKS5 UDP ASSOCIATE (as libtorrent).
	// Hostnames of TCP trackers are resolved by the proxy; UDP tracker
	// names are resolved here. Dual-stack announcing is off through a
	// proxy (the proxy picks the family). NewClient refuses another
	// scheme. Default nil: direct connections (the HTTP transport still
	// honours HTTP_PROXY/HTTPS_PROXY from the environment, for HTTP(S)
	// trackers only).
	Proxy *url.URL

	// LocalAddr, when valid, is the source address of every tracker
	// socket (UDP, HTTP and WS): the VPN users' setting. Only trackers of
	// its family are announced to; the others are skipped. Default: the
	// system's choice.
	LocalAddr netip.Addr

	// LookupHost resolves tracker hostnames for every default transport,
	// behind the Client's one DNS cache (transport.Resolver: a name is
	// looked up once per transport.DefaultDNSTTL, a failure remembered for
	// transport.DefaultDNSNegativeTTL, however many torrents use it).
	// Tests use it to make a name resolve to both 127.0.0.1 and ::1;
	// transport.LookupWith adapts a *net.Resolver. Default nil:
	// net.DefaultResolver.
	LookupHost transport.LookupFunc

	// AnnounceIP, when valid, is the address trackers are asked to list us
	// at: HTTP "ip=", and UDP's IPv4 ip field (an IPv6 AnnounceIP is not
	// sent over UDP). Default: not sent, as BEP 7 advises: the tracker
	// uses the address the announce came from.
	AnnounceIP netip.Addr

	// SingleStack turns dual-stack announcing off: each tracker gets one
	// announce per schedule, to the first of its addresses that answers
	// (the next family is tried after a few seconds of silence). Default
	// false: a tracker whose name resolves to both families, each routable
	// from here, is announced over each family, with the same key and
	// peer ID, each family on its own schedule (TrackerStatus.Family), as
	// libtorrent does with its listen addresses.
	SingleStack bool

	// Family restricts every announce to one address family
	// (transport.FamilyIPv4 or transport.FamilyIPv6; the CLI's -4 and
	// -6). Trackers without an address of that family are skipped.
	// Default transport.FamilyAny: every family.
	Family transport.Family

	// Logger receives debug lines for announces and warnings for trackers
	// given up. URLs in log lines are redacted. Default (nil): discard.
	Logger *slog.Logger

	// IntervalFloor is the shortest time between two announces to one
	// tracker, whatever the tracker asks: the "interval" and "min interval"
	// a tracker sends are raised to it, and a forced announce waits for it.
	// Default 1 minute (DefaultIntervalFloor). A value below 1 second
	// (MinIntervalFloor) is raised to it: a tracker answering "interval
	// 0" is never announced to more than once a second.
	IntervalFloor time.Duration

	// IntervalCap is the longest time between two announces to one
	// tracker: a larger "interval" is lowered to it, so a tracker asking
	// for a day still sees us often enough to keep us in its swarm.
	// Default 2 hours (DefaultIntervalCap).
	IntervalCap time.Duration

	// RetryMin is the first wait after a failed announce. Later failures
	// double it, each wait jittered by ±50%, up to RetryMax; a success
	// resets it. A BEP 31 "retry in" from the tracker replaces it.
	// Default 15 seconds (DefaultRetryMin).
	RetryMin time.Duration

	// RetryMax caps the wait between retries of a failing tracker.
	// Default 1 hour (DefaultRetryMax), lowered to IntervalCap if larger.
	RetryMax time.Duration

	// UDPAttemptTimeout bounds one announce attempt to a UDP tracker, BEP
	// 15 retransmits included: with the UDP transport's 15 s, 30 s, 60 s...
	// waits, 45 s is two sends. Each consecutive failure of a tracker
	// doubles its bound (45 s, 90 s, 180 s...), so a tracker that keeps
	// failing gets more of the BEP 15 ladder each time, all of it (9 sends,
	// 2 h 08 min) from the eighth failure on, with the backoff of RetryMin
	// and RetryMax between attempts. Default 45 s (DefaultUDPAttemptTimeout).
	UDPAttemptTimeout time.Duration

	// AttemptTimeout bounds one announce attempt to an HTTP(S) or
	// WebSocket tracker (or one of another scheme given in Transports).
	// Default 30 s (DefaultAttemptTimeout).
	AttemptTimeout time.Duration

	// FailoverAfter is how long an announce may go unanswered before the
	// next URL of its tier is tried as well; the first to answer is used
	// and moved to the front of the tier, the others finish their attempt
	// (a late answer makes that tracker a standby that knows us, to be sent
	// "stopped"). A failure tries the next URL at once. With a dead tracker
	// first in a tier, the next one is thus asked 15 s later, at the first
	// BEP 15 retransmit. Default 15 s (DefaultFailoverAfter).
	FailoverAfter time.Duration

	// StopTimeout bounds Session.Stop: stopped announces still unanswered
	// after it are abandoned. Stop's context can end it sooner.
	// Default 5 seconds (DefaultStopTimeout).
	StopTimeout time.Duration

	// MaxAnnouncesPerTracker limits the announces and scrapes in flight to
	// one tracker endpoint (scheme, host and port) across all Sessions;
	// others wait for a slot. Thousands of torrents on one tracker are thus
	// announced at the pace it answers instead of flooding it (and our
	// socket buffers) and losing datagrams to BEP 15's 15-second
	// retransmits; a dead tracker holds only its own slots, each until the
	// attempt's bound (UDPAttemptTimeout, AttemptTimeout). An announce
	// waiting for a slot holds no goroutine and does not hold up the
	// failover to the next tracker of its tier (FailoverAfter). Event
	// announces (completed, stopped) take no slot: they never wait behind
	// regular ones. Default 64 (DefaultMaxPerTracker). Negative: no limit.
	MaxAnnouncesPerTracker int

	// MaxConcurrentAnnounces limits the regular announces and scrapes in
	// flight across all trackers (events take no slot). Default 0: no
	// limit beyond MaxAnnouncesPerTracker. A request to a dead tracker
	// holds its slot until the attempt's bound.
	MaxConcurrentAnnounces int

	// EventBuffer is how many events a Session buffers for a consumer that
	// is not reading; newer events are dropped while it is full (see
	// Session.Events). Default 256 (DefaultEventBuffer). The buffer grows
	// only when used: an idle Session holds none.
	EventBuffer int

	// EventLinger is how long the events still buffered when a Session
	// ends wait for the consumer before they are discarded and the Events
	// channel is closed. Default 5 seconds (DefaultEventLinger).
	EventLinger time.Duration

	// Transports maps URL schemes ("http", "https", "udp", "ws", "wss") to
	// the Transport that serves them, overriding the defaults NewClient
	// builds from the scheme registry (transport.Register) for those
	// schemes. The Client does not Close transports given here; it does
	// close the defaults it built. A scheme mapped to nil removes the
	// default.
	Transports map[string]transport.Transport
}

// populate replaces zero values by defaults.
func (c *Config) populate() {
	if c.PeerID.IsZero() {
		c.PeerID = newPeerID(rand.Reader)
	}
	defaults.Unset(&c.Port, DefaultPort)
	defaults.Unset(&c.NumWant, DefaultNumWant)
	defaults.Unset(&c.UserAgent, DefaultUserAgent)
	defaults.Unset(&c.Logger, defaults.Discard)
	defaults.Positive(&c.IntervalFloor, DefaultIntervalFloor)
	c.IntervalFloor = max(c.IntervalFloor, MinIntervalFloor)
	defaults.Positive(&c.UDPAttemptTimeout, DefaultUDPAttemptTimeout)
	defaults.Positive(&c.AttemptTimeout, DefaultAttemptTimeout)
	defaults.Positive(&c.FailoverAfter, DefaultFailoverAfter)
	defaults.Positive(&c.IntervalCap, DefaultIntervalCap)
	c.IntervalCap = max(c.IntervalCap, c.IntervalFloor)
	defaults.Positive(&c.RetryMin, DefaultRetryMin)
	defaults.Positive(&c.RetryMax, DefaultRetryMax)
	c.RetryMax = max(min(c.RetryMax, c.IntervalCap), c.RetryMin)
	defaults.Positive(&c.StopTimeout, DefaultStopTimeout)
	defaults.Unset(&c.MaxAnnouncesPerTracker, DefaultMaxPerTracker)
	defaults.Positive(&c.EventBuffer, DefaultEventBuffer)
	defaults.Positive(&c.EventLinger, DefaultEventLinger)
}

// newPeerID returns PeerIDPrefix followed by 12 random bytes.
func newPeerID(r io.Reader) peer.ID {
	var id peer.ID
	n := copy(id[:], PeerIDPrefix)
	if _, err := io.ReadFull(r, id[n:]); err != nil {
		panic("announcer: crypto/rand failed: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return id
}
