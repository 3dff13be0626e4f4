// Package mocktracker is a real, in-memory BitTorrent tracker for tests and the
// CLI demo. One Tracker holds the swarms (peers per info hash, with expiry);
// protocol front ends (HTTP, UDP, WebSocket; each in its own file) serve those
// same swarms on loopback sockets or listeners the caller gives, so a peer that
// announced over UDP is returned to one announcing over HTTP.
//
// Every front end can be told, per test, to misbehave (its *Faults type). A
// Tracker and its front ends stop with Close, which waits for every goroutine
// they started.
package mocktracker
