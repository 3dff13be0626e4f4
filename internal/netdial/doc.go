// Package netdial is the network plumbing every tracker transport shares:
// it opens TCP connections (for HTTP(S) and WebSocket trackers) and UDP
// sockets with the settings of transport.Options, so that one setting
// reaches every protocol:
//
//   - the shared DNS cache (transport.Resolver): names are resolved once
//     per TTL for every transport;
//   - a bound local address (LocalAddr): every socket uses it as its source,
//     and only addresses of its family are dialed;
//   - a proxy (Proxy): http:// (CONNECT) or socks5:// (with user:password)
//     for TCP, SOCKS5 UDP ASSOCIATE for UDP; with a proxy, hostnames are
//     resolved by the proxy (libtorrent's proxy_hostnames), so no DNS query
//     leaves around it either;
//   - an address family (transport.Family) forced per connection, for
//     dual-stack announces;
//   - fallback between addresses (RFC 8305, "Happy Eyeballs"): when the
//     first address does not connect within FallbackDelay, the next one
//     (of the other family first) is tried alongside it, and the first
//     connection wins.
//
// Errors never hold a tracker's path or query (only host:port is dialed)
// nor the proxy's user information.
package netdial
