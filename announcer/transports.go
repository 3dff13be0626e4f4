package announcer

import (
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// defaultTransports builds the transports NewClient uses for the schemes
// Config.Transports does not name: one HTTP transport for "http" and
// "https", one UDP transport for "udp". A transport whose schemes are all
// overridden is not built.
func defaultTransports(cfg *Config, skip func(scheme string) bool) []scheme {
	var out []scheme
	if !(skip("http") && skip("https")) {
		h := http.New(http.Config{UserAgent: cfg.UserAgent, Logger: cfg.Logger})
		out = append(out, scheme{"http", h, nil}, scheme{"https", h, nil})
		out[0].close = h.Close
	}
	if !skip("udp") {
		u := udp.New(udp.Config{Logger: cfg.Logger})
		out = append(out, scheme{"udp", u, u.Close})
	}
	return out
}

// scheme is one default transport for one URL scheme; close is set on the
// first scheme of a transport serving several.
type scheme struct {
	name  string
	t     transport.Transport
	close func() error
}
