// Package announcertest runs a real BitTorrent tracker on loopback for the
// tests of code that uses package announcer, as net/http/httptest does for
// HTTP servers.
//
// NewTracker starts one tracker with three front ends sharing one set of
// swarms: HTTP (BEP 3), UDP (BEP 15) and WebSocket (WebTorrent, with WebRTC
// offers and answers relayed between peers), each on its own free port of
// 127.0.0.1. It is closed by the test's Cleanup:
//
//	func TestMyClient(t *testing.T) {
//		trk := announcertest.NewTracker(t)
//		sess, _ := client.NewSession(announcer.Torrent{InfoHash: h, Tiers: [][]string{{trk.HTTPURL()}}}, announcer.SessionOptions{})
//		...
//		a, err := trk.WaitAnnounce(ctx, announcertest.EventIs(h, transport.EventStarted))
//	}
//
// The tracker records what it receives: Announces and Scrapes list every
// request with its protocol, event and parameters; Peers lists the members
// of a swarm; AddPeer puts simulated peers in one. WaitAnnounce blocks until
// a matching announce has arrived, so tests wait on the tracker rather than
// on the clock.
//
// Faults make it misbehave the way real trackers do: a failure reason (with
// BEP 31 "retry in"), a warning, other intervals, HTTP status codes,
// dropped or delayed replies, no WebRTC relaying. SetFaults applies them to
// every protocol, SetHTTPFaults, SetUDPFaults and SetWSFaults to one.
//
// The tracker is the one trackerkit's own tests, its CLI demo and the
// examples/mocktracker command use (internal/mocktracker); this package is
// its stable, documented face for other modules. It never listens beyond
// loopback. Its sockets are real, so it runs in real time: a test of
// schedules in virtual time (testing/synctest) wants a fake transport
// instead.
package announcertest
