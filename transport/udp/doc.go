// Package udp is the UDP tracker client (BEP 15, with BEP 41 URLData) that a
// client with ten thousand torrents needs.
//
// One Transport owns at most two sockets, one per address family, opened on
// first use and shared by every torrent and tracker. Replies are matched to
// requests by random 32-bit transaction IDs (never zero, never reused while
// outstanding), not by source address: some trackers answer from another
// address. Config.Strict also checks the source.
//
// Connection IDs are cached per tracker address for Config.ConnectionIDTTL
// and shared by all torrents; concurrent requests to one tracker that
// need a new ID share one connect. An error reply that says the ID is stale
// ("Connection ID missmatch.") costs one reconnect and retry.
//
// Hostnames are resolved through a transport.Resolver (Config.DNS, shared
// with the Client's other transports, or the Transport's own); of the
// addresses found, the first whose family this host can use is taken.
//
// An announce of unknown size (transport.LeftUnknown) sends left 2^64-1, as
// the JavaScript client does. A request's Params (custom parameters) are not
// sent: BEP 15 has no field for them (the tracker URL's own path and query do
// go out, as BEP 41 URLData).
//
// # Retransmission
//
// A request is resent when no reply came within 15 s * 2^n, n = 0..8
// (Config.RetransmitBase, Config.MaxRetransmits). One request follows one
// schedule: n counts every timeout of the call, the connect's included, so an
// announce that needed a connect after three timeouts waits 120 s next. When
// the ID expires between resends, the resend is preceded by a new connect.
// After the last wait (3840 s with the BEP 15 schedule) the call fails with an error wrapping
// transport.ErrTimeout; the caller's context usually ends it sooner. A stuck
// tracker delays no other: every request waits on its own timer, and no
// goroutine is started per request.
//
// # Errors
//
// Every error is a *transport.Error with the redacted URL. Error replies
// become *transport.FailureError with the tracker's text verbatim (one
// trailing NUL removed). A tracker whose address family this host cannot use
// (no socket for the family, ENETUNREACH or EADDRNOTAVAIL on send) fails with
// transport.ErrSkipped. Datagrams shorter than the 8-byte header, or that
// carry an unknown transaction ID or an action that is neither the expected
// one nor an error, are ignored. A reply with our transaction ID and the
// expected action that is too short is the tracker's answer: the request
// fails at once with a *TruncatedError (opentracker answers an announce for
// a torrent it does not track with 8 bytes). It, and a reply whose peer list
// is not a whole number of peers (a *transport.MalformedError), match
// transport.ErrMalformed.
//
// # Scrape
//
// One scrape packet carries up to 74 info hashes (MaxScrapeBatch). Scrape
// splits longer requests into packets of 74, sent one after another.
//
// # Network
//
// Of a tracker's addresses, those of the request's family
// (AnnounceRequest.Family) and of Config.LocalAddr's family are used, in the
// resolver's order interleaved by family. A request is sent to the first;
// when no reply came within Config.FamilyFallback (5 s, well before BEP 15's
// first retransmit) it is also sent to the next, and the first reply wins,
// so a dead AAAA record with a live A record costs seconds. A tracker's
// error reply is an answer: the next address is not asked. Config.LocalAddr
// binds the socket of its family (the other family is skipped);
// Config.Proxy sends every datagram through SOCKS5 UDP ASSOCIATE, and an
// http:// proxy skips UDP trackers (ErrHTTPProxy), so that nothing goes
// around it. The Transport implements transport.Families.
//
// # Tests
//
// Config.ListenPacket and Config.Resolver let a test run the Transport over
// internal/memnet inside a testing/synctest bubble, so the 15 s .. 3840 s
// schedule runs in virtual time.
package udp
