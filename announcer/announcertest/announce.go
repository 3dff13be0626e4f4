package announcertest

import (
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Announce is one announce the tracker received, whatever its protocol.
type Announce struct {
	Time     time.Time // when it arrived
	Protocol string    // ProtocolHTTP, ProtocolUDP or ProtocolWS
	InfoHash transport.InfoHash
	PeerID   peer.ID
	// Addr is what the tracker hands to other peers: the request's source
	// IP with the announced port. WebSocket announces have none.
	Addr       netip.AddrPort
	Event      transport.Event // transport.EventNone for a regular announce
	Uploaded   int64
	Downloaded int64
	Left       int64
	// NumWant is the number of peers asked for; -1 when the announce did
	// not say.
	NumWant int
	// Key is the announce's key (HTTP: parsed as hex; UDP: as sent;
	// WebSocket: none, 0).
	Key uint32
	// Params are the announce's parameters as received, for assertions on
	// custom fields: the HTTP query (info_hash and peer_id as raw bytes),
	// the query part of a UDP announce's BEP 41 URL data, or the top-level
	// fields of a WebSocket announce message other than offers (strings as
	// they are, numbers in decimal, arrays of strings as several values).
	Params url.Values
}

// Scrape is one scrape request the tracker received.
type Scrape struct {
	Time     time.Time
	Protocol string         // ProtocolHTTP, ProtocolUDP or ProtocolWS
	From     netip.AddrPort // the client's address; zero over WebSocket
	// InfoHashes are the torrents asked for; none means every torrent
	// (HTTP and WebSocket allow that).
	InfoHashes []transport.InfoHash
}

func fromMock(a mocktracker.Announce) Announce {
	return Announce{
		Time: a.Time, Protocol: a.Protocol, InfoHash: a.InfoHash, PeerID: a.PeerID, Addr: a.Addr,
		Event: a.Event, Uploaded: a.Uploaded, Downloaded: a.Downloaded, Left: a.Left,
		NumWant: a.NumWant, Key: a.Key, Params: cloneValues(a.Params),
	}
}

// clone copies a's Params, so callers may change what they get.
func (a Announce) clone() Announce {
	a.Params = cloneValues(a.Params)
	return a
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := maps.Clone(v)
	for k, vs := range out {
		out[k] = slices.Clone(vs)
	}
	return out
}
