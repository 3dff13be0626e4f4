package webrtc

import (
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// benchSDP is an SDP of a typical size (a browser's complete SDP is ~1-2 KB).
var benchSDP = strings.Repeat("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n", 20)

// A relayed offer of a typical size.
var benchOffer = j("action", "announce", "info_hash", binaryString(allBytes(0xe0)), "peer_id", binaryString(allBytes(0x70)),
	"offer_id", binaryString(allBytes(0x10)), "offer", map[string]string{"type": "offer", "sdp": benchSDP})

func BenchmarkDecodeRelayedOffer(b *testing.B) {
	b.SetBytes(int64(len(benchOffer)))
	benchDecode(b, benchOffer)
}

// benchDecode decodes msg once an iteration.
func benchDecode(b *testing.B, msg []byte) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeMessage(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAnnounceReply(b *testing.B) {
	benchDecode(b, j("action", "announce", "info_hash", binaryString(allBytes(0xe0)), "interval", 120, "complete", 3, "incomplete", 4))
}

func BenchmarkEncodeAnnounce10Offers(b *testing.B) {
	p := announceParams{InfoHash: transport.InfoHash(allBytes(0xe0)), PeerID: allBytes(0x70), NumWant: 10, Left: 1, Event: transport.EventStarted}
	for i := range 10 {
		p.Offers = append(p.Offers, offer{ID: allBytes(byte(i)), SDP: benchSDP})
	}
	b.ReportAllocs()
	for b.Loop() {
		encodeAnnounce(p)
	}
}
