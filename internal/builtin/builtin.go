// Package builtin registers trackerkit's own tracker protocols (HTTP(S),
// UDP, WebTorrent) in the scheme registry of package transport. The
// announcer and scrape packages import it, so a Client or Scraper serves
// http, https, udp, ws and wss without further setup.
//
// Adding a protocol: write its package (a transport.Transport and its
// transport.Protocol value) and add one line below. See docs/design.md.
package builtin

import (
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

func init() {
	transport.Register(http.Protocol)
	transport.Register(udp.Protocol)
	transport.Register(webrtc.Protocol)
}
