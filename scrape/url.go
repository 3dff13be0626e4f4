package scrape

import (
	"errors"
	"net/url"

	"github.com/trackerkit/trackerkit/transport"
	trackerhttp "github.com/trackerkit/trackerkit/transport/http"
)

// ErrUnsupported is transport.ErrUnsupported: the tracker cannot be scraped
// (an HTTP announce URL without an "announce" segment) or the URL's scheme is
// not a tracker protocol. Match it with errors.Is.
var ErrUnsupported = transport.ErrUnsupported

// ErrInvalidURL means a tracker URL does not parse or has no host.
var ErrInvalidURL = errors.New("invalid tracker URL")

// URL returns the HTTP scrape URL of an HTTP announce URL by BEP 48: when the
// last path segment starts with "announce", that word becomes "scrape"; the
// rest of the URL (a passkey in the path or the query) is kept byte for byte.
// Otherwise the tracker has no scrape URL and the error, a *transport.Error
// with the URL redacted, matches ErrUnsupported. announce is not modified.
//
//	http://t.example/x/announce.php?pk=1 -> http://t.example/x/scrape.php?pk=1
//	http://t.example/a                   -> error (ErrUnsupported)
//
// It is the HTTP transport's ScrapeURL, re-exported where users look for it.
func URL(announce *url.URL) (*url.URL, error) { return trackerhttp.ScrapeURL(announce) }

// parseTracker parses a tracker URL and checks that it can be scraped at all.
// Errors are *transport.Error with the URL redacted.
func parseTracker(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		// url.Parse's error holds the whole URL, passkey included: drop it.
		return nil, &transport.Error{Op: "scrape", URL: transport.RedactString(raw), Err: ErrInvalidURL}
	}
	p, ok := transport.Lookup(u.Scheme)
	if !ok {
		return nil, &transport.Error{Op: "scrape", URL: transport.Redact(u), Err: ErrUnsupported}
	}
	if p.CheckScrape != nil {
		if err := p.CheckScrape(u); err != nil {
			return nil, transport.Wrap("scrape", transport.Redact(u), err)
		}
	}
	return u, nil
}
