package testenv

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

// ServeUDP answers datagrams on a new UDP socket on 127.0.0.1 until the
// test ends, and returns its address. For each datagram, reply gets its
// bytes (valid during the call only) and its source, and returns the
// answer, or nil for none. The answer is written before the next datagram
// is read, so reply may return the same buffer each time: a server whose
// reply allocates nothing allocates nothing per datagram.
func ServeUDP(tb testing.TB, reply func(req []byte, from netip.AddrPort) []byte) netip.AddrPort {
	tb.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			if out := reply(buf[:n], from); out != nil {
				conn.WriteToUDPAddrPort(out, from)
			}
		}
	}()
	tb.Cleanup(func() {
		conn.Close()
		<-done
	})
	return conn.LocalAddr().(*net.UDPAddr).AddrPort()
}
