package announcer

import (
	"strings"

	_ "github.com/trackerkit/trackerkit/internal/builtin" // registers http, https, udp, ws, wss
	"github.com/trackerkit/trackerkit/transport"
)

// TransportOptions returns the settings every transport built for this
// configuration shares (User-Agent, logger, proxy, local address, the
// in-flight limit per tracker, which sizes HTTP connection pools): NewClient hands them to each
// registered protocol's constructor, and a program that builds some of its
// transports itself (to tune them) starts from them so that the shared
// settings still reach every tracker.
//
// Resolver is left nil: NewClient sets it to the Client's shared DNS cache.
func (c Config) TransportOptions() transport.Options {
	return transport.Options{UserAgent: c.UserAgent, Logger: c.Logger, Proxy: c.Proxy, LocalAddr: c.LocalAddr,
		MaxInFlight: c.MaxAnnouncesPerTracker}
}

// buildTransports maps each URL scheme to its Transport: the ones
// cfg.Transports names (a nil entry removes the scheme), and for the other
// registered schemes one transport per protocol built from
// cfg.TransportOptions and the Client's DNS cache (its schemes share it). A protocol whose schemes are
// all given is not built. owned lists the transports built here, which the
// Client closes; it never closes those it was given. A Client that needs
// STUN or TURN servers for WebRTC passes its own webrtc.New(webrtc.Config{...}).
func buildTransports(cfg *Config, dns *transport.Resolver) (byScheme map[string]transport.Transport, owned []transport.Transport) {
	given := make(map[string]transport.Transport, len(cfg.Transports))
	for scheme, tr := range cfg.Transports {
		given[strings.ToLower(scheme)] = tr
	}
	byScheme = make(map[string]transport.Transport)
	opts := cfg.TransportOptions()
	opts.Resolver = dns
	for _, p := range transport.Protocols() {
		var built transport.Transport
		for _, scheme := range p.Schemes {
			if _, ok := given[scheme]; ok {
				continue
			}
			if built == nil {
				built = p.New(opts)
				owned = append(owned, built)
			}
			byScheme[scheme] = built
		}
	}
	for scheme, tr := range given {
		if tr != nil {
			byScheme[scheme] = tr
		}
	}
	return byScheme, owned
}

// protocolOf names the protocol of a URL scheme in events: the registered
// protocol's name, or the scheme itself for a transport given in
// Config.Transports under an unregistered scheme.
func protocolOf(scheme string) string {
	if p, ok := transport.Lookup(scheme); ok {
		return p.Name
	}
	return scheme
}
