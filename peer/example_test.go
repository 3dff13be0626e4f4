package peer_test

import (
	"fmt"

	"github.com/trackerkit/trackerkit/peer"
)

func ExampleDecodeCompactIPv4() {
	peers, err := peer.DecodeCompactIPv4(nil, []byte{127, 0, 0, 1, 0x1a, 0xe1})
	if err != nil {
		panic(err)
	}
	fmt.Println(peers[0])
	// Output: 127.0.0.1:6881
}
