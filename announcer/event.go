package announcer

import (
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Event is one thing a Session learned. It is a sealed interface: the
// concrete types are PeerEvent, UpdateEvent, ScrapeEvent, WarningEvent,
// ErrorEvent and DroppedEvent; read them with a type switch.
//
// Tracker URLs in events are redacted (see transport.Redact): they are safe
// to log and display.
type Event interface {
	// When is the time the event was produced.
	When() time.Time
	isEvent()
}

// Protocol names used in events: "http" (also https), "udp", "webrtc" (ws,
// wss).
const (
	ProtocolHTTP   = "http"
	ProtocolUDP    = "udp"
	ProtocolWebRTC = "webrtc"
)

// PeerEvent is one peer from one tracker. Within one reply the same peer is
// not emitted twice. A WebRTC peer carries its open data channel in Peer.Conn:
// the receiver owns it and must close it.
type PeerEvent struct {
	Time     time.Time
	Tracker  string // redacted URL
	Protocol string // ProtocolHTTP, ProtocolUDP or ProtocolWebRTC
	Peer     peer.Peer
}

// UpdateEvent is one successful announce.
type UpdateEvent struct {
	Time    time.Time
	Tracker string          // redacted URL
	Event   transport.Event // the event that was sent
	// Complete and Incomplete are the seeders and leechers the tracker
	// reported, -1 when it did not say.
	Complete   int
	Incomplete int
	Interval   time.Duration // the interval the tracker asked for
	Peers      int           // peers in this reply
	// Offers and OffersWanted: the WebRTC offers the announce carried and
	// how many it should have (see TrackerStatus.Offers); 0 for HTTP, UDP.
	Offers, OffersWanted int
}

// ScrapeEvent is one torrent's statistics from one tracker.
type ScrapeEvent struct {
	Time     time.Time
	Tracker  string // redacted URL
	InfoHash transport.InfoHash
	Stats    transport.ScrapeStats
}

// WarningEvent is a tracker's "warning message": the reply was still used.
type WarningEvent struct {
	Time    time.Time
	Tracker string // redacted URL
	Message string
}

// ErrorEvent is a failed announce (or scrape). Err wraps the transport's
// typed error (errors.Is / errors.As work; see package transport).
type ErrorEvent struct {
	Time    time.Time
	Tracker string // redacted URL
	Err     error
	// Failures is the number of consecutive failures of this tracker,
	// including this one; 0 for an error that is not counted as a failure
	// (a tracker skipped because this host cannot reach its address family).
	Failures int
	// NextTry is when the tracker will be tried again; the zero time when
	// the URL has been given up (HTTP 410, BEP 31 "retry in: never", ...).
	NextTry time.Time
	// GaveUp is true when this error made the Session stop using the URL.
	GaveUp bool
}

// DroppedEvent says that Count events were dropped because the consumer did
// not keep up with the bounded event buffer. It is delivered as soon as there
// is room again.
type DroppedEvent struct {
	Time  time.Time
	Count int
}

func (e PeerEvent) When() time.Time    { return e.Time }
func (e UpdateEvent) When() time.Time  { return e.Time }
func (e ScrapeEvent) When() time.Time  { return e.Time }
func (e WarningEvent) When() time.Time { return e.Time }
func (e ErrorEvent) When() time.Time   { return e.Time }
func (e DroppedEvent) When() time.Time { return e.Time }

func (PeerEvent) isEvent()    {}
func (UpdateEvent) isEvent()  {}
func (ScrapeEvent) isEvent()  {}
func (WarningEvent) isEvent() {}
func (ErrorEvent) isEvent()   {}
func (DroppedEvent) isEvent() {}
