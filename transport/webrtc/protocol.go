package webrtc

import "github.com/trackerkit/trackerkit/transport"

// Protocol is the WebTorrent tracker protocol as the scheme registry knows
// it (see transport.Register): "ws" and "wss", one Transport for both, with
// no ICE servers (pass your own webrtc.New in announcer.Config.Transports
// for STUN or TURN).
var Protocol = transport.Protocol{
	Name:    "webrtc",
	Schemes: []string{"ws", "wss"},
	New: func(o transport.Options) transport.Transport {
		return New(ConfigFrom(o))
	},
}

// ConfigFrom returns the Config that carries the shared options (User-Agent,
// logger, proxy, local address, DNS cache); other fields are zero
// (defaults).
func ConfigFrom(o transport.Options) Config {
	return Config{UserAgent: o.UserAgent, Logger: o.Logger, Proxy: o.Proxy, LocalAddr: o.LocalAddr, DNS: o.Resolver}
}
