package webrtc

import (
	"net"
	"net/http"
)

// Test hooks for the external test package.

// LivePeerConns is the number of PeerConnections t holds open.
func (t *Transport) LivePeerConns() int {
	return t.offers.live()
}

// Sockets is the number of tracker sockets t holds.
func (t *Transport) Sockets() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sockets)
}

// NewPipeNet returns a listener and an HTTP client joined by in-memory
// pipes, so that a WebSocket tracker and a Transport can live in a synctest
// bubble (see pipeNet); pass the client in Config.DialOptions.
func NewPipeNet() (ln net.Listener, client *http.Client) {
	p := newPipeNet()
	return p, p.client()
}

// Dials is the number of WebSocket handshakes t attempted.
func (t *Transport) Dials() int64 { return t.counters.dials.Load() }

// RelayedOffersRefused is the number of relayed offers t did not answer.
func (t *Transport) RelayedOffersRefused() int64 { return t.counters.offersRefused.Load() }

// RelayedOffersAnswered is the number of relayed offers t answered.
func (t *Transport) RelayedOffersAnswered() int64 { return t.counters.offersAnswered.Load() }
