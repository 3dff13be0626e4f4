package bencode_test

import (
	"crypto/sha1"
	"fmt"

	"github.com/trackerkit/trackerkit/internal/bencode"
)

func Example() {
	torrent := []byte("d8:announce20:udp://t.example:69694:infod6:lengthi5e4:name5:a.txt12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee")
	top, err := bencode.Decode(torrent, bencode.Options{Strict: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	announce, _ := top.Get("announce").Bytes()
	info := top.Get("info")
	name, _ := info.Get("name").Bytes()
	fmt.Printf("%s %s %x\n", announce, name, sha1.Sum(info.Raw()))

	_, err = bencode.Decode([]byte("d5:peers300000000:xe"), bencode.Options{})
	fmt.Println(err)
	// Output:
	// udp://t.example:6969 a.txt 7faf75b2447f88700c68f1eceda713cd90a0127a
	// invalid bencode at byte 8: string length runs past the end of input
}
