// Package transport holds what every tracker protocol shares: the
// transport-neutral announce and scrape requests and responses, the Transport
// interface that transport/http, transport/udp and transport/webrtc implement,
// the typed errors they return, and the redaction of secret URL parts.
//
// A Transport knows wire formats and nothing of sessions, tiers or schedules:
// the announcer decides when to call it, and turns the values it returns into
// events.
//
// # Errors
//
// Every error a transport returns for a tracker URL is a *Error carrying the
// redacted URL, and wraps one of the typed causes below, so callers can ask
// errors.Is / errors.As:
//
//   - *FailureError: the tracker answered with a failure reason (matches
//     ErrTrackerFailure; BEP 31 "retry in" is in RetryIn / RetryNever).
//   - *StatusError: an HTTP status other than 200 (410 Gone matches
//     ErrPermanent, 5xx matches ErrTemporary).
//   - *MalformedError: a reply that does not parse (matches ErrMalformed).
//   - *TooLargeError: a reply over the size limit (matches ErrTooLarge).
//   - ErrSkipped: this host cannot reach the tracker's address family; the
//     tracker was not tried, so it is not "failing".
//   - ErrUnsupported: the tracker or transport cannot do what was asked (for
//     example scrape on a URL without an "announce" segment).
//   - ErrBatchTooLarge: a scrape asked about too many torrents at once (an
//     HTTP 414); smaller batches may succeed.
//   - ErrClosed (wraps net.ErrClosed): the transport was closed.
//
// Transports build these with the shared helpers: Wrap makes any error a
// *Error unless it already is one, Unroutable and Skipped classify "no
// route for this address family" the same way for every protocol.
//
// # Registry
//
// Register maps URL schemes to a Protocol: its name, its schemes and a
// constructor taking the shared Options (User-Agent, logger, DNS cache).
// The announcer builds its default transports from the registry, package
// scrape and the CLI consult it to tell a supported scheme from another,
// so adding a protocol is one package plus one Register call (see
// internal/builtin and docs/design.md).
//
// # DNS
//
// Resolver is a bounded DNS cache (positive and negative entries, one
// lookup in flight per name) that every transport of a Client shares.
//
// Use IsPermanent to decide whether a URL should be given up.
package transport
