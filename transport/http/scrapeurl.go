package http

import (
	"net/url"
	"strings"

	"github.com/trackerkit/trackerkit/transport"
)

// ScrapeURL derives a tracker's HTTP scrape URL from its announce URL by the
// BEP 48 convention: if the last path segment starts with "announce", that
// word is replaced by "scrape"; everything else (a passkey in the path, the
// query) is kept byte for byte. Otherwise the tracker has no scrape URL and
// the error wraps transport.ErrUnsupported. This is the one place that
// knows the rule: package scrape and the CLI ask it through the registry
// (transport.Protocol.CheckScrape) or call it.
//
//	http://t.example/x/announce.php?pk=1 -> http://t.example/x/scrape.php?pk=1
//	http://t.example/a                   -> error (transport.ErrUnsupported)
func ScrapeURL(announce *url.URL) (*url.URL, error) {
	p := announce.EscapedPath()
	i := strings.LastIndexByte(p, '/')
	if i < 0 || !strings.HasPrefix(p[i+1:], "announce") {
		return nil, &transport.Error{Op: "scrape", URL: transport.Redact(announce), Err: transport.ErrUnsupported}
	}
	raw := p[:i+1] + "scrape" + p[i+1+len("announce"):]
	path, err := url.PathUnescape(raw)
	if err != nil { // cannot happen: raw came from EscapedPath
		return nil, &transport.Error{Op: "scrape", URL: transport.Redact(announce), Err: transport.ErrUnsupported}
	}
	s := *announce
	s.Path, s.RawPath = path, raw
	return &s, nil
}
