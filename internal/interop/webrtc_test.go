package interop

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// TestWebRTCWithJSClient connects a trackerkit Session and the JS Client
// over WebRTC through the JS WebSocket tracker, both ways, and sends bytes
// over the data channel in both directions. The JS side waits up to 5 s for
// ICE gathering before each offer and each answer it sends.
func TestWebRTCWithJSClient(t *testing.T) {
	requireNode(t)
	t.Parallel()
	t.Run("go offers, js answers", func(t *testing.T) {
		t.Parallel()
		tr := startTracker(t, serverInterval)
		ih := newInfoHash()
		js := startJSPeer(t, jsPeerConfig{Announce: tr.wsURL(), InfoHash: ih, Left: 100, Send: "js->go", NoOffers: true})
		tr.waitPeers(t, 0, 1)

		g := newSession(t, "go", tr.wsURL(), ih, 6881, 100)
		g.start(t)
		p := g.waitPeer(t, webrtcTimeout, "the JS peer", func(p peer.Peer) bool { return p.ID == js.ID })
		exchange(t, p.Peers[0], js, "go->js", "js->go")
		ev := js.wait(t, webrtcTimeout, "connect", func(e jsEvent) bool { return e.Ev == "connect" })
		if ev.Initiator {
			t.Errorf("the JS peer offered; it should have answered the Go offer")
		}
		checkLoopback(t, js.wait(t, webrtcTimeout, "answer", func(e jsEvent) bool { return e.Ev == "signal" }))
		g.stop(t)
		tr.waitPeers(t, 0, 1)
	})
	t.Run("js offers, go answers", func(t *testing.T) {
		t.Parallel()
		tr := startTracker(t, serverInterval)
		ih := newInfoHash()
		g := newSession(t, "go", tr.wsURL(), ih, 6881, 100)
		g.start(t)
		g.waitUpdate(t, 0, transport.EventStarted)
		tr.waitPeers(t, 0, 1) // the Go peer's offers found no one

		js := startJSPeer(t, jsPeerConfig{Announce: tr.wsURL(), InfoHash: ih, Left: 100, Send: "js->go"})
		p := waitJSOffer(t, g, js)
		exchange(t, p.Peers[0], js, "go->js", "js->go")
		ev := js.wait(t, webrtcTimeout, "connect", func(e jsEvent) bool { return e.Ev == "connect" })
		if !ev.Initiator {
			t.Errorf("the JS peer answered; it should have offered")
		}
		bigMessages(t, p.Peers[0], js, "go->js")
		g.stop(t)
		tr.waitPeers(t, 0, 1)
	})
}

// jsApplyFailure is how the JS side (libdatachannel) once failed, in a CI
// run under load, to apply our answer to its offer: the PeerConnection had
// no ICE transport any more. It has not been reproduced since (dozens of
// runs, with and without CPU load).
const jsApplyFailure = "without ICE transport"

// waitJSOffer waits until g has the JS peer, which offers, as a WebRTC peer.
// If the JS peer fails with jsApplyFailure, it is asked once to offer again
// (said in the test log): that failure is inside the JS side, and the test
// is about what trackerkit does with the JS Client's offers.
func waitJSOffer(t *testing.T, g *goSession, js *jsPeer) announcer.PeerEvent {
	t.Helper()
	isJS := func(p peer.Peer) bool { return p.ID == js.ID }
	deadline := time.Now().Add(webrtcTimeout)
	retried := false
	for {
		if p, ok := g.findPeer(isJS); ok {
			return p
		}
		if !retried {
			if e, ok := js.find(func(e jsEvent) bool {
				return e.Ev == "peererror" && strings.Contains(e.Msg, jsApplyFailure)
			}); ok {
				t.Logf("the JS peer failed to apply our answer (%s); asking it to offer again", e.Msg)
				retried = true
				js.send(t, "update")
				deadline = time.Now().Add(webrtcTimeout)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("go: the JS peer's offer did not connect within %v", webrtcTimeout)
		}
		time.Sleep(pollEvery)
	}
}

// exchange writes send to p's data channel and checks that the JS peer gets
// it, and reads want (which the JS peer writes on connect) from it.
func exchange(t *testing.T, p peer.Peer, js *jsPeer, send, want string) {
	t.Helper()
	if _, err := io.WriteString(p.Conn, send); err != nil {
		t.Fatalf("go write: %v", err)
	}
	got, err := readFull(p.Conn, len(want), webrtcTimeout)
	if err != nil || got != want {
		t.Errorf("go read %q, %v; want %q", got, err, want)
	}
	ev := js.wait(t, webrtcTimeout, "data from go", func(e jsEvent) bool { return e.Ev == "data" })
	if ev.Data != send {
		t.Errorf("JS peer read %q, want %q", ev.Data, send)
	}
}

// readFull reads n bytes from c within timeout; on timeout it closes c to
// end the read.
func readFull(c io.ReadWriteCloser, n int, timeout time.Duration) (string, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(c, b)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return string(r.b), r.err
	case <-time.After(timeout):
		c.Close()
		<-done
		return "", fmt.Errorf("no %d bytes within %v", n, timeout)
	}
}

// bigMessages sends more than 16 KiB at once both ways (WebTorrent sends
// 16 KiB blocks plus a header in one message): 40000 bytes from the JS
// peer, 100000 from Go. sent is what Go already wrote to the JS peer.
func bigMessages(t *testing.T, p peer.Peer, js *jsPeer, sent string) {
	t.Helper()
	js.send(t, "sendbytes 40000")
	got, err := readFull(p.Conn, 40000, webrtcTimeout)
	if err != nil || got != string(pattern(40000)) {
		t.Errorf("go read %d bytes (%v), not the JS peer's 40000-byte pattern", len(got), err)
	}

	big := pattern(100000)
	written := make(chan error, 1)
	go func() {
		_, err := p.Conn.Write(big)
		written <- err
	}()
	total, sum := len(sent)+len(big), byteSum([]byte(sent))+byteSum(big)
	ev := js.wait(t, webrtcTimeout, fmt.Sprintf("%d bytes in all from go", total), func(e jsEvent) bool {
		return e.Ev == "data" && e.Total >= total
	})
	if ev.Total != total {
		t.Errorf("JS peer got %d bytes, want %d", ev.Total, total)
	}
	if ev.Sum != sum {
		t.Errorf("JS peer got %d bytes summing to %d, want %d", total, ev.Sum, sum)
	}
	select {
	case err := <-written:
		if err != nil {
			t.Errorf("go write: %v", err)
		}
	case <-time.After(webrtcTimeout):
		t.Errorf("go write of %d bytes did not return", len(big))
	}
}

// pattern returns n bytes, byte i being i % 251 (as peer.mjs's sendbytes).
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// byteSum is the sum of b's bytes mod 2^32 (as peer.mjs's "sum").
func byteSum(b []byte) uint32 {
	var s uint32
	for _, x := range b {
		s += uint32(x)
	}
	return s
}
