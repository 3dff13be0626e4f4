package memnet_test

import (
	"fmt"

	"github.com/trackerkit/trackerkit/internal/memnet"
)

func Example() {
	n := memnet.New()
	server, _ := n.ListenPacket("udp4", "127.0.0.1:6969")
	client, _ := n.ListenPacket("udp4", "127.0.0.1:0")
	defer server.Close()
	defer client.Close()

	client.WriteTo([]byte("ping"), server.LocalAddr())
	buf := make([]byte, 64)
	nr, _, _ := server.ReadFrom(buf)
	fmt.Println(string(buf[:nr]), server.LocalAddr())
	// Output: ping 127.0.0.1:6969
}
