package http

import (
	"net/url"

	"github.com/trackerkit/trackerkit/transport"
)

// Protocol is the HTTP(S) tracker protocol as the scheme registry knows it
// (see transport.Register): "http" and "https", one Transport for both,
// scrape only where BEP 48 derives a scrape URL.
var Protocol = transport.Protocol{
	Name:    "http",
	Schemes: []string{"http", "https"},
	New: func(o transport.Options) transport.Transport {
		return New(ConfigFrom(o))
	},
	CheckScrape: func(u *url.URL) error {
		_, err := ScrapeURL(u)
		return err
	},
}

// ConfigFrom returns the Config that carries the shared options (User-Agent,
// logger, proxy, local address, DNS cache, in-flight limit as
// ConnsPerHost); other fields are zero
// (defaults). A program tuning its own HTTP transport starts from it.
func ConfigFrom(o transport.Options) Config {
	return Config{UserAgent: o.UserAgent, Logger: o.Logger, Proxy: o.Proxy, LocalAddr: o.LocalAddr, DNS: o.Resolver,
		ConnsPerHost: o.MaxInFlight}
}
