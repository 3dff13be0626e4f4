package scrape

import (
	"errors"
	"net/url"

	_ "github.com/trackerkit/trackerkit/internal/builtin" // registers http, https, udp, ws, wss
	"github.com/trackerkit/trackerkit/transport"
)

// ErrNoTransport means the Scraper has no transport for a URL: the
// Config.Transport function returned none.
var ErrNoTransport = errors.New("no transport for this URL")

// defaultTransport returns the Scraper's own transport for u's protocol (one
// per registered protocol, shared by its schemes), building it on first use.
func (s *Scraper) defaultTransport(u *url.URL) (transport.Transport, error) {
	p, ok := transport.Lookup(u.Scheme)
	if !ok {
		return nil, ErrNoTransport // unreachable: parseTracker admits registered schemes only
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if t, ok := s.owned[p.Name]; ok {
		return t, nil
	}
	o := s.cfg.Options
	if o.Logger == nil {
		o.Logger = s.cfg.Logger
	}
	t := p.New(o)
	s.owned[p.Name] = t
	return t, nil
}
