// Package http is the HTTP(S) tracker transport (BEP 3, 7, 23, 24, 31, 48).
// It implements transport.Transport: Announce sends one GET to an announce
// URL, Scrape one GET to the scrape URL derived from it, and both return the
// transport-neutral values of package transport.
//
// The package name shadows net/http; import it under another name, for
// example trackerhttp.
//
// # Requests
//
// The parameters are appended after '?', or after '&' when the tracker's URL
// already has a query; the tracker's own path and query are sent byte for
// byte, since private trackers keep passkeys there. info_hash and peer_id
// are the raw bytes percent-encoded one by one (RFC 3986 unreserved bytes
// stay literal, every other byte is %XX in upper case). The announce sends,
// in this order: info_hash, peer_id, port, uploaded, downloaded (negative
// counters are sent as 0), left (16384 for transport.LeftUnknown, as the
// JavaScript client does when it does not know the size), event (absent for a regular announce), compact=1,
// numwant (absent for transport.NumWantDefault), key (8 upper-case hex
// digits) and trackerid (when the request carries one), then the request's
// Params sorted by name, except those named like one of the above or like a
// parameter of the tracker's own query. It sends ip only when
// the request names one (AnnounceRequest.IP, opt-in; BEP 7 discourages it:
// the tracker sees our address), and never ipv4 or ipv6 (dual-stack
// announcing sends one announce per family instead). The
// fragment of a URL is never sent. gzip is asked for with Accept-Encoding and
// decoded here.
//
// # Replies
//
// ParseAnnounce and ParseScrape are pure functions over the reply body, with
// a hand-written bencode decoder: strings are slices of the input, a length
// prefix is checked against the bytes left before use (a 2^62-byte prefix
// costs nothing), nesting stops at 32 levels, and allocation is proportional
// to the input, which the transport caps at Config.MaxReplyBytes. Keys may
// come in any order; a repeated key keeps its last value. Leading zeros in
// integers are tolerated. Trailing whitespace after the reply is tolerated;
// other trailing bytes are an error.
//
// How each field is treated, where the BEPs leave a choice:
//
//   - "failure reason" wins over everything else in a well-formed reply: the
//     result is a *transport.FailureError even if interval or peers are
//     broken. A reply that is not valid bencode is malformed, failure reason
//     or not: a truncated reply cannot be trusted.
//   - "retry in" (BEP 31): a positive integer of minutes (also accepted as a
//     decimal string), or "never" (RetryNever, matching
//     transport.ErrPermanent). Zero, negative, overflowing or other values
//     are ignored: the failure stands, without retry advice.
//   - "interval" is required: missing or not an integer is a
//     *transport.MalformedError. A number out of range is clamped, never
//     malformed: negative is 0, and anything beyond what a time.Duration
//     holds (2^63 and more included) is the largest Duration; the announcer
//     then applies its floor and cap. "min interval" is clamped the same way.
//   - Optional fields ("min interval", "complete", "incomplete", "tracker id",
//     "warning message", "external ip") of the wrong type or out of range are
//     ignored as if absent: the reply is still usable. Absent counts are -1.
//   - "external ip" (BEP 24) is 4 or 16 raw bytes; other lengths are tried
//     as address text (some trackers send that), and ignored if they do not
//     parse.
//   - "peers" as a compact string must be a multiple of 6 bytes and "peers6"
//     of 18, else *transport.MalformedError wrapping *peer.LengthError; a
//     "peers" (or "peers6") of another type is malformed too: the peers are
//     what an announce is for.
//   - "peers" as a list of dictionaries: a single entry that cannot be used
//     (not a dictionary, no ip or port, a field of the wrong type, a port out
//     of range, an ip that is neither an address nor a hostname, a peer id
//     that is not 20 bytes) is skipped, so one bad entry does not cost the
//     other peers. Hostnames are kept in peer.Peer.Host, unresolved. Peers
//     with port 0 are dropped, as in package peer.
//   - At most MaxPeersPerReply peers are taken from one reply (the first
//     ones: dictionary or compact IPv4 peers, then IPv6); the rest are
//     dropped, so one reply's cost is bounded whatever the tracker sends.
//   - Scrape: "files" is required (it may be empty); entries whose key is
//     not 20 bytes or whose value is not a dictionary are skipped; absent or
//     invalid counts are -1.
//
// # Errors
//
// Every error is a *transport.Error{Op, URL, Err} whose URL is redacted
// with transport.Redact; net/http's *url.Error (which holds the full URL,
// passkey included) is unwrapped and never returned. The causes:
//
//   - *transport.FailureError: the tracker's failure reason. It is preferred
//     over the HTTP status when a non-200 reply carries one (some trackers
//     refuse with 400 and a failure reason).
//   - *transport.StatusError: a status other than 200 (410 matches
//     transport.ErrPermanent, 5xx transport.ErrTemporary). A 414 on a
//     scrape also matches transport.ErrBatchTooLarge: send fewer hashes.
//   - *transport.MalformedError: the reply does not parse (a broken gzip
//     stream included); *SyntaxError inside for broken bencode.
//   - *transport.TooLargeError: more than Config.MaxReplyBytes on the wire
//     or after decompression.
//   - *RedirectError (ErrTooManyRedirects): more than Config.MaxRedirects.
//   - *InsecureRedirectError (ErrInsecureRedirect): an https request
//     redirected to http, refused unless Config.AllowInsecureRedirects.
//   - transport.ErrSkipped (a *transport.SkippedError with the dial error):
//     the dial failed in a way transport.Unroutable classifies as "this host
//     has no route for the tracker's address family".
//   - transport.ErrUnsupported: a URL that is not http(s), or a scrape of a
//     URL without an "announce" segment.
//   - transport.ErrClosed (which wraps net.ErrClosed) after Close; context.Canceled and
//     context.DeadlineExceeded (errors.Is) when the context ends.
//
// # Connections
//
// The default client keeps connections alive and shares them between all
// torrents on a tracker, with at most Config.ConnsPerHost connections per
// host (the announcer's in-flight limit per tracker, 64 by default), so that ten thousand torrents starting together queue for a few
// sockets instead of opening ten thousand. A Config.Client is used as given
// (its proxy, TLS and dial settings), through a shallow copy that adds the
// redirect limit; it is never modified and Close leaves it open.
//
// The default client dials through the shared network plumbing
// (internal/netdial): hostnames through the Client's DNS cache
// (Config.DNS), connections from Config.LocalAddr, through Config.Proxy
// (CONNECT or SOCKS5, the proxy resolving names), and across a host's
// addresses with RFC 8305 fallback (the next address, of the other family
// first, is tried when a connection attempt has not succeeded within
// 300 ms). An announce forced to one family (AnnounceRequest.Family, for
// dual-stack announcing) uses a connection pool of that family only; the
// Transport implements transport.Families.
//
// # Redirects and headers
//
// No request carries a Referer: on a redirect net/http would send the whole
// previous URL (passkey, info_hash, peer_id) to the next host, so it is
// removed before each redirect is followed (internal/httpsafe, shared with
// the WebSocket handshake of transport/webrtc). At most DefaultMaxRedirects
// (5) are followed; an https URL redirected to http is refused
// (*InsecureRedirectError) unless Config.AllowInsecureRedirects. The
// default client caps response headers at 32 KiB (Go's default is 10 MiB),
// and its plain-HTTP connections never read past the end of a reply, so a
// tracker that sends more than its Content-Length cannot make net/http
// print "Unsolicited response received on idle HTTP channel" on stderr
// (see framedconn.go).
package http
