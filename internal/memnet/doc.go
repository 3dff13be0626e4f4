// Package memnet is an in-memory packet network for tests: UDP without the
// kernel, so that code using net.PacketConn can run inside a
// testing/synctest bubble and have its timers, retransmits and deadlines run
// in virtual time.
//
// A Network hands out net.PacketConns with loopback-looking addresses
// (127.0.0.1:port for "udp4", [::1]:port for "udp6"). Datagrams written to an
// address nobody listens on are dropped, as are datagrams sent to a conn whose
// receive queue is full: like UDP, delivery is not promised.
//
// Every blocking operation waits on channels and time timers only, and no
// mutex is held while blocking, so a goroutine blocked in ReadFrom is
// "durably blocked" in synctest's sense. Create the Network and its conns
// inside the bubble that uses them:
//
//	synctest.Test(t, func(t *testing.T) {
//		n := memnet.New()
//		srv, _ := n.ListenPacket("udp4", "127.0.0.1:0")
//		cli, _ := n.ListenPacket("udp4", "127.0.0.1:0")
//		cli.WriteTo([]byte("ping"), srv.LocalAddr())
//		...
//	})
//
// Other packages' tests use it to run a transport/udp Transport and the mock
// tracker wholly in memory, in virtual time:
//
//	synctest.Test(t, func(t *testing.T) {
//		n := memnet.New()
//		tracker := mocktracker.New(mocktracker.Config{})
//		defer tracker.Close()
//		pc, _ := n.ListenPacket("udp4", "127.0.0.1:0")
//		tracker.ServeUDP(pc) // the tracker owns pc now
//		announceURL := "udp://" + pc.LocalAddr().String() + "/announce"
//		tr := udp.New(udp.Config{ListenPacket: n.ListenPacket})
//		defer tr.Close()
//		// tr.Announce(ctx, announceURL, ...): a 15 s retransmit takes no real time.
//	})
//
// Listen and DialContext add TCP-like stream connections (net.Pipe pairs
// with loopback TCP addresses) on the same network, so that HTTP and
// WebSocket trackers and their transports run in a bubble too: give
// DialContext to an http.Transport, and the listener to an http.Server.
//
// DisableIPv6 makes the network look like a host without IPv6, to test that
// such trackers are skipped.
package memnet
