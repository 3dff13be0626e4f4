package announcer

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/trackerkit/trackerkit/internal/netdial"
	"github.com/trackerkit/trackerkit/transport"
	"golang.org/x/sync/errgroup"
)

// Client holds what every Session of a process shares: the transports (and
// through them the UDP sockets, HTTP client, WebSocket pool, connection-ID
// and DNS caches), the limit on announces in flight, the parsed announce URLs
// and the logger. Make one per process with NewClient; it is safe for
// concurrent use. Close ends every Session and waits for every goroutine the
// Client started.
type Client struct {
	cfg        Config
	log        *slog.Logger
	transports map[string]transport.Transport
	owned      []transport.Transport // the default transports built here, closed by Close
	dns        *transport.Resolver   // the DNS cache the default transports share
	sem        chan struct{}         // announce slots across trackers; nil: unlimited
	requests   sync.Pool             // *transport.AnnounceRequest, reused: transports keep none after a call

	mu       sync.Mutex
	closed   bool
	closing  chan struct{} // closed by Close: sessions abandon buffered events
	sessions map[*Session]struct{}
	urls     map[string]*trackerURL // interned, by normalized URL
	hosts    map[string]*hostLimit  // per tracker endpoint, shared by its URLs
	wg       sync.WaitGroup         // event forwarders and worker goroutines
}

// trackerURL is one parsed announce URL, shared by every Session that uses
// it (thousands of torrents on one tracker parse and store it once).
type trackerURL struct {
	key      string
	u        *url.URL
	redacted string
	proto    string
	limit    *hostLimit
	refs     int
}

// NewClient returns a Client configured by cfg (see Config for the
// defaults). It builds the default transports for the schemes cfg.Transports
// does not name. It fails only for a Config.Proxy it cannot use (neither
// http:// nor socks5://, or no host:port).
func NewClient(cfg Config) (*Client, error) {
	cfg.populate()
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger,
		closing:  make(chan struct{}),
		sessions: make(map[*Session]struct{}),
		urls:     make(map[string]*trackerURL),
		hosts:    make(map[string]*hostLimit),
	}
	c.requests.New = func() any { return new(transport.AnnounceRequest) }
	if cfg.Proxy != nil {
		if err := netdial.CheckProxy(cfg.Proxy); err != nil {
			return nil, err
		}
	}
	c.dns = transport.NewResolver(transport.ResolverConfig{Lookup: cfg.LookupHost})
	c.transports, c.owned = buildTransports(&c.cfg, c.dns)
	if n := cfg.MaxConcurrentAnnounces; n > 0 {
		c.sem = make(chan struct{}, n)
	}
	return c, nil
}

// Config returns the Client's configuration with defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// TransportFor returns the Transport serving u's scheme. An unknown scheme
// gives a *SchemeError (errors.Is transport.ErrUnsupported). Its signature
// fits scrape.Config's Transport field.
func (c *Client) TransportFor(u *url.URL) (transport.Transport, error) {
	if tr, ok := c.transports[strings.ToLower(u.Scheme)]; ok {
		return tr, nil
	}
	return nil, &SchemeError{Scheme: u.Scheme, URL: transport.Redact(u)}
}

// Close ends every open Session as Session.Close does (no stopped
// announces: call Session.Stop or Client.Shutdown first to leave swarms
// gracefully), discards events not yet read, closes the default transports
// and waits for every goroutine the Client started. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.wg.Wait()
		return nil
	}
	c.closed = true
	close(c.closing)
	sessions := c.sessionList()
	c.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	c.wg.Wait()
	var errs []error
	for _, tr := range c.owned {
		errs = append(errs, tr.Close())
	}
	errs = append(errs, c.dns.Close())
	return errors.Join(errs...)
}

// Shutdown stops every open Session in parallel as Session.Stop does
// (stopped announces bounded by ctx and Config.StopTimeout), then closes
// the Client.
func (c *Client) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	sessions := c.sessionList()
	c.mu.Unlock()
	var g errgroup.Group
	for _, s := range sessions {
		g.Go(func() error {
			s.Stop(ctx) // its failures are the Session's ErrorEvents
			return nil
		})
	}
	g.Wait()
	return c.Close()
}

func (c *Client) sessionList() []*Session {
	out := make([]*Session, 0, len(c.sessions))
	for s := range c.sessions {
		out = append(out, s)
	}
	return out
}

// internURL parses raw once per Client and returns the shared value, or an
// error (a *URLError or *SchemeError) saying why it cannot be used.
func (c *Client) internURL(raw string) (*trackerURL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error holds the whole URL: never pass it on
		}
		return nil, &URLError{URL: transport.RedactString(raw), Err: err}
	}
	if u.Host == "" {
		return nil, &URLError{URL: transport.Redact(u), Err: errors.New("no host")}
	}
	if p := u.Port(); p != "" {
		// udp://host:99999 was retried forever: a port no socket can have
		// makes the URL unusable, given up at once like any bad URL.
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, &URLError{URL: transport.Redact(u), Err: errors.New("port out of range (1 to 65535)")}
		}
	}
	key := normalizeURL(u)
	if _, err := c.TransportFor(u); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tu := c.urls[key]
	if tu == nil {
		tu = &trackerURL{key: key, u: u, redacted: transport.Redact(u), proto: protocolOf(u.Scheme)}
		hostKey := u.Scheme + "://" + u.Host
		tu.limit = c.hosts[hostKey]
		if tu.limit == nil {
			tu.limit = &hostLimit{key: hostKey}
			if n := c.cfg.MaxAnnouncesPerTracker; n > 0 {
				tu.limit.slots = make(chan struct{}, n)
			}
			c.hosts[hostKey] = tu.limit
		}
		tu.limit.refs++
		c.urls[key] = tu
	}
	tu.refs++
	return tu, nil
}

// normalizeURL lowers u's scheme and host and drops its fragment, in place,
// and returns the key that identifies the announce URL.
func normalizeURL(u *url.URL) string {
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// unrefURLs drops a Session's references to its interned URLs (a URL no
// Session refers to any more is forgotten, and so is its host).
func (c *Client) unrefURLs(urls []*trackerURL) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tu := range urls {
		if tu.refs--; tu.refs == 0 {
			delete(c.urls, tu.key)
			if tu.limit.refs--; tu.limit.refs == 0 {
				delete(c.hosts, tu.limit.key)
			}
		}
	}
}
