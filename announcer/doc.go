// Package announcer keeps torrents announced to their trackers.
//
// A Client is made once per process and holds what sessions share: the UDP
// sockets, the HTTP client, the WebSocket pool, the connection-ID and DNS
// caches, concurrency limits and the logger. A Session is one torrent: it runs
// one goroutine per announce URL that honours the tracker's intervals, BEP 15
// retransmits and backoff, and streams what it learns as typed Events.
package announcer
