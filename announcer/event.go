package announcer

import (
	"net/netip"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Event is one thing a Session learned. It is a sealed interface: the
// concrete types are PeerEvent, UpdateEvent, StateEvent, ScrapeEvent,
// ScrapeSkippedEvent, WarningEvent, ErrorEvent and DroppedEvent; read them
// with a type switch (and ignore types you do not know: more may come).
//
// Tracker URLs in events are redacted (see transport.Redact): they are safe
// to log and display.
type Event interface {
	// When is the time the event was produced.
	When() time.Time
	isEvent()
}

// Protocol names used in events: "http" (also https), "udp", "webrtc" (ws,
// wss). They are the Name of each built-in transport.Protocol; a transport
// registered by the embedding program reports its own Name.
const (
	ProtocolHTTP   = "http"
	ProtocolUDP    = "udp"
	ProtocolWebRTC = "webrtc"
)

// PeerEvent is peers from one tracker: all the peers of one announce reply
// at once (it follows that reply's UpdateEvent), or one WebRTC peer as its
// connection opens. Within one reply the same peer is not listed twice, and a
// reply with no peers has no PeerEvent.
//
// A WebRTC peer carries its open data channel in Conn: the receiver owns it
// and must close it. WebRTC peers are delivered one event each, as each
// connection opens, so that none waits for another.
//
// Peers is the receiver's: the Session keeps no reference to it.
type PeerEvent struct {
	Time     time.Time
	Tracker  string // redacted URL
	Protocol string // ProtocolHTTP, ProtocolUDP or ProtocolWebRTC
	Peers    []peer.Peer
	// Family is the address family the announce was forced to when the
	// tracker is announced over each family (dual-stack, see
	// Config.SingleStack); transport.FamilyAny otherwise.
	Family transport.Family
}

// UpdateEvent is one successful announce.
type UpdateEvent struct {
	Time    time.Time
	Tracker string // redacted URL
	// InfoHash is the hash announced: the Session's, or for a hybrid
	// torrent's second announce its truncated v2 hash (see Torrent).
	InfoHash transport.InfoHash
	// Family is the address family this announce was forced to when the
	// tracker is announced over each family (dual-stack, see
	// Config.SingleStack); transport.FamilyAny otherwise.
	Family transport.Family
	Event  transport.Event // the event that was sent
	// Complete and Incomplete are the seeders and leechers the tracker
	// reported, -1 when it did not say.
	Complete   int
	Incomplete int
	Interval   time.Duration // the interval the tracker asked for
	// Peers is the number of peers in this reply, duplicates included;
	// the distinct ones follow in one PeerEvent.
	Peers int
	// ExternalIP is the address the tracker saw us coming from (BEP 24
	// "external ip"), the zero Addr when it did not say. A client behind
	// NAT can learn its public address from it.
	ExternalIP netip.Addr
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

// StateEvent says that a tracker's state changed (see State), for Sessions
// made with SessionOptions.StateEvents: a UI can follow every tracker from
// these events instead of polling Session.Trackers. Status is the tracker's snapshot just after the change.
// A tracker that answers on schedule goes announcing -> ok at each announce;
// one that fails, announcing -> backing off; Stop moves the trackers to
// stopping and stopped.
type StateEvent struct {
	Time    time.Time
	Tracker string // redacted URL, as Status.URL
	From    State  // the state before
	Status  TrackerStatus
}

// ScrapeSkippedEvent says that Session.Scrape did not scrape a tracker, and
// why, so that a UI need not work it out again from the URL.
type ScrapeSkippedEvent struct {
	Time    time.Time
	Tracker string // redacted URL
	Reason  SkipReason
	// Err is the cause: the transport's error wrapping
	// transport.ErrUnsupported for SkipNoScrape, the error that made the
	// Session give the URL up for SkipGaveUp (nil if none was recorded).
	Err error
}

// SkipReason says why Session.Scrape passed over a tracker.
type SkipReason uint8

const (
	// SkipNoScrape: the tracker cannot be scraped. For HTTP, the last path
	// segment of the announce URL does not start with "announce", so BEP 48
	// gives it no scrape URL.
	SkipNoScrape SkipReason = iota + 1
	// SkipGaveUp: the URL is given up (HTTP 410, BEP 31 "retry in: never",
	// an unsupported scheme or an unparsable URL): nothing is sent to it.
	SkipGaveUp
)

// String returns "no scrape URL" or "gave up".
func (r SkipReason) String() string {
	switch r {
	case SkipNoScrape:
		return "no scrape URL"
	case SkipGaveUp:
		return "gave up"
	}
	return "unknown"
}

// WarningEvent is a tracker's "warning message": the reply was still used.
type WarningEvent struct {
	Time    time.Time
	Tracker string // redacted URL
	Message string
	Family  transport.Family // as UpdateEvent.Family
}

// ErrorEvent is a failed announce (or scrape). Err wraps the transport's
// typed error (errors.Is / errors.As work; see package transport).
type ErrorEvent struct {
	Time    time.Time
	Tracker string // redacted URL
	// InfoHash is the hash of the failed announce or scrape (see
	// UpdateEvent.InfoHash); zero for a URL that is unusable.
	InfoHash transport.InfoHash
	// Family is the address family this announce was forced to when the
	// tracker is announced over each family (dual-stack, see
	// Config.SingleStack); transport.FamilyAny otherwise.
	Family transport.Family
	Err    error
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

func (e PeerEvent) When() time.Time          { return e.Time }
func (e UpdateEvent) When() time.Time        { return e.Time }
func (e ScrapeEvent) When() time.Time        { return e.Time }
func (e ScrapeSkippedEvent) When() time.Time { return e.Time }
func (e StateEvent) When() time.Time         { return e.Time }
func (e WarningEvent) When() time.Time       { return e.Time }
func (e ErrorEvent) When() time.Time         { return e.Time }
func (e DroppedEvent) When() time.Time       { return e.Time }

func (PeerEvent) isEvent()          {}
func (UpdateEvent) isEvent()        {}
func (ScrapeEvent) isEvent()        {}
func (ScrapeSkippedEvent) isEvent() {}
func (StateEvent) isEvent()         {}
func (WarningEvent) isEvent()       {}
func (ErrorEvent) isEvent()         {}
func (DroppedEvent) isEvent()       {}
