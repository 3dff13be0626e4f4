package announcer

import (
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// defaultTransports builds the transports NewClient uses for the schemes
// Config.Transports does not name: one HTTP transport for "http" and
// "https", one UDP transport for "udp", one WebTorrent transport (WebSocket
// tracker, WebRTC peers, no ICE servers) for "ws" and "wss". A transport
// whose schemes are all overridden is not built. A Client that needs STUN or
// TURN servers for WebRTC passes its own webrtc.New(webrtc.Config{...}).
func defaultTransports(cfg *Config, skip func(scheme string) bool) []scheme {
	var out []scheme
	if !(skip("http") && skip("https")) {
		h := http.New(http.Config{UserAgent: cfg.UserAgent, Logger: cfg.Logger})
		out = append(out, scheme{"http", h, nil}, scheme{"https", h, nil})
		out[0].close = h.Close
	}
	if !skip("udp") {
		u := udp.New(udp.Config{Logger: cfg.Logger})
		out = append(out, scheme{"udp", u, u.Close})
	}
	if !(skip("ws") && skip("wss")) {
		w := webrtc.New(webrtc.Config{Logger: cfg.Logger})
		out = append(out, scheme{"ws", w, w.Close}, scheme{"wss", w, nil})
	}
	return out
}

// scheme is one default transport for one URL scheme; close is set on the
// first scheme of a transport serving several.
type scheme struct {
	name  string
	t     transport.Transport
	close func() error
}
