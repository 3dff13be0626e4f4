package peer

import (
	"encoding/hex"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// ID is a 20-byte BitTorrent peer ID. The zero ID means "unknown": trackers
// that answer in compact form do not send peer IDs.
type ID [20]byte

// IsZero reports whether id is the zero (unknown) ID.
func (id ID) IsZero() bool { return id == ID{} }

// String returns the ID in lowercase hex, or "" for the zero ID.
func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	return hex.EncodeToString(id[:])
}

// Peer is one peer a tracker told us about.
//
// Addr holds the address and port. When a tracker gives a hostname instead of
// an IP address (allowed by BEP 3's dictionary form), Addr.Addr() is the zero
// netip.Addr, Addr.Port() is the port and Host holds the name; resolving it is
// left to the caller, who knows its own resolver and policy.
//
// Conn is set only for WebRTC peers: it is the open, detached data channel to
// the remote peer. Whoever receives a Peer with a non-nil Conn owns it and must
// Close it.
type Peer struct {
	Addr netip.AddrPort
	Host string
	ID   ID
	Conn io.ReadWriteCloser
}

// String returns "ip:port", "[ipv6]:port" or "host:port". A WebRTC peer with
// no address is shown by its ID.
func (p Peer) String() string {
	switch {
	case p.Host != "":
		return net.JoinHostPort(p.Host, strconv.Itoa(int(p.Addr.Port())))
	case p.Addr.IsValid():
		return p.Addr.String()
	case !p.ID.IsZero():
		return "webrtc:" + p.ID.String()
	default:
		return ""
	}
}
