package transport

import (
	"context"
	"net/url"

	"github.com/trackerkit/trackerkit/peer"
)

// Transport speaks one tracker protocol. Implementations are safe for
// concurrent use by many goroutines and many torrents, and never mutate the
// *url.URL or requests they are given, nor keep a request after the call
// returns (copy what outlives it): callers reuse request values.
//
// A call that returns an error returns a *Error that wraps the cause (see the
// package documentation; Wrap builds one); it never returns a nil response
// with a nil error.
//
// A new protocol is one package implementing Transport plus one Register
// call for its URL schemes (see Register and docs/design.md).
type Transport interface {
	// Announce sends one announce to the tracker at u and waits for its reply,
	// for ctx to end, or for the transport's own retry budget to run out.
	Announce(ctx context.Context, u *url.URL, req *AnnounceRequest) (*AnnounceResponse, error)

	// Scrape asks the tracker at u about req.InfoHashes. The caller keeps each
	// request within MaxScrapeBatch hashes.
	Scrape(ctx context.Context, u *url.URL, req *ScrapeRequest) (*ScrapeResponse, error)

	// Close releases the transport's sockets, connections and goroutines
	// and waits for the goroutines to end; calls in flight fail with an
	// error matching ErrClosed, later calls too. It is idempotent. Whoever
	// built a transport closes it: a Client closes the transports it built
	// from the registry, never those given in its Config.
	Close() error
}

// MaxScrapeBatch is implemented by transports that can say how many info
// hashes one scrape request may carry (74 for UDP, per BEP 15's packet size).
type MaxScrapeBatch interface {
	MaxScrapeBatch() int
}

// PeerSource is implemented by transports that find peers outside of announce
// replies: WebTorrent trackers relay offers and answers at any time, so WebRTC
// peers arrive asynchronously. Subscribe registers fn for the peers found for
// infoHash through the tracker at u; it returns a function that cancels the
// subscription. fn must not block.
type PeerSource interface {
	Subscribe(u *url.URL, infoHash InfoHash, fn func(peer.Peer)) (cancel func())
}
