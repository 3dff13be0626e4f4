// Package httpsafe holds the HTTP client policy every trackerkit request
// follows, whichever transport sends it (HTTP announces and scrapes, the
// WebSocket handshake of WebTorrent trackers):
//
//   - no Referer, ever: on a redirect net/http would send the whole
//     previous URL (passkey, info_hash, peer_id) to the next host;
//   - an https -> http redirect is refused (ErrInsecureRedirect) unless the
//     caller opted in;
//   - at most MaxRedirects redirects (ErrTooManyRedirects);
//   - response headers are capped at MaxHeaderBytes by the transports this
//     package builds (Go's default is 10 MiB, beyond any reply cap).
package httpsafe
