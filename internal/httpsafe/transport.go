package httpsafe

import "net/http"

// MaxHeaderBytes caps the response headers of a request sent through the
// transports this package builds. Trackers send a few hundred bytes; Go's
// default (10 MiB) is ten times trackerkit's 1 MiB reply cap.
const MaxHeaderBytes = 32 << 10

// Transport is http.DefaultTransport with headers capped at
// MaxHeaderBytes: what Client uses when given no client (the WebSocket
// handshake's default).
var Transport http.RoundTripper = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxResponseHeaderBytes = MaxHeaderBytes
	return t
}()
