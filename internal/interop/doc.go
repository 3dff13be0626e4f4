// Package interop proves trackerkit against the system its users come from:
// the JS bittorrent-tracker (npm, 11.2.3). Its tests start the real Node
// server on loopback (HTTP, UDP over 127.0.0.1 and ::1, WebSocket), run
// trackerkit sessions against it, and run the JS Client as the other peer
// (HTTP, UDP, and WebRTC through the WebSocket tracker).
//
// The Node side lives in testdata/node: package.json (with the override that
// lets it install offline of prebuilt-binary downloads), server.mjs and
// peer.mjs. TestMain installs node_modules there with npm when they are
// missing. When node is not installed the tests skip with a loud message on a
// developer machine, and fail when CI=true: CI must run them.
//
// Every process a test starts runs in its own process group and is stopped by
// its PID when the test ends; everything stays on loopback.
package interop
