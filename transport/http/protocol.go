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
		return New(Config{UserAgent: o.UserAgent, Logger: o.Logger})
	},
	CheckScrape: func(u *url.URL) error {
		_, err := ScrapeURL(u)
		return err
	},
}
