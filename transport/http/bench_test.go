package http

import (
	"fmt"
	"testing"
)

// benchReplies builds 200-peer replies in both peer forms.
func benchReplies() (compact, dictForm []byte) {
	var c []byte
	var l list
	for i := range 200 {
		c = append(c, 10, 0, byte(i>>8), byte(i), 0x1a, 0xe1)
		l = append(l, dict{"ip": fmt.Sprintf("10.0.%d.%d", i>>8, i), "port": 6881, "peer id": fmt.Sprintf("-TK0001-%012d", i)})
	}
	base := func(peers any) []byte {
		return benc(dict{"interval": 1800, "min interval": 900, "complete": 150, "incomplete": 50, "peers": peers})
	}
	return base(string(c)), base(l)
}

func BenchmarkParseAnnounce(b *testing.B) {
	compact, dictForm := benchReplies()
	for _, bc := range []struct {
		name  string
		reply []byte
	}{{"compact200", compact}, {"dict200", dictForm}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.reply)))
			for b.Loop() {
				r, err := ParseAnnounce(bc.reply)
				if err != nil || len(r.Peers) != 200 {
					b.Fatal(err)
				}
			}
		})
	}
}
