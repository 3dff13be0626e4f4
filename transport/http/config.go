package http

import (
	"context"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/internal/defaults"
	"github.com/trackerkit/trackerkit/internal/httpsafe"
	"github.com/trackerkit/trackerkit/transport"
)

// Defaults of Config's zero values.
const (
	// DefaultUserAgent is transport.DefaultUserAgent, named here too
	// because Config.UserAgent documents it.
	DefaultUserAgent     = transport.DefaultUserAgent
	DefaultMaxReplyBytes = 1 << 20
	DefaultMaxRedirects  = httpsafe.MaxRedirects
	// DefaultConnsPerHost is how many connections the default client keeps
	// (idle) and opens (at most) per tracker host, when Config.ConnsPerHost
	// is zero: the announcer's default of announces in flight per tracker
	// (announcer.DefaultMaxPerTracker), so that no announce it lets go
	// waits for a connection. Many torrents on one tracker share them.
	DefaultConnsPerHost = 64
	// DefaultTimeout bounds one request: a tracker that accepts the
	// connection and never answers must not hold an announce forever.
	DefaultTimeout = 30 * time.Second
)

// Config configures a Transport. Every zero value is a documented default.
type Config struct {
	// ConnsPerHost is how many connections the default client keeps idle
	// and opens at most per tracker host. The announcer sets it to its
	// in-flight limit per tracker (transport.Options.MaxInFlight). Default
	// DefaultConnsPerHost (64); negative: no limit. Not used with Client.
	ConnsPerHost int

	// Client sends the requests. Its Transport is used as is (proxies, TLS
	// roots, dialer); its CheckRedirect is consulted after this package's
	// redirect limit. The Client itself is never modified.
	//
	// Default: a client of this package's own, with a *net/http.Transport
	// that keeps connections alive (ConnsPerHost idle and at most that many
	// open per tracker host), takes proxies from the environment
	// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), verifies TLS certificates, allows
	// HTTP/2 and has dial and TLS handshake timeouts; request deadlines come
	// from the context given to each call. Event announces (completed,
	// stopped) then go through a second pool of the same settings with no
	// cap per host, so they never wait behind regular announces to a busy
	// or dead host. A Config.Client given here serves events too.
	Client *nethttp.Client

	// UserAgent is sent in the User-Agent header. Default DefaultUserAgent
	// ("trackerkit/0.1").
	UserAgent string

	// MaxReplyBytes caps a reply body, after gzip decompression when the
	// tracker compressed it (and the compressed bytes too). A larger reply
	// is a *transport.TooLargeError. Default DefaultMaxReplyBytes (1 MiB).
	MaxReplyBytes int64

	// MaxRedirects is how many redirects one request may follow; the next
	// one is a *RedirectError. Default DefaultMaxRedirects (5), which is
	// also the most: a larger value is lowered to it. Negative means none
	// are followed.
	MaxRedirects int

	// AllowInsecureRedirects lets an https announce or scrape follow a
	// redirect to a plain http URL. Default false: such a redirect fails
	// with an *InsecureRedirectError (ErrInsecureRedirect), because it would
	// send the passkey, info hash and peer id the tracker put in the new
	// URL in clear text. (No Referer is ever sent, on any redirect.)
	AllowInsecureRedirects bool

	// Timeout bounds one announce or scrape: connecting, redirects and
	// reading the reply. When it runs out the call fails with an error
	// matching transport.ErrTimeout. The context given to each call can end
	// it sooner. Default DefaultTimeout (30 s); negative: no limit but the
	// context's.
	Timeout time.Duration

	// Logger receives debug lines (redacted URLs only). Default nil: no
	// logging.
	Logger *slog.Logger

	// Proxy, when set, carries every request of the default client:
	// "http://[user:pass@]host:port" (a CONNECT tunnel per connection, for
	// http and https trackers alike, so the proxy sees host and port only,
	// never a passkey) or "socks5://[user:pass@]host:port". Hostnames are
	// then resolved by the proxy. Default nil: no proxy but the
	// environment's (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). Ignored with a
	// Config.Client.
	Proxy *url.URL

	// LocalAddr, when valid, is the source address of every connection of
	// the default client; only tracker addresses of its family are dialed.
	// Default: the system's choice. Ignored with a Config.Client.
	LocalAddr netip.Addr

	// DNS is the DNS cache shared with the Client's other transports.
	// Default nil: one of the Transport's own. Ignored with a Config.Client.
	DNS *transport.Resolver

	// DialContext, when set, opens the default client's TCP connections
	// (to an IP address, or to the Proxy) instead of a net.Dialer;
	// everything else stays (DNS, families, both pools, their caps and
	// timeouts). Tests give internal/memnet's DialContext here to run
	// HTTP trackers in a testing/synctest bubble. Default nil: a
	// net.Dialer bound to LocalAddr. Ignored with a Config.Client.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

func (c *Config) populate() (ownClient bool) {
	defaults.Unset(&c.UserAgent, DefaultUserAgent)
	defaults.Positive(&c.MaxReplyBytes, DefaultMaxReplyBytes)
	defaults.OffBelowZero(&c.MaxRedirects, DefaultMaxRedirects)
	c.MaxRedirects = min(c.MaxRedirects, DefaultMaxRedirects)
	defaults.OffBelowZero(&c.Timeout, DefaultTimeout)
	defaults.Unset(&c.Logger, defaults.Discard)
	if c.Client == nil {
		c.Client = &nethttp.Client{Transport: newHTTPTransport(c.ConnsPerHost)}
		return true
	}
	return false
}

// newHTTPTransport is the default client's transport, with conns
// connections per host (Config.ConnsPerHost: 0 the default, negative no
// limit).
func newHTTPTransport(conns int) *nethttp.Transport {
	defaults.OffBelowZero(&conns, DefaultConnsPerHost) // net/http: 0 is no limit
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &nethttp.Transport{
		Proxy:             nethttp.ProxyFromEnvironment,
		DialContext:       dialFramed(dialer.DialContext),
		ForceAttemptHTTP2: true,
		// Trackers send a few hundred bytes of headers; Go's default
		// allows 10 MiB, ten times the reply cap.
		MaxResponseHeaderBytes: httpsafe.MaxHeaderBytes,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    max(conns, 2),
		MaxConnsPerHost:        conns,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		// gzip is requested and decoded by this package, so that the
		// compressed and decompressed sizes can both be capped.
		DisableCompression: true,
	}
}
