package announcer

import (
	"net/netip"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// State is where one tracker of a Session stands.
type State uint8

const (
	// StateIdle: not announced to yet (the Session has not started, or
	// the tracker is a backup in its tier and has not been needed).
	StateIdle State = iota
	// StateAnnouncing: a request is in flight.
	StateAnnouncing
	// StateOK: the last announce succeeded; the next one is scheduled.
	StateOK
	// StateBackingOff: the last announce failed; it will be retried at
	// NextAnnounce (exponential backoff, or the tracker's BEP 31 "retry in").
	StateBackingOff
	// StateSkipped: this host has no route to the tracker's address family;
	// nothing was sent and it is not counted as failing.
	StateSkipped
	// StateGaveUp: the URL is not used any more (HTTP 410, BEP 31 "retry
	// in: never", an unsupported scheme or an unparsable URL).
	StateGaveUp
	// StateStopping: the stopped announce is in flight.
	StateStopping
	// StateStopped: the Session has ended.
	StateStopped
	// StateReconnecting: the transport's connection to the tracker is down
	// and it reconnects by itself (a WebSocket tracker's socket dropped);
	// the announce is sent again at NextAnnounce, when the transport
	// redials. Not counted as a failure (see transport.ErrReconnecting).
	StateReconnecting
)

var stateNames = [...]string{
	StateIdle:         "idle",
	StateAnnouncing:   "announcing",
	StateOK:           "ok",
	StateBackingOff:   "backing off",
	StateSkipped:      "skipped",
	StateGaveUp:       "gave up",
	StateStopping:     "stopping",
	StateStopped:      "stopped",
	StateReconnecting: "reconnecting",
}

// String returns the state in lower case words, e.g. "backing off".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// TrackerStatus is a snapshot of one announce URL of a Session.
type TrackerStatus struct {
	URL string // redacted (see transport.Redact)
	// InfoHash is the hash announced on this row: the Session's, or the
	// truncated v2 hash on the second row of a hybrid torrent's URL.
	InfoHash transport.InfoHash
	// Family is the address family this row announces over: a tracker
	// whose host has addresses of both families, each routable from here,
	// has one row per family, each with its own schedule and state
	// (dual-stack, see Config.SingleStack); transport.FamilyAny for a
	// tracker announced once per round, to whichever address answers.
	Family   transport.Family
	Tier     int    // index of its tier in the torrent's announce list
	Protocol string // ProtocolHTTP, ProtocolUDP, ProtocolWebRTC, or the URL scheme if unsupported
	State    State
	// LastAnnounce is when the last successful announce was answered.
	LastAnnounce time.Time
	// NextAnnounce is when the next announce (or retry) is due, as far as
	// this tracker is concerned; zero when none is planned. A backup
	// tracker in a tier is only used when the ones before it fail.
	NextAnnounce time.Time
	// Seeders, Leechers and Peers are from the last successful announce;
	// Seeders and Leechers are -1 until known.
	Seeders  int
	Leechers int
	Peers    int
	// Interval and MinInterval are what the tracker last asked for
	// (before clamping to Config.IntervalFloor and IntervalCap).
	Interval    time.Duration
	MinInterval time.Duration
	// LastError is the error of the last failed announce, kept after a
	// later success (Failures is then 0).
	LastError error
	// Warning is the "warning message" of the last successful announce.
	Warning string
	// Failures counts consecutive failed announces.
	Failures int
	// Started reports whether the tracker acknowledged our "started" (and
	// so will be sent "stopped").
	Started bool
	// Offers is how many WebRTC offers the last successful announce
	// carried, and OffersWanted how many it should have (both 0 for
	// HTTP and UDP). Fewer means the WebRTC transport's budget of pending
	// connections was shared among more torrents than it can serve at once;
	// the torrent is then served first in the next round.
	Offers, OffersWanted int
	// ExternalIP is the address the tracker last said it saw us coming
	// from (BEP 24), kept until a later reply says otherwise; the zero
	// Addr until one did.
	ExternalIP netip.Addr
	// RTT is how long the last successful announce took, from the
	// request leaving (after any wait for a slot) to its reply, transport
	// retries included (a UDP retransmit shows); 0 until one succeeded.
	// SmoothedRTT averages the successful announces as TCP smooths its
	// round-trip time (RFC 6298: 7/8 of the old value, 1/8 of the new;
	// the first sample as it is). Stopped announces count too.
	RTT         time.Duration
	SmoothedRTT time.Duration
}

// stateChangedLocked emits a StateEvent (if SessionOptions.StateEvents
// asked for them) when t's state differs from the one last emitted. It is called, Session.mu held, at the end of each change
// of a tracker, so that the snapshot is the whole change and StateEvents
// come in the order of the changes.
func (s *Session) stateChangedLocked(t *tracker, now time.Time) {
	if t.State == t.shown {
		return
	}
	from := t.shown
	t.shown = t.State
	if !s.stateEvents {
		return
	}
	s.events.push(StateEvent{Time: now, Tracker: t.url.redacted, From: from, Status: t.TrackerStatus})
}

// recordRTTLocked adds one successful round trip to t's figures.
func (t *tracker) recordRTTLocked(d time.Duration) {
	t.RTT = d
	if t.SmoothedRTT == 0 {
		t.SmoothedRTT = d
	} else {
		t.SmoothedRTT += (d - t.SmoothedRTT) / 8
	}
}
