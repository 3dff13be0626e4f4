package mocktracker

// The announce log: Config.OnAnnounce sees every announce a front end
// receives and every one the swarm records, so that tests (the simulation in
// internal/sim above all) can assert what a tracker was told, and when, from
// the tracker's side of the wire.

import "time"

// Protocols of AnnounceLog.Protocol.
const (
	ProtoHTTP = "http"
	ProtoUDP  = "udp"
	ProtoWS   = "ws"
)

// AnnounceStage says what an AnnounceLog records.
type AnnounceStage uint8

const (
	// StageArrived: a front end received a well-formed announce request,
	// before the faults decide its fate (dropped, delayed, refused or
	// answered). Every request is logged once at this stage (HTTP and WS
	// requests after their redirects, if any; UDP ones even when dropped).
	StageArrived AnnounceStage = iota
	// StageAccepted: the swarm recorded the announce and the front end
	// answers it (a reply may still be delayed or lost on the way).
	StageAccepted
	// StageSocketClosed: a WebSocket closed, which counts as "stopped" for
	// each torrent announced on it; Event is EventStopped.
	StageSocketClosed
)

// String returns "arrived", "accepted" or "socket closed".
func (s AnnounceStage) String() string {
	switch s {
	case StageArrived:
		return "arrived"
	case StageAccepted:
		return "accepted"
	case StageSocketClosed:
		return "socket closed"
	}
	return "unknown"
}

// AnnounceLog is one entry of the announce log (see Config.OnAnnounce).
type AnnounceLog struct {
	Time     time.Time // the Tracker's clock (virtual in a synctest bubble)
	Protocol string    // ProtoHTTP, ProtoUDP or ProtoWS
	Stage    AnnounceStage
	Announce // Addr is zero for WS; Key is zero for WS
}

// announce records a for protocol proto in the log and the swarm.
func (t *Tracker) announce(proto string, a Announce) AnnounceResult {
	return t.record(AnnounceLog{Protocol: proto, Stage: StageAccepted, Announce: a})
}

// record logs e (its Time set now) and applies its announce to the swarm.
func (t *Tracker) record(e AnnounceLog) AnnounceResult {
	if t.cfg.OnAnnounce != nil {
		e.Time = t.cfg.Now()
		t.cfg.OnAnnounce(e)
	}
	return t.Announce(e.Announce)
}
