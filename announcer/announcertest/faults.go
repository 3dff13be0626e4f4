package announcertest

import (
	"net/http"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

// Faults make the tracker misbehave. The zero value is a well-behaved
// tracker. Each field says which protocols it applies to; the others ignore
// it (UDP has no warning and no min interval, BEP 15). Faults apply to
// requests that arrive after they were set.
type Faults struct {
	// FailureReason refuses every announce and scrape: HTTP and WebSocket
	// send it as "failure reason", UDP as an error reply (action 3).
	FailureReason string
	// RetryIn is sent with FailureReason as BEP 31 "retry in": "never", or
	// a number of minutes ("60"). HTTP only.
	RetryIn string
	// Warning is sent as "warning message" in good replies. HTTP, WebSocket.
	Warning string
	// Interval and MinInterval, when not 0, replace the Config's in
	// replies (MinInterval: HTTP and WebSocket).
	Interval, MinInterval time.Duration
	// Status is the HTTP status of every HTTP reply (410 Gone, 500, 503...;
	// with FailureReason the body still carries it). Over WebSocket a
	// Status other than 0 and 200 refuses new handshakes with it (open
	// sockets stay). UDP ignores it.
	Status int
	// Drop answers nothing: UDP drops every request; HTTP holds each
	// request until the client gives up; WebSocket reads messages and
	// answers none (and records no announce).
	Drop bool
	// DropFirst drops the next DropFirst UDP requests (connects included),
	// then answers again: BEP 15 retransmits. UDP only.
	DropFirst int
	// Delay sends every reply this late. All protocols.
	Delay time.Duration
	// NoWebRTCRelay stops relaying WebRTC offers and answers between
	// WebSocket peers, so they never connect. WebSocket only.
	NoWebRTCRelay bool
}

// SetFaults sets f on every protocol; the zero Faults clears them.
func (t *Tracker) SetFaults(f Faults) {
	t.SetHTTPFaults(f)
	t.SetUDPFaults(f)
	t.SetWSFaults(f)
}

// SetHTTPFaults sets the faults of the HTTP front end only.
func (t *Tracker) SetHTTPFaults(f Faults) {
	t.mt.SetHTTPFaults(mocktracker.HTTPFaults{
		FailureReason: f.FailureReason, RetryIn: f.RetryIn, Warning: f.Warning,
		Interval: f.Interval, MinInterval: f.MinInterval, Status: f.Status,
		Unresponsive: f.Drop, Delay: f.Delay,
	})
}

// SetUDPFaults sets the faults of the UDP front end only.
func (t *Tracker) SetUDPFaults(f Faults) {
	u := mocktracker.UDPFaults{ErrorText: f.FailureReason, Interval: f.Interval, DropFirst: f.DropFirst, Delay: f.Delay}
	if f.Drop {
		u.DropRate = 1
	}
	t.mt.SetUDPFaults(u)
}

// SetWSFaults sets the faults of the WebSocket front end only.
func (t *Tracker) SetWSFaults(f Faults) {
	w := mocktracker.WSFaults{
		FailureReason: f.FailureReason, Warning: f.Warning, Interval: f.Interval, MinInterval: f.MinInterval,
		Delay: f.Delay, Silent: f.Drop, NoRelay: f.NoWebRTCRelay,
	}
	if f.Status != 0 && f.Status != http.StatusOK {
		w.Refuse, w.RefuseStatus = true, f.Status
	}
	t.mt.SetWSFaults(w)
}

// DropWSSockets closes every open WebSocket now, as a crashing tracker
// would, and returns how many it closed; their peers leave the swarms
// before it returns. Clients reconnect as they see fit.
func (t *Tracker) DropWSSockets() int { return t.mt.DropWSSockets() }
