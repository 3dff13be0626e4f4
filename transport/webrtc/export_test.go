package webrtc

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
