// Package scrape asks trackers for swarm statistics: how many seeders
// (complete), leechers (incomplete) and finished downloads (downloaded) a
// torrent has, for one torrent or ten thousand.
//
// # Scrape URLs
//
// HTTP trackers are scraped at a URL derived from the announce URL by BEP 48
// (see URL): "/x/announce.php?pk=1" becomes "/x/scrape.php?pk=1", passkeys
// and query kept. An HTTP announce URL whose last path segment does not start
// with "announce" cannot be scraped: the error matches ErrUnsupported. UDP and
// WebSocket trackers scrape over the announce address itself and need no
// derivation.
//
// # Many hashes
//
// A Scraper splits the hashes into batches the protocol allows: at most
// Config.BatchSize (the cap torrust and others enforce; defaults are in the
// Config field docs) and never
// more than the transport's MaxScrapeBatch (74 for UDP, the most one packet
// carries). A batch the tracker refuses as too large (transport.ErrBatchTooLarge: an
// HTTP 414 URI Too Long) is sent again
// in halves, down to one hash a request, and the smaller size is kept for the
// rest of the call. At most Config.Concurrency requests are in
// flight at once. Duplicate hashes are asked once.
//
// Every hash asked gets a Result whose Status tells the three outcomes apart:
//
//   - Known: the tracker answered with statistics (Result.Stats).
//   - Unknown: the tracker answered, but not about this hash: it does not
//     track the torrent.
//   - Failed: the request carrying this hash failed; Result.Err is the
//     transport's typed *transport.Error (errors.Is / errors.As work, e.g.
//     errors.Is(r.Err, transport.ErrTimeout)).
//
// One failed batch does not fail the call: Scrape itself returns an error
// only for input it cannot use (an unparsable URL, a scheme without a
// transport, an HTTP URL without scrape) and for the end of its context.
//
// # Transports
//
// A Scraper inside an application that also announces shares the announcer's
// transports (sockets, UDP connection IDs, HTTP connection pool):
//
//	s := scrape.New(scrape.Config{Transport: client.TransportFor})
//
// With no Config.Transport the Scraper builds its own transports on first
// use and closes them in Close: transport/http's for http and https,
// transport/udp's for udp and transport/webrtc's for ws and wss.
//
// # UDP and unknown torrents
//
// BEP 15 has no way to say "unknown torrent": UDP trackers answer zeros for
// a hash they do not track. Over UDP such a hash is Known with zero Stats;
// only HTTP and WebSocket trackers can report Unknown.
package scrape
