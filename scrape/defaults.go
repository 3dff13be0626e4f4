package scrape

import (
	"errors"
	"net/url"

	"github.com/trackerkit/trackerkit/transport"
)

// ErrNoTransport means the Scraper has no transport for a URL's scheme: a
// standalone Scraper builds HTTP and UDP transports itself, but not (yet)
// WebSocket ones; pass Config.Transport to use others.
var ErrNoTransport = errors.New("scrape: no transport for this URL scheme")

// closingTransport is a transport the Scraper owns and closes.
type closingTransport interface {
	transport.Transport
	Close() error
}

// protocol maps a URL scheme to the default transport serving it.
func protocol(scheme string) string {
	switch scheme {
	case "http", "https":
		return "http"
	case "udp":
		return "udp"
	case "ws", "wss":
		return "webrtc"
	}
	return ""
}

// defaultTransport returns the Scraper's own transport for u, building it on
// first use.
func (s *Scraper) defaultTransport(u *url.URL) (transport.Transport, error) {
	p := protocol(u.Scheme)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if t, ok := s.owned[p]; ok {
		return t, nil
	}
	t, err := newDefaultTransport(p)
	if err != nil {
		return nil, err
	}
	s.owned[p] = t
	return t, nil
}

// newDefaultTransport builds the standalone transport for protocol p.
func newDefaultTransport(p string) (closingTransport, error) {
	// transport/http and transport/udp are not on main yet: until they are,
	// a standalone Scraper has no transport of its own.
	_ = p
	return nil, ErrNoTransport
}
