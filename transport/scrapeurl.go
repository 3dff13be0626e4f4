package transport

import (
	"net/url"
	"strings"
)

// ScrapeURL derives a tracker's HTTP scrape URL from its announce URL by the
// BEP 48 convention: if the last path segment starts with "announce", that
// word is replaced by "scrape"; everything else (a passkey in the path, the
// query) is kept byte for byte. Otherwise the tracker has no scrape URL and
// the error wraps ErrUnsupported.
//
//	http://t.example/x/announce.php?pk=1 -> http://t.example/x/scrape.php?pk=1
//	http://t.example/a                   -> error (ErrUnsupported)
func ScrapeURL(announce *url.URL) (*url.URL, error) {
	p := announce.EscapedPath()
	i := strings.LastIndexByte(p, '/')
	if i < 0 || !strings.HasPrefix(p[i+1:], "announce") {
		return nil, &Error{Op: "scrape", URL: Redact(announce), Err: ErrUnsupported}
	}
	raw := p[:i+1] + "scrape" + p[i+1+len("announce"):]
	path, err := url.PathUnescape(raw)
	if err != nil { // cannot happen: raw came from EscapedPath
		return nil, &Error{Op: "scrape", URL: Redact(announce), Err: ErrUnsupported}
	}
	s := *announce
	s.Path, s.RawPath = path, raw
	return &s, nil
}
