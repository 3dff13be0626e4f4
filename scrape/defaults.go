package scrape

import (
	"errors"
	"net/url"

	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// ErrNoTransport means the Scraper has no transport for a URL: the
// Config.Transport function returned none.
var ErrNoTransport = errors.New("no transport for this URL")

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
	t, err := s.newDefaultTransport(p)
	if err != nil {
		return nil, err
	}
	s.owned[p] = t
	return t, nil
}

// newDefaultTransport builds the standalone transport for protocol p.
func (s *Scraper) newDefaultTransport(p string) (closingTransport, error) {
	switch p {
	case "http":
		return trackerhttp.New(trackerhttp.Config{Logger: s.cfg.Logger}), nil
	case "udp":
		return udp.New(udp.Config{Logger: s.cfg.Logger}), nil
	case "webrtc":
		return webrtc.New(webrtc.Config{Logger: s.cfg.Logger}), nil
	}
	return nil, ErrNoTransport // unreachable: parseTracker admits no other scheme
}
