// Package interop proves trackerkit against the system its users come from:
// the JS bittorrent-tracker (npm, 11.2.3). Its tests start the real Node
// server on loopback (HTTP, UDP over 127.0.0.1 and ::1, WebSocket), run
// trackerkit against it, and run the JS Client as the other peer:
//
//   - TestSessions: two announcer Sessions per protocol (http, udp over
//     IPv4 and IPv6, ws) announce started, find each other, see seeders and
//     leechers change (also in the server's /stats.json), scrape, complete
//     and stop (the server forgets them).
//   - TestWire, TestWireWS: the same through the transports alone, plus a
//     passkey in the HTTP query and a BEP 41 path on UDP.
//   - TestWebRTCWithJSClient: a Session and the JS Client connect over
//     WebRTC both ways (Go offers and JS answers; JS offers and Go answers)
//     and send bytes, small and over 16 KiB, in both directions.
//   - TestMixedSwarm: a JS client and a Session see each other over HTTP and
//     over UDP.
//   - TestHTTPScrapeHighBytes, TestUDP6ReplyWithIPv4Peers (in wire_test.go):
//     what the JS server does that BEPs do not (UTF-8 HTTP scrape keys,
//     6-byte peer records over UDP/IPv6), which trackerkit reads.
//   - TestHarness, TestHarnessWebRTC: the harness and the JS side alone.
//
// Limits of the JS side, found here: its UDP server answers with IPv4 peers
// only, so Sessions over udp://[::1] never see each other; its UDP client
// cannot announce to udp://[::1]:port (getaddrinfo on the bracketed host);
// its WebRTC (node-datachannel) leaves loopback out of the ICE candidates
// unless bound to 127.0.0.1, and waits 5 s for ICE gathering before sending
// each offer or answer.
//
// The Node side lives in testdata/node: package.json (with the override that
// lets it install without downloading a prebuilt binary), its lock file,
// server.mjs and peer.mjs. TestMain installs node_modules there with npm
// when they are missing. When node is not installed the tests skip with a
// loud message on a developer machine, and the package fails when CI=true:
// CI must run them.
//
// Every process a test starts runs in its own process group and is stopped by
// its PID when the test ends; everything stays on loopback.
package interop
